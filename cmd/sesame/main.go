// Command sesame runs the Sesame marketplace.
//
//	sesame serve   [--addr :8080] [--data ./sesame-data] [--db postgres://...] [--nats nats://a,nats://b]
//	sesame demo    [--addr 127.0.0.1:8080] [--products 5000] (serve, after seeding a demo marketplace into an empty data dir)
//	sesame import  --merchant ID [--data ./sesame-data] [--db postgres://...] FILE (a catalogue feed, CSV or JSON Lines)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/demo"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/inventory"
	"github.com/sesame-market/sesame/internal/media"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/natsbus"
	"github.com/sesame-market/sesame/internal/notify"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/payment"
	"github.com/sesame-market/sesame/internal/search"
	"github.com/sesame-market/sesame/internal/share"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/timers"
	"github.com/sesame-market/sesame/internal/web"
	"github.com/sesame-market/sesame/internal/web/api"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sesame:", err)
		os.Exit(1)
	}
}

// config is every setting of the binary, with its flag and variable.
type config struct {
	Addr     string // --addr, SESAME_ADDR
	Data     string // --data, SESAME_DATA
	DB       string // --db, SESAME_DB
	NATS     string // --nats, SESAME_NATS
	LogLevel string // --log-level, SESAME_LOG_LEVEL
	SyncFull bool   // --sync-full, SESAME_SYNC_FULL
	// PublicURL is the address buyers reach Sesame at (--public-url,
	// SESAME_PUBLIC_URL): it makes cookies Secure and turns on HSTS when it
	// is https, and is the base of absolute links.
	PublicURL string
	// RateLimits (--rate-limits, SESAME_RATE_LIMITS) and TrustedProxies
	// (--trusted-proxies, SESAME_TRUSTED_PROXIES): see web.ParseRateLimits.
	RateLimits     web.RateLimits
	TrustedProxies []netip.Prefix
	// HashMemoryMiB is the memory password hashing may take at once
	// (--hash-memory, SESAME_HASH_MEMORY), which sets how many hashes run
	// at once (19 MiB each); a GOMEMLIMIT lowers it to a quarter of the limit.
	HashMemoryMiB int
	// SessionSweep is how often ended sessions and stale sign-in failures
	// are deleted (--session-sweep, SESAME_SESSION_SWEEP).
	SessionSweep time.Duration
	Products     int // --products (demo)
	// NATSReplicas is how many JetStream servers hold each event
	// (--nats-replicas, SESAME_NATS_REPLICAS); the embedded server holds 1.
	NATSReplicas int
	// NATSListen is where the embedded JetStream server accepts clients from
	// outside the process (--nats-listen, SESAME_NATS_LISTEN), loopback only;
	// empty: nowhere.
	NATSListen string
	// DebugAddr is where Go's profiles (net/http/pprof) are served
	// (--debug-addr, SESAME_DEBUG_ADDR), a loopback address only; empty:
	// nowhere.
	DebugAddr string
	// OutboxRetention is how long published events stay in the outbox
	// (--outbox-retention, SESAME_OUTBOX_RETENTION).
	OutboxRetention time.Duration
	// SMTPAddr is the mail relay Sesame sends its e-mails to (--smtp-addr,
	// SESAME_SMTP_ADDR, host:port), SMTPStartTLS whether to upgrade the
	// connection (--smtp-starttls, SESAME_SMTP_STARTTLS), MailFrom the
	// sender (--mail-from, SESAME_MAIL_FROM); SESAME_SMTP_USERNAME and
	// SESAME_SMTP_PASSWORD authenticate. With no relay the mails wait in
	// the queue (the demo shows them in its mailbox).
	SMTPAddr, MailFrom string
	SMTPStartTLS       bool
	smtpUser, smtpPass string
	// StripeKey is Stripe's secret key (SESAME_STRIPE_KEY; empty: no Stripe
	// payments), StripeURL its API's base URL (SESAME_STRIPE_URL, for
	// stripe-mock) and StripeWebhookSecret the webhook endpoint's secret
	// (SESAME_STRIPE_WEBHOOK_SECRET).
	StripeKey, StripeURL, StripeWebhookSecret string
	// IOSSNumber is the marketplace's EU import one-stop-shop number
	// (--ioss-number, SESAME_IOSS_NUMBER), declared on the customs data of
	// the parcels whose VAT it collects.
	IOSSNumber string
	// Hooks are the tests' seams into a running server (zero in production).
	Hooks hooks
}

