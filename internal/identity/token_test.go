package identity_test

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

const newPW = "a brand new password"

func (e *env) mint(t *testing.T, userID string, p identity.Purpose) string {
	t.Helper()
	raw, _, err := e.id.MintToken(context.Background(), userID, p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestTokensAreRandomAndStoredHashed: a token is 256 random bits, and the
// database holds its SHA-256 only.
func TestTokensAreRandomAndStoredHashed(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		u := e.buyer(t, "b@example.com")
		raw := e.mint(t, u.ID, identity.VerifyEmail)
		if b, err := base64.RawURLEncoding.DecodeString(raw); err != nil || len(b)*8 < 256 {
			t.Fatalf("token %q: %d bits (%v)", raw, len(b)*8, err)
		}
		if raw2 := e.mint(t, u.ID, identity.VerifyEmail); raw2 == raw {
			t.Fatal("two tokens alike")
		}
		var n int
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM user_tokens WHERE hash = $1`, raw).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the raw token is stored (%d, %v)", n, err)
		}
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM user_tokens WHERE length(hash) = 64`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d SHA-256 hashes stored (%v)", n, err)
		}
	})
}

// TestVerifyEmail: a verification token verifies the account's e-mail
// once; used again, expired, of the other purpose, unknown or malformed it
// is refused as Invalid and changes nothing.
func TestVerifyEmail(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		u := e.buyer(t, "b@example.com")
		if u.EmailVerified || u.Lang != "en" {
			t.Fatalf("a new account: verified %v, lang %q", u.EmailVerified, u.Lang)
		}
		reset := e.mint(t, u.ID, identity.ResetPassword)
		late := e.mint(t, u.ID, identity.VerifyEmail)
		e.clock.Advance(6 * 24 * time.Hour)
		raw := e.mint(t, u.ID, identity.VerifyEmail)
		e.clock.Advance(24*time.Hour + time.Second) // late is 7 days and 1 s old
		before, _ := db.Fingerprint(ctx)
		for name, tok := range map[string]string{"expired": late, "reset token": reset, "unknown": e.fresh(), "malformed": "abc", "empty": ""} {
			_, err := e.id.VerifyEmail(ctx, tok)
			wantKind(t, err, errs.Invalid)
			if errs.FieldOf(err) != "token" {
				t.Errorf("%s: field %q", name, errs.FieldOf(err))
			}
		}
		if after, _ := db.Fingerprint(ctx); after != before {
			t.Fatal("a refused token changed the database")
		}
		got, err := e.id.VerifyEmail(ctx, raw)
		if err != nil || !got.EmailVerified || got.EmailVerifiedAt == nil || !got.EmailVerifiedAt.Equal(e.clock.Now()) {
			t.Fatalf("verified: %+v, %v", got, err)
		}
		_, err = e.id.VerifyEmail(ctx, raw)
		wantKind(t, err, errs.Invalid)
		if msg := errs.Message(err); !strings.Contains(msg, "this link has been used already") {
			t.Fatalf("used twice: %q", msg)
		}
		me, err := e.id.Me(ctx, got.Actor())
		if err != nil || !me.User.EmailVerified {
			t.Fatalf("me: %+v %v", me.User, err)
		}
		_, _, err = e.id.MintToken(ctx, "usr_nobody", identity.VerifyEmail)
		wantKind(t, err, errs.NotFound)
	})
}

// fresh is a well-formed token no one minted.
func (e *env) fresh() string {
	return base64.RawURLEncoding.EncodeToString(make([]byte, 32))
}

