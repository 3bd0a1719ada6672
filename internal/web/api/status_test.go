package api

import (
	"net/http"
	"testing"

	"github.com/sesame-market/sesame/internal/errs"
)

// TestStatusTableRoundTrips checks that every kind's status reads back as
// the same kind, so a problem type never disagrees with its status.
func TestStatusTableRoundTrips(t *testing.T) {
	for k := errs.Other; k <= errs.Unsupported; k++ {
		want := k
		if k == errs.Other {
			want = errs.Internal // Other is reported as Internal
		}
		if got := KindOfStatus(StatusOf(k)); got != want {
			t.Errorf("KindOfStatus(StatusOf(%v)) = %v, want %v", k, got, want)
		}
	}
}

func TestStatusTable(t *testing.T) {
	for _, c := range []struct {
		status int
		kind   errs.Kind
	}{
		{http.StatusBadRequest, errs.Invalid},
		{http.StatusUnprocessableEntity, errs.Invalid},
		{http.StatusMethodNotAllowed, errs.Invalid},
		{http.StatusNotAcceptable, errs.Invalid},
		{http.StatusServiceUnavailable, errs.Unavailable},
		{http.StatusInternalServerError, errs.Internal},
		{StatusClientClosedRequest, errs.Internal},
		{http.StatusTeapot, errs.Internal},
	} {
		if got := KindOfStatus(c.status); got != c.kind {
			t.Errorf("KindOfStatus(%d) = %v, want %v", c.status, got, c.kind)
		}
	}
	for k, want := range map[errs.Kind]int{
		errs.Invalid:     http.StatusUnprocessableEntity,
		errs.Unavailable: http.StatusServiceUnavailable,
		errs.Internal:    http.StatusInternalServerError,
		errs.Other:       http.StatusInternalServerError,
	} {
		if got := StatusOf(k); got != want {
			t.Errorf("StatusOf(%v) = %d, want %d", k, got, want)
		}
	}
}