const usage = `Usage: sesame <command> [flags]

Commands:
  serve   run the marketplace server
  demo    seed a demo marketplace into an empty data dir, then serve it
  import  import a catalogue feed (CSV or JSON Lines) for a merchant
  floor   serve a fixed 2 KB JSON body: the baseline for load tests on this machine
  version print the version

Run "sesame <command> -h" for the flags of a command.
`

// hooks let a test reach inside a server that run starts. They are passed
// in, not package variables a test overwrites, so that two servers in one
// process (tests in parallel) cannot see each other's. The zero value is
// production.
type hooks struct {
	// Ready, if set, receives the server's base URL once it listens.
	Ready chan<- string
	// Idempotency, if set, wraps the web layer's idempotency-key store (the
	// crash test kills the process between a commit and its answer).
	Idempotency func(web.IdempotencyStore) web.IdempotencyStore
	// Timers, if set, adds timer kinds of the test's own to the runner.
	Timers func(*timers.Runner, *sqlstore.DB)
	// SeedBatch, if set, is how many products each of the demo seed's
	// imports holds (a test seeds many small batches quickly).
	SeedBatch int
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return runWith(ctx, args, getenv, stdout, hooks{})
}

func runWith(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, h hooks) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return errors.New("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "sesame", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "floor":
		return floor(ctx, args, stdout)
	case "import":
		return importFeed(ctx, args, getenv, stdout, os.Stderr)
	case "serve", "demo":
	default:
		fmt.Fprint(stdout, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	cfg, err := parseConfig(cmd, args, getenv, stdout)
	if err != nil {
		return err
	}
	cfg.Hooks = h
	return serve(ctx, cmd, cfg, stdout)
}

func parseConfig(cmd string, args []string, getenv func(string) string, stdout io.Writer) (config, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stdout)
	var c config
	// A demo, with its well-known logins, listens on loopback unless told
	// otherwise; serve listens on every interface.
	addr := ":8080"
	if cmd == "demo" {
		addr = "127.0.0.1:8080"
	}
	fs.StringVar(&c.Addr, "addr", env("SESAME_ADDR", addr), "listen address (SESAME_ADDR)")
	fs.StringVar(&c.Data, "data", env("SESAME_DATA", "./sesame-data"), "data folder, created if missing (SESAME_DATA)")
	fs.StringVar(&c.DB, "db", env("SESAME_DB", ""), "database: a postgres:// URL, or empty for SQLite in the data folder (SESAME_DB)")
	fs.StringVar(&c.NATS, "nats", env("SESAME_NATS", ""), "NATS URLs (nats://a,nats://b), or empty for an embedded JetStream server (SESAME_NATS)")
	fs.StringVar(&c.SMTPAddr, "smtp-addr", env("SESAME_SMTP_ADDR", ""), "mail relay host:port for Sesame's e-mails; empty: they wait in the queue (SESAME_SMTP_ADDR)")
	fs.BoolVar(&c.SMTPStartTLS, "smtp-starttls", env("SESAME_SMTP_STARTTLS", "") == "1" || env("SESAME_SMTP_STARTTLS", "") == "true",
		"upgrade the mail relay connection with STARTTLS (SESAME_SMTP_STARTTLS)")
	fs.StringVar(&c.MailFrom, "mail-from", env("SESAME_MAIL_FROM", "Sesame <no-reply@sesame.invalid>"), "the sender of Sesame's e-mails (SESAME_MAIL_FROM)")
	c.smtpUser, c.smtpPass = env("SESAME_SMTP_USERNAME", ""), env("SESAME_SMTP_PASSWORD", "")
	c.StripeKey, c.StripeURL, c.StripeWebhookSecret = env("SESAME_STRIPE_KEY", ""), env("SESAME_STRIPE_URL", ""), env("SESAME_STRIPE_WEBHOOK_SECRET", "")
	fs.StringVar(&c.IOSSNumber, "ioss-number", env("SESAME_IOSS_NUMBER", ""),
		"the marketplace's EU import one-stop-shop number, on the customs data of low-value imports (SESAME_IOSS_NUMBER)")
	fs.StringVar(&c.LogLevel, "log-level", env("SESAME_LOG_LEVEL", "info"), "debug, info, warn or error (SESAME_LOG_LEVEL)")
	fs.BoolVar(&c.SyncFull, "sync-full", env("SESAME_SYNC_FULL", "") == "1" || env("SESAME_SYNC_FULL", "") == "true",
		"SQLite: fsync every commit, so acknowledged writes survive power loss (SESAME_SYNC_FULL)")
	fs.StringVar(&c.PublicURL, "public-url", env("SESAME_PUBLIC_URL", ""),
		"the URL buyers reach Sesame at, e.g. https://shop.example (SESAME_PUBLIC_URL); https makes cookies Secure")
	rateLimits := fs.String("rate-limits", env("SESAME_RATE_LIMITS", "default"),
		`write limits per address and account: "default", "off", or e.g. "auth-ip=10/m:20,write-ip=20/s:60,write-account=10/s:40" (SESAME_RATE_LIMITS)`)
	proxies := fs.String("trusted-proxies", env("SESAME_TRUSTED_PROXIES", ""),
		"CIDR prefixes of proxies whose X-Forwarded-For names the client, e.g. 10.0.0.0/8 (SESAME_TRUSTED_PROXIES)")
	hashMem, err := strconv.Atoi(env("SESAME_HASH_MEMORY", "128"))
	if err != nil {
		return c, fmt.Errorf("SESAME_HASH_MEMORY: %w", err)
	}
	fs.IntVar(&c.HashMemoryMiB, "hash-memory", hashMem, "MiB that password hashing may use at once; 19 MiB per sign-in in flight (SESAME_HASH_MEMORY)")
	sweep, err := time.ParseDuration(env("SESAME_SESSION_SWEEP", "10m"))
	if err != nil {
		return c, fmt.Errorf("SESAME_SESSION_SWEEP: %w", err)
	}
	fs.DurationVar(&c.SessionSweep, "session-sweep", sweep, "how often ended sessions are deleted (SESAME_SESSION_SWEEP)")
	replicas, err := strconv.Atoi(env("SESAME_NATS_REPLICAS", "1"))
	if err != nil {
		return c, fmt.Errorf("SESAME_NATS_REPLICAS: %w", err)
	}
	fs.IntVar(&c.NATSReplicas, "nats-replicas", replicas, "JetStream servers holding each event, with --nats; the embedded server holds 1 (SESAME_NATS_REPLICAS)")
	fs.StringVar(&c.NATSListen, "nats-listen", env("SESAME_NATS_LISTEN", ""),
		"loopback address where the embedded JetStream server accepts clients, e.g. 127.0.0.1:4222; it asks for no credentials (SESAME_NATS_LISTEN)")
	retention, err := time.ParseDuration(env("SESAME_OUTBOX_RETENTION", events.DefaultRetention.String()))
	if err != nil {
		return c, fmt.Errorf("SESAME_OUTBOX_RETENTION: %w", err)
	}
	fs.StringVar(&c.DebugAddr, "debug-addr", env("SESAME_DEBUG_ADDR", ""),
		"loopback host:port serving Go's profiles at /debug/pprof/; empty: none (SESAME_DEBUG_ADDR)")
	fs.DurationVar(&c.OutboxRetention, "outbox-retention", retention, "how long published events stay in the outbox (SESAME_OUTBOX_RETENTION)")
	if cmd == "demo" {
		fs.IntVar(&c.Products, "products", 5000, "number of demo products to generate")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.HashMemoryMiB < 1 {
		return c, fmt.Errorf("--hash-memory must be at least 1 (MiB)")
	}
	if c.SessionSweep < time.Second {
		return c, fmt.Errorf("--session-sweep must be at least 1s")
	}
	if c.NATSReplicas < 1 || c.NATSReplicas > 5 {
		return c, fmt.Errorf("--nats-replicas must be between 1 and 5")
	}
	if c.NATS == "" && c.NATSReplicas != 1 {
		return c, fmt.Errorf("--nats-replicas must be 1 with the embedded JetStream server (set --nats for a cluster)")
	}
	if c.NATS != "" && c.NATSListen != "" {
		return c, fmt.Errorf("--nats-listen is for the embedded JetStream server: with --nats, clients reach the cluster")
	}
	if c.OutboxRetention < time.Minute {
		return c, fmt.Errorf("--outbox-retention must be at least 1m")
	}
	if c.Products < 0 || c.Products > 10_000_000 {
		return c, fmt.Errorf("--products must be between 0 and 10,000,000")
	}
	if c.RateLimits, err = web.ParseRateLimits(*rateLimits); err != nil {
		return c, fmt.Errorf("--rate-limits: %w", err)
	}
	if c.TrustedProxies, err = web.ParseTrustedProxies(*proxies); err != nil {
		return c, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if c.DB == "" {
		c.DB = filepath.Join(c.Data, "sesame.db")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return c, fmt.Errorf("--public-url must be an http or https URL with no path, such as https://shop.example")
		}
		c.PublicURL = u.Scheme + "://" + u.Host
	}
	return c, nil
}

// masked returns a URL with its password replaced, for printing.
func masked(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, cmd string, cfg config, stdout io.Writer) error {
	log := newLogger(cfg.LogLevel, os.Stderr)
	if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	natsDesc := "embedded JetStream in " + filepath.Join(cfg.Data, "nats")
	if cfg.NATS != "" {
		natsDesc = masked(cfg.NATS)
	}
	hasher := identity.NewHasher(identity.HashSlots(hashBudget(cfg.HashMemoryMiB), runtime.GOMAXPROCS(0)), identity.DefaultHashWait)
	fmt.Fprintf(stdout, "sesame %s %s\n  addr        %s\n  public-url  %s\n  data        %s\n  database    %s\n  events      %s (replicas %d, outbox kept %s)\n  sync-full   %v\n  rate-limits %s\n  hashing     %d at once\n  sweep       every %s\n",
		version, cmd, cfg.Addr, cfg.PublicURL, cfg.Data, masked(cfg.DB), natsDesc, cfg.NATSReplicas, cfg.OutboxRetention, cfg.SyncFull, cfg.RateLimits, hasher.Slots(), cfg.SessionSweep)

	// One price formatter cache for every view that renders prices: the
	// store's pre-rendered views and the catalogue's.
	formatters := money.NewFormatters(money.DefaultFormattersSize)
	db, err := sqlstore.Open(ctx, cfg.DB, sqlstore.Options{SyncFull: cfg.SyncFull, Formatters: formatters})
	if err != nil {
		return err
	}
	defer db.Close()

	var bus *natsbus.Bus
	if cfg.NATS == "" {
		bus, err = natsbus.StartEmbedded(filepath.Join(cfg.Data, "nats"), log, natsbus.WithSyncAlways(cfg.SyncFull), natsbus.WithListen(cfg.NATSListen))
	} else {
		bus, err = natsbus.Connect(cfg.NATS, log, natsbus.WithReplicas(cfg.NATSReplicas))
	}
	if err != nil {
		return err
	}
	defer bus.Close()
	if u := bus.ClientURL(); u != "" {
		fmt.Fprintf(stdout, "  nats-listen %s\n", u)
	}

	ids := identity.NewService(db.Identity())
	chans := channel.NewService(db.Channels())
	svc := api.Services{
		Identity:  ids,
		Merchants: merchant.NewService(db.Merchants()),
		Channels:  chans,
		Catalog:   catalog.NewService(db.Catalog(), chans),
		Inventory: inventory.NewService(db.Inventory()),
		Stock:     inventory.NewStock(db.Stock()),
	}
	svc.Shares = share.NewService(db.Shares(), svc.Catalog)
	svc.Orders = order.NewService(db.Orders(), chans, svc.Stock, func(ctx context.Context, id string) (merchant.Terms, error) {
		return svc.Merchants.Terms(ctx, identity.System, id)
	})
	svc.Orders.Providers["sandbox"] = payment.Sandbox{Books: db.SandboxBooks()}
	svc.Orders.Shares = svc.Shares
	svc.Orders.IOSSNumber = cfg.IOSSNumber
	if cfg.StripeKey != "" {
		svc.Orders.Providers["stripe"] = payment.NewStripe(cfg.StripeKey, cfg.StripeURL)
		svc.StripeWebhookSecret = cfg.StripeWebhookSecret
	}
	if cmd == "demo" && cfg.IOSSNumber == "" {
		svc.Orders.IOSSNumber = demo.IOSSNumber
	}
	// One hasher for every service that hashes passwords: the memory bound is the process's.
	ids.Hasher, svc.Merchants.Hasher = hasher, hasher
	svc.Catalog.Formatters = formatters

	// One relay per database publishes: the nodes sharing it elect one by
	// the lease, and a standby takes over within seconds of its death. It
	// starts before the demo seeds, so that the seed's events flow to the
	// bus while the catalogue is written, as a feed's would in production.
	host, _ := os.Hostname()
	relay := &events.Relay{Outbox: db, Publisher: bus, Logger: log, Lease: db, Retention: cfg.OutboxRetention,
		Holder: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano())}
	db.AfterCommit = relay.Notify
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	relayDone := make(chan error, 1)
	go func() { relayDone <- relay.Run(runCtx) }()
	// Every return waits for the relay, so that it never uses the database
	// or the bus after they are closed.
	relayStopped := false
	defer func() {
		if !relayStopped {
			cancel()
			<-relayDone
		}
	}()

	var logins []web.Login
	// The profiles are served from here on, the demo's seed included.
	if cfg.DebugAddr != "" {
		stop, err := serveProfiles(cfg.DebugAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	if cmd == "demo" {
		logins, err = seedDemo(ctx, db, svc, cfg, stdout)
		if err != nil {
			return err
		}
	}

	// The search index: loaded from the database, then kept current by the
	// listing events published after the bus sequence taken before the
	// load, so that nothing committed meanwhile is missed. Search answers
	// 503 until it is loaded.
	svc.Search = search.New(chans.Channels, log)
	seq, err := bus.LastSeq(ctx)
	if err != nil {
		return err
	}
	followDone := make(chan struct{})
	go func() {
		defer close(followDone)
		if err := svc.Search.Load(runCtx, db.Catalog()); err != nil {
			if runCtx.Err() == nil {
				log.Error("search index: load failed", "err", err)
			}
			return
		}
		stop, err := bus.Follow(runCtx, search.Subjects(), seq, svc.Search.Handle)
		if err != nil {
			log.Error("search index: follow failed", "err", err)
			return
		}
		<-runCtx.Done()
		stop()
	}()
	defer func() { cancel(); <-followDone }()

	svc.SecureCookies = strings.HasPrefix(cfg.PublicURL, "https://")
	var idem web.IdempotencyStore = db.Idempotency()
	if cfg.Hooks.Idempotency != nil {
		idem = cfg.Hooks.Idempotency(idem)
	}
	// The listener opens before the mails are wired: their links need its
	// address when no public URL is configured.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = baseURL(ln.Addr())
	}
	// E-mails: a durable consumer of the order and account events queues
	// them (once per event), the sender hands them to the relay.
	mails := &notify.Service{Store: db.Mails(), Users: db.Identity(), Orders: db.Orders(), Merchants: db.Merchants(),
		Channels: chans, Tokens: ids, PublicURL: publicURL,
		Money: formatters, Logger: log}
	switch {
	case cfg.SMTPAddr != "":
		mails.Sender = notify.SMTP{Addr: cfg.SMTPAddr, StartTLS: cfg.SMTPStartTLS, From: cfg.MailFrom, Username: cfg.smtpUser, Password: cfg.smtpPass}
	case cmd == "demo":
		mails.Sender = notify.Mailbox{}
	}
	stopMail, err := bus.SubscribeSubjects(runCtx, "mail", notify.Subjects(), mails.Handle)
	if err != nil {
		return err
	}
	defer stopMail()
	// The promises' consumer arms, for each order paid, the timer that
	// decides its delivery promise.
	stopPromises, err := bus.SubscribeSubjects(runCtx, "promises", []string{events.SubjectPrefix + events.OrderPaid}, svc.Orders.FollowPromises)
	if err != nil {
		return err
	}
	defer stopPromises()
	mailDone := make(chan error, 1)
	go func() { mailDone <- mails.Run(runCtx) }()
	defer func() { cancel(); <-mailDone }()
	var mailbox func(context.Context, int) ([]notify.Mail, error)
	if cmd == "demo" {
		mailbox = mails.Recent
	}

	srv, err := web.New(web.Config{Services: svc, Logger: log, Ping: db.Ping, DemoLogins: logins, Version: version, PublicURL: cfg.PublicURL,
		RateLimits: cfg.RateLimits, TrustedProxies: cfg.TrustedProxies, Idempotency: idem, Mailbox: mailbox,
		Media: media.Dir(filepath.Join(cfg.Data, "media"))})
	if err != nil {
		return err
	}

	timerRunner := newTimerRunner(db, ids, svc.Stock, cfg, log)
	timerRunner.Handle(order.TimerPaymentExpiry, svc.Orders.ExpiryTimer)
	timerRunner.Handle(order.TimerAutoConfirm, svc.Orders.AutoConfirmTimer)
	timerRunner.Handle(order.TimerDisputeDeadline, svc.Orders.DisputeDeadlineTimer)
	timerRunner.Handle(order.TimerDisputeRefund, svc.Orders.DisputeRefundTimer)
	timerRunner.Handle(order.TimerPayoutTransfer, svc.Orders.PayoutTransferTimer)
	timerRunner.Handle(order.TimerReserveRelease, svc.Orders.ReserveReleaseTimer)
	timerRunner.Handle(order.TimerHoldLimit, svc.Orders.HoldLimitTimer)
	timerRunner.Handle(order.TimerPromiseDue, svc.Orders.PromiseDueTimer)
	// The daily payout run makes its own transactions, one per merchant,
	// outside the timer's: its context carries none of the timer's.
	timerRunner.Every(order.TimerPayoutRun, payoutRunInterval, func(ctx context.Context) error {
		run, err := svc.Orders.RunPayouts(context.Background())
		if err == nil && run.Payouts > 0 {
			log.Info("payout run", "merchants", run.Merchants, "payouts", run.Payouts, "pending", run.Pending, "seconds", run.Seconds)
		}
		return err
	})
	timersDone := make(chan error, 1)
	go func() { timersDone <- timerRunner.Run(runCtx) }()
	defer func() { cancel(); <-timersDone }()

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	url := baseURL(ln.Addr())
	fmt.Fprintf(stdout, "\nSesame is ready: %s\n  API reference  %s/docs\n  OpenAPI        %s/openapi.json\n", url, url, url)
	if len(logins) > 0 {
		fmt.Fprintf(stdout, "\nDemo logins (password %q for all):\n", demo.Password)
		for _, l := range logins {
			fmt.Fprintf(stdout, "  %-27s %s\n", l.Role, l.Email)
		}
	}
	if cfg.Hooks.Ready != nil {
		cfg.Hooks.Ready <- url
	}
	srvErr := make(chan error, 1)
	go func() { srvErr <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "\nshutting down")
	case err := <-srvErr:
		cancel()
		return err
	}
	shCtx, shCancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer shCancel()
	err = hs.Shutdown(shCtx)
	cancel()
	<-relayDone
	relayStopped = true
	if ferr := relay.Flush(shCtx); ferr != nil {
		log.Warn("events left in the outbox for the next start", "err", ferr)
	}
	if rerr := relay.Release(shCtx); rerr != nil {
		log.Warn("release the event relay's lease", "err", rerr)
	}
	return err
}

