package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/sesame-market/sesame/internal/web/api"
	"github.com/sesame-market/sesame/internal/web/shop"
)

// Limit is a token bucket: Rate requests a second on average, Burst at
// once. A zero Rate sets no limit.
type Limit struct {
	Rate  rate.Limit
	Burst int
}

func (l Limit) String() string {
	n, unit := float64(l.Rate), "s"
	switch {
	case l.Rate == 0:
		return "off"
	case n*60 < 1:
		n, unit = n*3600, "h"
	case n < 1:
		n, unit = n*60, "m"
	}
	return strconv.FormatFloat(n, 'g', 6, 64) + "/" + unit + ":" + strconv.Itoa(l.Burst)
}

// RateLimits bound how fast one client address and one account may write.
// Limits are kept per node, in memory: behind a load balancer of N nodes a
// client gets up to N times the rate, which is enough to stop floods and
// guessing; login throttling per account is the identity service's.
type RateLimits struct {
	// AuthPerIP limits sign-in, registration and merchant applications
	// per client address.
	AuthPerIP Limit
	// WritePerIP limits every POST, PUT, PATCH and DELETE per client address.
	WritePerIP Limit
	// WritePerAccount limits every write per signed-in user or API key.
	WritePerAccount Limit
	// MaxKeys bounds the limiters kept per class; the least recently used
	// is dropped past it (its client starts again with a full bucket).
	// Zero means 65,536 (a few MB at most).
	MaxKeys int
	// Now is the limiters' clock; time.Now if nil.
	Now func() time.Time
}

// DefaultRateLimits let a person click around freely (a burst of 20
// sign-ins, 60 writes at once and 20 a second from one address) and stop
// floods and password guessing from one address.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		AuthPerIP:       Limit{Rate: rate.Every(6 * time.Second), Burst: 20},
		WritePerIP:      Limit{Rate: 20, Burst: 60},
		WritePerAccount: Limit{Rate: 10, Burst: 40},
	}
}

// String renders the limits in the syntax ParseRateLimits reads.
func (l RateLimits) String() string {
	if l.AuthPerIP.Rate == 0 && l.WritePerIP.Rate == 0 && l.WritePerAccount.Rate == 0 {
		return "off"
	}
	return "auth-ip=" + l.AuthPerIP.String() + ",write-ip=" + l.WritePerIP.String() + ",write-account=" + l.WritePerAccount.String()
}

// ParseRateLimits reads a --rate-limits value: "off"; "" or "default" for
// DefaultRateLimits; or the defaults changed by a comma-separated list of
// class=N/unit[:burst] or class=off, where class is auth-ip, write-ip or
// write-account and unit is s, m or h (e.g. "auth-ip=5/m:10,write-ip=off").
// Without a burst, the burst is the number per unit.
func ParseRateLimits(s string) (RateLimits, error) {
	l := DefaultRateLimits()
	switch strings.TrimSpace(s) {
	case "", "default", "on":
		return l, nil
	case "off":
		return RateLimits{}, nil
	}
	for _, part := range strings.Split(s, ",") {
		class, spec, ok := strings.Cut(strings.TrimSpace(part), "=")
		var dst *Limit
		switch class {
		case "auth-ip":
			dst = &l.AuthPerIP
		case "write-ip":
			dst = &l.WritePerIP
		case "write-account":
			dst = &l.WritePerAccount
		}
		if !ok || dst == nil {
			return l, fmt.Errorf("rate limit %q: want auth-ip, write-ip or write-account=N/unit[:burst], or off", part)
		}
		lim, err := parseLimit(spec)
		if err != nil {
			return l, fmt.Errorf("rate limit %q: %w", part, err)
		}
		*dst = lim
	}
	return l, nil
}

func parseLimit(spec string) (Limit, error) {
	if spec == "off" {
		return Limit{}, nil
	}
	spec, burstText, hasBurst := strings.Cut(spec, ":")
	nText, unit, ok := strings.Cut(spec, "/")
	n, err := strconv.ParseFloat(nText, 64)
	if !ok || err != nil || n <= 0 {
		return Limit{}, fmt.Errorf("want a positive number per s, m or h")
	}
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	if per == 0 {
		return Limit{}, fmt.Errorf("unit %q: want s, m or h", unit)
	}
	burst := max(int(n), 1)
	if hasBurst {
		burst, err = strconv.Atoi(burstText)
		if err != nil || burst < 1 {
			return Limit{}, fmt.Errorf("burst %q: want a positive integer", burstText)
		}
	}
	return Limit{Rate: rate.Limit(n / per.Seconds()), Burst: burst}, nil
}

// limiters holds one token bucket per key (an address or an account) of
// one class, at most max of them.
type limiters struct {
	limit Limit
	what  string // named in the refusal: "this address", "this account"
	cache *lru.Cache[string, *rate.Limiter]
}

func newLimiters(l Limit, size int, what string) *limiters {
	if l.Rate == 0 {
		return nil
	}
	c, err := lru.New[string, *rate.Limiter](size)
	if err != nil {
		panic(err) // only for a size below 1, which RateLimits never gives
	}
	return &limiters{limit: l, what: what, cache: c}
}

