// Package errs defines Sesame's error kinds. Every domain error carries a Kind so
// that the web layer can map it to a status in one place without leaking detail.
package errs

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is the category of an error. The set is small and stable: clients see it
// as the problem type of an API error.
type Kind uint8

// The kinds of error. Other is the zero value and is reported as Internal.
const (
	Other           Kind = iota // unclassified; treated as Internal
	Invalid                     // the input is malformed or breaks a rule
	NotFound                    // the object does not exist, or the actor may not know it exists
	Conflict                    // the change collides with the current state (duplicate, wrong status)
	Forbidden                   // the actor is known but may not do this
	Unauthenticated             // no valid credentials were given
	Unavailable                 // a dependency is down or the server sheds load; retry later
	Internal                    // a bug or an unexpected failure
	TooLarge                    // the request body exceeds the limit
	RateLimited                 // the caller sent too many requests; retry after a while
	Unsupported                 // the request body's media type is not one the operation accepts
)

var kindNames = map[Kind]string{
	Other:           "internal",
	Invalid:         "invalid",
	NotFound:        "not-found",
	Conflict:        "conflict",
	Forbidden:       "forbidden",
	Unauthenticated: "unauthenticated",
	Unavailable:     "unavailable",
	Internal:        "internal",
	TooLarge:        "too-large",
	RateLimited:     "rate-limited",
	Unsupported:     "unsupported-media-type",
}

// String returns the stable slug of the kind, used in problem type URIs.
func (k Kind) String() string { return kindNames[k] }

// Error is a domain error: the operation that failed, its kind and the cause.
type Error struct {
	Op   string // the operation, e.g. "catalog.CreateProduct"
	Kind Kind
	Err  error
	// Field names the input field at fault, for Invalid errors, when one is known.
	Field string
	// RetryAfter, when positive, is how long the caller should wait before
	// retrying (RateLimited and Unavailable errors); the web layer sends it
	// as Retry-After.
	RetryAfter time.Duration
}

// Error renders op: cause.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Kind.String())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an error from an op, a kind and a cause. A string cause becomes an
// error; a nil cause is allowed. If the cause is itself an *Error and kind is
// Other, the cause's kind is kept.
func E(op string, kind Kind, cause any) error {
	var err error
	switch c := cause.(type) {
	case nil:
	case error:
		err = c
	case string:
		err = errors.New(c)
	default:
		err = fmt.Errorf("%v", c)
	}
	if kind == Other {
		kind = KindOf(err)
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// Field builds an Invalid error about one input field.
func Field(op, field, msg string) error {
	return &Error{Op: op, Kind: Invalid, Field: field, Err: errors.New(msg)}
}

// Retry builds an error like E that also tells the caller to retry after d
// (rounded up to whole seconds by the web layer).
func Retry(op string, kind Kind, d time.Duration, cause any) error {
	err := E(op, kind, cause).(*Error)
	err.RetryAfter = d
	return err
}

// RetryAfter returns the wait carried by the first *Error in err's chain
// that has one, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	for errors.As(err, &e) {
		if e.RetryAfter > 0 {
			return e.RetryAfter
		}
		if e.Err == nil {
			break
		}
		err = e.Err
	}
	return 0
}

// KindOf returns the kind of the first *Error in err's chain that has one, or
// Internal when there is none (nil gives Other).
func KindOf(err error) Kind {
	if err == nil {
		return Other
	}
	var e *Error
	for errors.As(err, &e) {
		if e.Kind != Other {
			return e.Kind
		}
		if e.Err == nil {
			break
		}
		err = e.Err
	}
	return Internal
}

// Is reports whether err has the given kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// Message returns the text that is safe to show a client for err: the cause's
// message for client-side kinds (Invalid, NotFound, Conflict, Forbidden,
// Unauthenticated, TooLarge, RateLimited, Unsupported), and a generic text
// for the others.
func Message(err error) string {
	var e *Error
	switch KindOf(err) {
	case Invalid, NotFound, Conflict, Forbidden, Unauthenticated, TooLarge, RateLimited, Unsupported:
		if errors.As(err, &e) {
			// The innermost Error with a kind carries the most precise message.
			inner := e
			for {
				var next *Error
				if inner.Err == nil || !errors.As(inner.Err, &next) {
					break
				}
				inner = next
			}
			msg := "invalid input"
			if inner.Err != nil {
				msg = inner.Err.Error()
			} else {
				msg = inner.Kind.String()
			}
			if inner.Field != "" {
				return inner.Field + ": " + msg
			}
			return msg
		}
		return err.Error()
	case Unavailable:
		return "the service is busy or a dependency is unavailable; retry later"
	default:
		return "an internal error occurred"
	}
}

// FieldOf returns the field an Invalid error names, if any.
func FieldOf(err error) string {
	var e *Error
	for errors.As(err, &e) {
		if e.Field != "" {
			return e.Field
		}
		if e.Err == nil {
			return ""
		}
		err = e.Err
	}
	return ""
}

// WithRetryAfter returns err annotated with the time the caller should wait
// before retrying (a RateLimited or Unavailable error). The web layer sends it
// as Retry-After; the kind and message of err are unchanged.
func WithRetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: KindOf(err), Err: err, RetryAfter: d}
}