// The kinds of Sesame's recurring timers.
const (
	timerSessionSweep = "identity.session_sweep"
	timerIdemSweep    = "web.idempotency_key_sweep"
)

// idemSweepInterval is how often expired idempotency keys are deleted
// (Claim already ignores expired ones; the sweep keeps the table small).
const idemSweepInterval = time.Hour

// newTimerRunner returns the poller of the timers table with the handlers
// of every timer kind. The sweeps are recurring timers rather than
// goroutines, so that one node of many runs each, and a sweep due while
// every node was down runs at the next start.
// payoutRunInterval is how often every merchant's available balance is
// paid out.
const payoutRunInterval = 24 * time.Hour

func newTimerRunner(db *sqlstore.DB, ids *identity.Service, stock *inventory.Stock, cfg config, log *slog.Logger) *timers.Runner {
	r := &timers.Runner{Store: db.Timers(), Logger: log}
	r.Handle(inventory.TimerReservationExpiry, stock.ExpiryTimer)
	r.Every(timerSessionSweep, cfg.SessionSweep, func(ctx context.Context) error {
		sessions, failures, err := ids.Sweep(ctx)
		if err == nil && sessions+failures > 0 {
			log.Info("session sweep", "sessions_deleted", sessions, "login_failures_deleted", failures)
		}
		return err
	})
	r.Every(timerIdemSweep, idemSweepInterval, func(ctx context.Context) error {
		_, err := db.Idempotency().Sweep(ctx, db.Now().Add(-sqlstore.IdempotencyTTL))
		return err
	})
	if cfg.Hooks.Timers != nil {
		cfg.Hooks.Timers(r, db)
	}
	return r
}

