package identity

import "context"

// Hold takes one of h's places until release is called, standing for a
// hash in flight.
func Hold(ctx context.Context, h *Hasher) (release func(), err error) { return h.acquire(ctx) }
