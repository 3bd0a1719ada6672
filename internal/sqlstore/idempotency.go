package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
)

// IdempotencyTTL is how long a stored response is replayed: after it, the
// key is forgotten (and swept) and may be used again.
const IdempotencyTTL = 24 * time.Hour

// Idempotency keeps the first response to each request that carried an
// Idempotency-Key, per caller scope, in the database (so that every node
// sees it and a restart keeps it).
//
// A run goes: Claim (a short write of its own: the key row, in_flight, with a
// lease), then the request's store calls, which join a deferred transaction
// carried by the context Claim returns, then Complete, which writes the
// response into the key row in that same transaction and commits. A crash
// before that commit leaves the key in_flight with nothing done; once its
// lease expires, the next try with the key takes it over and runs afresh.
type Idempotency struct {
	db *DB
	// Lease is how long a claim holds its key before another try may take it
	// over as abandoned. A run that takes longer loses its key and commits
	// nothing.
	Lease time.Duration
}

// Idempotency returns the idempotency-key store, with a 60-second lease.
func (db *DB) Idempotency() *Idempotency { return &Idempotency{db: db, Lease: time.Minute} }

// idemRun is the claim a context carries between Claim and Complete.
type idemRun struct {
	scope, key, lease string
	d                 *deferredTx
}

type idemRunKey struct{}

func newLease() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Claim takes key in scope for one run of the request whose digest is hash.
// If the key has completed before with the same hash, it returns the stored
// response to replay (and a nil context). Otherwise it returns a context
// carrying the run: store calls made with it join one deferred transaction,
// which Complete commits and Release rolls back; the caller must call one of
// them. It returns Invalid if the key was used with another request, Conflict
// if a run of the key is still in flight, or Internal or Unavailable errors.
func (s *Idempotency) Claim(ctx context.Context, scope, key, hash string) (context.Context, []byte, error) {
	const op = "sqlstore.ClaimIdempotencyKey"
	now := s.db.Now()
	lease := newLease()
	for range 3 {
		res, err := s.db.w.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, idem_key, request_hash, state, lease, locked_until, created_at)
			VALUES ($1, $2, $3, 'in_flight', $4, $5, $6) ON CONFLICT (scope, idem_key) DO NOTHING`,
			scope, key, hash, lease, now.Add(s.Lease), now)
		if err != nil {
			return nil, nil, wrap(op, err, "idempotency key")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return s.start(ctx, scope, key, lease), nil, nil
		}
		var (
			gotHash, state, oldLease string
			until, created           time.Time
			response                 []byte
		)
		err = s.db.QueryRowContext(ctx, `SELECT request_hash, state, lease, locked_until, created_at, response FROM idempotency_keys
			WHERE scope = $1 AND idem_key = $2`, scope, key).Scan(&gotHash, &state, &oldLease, &until, &created, &response)
		if errors.Is(err, sql.ErrNoRows) {
			continue // swept or released meanwhile: claim it afresh
		}
		if err != nil {
			return nil, nil, wrap(op, err, "idempotency key")
		}
		if !created.After(now.Add(-IdempotencyTTL)) {
			// Expired but not yet swept: forget it, as the sweep would have.
			if _, err := s.db.w.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND lease = $3`,
				scope, key, oldLease); err != nil {
				return nil, nil, wrap(op, err, "idempotency key")
			}
			continue
		}
		if gotHash != hash {
			return nil, nil, errs.E(op, errs.Invalid, "this Idempotency-Key was already used with a different request")
		}
		if state == "completed" {
			return nil, response, nil
		}
		if until.After(now) {
			return nil, nil, errs.E(op, errs.Conflict, "a request with this Idempotency-Key is still in progress; retry shortly")
		}
		// The run that held the key died before committing anything (its
		// work commits with its completion): take the key over, unless
		// another try just did.
		res, err = s.db.w.ExecContext(ctx, `UPDATE idempotency_keys SET lease = $1, locked_until = $2
			WHERE scope = $3 AND idem_key = $4 AND state = 'in_flight' AND lease = $5`,
			lease, now.Add(s.Lease), scope, key, oldLease)
		if err != nil {
			return nil, nil, wrap(op, err, "idempotency key")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return s.start(ctx, scope, key, lease), nil, nil
		}
	}
	return nil, nil, errs.E(op, errs.Conflict, "a request with this Idempotency-Key is still in progress; retry shortly")
}

func (s *Idempotency) start(ctx context.Context, scope, key, lease string) context.Context {
	ctx, d := s.db.deferTx(ctx)
	return context.WithValue(ctx, idemRunKey{}, &idemRun{scope: scope, key: key, lease: lease, d: d})
}

// Detach implements web.IdempotencyStore: ctx keeps its run (for Complete
// and Release) but no longer carries the run's deferred transaction.
func (s *Idempotency) Detach(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferredKey{}, (*deferredTx)(nil))
}

func runIn(ctx context.Context) *idemRun {
	r, _ := ctx.Value(idemRunKey{}).(*idemRun)
	return r
}

// Complete stores the response (status and the encoded response) of the
// run in ctx into its key row, inside the run's transaction, and commits the
// two together. On failure nothing of the run is committed and its key is
// released. It returns Conflict if the run lost its key (its lease expired
// and another try took it over), or Internal or Unavailable errors.
func (s *Idempotency) Complete(ctx context.Context, status int, response []byte) error {
	const op = "sqlstore.CompleteIdempotencyKey"
	r := runIn(ctx)
	if r == nil {
		return errs.E(op, errs.Internal, "no idempotency key claimed in this context")
	}
	lost := false
	err := r.d.commit(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET state = 'completed', status = $1, response = $2
			WHERE scope = $3 AND idem_key = $4 AND state = 'in_flight' AND lease = $5`,
			status, response, r.scope, r.key, r.lease)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			lost = true
			return errors.New("lease lost")
		}
		return nil
	})
	if err == nil {
		return nil
	}
	if lost {
		return errs.E(op, errs.Conflict, "a request with this Idempotency-Key is still in progress; retry shortly")
	}
	// If the commit did reach the database after all, the row is completed
	// and release leaves it alone.
	s.release(ctx, r)
	return wrap(op, err, "idempotency key")
}

// Release rolls back the run in ctx and frees its key, so that the next try
// with it runs afresh (after a server error, say). It returns Internal or
// Unavailable errors.
func (s *Idempotency) Release(ctx context.Context) error {
	const op = "sqlstore.ReleaseIdempotencyKey"
	r := runIn(ctx)
	if r == nil {
		return errs.E(op, errs.Internal, "no idempotency key claimed in this context")
	}
	r.d.rollback()
	return wrap(op, s.release(ctx, r), "idempotency key")
}

func (s *Idempotency) release(ctx context.Context, r *idemRun) error {
	_, err := s.db.w.ExecContext(context.WithoutCancel(ctx), `DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND state = 'in_flight' AND lease = $3`,
		r.scope, r.key, r.lease)
	return err
}

// Sweep deletes the keys created before cutoff (normally now minus
// IdempotencyTTL) and returns how many it deleted. It returns Internal or
// Unavailable errors.
func (s *Idempotency) Sweep(ctx context.Context, cutoff time.Time) (int64, error) {
	// db.exec, so that the sweep run as a timer commits with the timer's end.
	res, err := s.db.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, cutoff)
	if err != nil {
		return 0, wrap("sqlstore.SweepIdempotencyKeys", err, "idempotency key")
	}
	n, _ := res.RowsAffected()
	return n, nil
}