// TestResetPassword: a reset token sets the new password (the old one is
// refused from then on), ends every session, verifies the e-mail and
// unlocks a throttled sign-in; it works once and for an hour only; a
// password breaking the rules is refused before the token is used.
func TestResetPassword(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		u := e.buyer(t, "b@example.com")
		e.buyer(t, "o@example.com")
		s1, _ := e.signIn(t, identity.Credentials{Email: "b@example.com", Password: pw})
		s2, _ := e.signIn(t, identity.Credentials{Email: "b@example.com", Password: pw, RememberMe: true})
		so, _ := e.signIn(t, identity.Credentials{Email: "o@example.com", Password: pw})
		for range 5 {
			e.id.Login(ctx, "b@example.com", "wrong password!")
		}

		expired := e.mint(t, u.ID, identity.ResetPassword)
		e.clock.Advance(time.Hour)
		_, err := e.id.ResetPassword(ctx, expired, newPW)
		wantKind(t, err, errs.Invalid)

		raw := e.mint(t, u.ID, identity.ResetPassword)
		verify := e.mint(t, u.ID, identity.VerifyEmail)
		_, err = e.id.ResetPassword(ctx, verify, newPW)
		wantKind(t, err, errs.Invalid) // the wrong purpose
		_, err = e.id.ResetPassword(ctx, raw, "short")
		wantKind(t, err, errs.Invalid)
		if errs.FieldOf(err) != "password" {
			t.Fatalf("short password: field %q", errs.FieldOf(err))
		}

		got, err := e.id.ResetPassword(ctx, raw, newPW)
		if err != nil || !got.EmailVerified {
			t.Fatalf("reset: %+v %v", got, err)
		}
		for _, s := range []string{s1, s2} {
			_, err := e.id.Authenticate(ctx, s)
			wantKind(t, err, errs.Unauthenticated)
		}
		if _, err := e.id.Authenticate(ctx, so); err != nil {
			t.Fatalf("another person's session ended: %v", err)
		}
		_, _, err = e.id.Login(ctx, "b@example.com", pw)
		wantKind(t, err, errs.Unauthenticated)
		if _, _, err := e.id.Login(ctx, "b@example.com", newPW); err != nil {
			t.Fatalf("the new password: %v", err)
		}
		_, err = e.id.ResetPassword(ctx, raw, "another new password")
		wantKind(t, err, errs.Invalid)
		if _, _, err := e.id.Login(ctx, "b@example.com", newPW); err != nil {
			t.Fatalf("a refused second use changed the password: %v", err)
		}
		if _, _, err := e.id.Login(ctx, "o@example.com", pw); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConcurrentRedemptions: of eight concurrent resets with one token,
// exactly one wins; the others are refused and the password is the
// winner's.
func TestConcurrentRedemptions(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		u := e.buyer(t, "b@example.com")
		raw := e.mint(t, u.ID, identity.ResetPassword)
		const n = 8
		var wg sync.WaitGroup
		errc := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errc[i] = e.id.ResetPassword(ctx, raw, newPW+string(rune('a'+i)))
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errc {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("resets %d and %d both won", won, i)
			case err == nil:
				won = i
			default:
				wantKind(t, err, errs.Invalid)
			}
		}
		if won < 0 {
			t.Fatal("no reset won")
		}
		if _, _, err := e.id.Login(ctx, "b@example.com", newPW+string(rune('a'+won))); err != nil {
			t.Fatalf("the winner's password: %v", err)
		}
	})
}

// TestMintingIsLimited: three tokens of a purpose per person and hour;
// the fourth is RateLimited, the other purpose and other people are not,
// and an hour later minting works again.
func TestMintingIsLimited(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		u := e.buyer(t, "b@example.com")
		o := e.buyer(t, "o@example.com")
		for range 3 {
			e.mint(t, u.ID, identity.ResetPassword)
			e.clock.Advance(time.Minute)
		}
		_, _, err := e.id.MintToken(ctx, u.ID, identity.ResetPassword)
		wantKind(t, err, errs.RateLimited)
		e.mint(t, u.ID, identity.VerifyEmail)
		e.mint(t, o.ID, identity.ResetPassword)
		e.clock.Advance(58 * time.Minute)
		e.mint(t, u.ID, identity.ResetPassword)
	})
}

// TestMailRequestsAreEvents: a reset asked for an e-mail with an account
// writes an event carrying the user and the channel, never a token; an
// e-mail without one answers the same and writes nothing; asking for the
// verification mail again needs a session and an unverified address.
func TestMailRequestsAreEvents(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		u, err := e.id.RegisterBuyer(ctx, identity.Registration{Email: "b@example.com", Name: "B", Password: pw, Lang: "fr", Channel: "bazaar"})
		if err != nil || u.Lang != "fr" {
			t.Fatalf("%+v %v", u, err)
		}
		_, err = e.id.RegisterBuyer(ctx, identity.Registration{Email: "x@example.com", Name: "X", Password: pw, Lang: "not a tag"})
		wantKind(t, err, errs.Invalid)
		if err := e.id.RequestPasswordReset(ctx, "nobody@example.com", "bazaar"); err != nil {
			t.Fatal(err)
		}
		if err := e.id.RequestPasswordReset(ctx, " B@Example.com ", "bazaar"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, e.id.RequestVerification(ctx, identity.Actor{}, ""), errs.Unauthenticated)
		if err := e.id.RequestVerification(ctx, u.Actor(), "mall"); err != nil {
			t.Fatal(err)
		}
		evs, err := db.PendingEvents(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range evs {
			got = append(got, ev.Type+" "+string(ev.Payload))
		}
		want := []string{
			events.UserRegistered + ` {"v":1,"user_id":"` + u.ID + `","role":"buyer","channel":"bazaar"}`,
			events.PasswordResetRequested + ` {"v":1,"user_id":"` + u.ID + `","role":"buyer","channel":"bazaar"}`,
			events.VerificationRequested + ` {"v":1,"user_id":"` + u.ID + `","role":"buyer","channel":"mall"}`,
		}
		if len(got) != len(want) {
			t.Fatalf("events:\n%v\nwant\n%v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("event %d: %s, want %s", i, got[i], want[i])
			}
		}
		if _, err := e.id.VerifyEmail(ctx, e.mint(t, u.ID, identity.VerifyEmail)); err != nil {
			t.Fatal(err)
		}
		wantKind(t, e.id.RequestVerification(ctx, u.Actor(), ""), errs.Conflict)
	})
}