func baseURL(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "http://" + host + ":" + port
}

// hashBudget returns the bytes password hashing may take at once: the
// configured MiB, lowered to a quarter of the Go memory limit when one is set
// (GOMEMLIMIT), so that hashing alone cannot push the process to it.
func hashBudget(mib int) int64 {
	b := int64(mib) << 20
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		b = min(b, limit/4)
	}
	return b
}

// seedDemo seeds the demo marketplace into an empty database, or reuses
// one seeded before.
func seedDemo(ctx context.Context, db *sqlstore.DB, svc api.Services, cfg config, stdout io.Writer) ([]web.Login, error) {
	chs, err := svc.Channels.Channels(ctx)
	if err != nil {
		return nil, err
	}
	toWeb := func(ls []demo.Login) []web.Login {
		out := make([]web.Login, len(ls))
		for i, l := range ls {
			out[i] = web.Login{Role: l.Role, Email: l.Email, Password: demo.Password, Note: l.Note}
		}
		return out
	}
	if len(chs) > 0 {
		fmt.Fprintln(stdout, "\nThe data folder already holds a marketplace: serving it as it is.")
		return toWeb(demo.Logins()), nil
	}
	fmt.Fprintf(stdout, "\nSeeding the demo marketplace with %d products...\n", cfg.Products)
	res, err := demo.Seed(ctx, demo.Services{Identity: svc.Identity, Merchants: svc.Merchants, Channels: svc.Channels, Catalog: svc.Catalog,
		Inventory: svc.Inventory, Stock: svc.Stock, Orders: svc.Orders, BuyerOrders: true, Shares: svc.Shares, Batch: cfg.Hooks.SeedBatch}, cfg.Products, stdout)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintln(stdout, seedReport(res))
	return toWeb(res.Logins), nil
}

