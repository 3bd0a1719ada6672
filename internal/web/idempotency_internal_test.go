package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// TestIdempotencyDoesNotStoreServerErrors drives the middleware with a
// handler that writes an event, then answers 500, 429 or panics: the write
// is rolled back and the key released, so the next try with the same key
// runs again; once it answers 201, that answer is stored and replayed.
func TestIdempotencyDoesNotStoreServerErrors(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := &Server{cfg: Config{Idempotency: db.Idempotency(), Logger: slog.New(slog.DiscardHandler)}}
		answers := []int{500, 429, -1, 503, 201}
		calls := 0
		h := s.recoverer(s.idempotency(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			status := answers[min(calls, len(answers)-1)]
			calls++
			if err := db.AppendEvents(r.Context(), events.New("test.ran", "x", "", time.Now(), nil)); err != nil {
				t.Error(err)
			}
			if status < 0 {
				panic("handler failed")
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Location", "/things/1")
			w.WriteHeader(status)
			w.Write([]byte(`{"call":` + string(rune('0'+calls)) + `}`))
		})))
		post := func() *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/things", strings.NewReader(`{}`))
			req.Header.Set("Idempotency-Key", "k")
			h.ServeHTTP(rec, req)
			return rec
		}
		for i, want := range []int{500, 429, 500, 503, 201, 201} {
			rec := post()
			if rec.Code != want {
				t.Fatalf("try %d: %d %s, want %d", i+1, rec.Code, rec.Body, want)
			}
		}
		if calls != 5 {
			t.Fatalf("the handler ran %d times, want 5 (the last try is a replay)", calls)
		}
		rec := post()
		if rec.Header().Get("Idempotent-Replayed") != "true" || rec.Body.String() != `{"call":5}` || rec.Header().Get("Location") != "/things/1" {
			t.Fatalf("replay: %v %s", rec.Header(), rec.Body)
		}
		pending, _, err := db.OutboxStats(context.Background())
		if err != nil || pending != 1 {
			t.Fatalf("%d events committed (err %v), want 1: failed runs must leave nothing", pending, err)
		}
	})
}

// failingCommit is a store whose commits fail, as when the database goes
// away between the work and the commit.
type failingCommit struct{ IdempotencyStore }

func (f failingCommit) Complete(ctx context.Context, status int, response []byte) error {
	f.IdempotencyStore.Release(ctx)
	return errs.E("test", errs.Unavailable, "the database went away")
}

// TestIdempotencyCommitFailure: when the commit of the work and its
// response fails, the client gets 503 (not the handler's 201, which did not
// happen) and nothing is stored, so the retry runs again.
func TestIdempotencyCommitFailure(t *testing.T) {
	db := testkit.Open(t, sqlstore.SQLite)
	s := &Server{cfg: Config{Idempotency: failingCommit{db.Idempotency()}, Logger: slog.New(slog.DiscardHandler)}}
	calls := 0
	h := s.idempotency(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if err := db.AppendEvents(r.Context(), events.New("test.ran", "x", "", time.Now(), nil)); err != nil {
			t.Error(err)
		}
		w.Header().Set("Location", "/things/1")
		w.WriteHeader(201)
	}))
	for i := range 2 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/things", strings.NewReader(`{}`))
		req.Header.Set("Idempotency-Key", "k")
		h.ServeHTTP(rec, req)
		if rec.Code != 503 || rec.Header().Get("Location") != "" || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("try %d: %d %v %s", i+1, rec.Code, rec.Header(), rec.Body)
		}
	}
	if calls != 2 {
		t.Fatalf("the handler ran %d times, want 2", calls)
	}
	if pending, _, _ := db.OutboxStats(context.Background()); pending != 0 {
		t.Fatalf("%d events committed by failed commits", pending)
	}
}
