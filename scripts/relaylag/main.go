// Command relaylag measures the event relay while a demo marketplace is
// seeded: it starts `sesame demo` with its embedded JetStream server
// listening on loopback, reads the catalogue's events from the stream with
// an ordered (ephemeral) consumer as they arrive, and for each computes
//
//	lag   = received - the event's time (when its outbox row was written)
//	relay = stored on the stream - the event's time
//
// It prints the figures every 5 s and at the end, with the seed's own rate at
// its start and its end (the demo's last seed line). It stops once the demo
// is ready and the stream has been quiet for -quiet. scripts/relay-lag.sh
// builds and runs it.
//
//	relaylag -sesame ./sesame -data /tmp/d -products 200000 [-nats 127.0.0.1:18422] [-addr 127.0.0.1:18481]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sesame-market/sesame/internal/events"
)

// streamName is streamName, the stream Sesame publishes to (only
// cmd/sesame imports natsbus; a tool reads the stream as any client would).
const streamName = "SESAME"

func main() {
	bin := flag.String("sesame", "./sesame", "the sesame binary")
	data := flag.String("data", "", "an empty data folder for the demo (required)")
	products := flag.Int("products", 200000, "products the demo seeds")
	natsAddr := flag.String("nats", "127.0.0.1:18422", "loopback address for the demo's JetStream server")
	addr := flag.String("addr", "127.0.0.1:18481", "the demo's HTTP address")
	quiet := flag.Duration("quiet", 3*time.Second, "stop once the demo is ready and no event arrived for this long")
	every := flag.Duration("every", 5*time.Second, "report interval")
	flag.Parse()
	if *data == "" {
		fmt.Fprintln(os.Stderr, "relaylag: -data is required")
		os.Exit(2)
	}
	if err := run(*bin, *data, *products, *natsAddr, *addr, *quiet, *every); err != nil {
		fmt.Fprintln(os.Stderr, "relaylag:", err)
		os.Exit(1)
	}
}

// sample is one event as the probe received it.
type sample struct {
	received time.Time
	lag      time.Duration // received - event time
	relay    time.Duration // stored - event time
	listings int
}

// probe collects samples from the consumer's goroutine.
type probe struct {
	mu      sync.Mutex
	samples []sample
	bad     int // messages that are not events
}

func (p *probe) add(s sample) {
	p.mu.Lock()
	p.samples = append(p.samples, s)
	p.mu.Unlock()
}

func (p *probe) snapshot() []sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.samples)
}

// demoState is what the demo's output said so far.
type demoState struct {
	mu       sync.Mutex
	bar      string // the latest progress line
	seeded   string // "Seeded ... products in ... (... at the start, ... at the end)."
	readyAt  time.Time
	seededAt time.Time
}

func (d *demoState) get() (bar, seeded string, seededAt, readyAt time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bar, d.seeded, d.seededAt, d.readyAt
}