// reserve takes a token for key at now. The reservation is nil when the
// class sets no limit; otherwise the request may go when the returned wait
// is 0, and must be cancelled (giving the token back) when it is not.
func (ls *limiters) reserve(key string, now time.Time) (*rate.Reservation, time.Duration) {
	if ls == nil {
		return nil, 0
	}
	lim, ok := ls.cache.Get(key)
	if !ok {
		lim = rate.NewLimiter(ls.limit.Rate, ls.limit.Burst)
		if prev, found, _ := ls.cache.PeekOrAdd(key, lim); found {
			lim = prev
		}
	}
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return nil, time.Minute // a burst of 0: never, in effect
	}
	return r, r.DelayFrom(now)
}

// admit reserves a token of each class for its key, all or none: when one
// class refuses, the tokens of the others are given back, so that a refused
// request costs the client nothing and the wait does not grow with retries.
// It returns 0, or the longest wait and the class that imposes it.
func admit(now time.Time, classes []*limiters, keys []string) (time.Duration, *limiters) {
	var rs [3]*rate.Reservation
	var wait time.Duration
	var by *limiters
	for i, ls := range classes {
		r, d := ls.reserve(keys[i], now)
		rs[i] = r
		if d > wait {
			wait, by = d, ls
		}
	}
	if wait > 0 {
		for _, r := range rs {
			if r != nil {
				r.CancelAt(now)
			}
		}
	}
	return wait, by
}

// rateLimiter applies RateLimits: by address before authentication (so a
// flood costs no session or key look-up), by account after it.
type rateLimiter struct {
	now                           func() time.Time
	authIP, writeIP, writeAccount *limiters
}

func newRateLimiter(l RateLimits) *rateLimiter {
	size := l.MaxKeys
	if size <= 0 {
		size = 1 << 16
	}
	now := l.Now
	if now == nil {
		now = time.Now
	}
	return &rateLimiter{now: now,
		authIP:       newLimiters(l.AuthPerIP, size, "this address"),
		writeIP:      newLimiters(l.WritePerIP, size, "this address"),
		writeAccount: newLimiters(l.WritePerAccount, size, "this account"),
	}
}

// authPaths are the anonymous entry points that create sessions or
// accounts or take mailed tokens: the targets of password and token
// guessing, sign-up floods and mail bombing.
var authPaths = map[string]bool{
	"/api/v1/auth/login":                  true,
	"/api/v1/auth/register":               true,
	"/api/v1/merchant-applications":       true,
	"/api/v1/auth/password-reset":         true,
	"/api/v1/auth/password-reset/confirm": true,
	"/api/v1/auth/verify-email":           true,
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// limitByAddress refuses a write, past its class's limit for the client's
// address, with 429 and Retry-After. Reads are never limited here.
func (s *Server) limitByAddress(next http.Handler) http.Handler {
	rl := s.limits
	if rl.writeIP == nil && rl.authIP == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isWrite(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		key := addressKey(s.clientAddr(r))
		classes, keys := []*limiters{rl.writeIP}, []string{key}
		if authPaths[r.URL.Path] || shop.AccountForm(r.URL.Path) {
			classes, keys = append(classes, rl.authIP), append(keys, key)
		}
		if d, by := admit(rl.now(), classes, keys); d > 0 {
			tooMany(w, d, by.what)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitByAccount refuses a write, past the limit of its signed-in user or
// API key, with 429 and Retry-After.
func (s *Server) limitByAccount(next http.Handler) http.Handler {
	rl := s.limits
	if rl.writeAccount == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isWrite(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		a := api.ActorFrom(r.Context())
		key := ""
		switch {
		case a.APIKeyID != "":
			key = "k:" + a.APIKeyID
		case a.UserID != "":
			key = "u:" + a.UserID
		}
		if key != "" {
			if d, by := admit(rl.now(), []*limiters{rl.writeAccount}, []string{key}); d > 0 {
				tooMany(w, d, by.what)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func tooMany(w http.ResponseWriter, d time.Duration, what string) {
	secs := api.RetryAfterSeconds(d)
	w.Header().Set("Retry-After", secs)
	writeProblem(w, http.StatusTooManyRequests, "too many requests from "+what+"; retry in "+secs+" s")
}

// clientAddr is the address the request came from: the connection's peer,
// or, when that peer is a trusted proxy, the rightmost X-Forwarded-For
// entry that is not itself a trusted proxy (entries further left are
// written by the client and may be forged).
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	addr := remoteAddr(r.RemoteAddr)
	if !s.trusted(addr) {
		return addr
	}
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return addr
			}
			addr = a.Unmap()
			if !s.trusted(addr) {
				return addr
			}
		}
	}
	return addr
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func remoteAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(s)
	return a.Unmap()
}

// addressKey is the limiter key of an address: IPv6 clients are limited
// per /64, the block one subscriber gets, so that walking a prefix does
// not earn fresh buckets.
func addressKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr().String()
	}
	return a.String()
}

// ParseTrustedProxies reads a comma-separated list of CIDR prefixes or
// addresses (e.g. "10.0.0.0/8,192.0.2.7").
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: want a CIDR prefix or an address", part)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want a CIDR prefix or an address", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
