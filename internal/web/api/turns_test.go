package api

import (
	"context"
	"testing"
	"time"
)

// TestTurns: at most n callers hold a turn; the others wait, in the order
// they came, and one whose context ends stops waiting with its error.
func TestTurns(t *testing.T) {
	ctx := context.Background()
	tr := newTurns(2)
	for range 2 {
		if err := tr.take(ctx); err != nil {
			t.Fatal(err)
		}
	}
	order := make(chan int, 3)
	for i := range 3 {
		go func() {
			if err := tr.take(ctx); err != nil {
				t.Error(err)
				return
			}
			order <- i
		}()
		time.Sleep(20 * time.Millisecond) // they queue in this order
	}
	select {
	case i := <-order:
		t.Fatalf("caller %d got a third turn", i)
	case <-time.After(50 * time.Millisecond):
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := tr.take(short); err == nil {
		t.Fatal("a caller whose context ended got a turn")
	}
	for want := range 3 {
		tr.give()
		if got := <-order; got != want {
			t.Fatalf("turn went to caller %d, want %d", got, want)
		}
	}
}
