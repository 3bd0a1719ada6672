package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/identity"
)

func status(t *testing.T, err error) int {
	t.Helper()
	var se huma.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("%v is not a status error", err)
	}
	return se.GetStatus()
}

// TestFailRateLimited: a rate-limited domain error (login throttling) is a
// 429 with Retry-After in whole seconds, rounded up.
func TestFailRateLimited(t *testing.T) {
	ctx := WithActor(context.Background(), identity.Actor{}, "")
	for _, c := range []struct {
		err  error
		want string
	}{
		{errs.WithRetryAfter(errs.E("identity.Login", errs.RateLimited, "too many attempts"), 2500*time.Millisecond), "3"},
		{errs.E("identity.Login", errs.RateLimited, "too many attempts"), "1"},
	} {
		got := fail(ctx, c.err)
		if s := status(t, got); s != 429 {
			t.Errorf("status %d, want 429", s)
		}
		var he huma.HeadersError
		if !errors.As(got, &he) || he.GetHeaders().Get("Retry-After") != c.want {
			t.Errorf("Retry-After of %v: %v, want %s", c.err, got, c.want)
		}
	}
}

// TestFailAbandoned: a request its client abandoned is not reported as an
// internal error.
func TestFailAbandoned(t *testing.T) {
	reported := 0
	o := &Options{ReportInternal: func(context.Context, error) string { reported++; return "id1" }}
	ctx, cancel := context.WithCancel(context.WithValue(WithActor(context.Background(), identity.Actor{}, ""), optionsKey{}, o))
	err := errs.E("sqlstore.Channels", errs.Unavailable, context.Canceled)
	if s := status(t, fail(ctx, err)); s != 503 || reported != 1 {
		t.Errorf("live client: status %d, %d reports; want 503 reported", s, reported)
	}
	cancel()
	if s := status(t, fail(ctx, err)); s != StatusClientClosedRequest || reported != 1 {
		t.Errorf("abandoned: status %d, %d reports; want %d, not reported", s, reported, StatusClientClosedRequest)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "1", time.Millisecond: "1", time.Second: "1", 1001 * time.Millisecond: "2", 6 * time.Second: "6"} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %s, want %s", d, got, want)
		}
	}
}