func run(bin, data string, products int, natsAddr, addr string, quiet, every time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(data, "demo.log"))
	if err != nil {
		return err
	}
	defer logf.Close()

	start := time.Now()
	cmd := exec.Command(bin, "demo", "--data", data, "--addr", addr, "--products", fmt.Sprint(products),
		"--nats-listen", natsAddr, "--log-level", "warn")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	gone := make(chan struct{})
	go func() {
		err := cmd.Wait()
		pw.Close()
		close(gone)
		exited <- err
	}()
	// The demo is stopped as a user would, so that it shuts down cleanly.
	defer func() {
		select {
		case <-gone:
			return
		default:
		}
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-gone:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-gone
		}
	}()
	demo := &demoState{}
	go readDemo(pr, logf, demo)

	p := &probe{}
	nc, err := connect(ctx, "nats://"+natsAddr, exited)
	if err != nil {
		return err
	}
	defer nc.Close()
	attached := time.Since(start)
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	cons, err := js.OrderedConsumer(ctx, streamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.SubjectPrefix + "catalog.>"},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("ordered consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		now := time.Now()
		var e events.Event
		if err := json.Unmarshal(m.Data(), &e); err != nil || e.At.IsZero() {
			p.mu.Lock()
			p.bad++
			p.mu.Unlock()
			return
		}
		s := sample{received: now, lag: now.Sub(e.At), listings: listingsOf(e)}
		if md, err := m.Metadata(); err == nil {
			s.relay = md.Timestamp.Sub(e.At)
		}
		p.add(s)
	})
	if err != nil {
		return err
	}
	defer cc.Stop()
	fmt.Printf("probe attached to %s %.1fs after the demo started; seeding %d products\n", natsAddr, attached.Seconds(), products)

	tick := time.NewTicker(every)
	defer tick.Stop()
	last := 0
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return fmt.Errorf("the demo stopped: %v (see %s)", err, logf.Name())
		case <-tick.C:
		}
		all := p.snapshot()
		bar, _, _, readyAt := demo.get()
		window := all[last:]
		last = len(all)
		fmt.Printf("%6.0fs  %s  | last %s: %s\n", time.Since(start).Seconds(), strings.TrimSpace(bar), every, summary(window, every))
		if !readyAt.IsZero() && (len(all) == 0 || time.Since(all[len(all)-1].received) >= quiet) {
			break
		}
	}
	cc.Stop()
	all := p.snapshot()
	_, seeded, seededAt, readyAt := demo.get()
	fmt.Println()
	fmt.Println(seeded)
	if len(all) == 0 {
		return fmt.Errorf("no catalogue event received")
	}
	first, lastAt := all[0].received, all[len(all)-1].received
	span := lastAt.Sub(first)
	listings := 0
	for _, s := range all {
		listings += s.listings
	}
	fmt.Printf("events received   %d catalogue events carrying %d listings (%d undecodable)\n", len(all), listings, p.bad)
	fmt.Printf("throughput        %.0f events/s, %.0f listings/s, over %.1fs from the first event to the last\n",
		float64(len(all))/max(span.Seconds(), 1e-9), float64(listings)/max(span.Seconds(), 1e-9), span.Seconds())
	fmt.Printf("lag (received)    %s\n", quantiles(all, func(s sample) time.Duration { return s.lag }))
	fmt.Printf("lag (on stream)   %s\n", quantiles(all, func(s sample) time.Duration { return s.relay }))
	if !seededAt.IsZero() {
		fmt.Printf("last event        %.1fs after the seed's last line, %.1fs after readiness\n",
			lastAt.Sub(seededAt).Seconds(), lastAt.Sub(readyAt).Seconds())
		during := 0
		for _, s := range all {
			if s.received.Before(seededAt) {
				during++
			}
		}
		fmt.Printf("during the seed   %d of %d events received before the seed ended\n", during, len(all))
	}
	return nil
}

// connect dials the demo's JetStream server until it answers and holds
// the stream (the demo creates it as it starts).
func connect(ctx context.Context, url string, exited <-chan error) (*nats.Conn, error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		nc, err := nats.Connect(url, nats.Name("relaylag"))
		if err == nil {
			js, _ := jetstream.New(nc)
			if _, err = js.Stream(ctx, streamName); err == nil {
				return nc, nil
			}
			nc.Close()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("connect to %s: %w", url, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-exited:
			return nil, fmt.Errorf("the demo stopped before its JetStream server answered: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readDemo copies the demo's output to log and notes its progress bar, its
// seed report and its readiness. The bar redraws with \r, so lines end at
// \r as well as \n.
func readDemo(r io.Reader, log io.Writer, d *demoState) {
	sc := bufio.NewScanner(io.TeeReader(r, log))
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	for sc.Scan() {
		line := sc.Text()
		d.mu.Lock()
		switch {
		case strings.HasPrefix(line, "catalogue "):
			d.bar = line
		case strings.HasPrefix(line, "Seeded "):
			d.seeded, d.seededAt = line, time.Now()
		case strings.HasPrefix(line, "Sesame is ready"):
			d.readyAt = time.Now()
		}
		d.mu.Unlock()
	}
	io.Copy(log, r)
}

// listingsOf counts the listings an event carries.
func listingsOf(e events.Event) int {
	switch e.Type {
	case events.ListingUpserted:
		return 1
	case events.ListingsUpserted:
		var b struct {
			Listings []json.RawMessage `json:"listings"`
		}
		if json.Unmarshal(e.Payload, &b) == nil {
			return len(b.Listings)
		}
	}
	return 0
}

// summary describes a window of samples lasting d.
func summary(ss []sample, d time.Duration) string {
	if len(ss) == 0 {
		return "no events"
	}
	listings := 0
	for _, s := range ss {
		listings += s.listings
	}
	return fmt.Sprintf("%d events (%.0f/s, %.0f listings/s), lag %s", len(ss), float64(len(ss))/d.Seconds(),
		float64(listings)/d.Seconds(), quantiles(ss, func(s sample) time.Duration { return s.lag }))
}

// quantiles gives p50, p99 and the maximum of one measure of ss, by sorting.
func quantiles(ss []sample, of func(sample) time.Duration) string {
	ds := make([]time.Duration, len(ss))
	for i, s := range ss {
		ds[i] = of(s)
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[max(int(math.Ceil(q*float64(len(ds))))-1, 0)] }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("p50 %s p99 %s max %s", ms(at(0.50)), ms(at(0.99)), ms(ds[len(ds)-1]))
}
