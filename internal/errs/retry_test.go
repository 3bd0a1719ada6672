package errs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
)

func TestRetryAfterTravelsWithTheError(t *testing.T) {
	base := errs.E("identity.Login", errs.RateLimited, "too many attempts")
	err := fmt.Errorf("login: %w", errs.WithRetryAfter(base, 3*time.Second))
	if got := errs.RetryAfter(err); got != 3*time.Second {
		t.Errorf("RetryAfter = %v, want 3s", got)
	}
	if !errs.Is(err, errs.RateLimited) {
		t.Errorf("kind = %v, want rate-limited", errs.KindOf(err))
	}
	if got := errs.Message(err); got != "too many attempts" {
		t.Errorf("Message = %q", got)
	}
	if got := errs.RetryAfter(base); got != 0 {
		t.Errorf("RetryAfter without a wait = %v", got)
	}
	if errs.WithRetryAfter(nil, time.Second) != nil {
		t.Error("WithRetryAfter(nil) is not nil")
	}
}