// seedReport is the last line of a seed: its size, its time and its rate
// over the first and the last tenth of the catalogue, e.g. "Seeded 1000000
// products in 2m41s (6,100/s at the start, 5,200/s at the end).".
func seedReport(res demo.Result) string {
	d := res.Duration.Round(100 * time.Millisecond)
	if d >= time.Minute {
		d = res.Duration.Round(time.Second)
	}
	line := fmt.Sprintf("Seeded %d products in %s", res.Products, d)
	if res.Products == 0 {
		return line + "."
	}
	// Rates to the nearest ten: a shared machine's noise is larger.
	r := func(v float64) int64 { return int64(math.Round(v/10) * 10) }
	return line + message.NewPrinter(language.English).Sprintf(" (%d/s at the start, %d/s at the end).", r(res.StartRate), r(res.EndRate))
}

// floor serves a fixed 2 KB JSON body with a bare net/http server. Load
// tests compare Sesame with it on the same machine and settings, so noisy
// or slow machines do not skew the verdict.
func floor(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body := []byte(`{"items":[` + strings.TrimSuffix(strings.Repeat(`{"id":"prd_0000000000000000000000000000000","title":"Floor item","price":{"amount":1250,"currency":"EUR"}},`, 20), ",") + `]}`)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "floor serving %d bytes at %s\n", len(body), baseURL(ln.Addr()))
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})}
	go func() { <-ctx.Done(); hs.Close() }()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveProfiles serves Go's runtime profiles (net/http/pprof) on addr,
// which must be a loopback address: they show the process's insides.
func serveProfiles(addr string) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if ip, perr := netip.ParseAddr(host); err != nil || perr != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("--debug-addr %q: must be a loopback host:port, such as 127.0.0.1:6060", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return func() { hs.Close() }, nil
}
