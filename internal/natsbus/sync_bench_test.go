package natsbus_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/natsbus"
)

// BenchmarkPublishSync measures what --sync-full costs the embedded
// JetStream: one event published and acknowledged at a time (as the relay
// does today), with the server's periodic sync and with sync always (an
// fsync per stored message). The figures are in docs/decisions.md; run it as
//
//	go test ./internal/natsbus/ -run '^$' -bench PublishSync -benchtime 500x
func BenchmarkPublishSync(b *testing.B) {
	for _, always := range []bool{false, true} {
		b.Run("SyncAlways="+strconv.FormatBool(always), func(b *testing.B) {
			bus, err := natsbus.StartEmbedded(b.TempDir(), slog.New(slog.DiscardHandler), natsbus.WithSyncAlways(always))
			if err != nil {
				b.Fatal(err)
			}
			defer bus.Close()
			ctx := context.Background()
			at := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
			b.ResetTimer()
			for i := range b.N {
				e := events.New(events.ProductCreated, "prd_"+strconv.Itoa(i), "mer_1", at, map[string]string{"title": "Savon"})
				if err := bus.Publish(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
