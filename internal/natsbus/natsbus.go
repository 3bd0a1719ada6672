// Package natsbus is Sesame's event bus on NATS JetStream: an in-process
// server storing under the data folder for the embedded mode, or an external
// cluster for scale-out. Both run the same code: one stream, SESAME, holding
// every event under "sesame.>", published with the event id as Nats-Msg-Id so
// that JetStream drops the copies a restarted relay sends again, and durable
// pull consumers that deliver each event at least once.
package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sesame-market/sesame/internal/events"
)

// The Bus is both ends of the relay's contracts.
var (
	_ events.BatchPublisher = (*Bus)(nil)
	_ events.Subscriber     = (*Bus)(nil)
)

// StreamName is the JetStream stream that holds Sesame's events.
const StreamName = "SESAME"

// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id. The relay
// publishes an event again only when it, or the node that held its lease,
// stopped after the bus acknowledged the event but before the outbox row was
// marked; the next holder does so within 1⅓ lease TTL (8 s) plus the relay's
// longest back-off (10 s). The window must cover that gap, and no more: the
// server keeps every id of the window in memory (about 100 bytes each), so an
// hour at a bulk import's 5,000 events/s would hold 18 million ids. Two
// minutes covers the gap several times over; a copy published later still
// (the database down for longer, between the publish and the mark) reaches
// consumers, whose inbox absorbs it. Pruning the outbox plays no part: it
// deletes only rows marked published, which are never published again.
const DuplicateWindow = 2 * time.Minute

// publishAsyncMaxPending is how many asynchronous publishes may await their
// acknowledgement: room for a relay batch of up to that many events without
// stalling (JetStream's default is 4,000).
const publishAsyncMaxPending = 16384

// publishAsyncTimeout bounds the wait for the acknowledgement of an event
// published asynchronously, so that a batch sent to a server that went away
// fails and is retried instead of waiting for ever.
const publishAsyncTimeout = 10 * time.Second

// Consumer settings.
const (
	// ackWait is how long the server waits for a handler before it delivers
	// the event again. Handlers are short (index a document, send a mail);
	// 30s leaves a wide margin without delaying redelivery after a crash much.
	ackWait = 30 * time.Second
	// The first retry of a failed event waits retryBase, doubling with each
	// delivery up to retryMax, so a broken dependency is not hammered.
	retryBase = 500 * time.Millisecond
	retryMax  = time.Minute
	// ackTimeout bounds the wait for the server to confirm an ack.
	ackTimeout = 5 * time.Second
)

// Option tunes the stream a Bus creates.
type Option func(*config)

type config struct {
	replicas   int
	maxAge     time.Duration
	syncAlways bool
	listen     string
}

// WithReplicas sets how many servers of a cluster hold each event (default
// 1). StartEmbedded, which runs a single server, refuses any other value.
func WithReplicas(n int) Option { return func(c *config) { c.replicas = n } }

// WithMaxAge sets how long the stream keeps events (default 30 days). A
// durable consumer that falls further behind loses events, which the outbox
// still holds; the limit keeps the embedded data folder from growing without
// bound. It must not be shorter than DuplicateWindow.
func WithMaxAge(d time.Duration) Option { return func(c *config) { c.maxAge = d } }

// WithSyncAlways makes the embedded server fsync every stored event before
// acknowledging it. Without it, JetStream syncs its files every two minutes:
// safe against a process crash, not against power loss, after which the
// outbox could hold as published an event the stream lost. Use it together
// with sqlstore.Options.SyncFull. It is ignored by Connect: a cluster's
// durability is the servers' configuration.
func WithSyncAlways(on bool) Option { return func(c *config) { c.syncAlways = on } }

// WithListen makes the embedded server accept NATS clients on addr
// (host:port; port 0 picks a free one), so that tools outside the process
// (a lag probe, the nats CLI) can read the stream. The server asks clients
// for no credentials: StartEmbedded refuses an address that is not loopback.
// It is ignored by Connect.
func WithListen(addr string) Option { return func(c *config) { c.listen = addr } }

// Bus is a connection to JetStream, with the embedded server it runs, if any.
type Bus struct {
	ns     *server.Server // nil when connected to an external cluster
	nc     *nats.Conn
	js     jetstream.JetStream
	log    *slog.Logger
	closed chan struct{} // closed by the connection's closed handler
}

// StartEmbedded starts a JetStream server inside the process, storing under
// dir, with no network listener: the Bus reaches it through an in-process
// connection. Stopping the process without Close is safe (JetStream recovers
// its files), but Close flushes consumer positions cleanly.
func StartEmbedded(dir string, logger *slog.Logger, opts ...Option) (*Bus, error) {
	const op = "natsbus.StartEmbedded"
	if dir == "" {
		return nil, fmt.Errorf("%s: no storage folder", op)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := newConfig(opts)
	if cfg.replicas != 1 {
		return nil, fmt.Errorf("%s: an embedded server holds one replica, not %d", op, cfg.replicas)
	}
	sopts := &server.Options{
		ServerName: "sesame-embedded",
		DontListen: true,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true, // the process owns its signals
		SyncAlways: cfg.syncAlways,
	}
	if cfg.listen != "" {
		host, port, err := loopbackAddr(cfg.listen)
		if err != nil {
			return nil, fmt.Errorf("%s: listen: %w", op, err)
		}
		sopts.DontListen, sopts.Host, sopts.Port = false, host, port
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sl := &serverLogger{log: logger.With("component", "nats-server")}
	ns.SetLoggerV2(sl, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("%s: server not ready: %w", op, sl.failure())
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("%s: JetStream did not start: %w", op, sl.failure())
	}
	b, err := connect(op, "", logger, cfg, nats.InProcessServer(ns), nats.Name("sesame-embedded"))
	if err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, err
	}
	b.ns = ns
	return b, nil
}

// Connect connects to an external NATS cluster; urls is a comma-separated
// list of nats:// URLs. It reconnects for ever after a disconnection, so that
// a cluster restart does not need a Sesame restart.
func Connect(urls string, logger *slog.Logger, opts ...Option) (*Bus, error) {
	const op = "natsbus.Connect"
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(urls) == "" {
		return nil, fmt.Errorf("%s: no server URL", op)
	}
	return connect(op, urls, logger, newConfig(opts),
		nats.Name("sesame"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second))
}

// loopbackAddr splits addr into the host and port of the server's options,
// refusing any host that is not a loopback address.
func loopbackAddr(addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", 0, fmt.Errorf("%q is not a loopback address: the embedded server has no authentication", host)
	}
	if port == 0 {
		port = server.RANDOM_PORT // the server reads 0 as its default port, 4222
	}
	return host, port, nil
}

// ClientURL returns the nats:// URL clients outside the process reach the
// embedded server at, or "" when it does not listen (see WithListen).
func (b *Bus) ClientURL() string {
	if b.ns == nil {
		return ""
	}
	a := b.ns.Addr()
	if a == nil {
		return ""
	}
	return "nats://" + a.String()
}

func newConfig(opts []Option) config {
	c := config{replicas: 1, maxAge: 30 * 24 * time.Hour}
	for _, o := range opts {
		o(&c)
	}
	c.replicas = max(c.replicas, 1)
	return c
}

// connect opens the connection, then creates the stream or brings its
// configuration up to date.
func connect(op, urls string, logger *slog.Logger, cfg config, nopts ...nats.Option) (*Bus, error) {
	b := &Bus{log: logger, closed: make(chan struct{})}
	nopts = append(nopts,
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logger.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			logger.Warn("nats error", "err", err)
		}),
	)
	nc, err := nats.Connect(urls, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(publishAsyncTimeout),
		jetstream.WithPublishAsyncMaxPending(publishAsyncMaxPending))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	b.nc, b.js = nc, js
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ensureStream(ctx, js, cfg); err != nil {
		nc.Close()
		return nil, fmt.Errorf("%s: stream %s: %w", op, StreamName, err)
	}
	return b, nil
}

// ensureStream creates the stream with cfg, or updates it when one of the
// settings Sesame owns differs from cfg. An unchanged stream is left alone,
// so that starting a node does not touch a cluster's stream (an update of
// replicas moves data between servers), and settings Sesame does not own
// (limits an operator set) are kept.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg config) error {
	want := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Sesame events, published from the outbox",
		Subjects:    []string{events.SubjectPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      cfg.maxAge,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.replicas,
		Duplicates:  DuplicateWindow,
	}
	s, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, want)
		return err
	}
	if err != nil {
		return err
	}
	have := s.CachedInfo().Config
	if have.Description == want.Description && slices.Equal(have.Subjects, want.Subjects) &&
		have.Retention == want.Retention && have.MaxAge == want.MaxAge && have.Storage == want.Storage &&
		have.Replicas == want.Replicas && have.Duplicates == want.Duplicates {
		return nil
	}
	upd := have
	upd.Description, upd.Subjects, upd.Retention, upd.MaxAge = want.Description, want.Subjects, want.Retention, want.MaxAge
	upd.Storage, upd.Replicas, upd.Duplicates = want.Storage, want.Replicas, want.Duplicates
	_, err = js.UpdateStream(ctx, upd)
	return err
}

// JetStream returns the JetStream handle, for inspection (stream and consumer
// info) by operators' tools and tests.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Publish publishes e on e.Subject() with e.ID as Nats-Msg-Id and waits for
// the server's acknowledgement. Publishing an event again within
// DuplicateWindow succeeds and stores nothing.
func (b *Bus) Publish(ctx context.Context, e events.Event) error {
	data, err := e.Wire()
	if err != nil {
		return fmt.Errorf("natsbus.Publish %s: %w", e.ID, err)
	}
	ack, err := b.js.Publish(ctx, e.Subject(), data,
		jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(StreamName))
	if err != nil {
		return fmt.Errorf("natsbus.Publish %s: %w", e.ID, err)
	}
	if ack.Duplicate {
		b.log.LogAttrs(ctx, slog.LevelDebug, "event already on the bus", slog.String("event_id", e.ID))
	}
	return nil
}

// PublishBatch publishes evs asynchronously, each on its subject with its id
// as Nats-Msg-Id, then waits for every acknowledgement (or failure, at most
// 10s each). It returns the ids the stream acknowledged, duplicates
// included, and the first failure. When ctx ends it returns what was
// acknowledged by then.
func (b *Bus) PublishBatch(ctx context.Context, evs []events.Event) ([]string, error) {
	futs := make([]jetstream.PubAckFuture, 0, len(evs))
	var perr error
	for _, e := range evs {
		data, err := e.Wire()
		if err != nil {
			perr = fmt.Errorf("natsbus.PublishBatch %s: %w", e.ID, err)
			break
		}
		f, err := b.js.PublishMsgAsync(&nats.Msg{Subject: e.Subject(), Data: data},
			jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(StreamName))
		if err != nil {
			perr = fmt.Errorf("natsbus.PublishBatch %s: %w", e.ID, err)
			break
		}
		futs = append(futs, f)
	}
	acked := make([]string, 0, len(futs))
	dups := 0
	for i, f := range futs {
		select {
		case ack := <-f.Ok():
			acked = append(acked, evs[i].ID)
			if ack.Duplicate {
				dups++
			}
		case err := <-f.Err():
			if perr == nil {
				perr = fmt.Errorf("natsbus.PublishBatch %s: %w", evs[i].ID, err)
			}
		case <-ctx.Done():
			return acked, errors.Join(perr, ctx.Err())
		}
	}
	if dups > 0 {
		b.log.LogAttrs(ctx, slog.LevelDebug, "events already on the bus", slog.Int("duplicates", dups))
	}
	return acked, perr
}

// Subscribe delivers the events matching filter ("" for all) to h through
// the durable consumer named durable, created if missing and updated to this
// filter otherwise. An event is acknowledged once h returns nil; when h fails
// it is delivered again after a delay that grows with each attempt, with no
// limit on attempts, since dropping an event would leave a consumer's view
// wrong for ever. A message that is not an event is terminated and logged.
//
// The subscription lasts until stop is called or ctx is done, so ctx should
// be the process's lifetime, not a set-up timeout. stop cancels the context
// given to h, waits for a running h to return, and must not be called from
// inside h. Events fetched but not yet handled when it stops are delivered
// again after the ack wait (30s).
func (b *Bus) Subscribe(ctx context.Context, durable, filter string, h events.Handler) (stop func(), err error) {
	return b.SubscribeSubjects(ctx, durable, []string{filter}, h)
}

// SubscribeSubjects is Subscribe for the events matching any of filters
// (none, or one "", for all).
func (b *Bus) SubscribeSubjects(ctx context.Context, durable string, filters []string, h events.Handler) (stop func(), err error) {
	const op = "natsbus.Subscribe"
	if durable == "" || h == nil {
		return nil, fmt.Errorf("%s: a durable name and a handler are required", op)
	}
	if len(filters) == 0 || len(filters) == 1 && filters[0] == "" {
		filters = []string{events.SubjectPrefix + ">"}
	}
	// One subject stays in FilterSubject, as consumers made before
	// FilterSubjects have it.
	filter, more := filters[0], []string(nil)
	if len(filters) > 1 {
		filter, more = "", filters
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:        durable,
		FilterSubject:  filter,
		FilterSubjects: more,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ackWait,
		MaxDeliver:     -1,
	})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, durable, err)
	}
	log := b.log.With("consumer", durable)
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cc, err := cons.Consume(func(msg jetstream.Msg) { b.handle(hctx, log, msg, h) },
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrConnectionClosed) || hctx.Err() != nil {
				log.Debug("consumer stopped", "err", err)
				return
			}
			log.Warn("consume", "err", err)
		}))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s %s: %w", op, durable, err)
	}
	return stopper(ctx, cc, cancel, false), nil
}

// stopper returns the stop function of a consumption: it stops cc, cancels
// the handlers' context (first, with cancelFirst: a handler waiting to
// retry must not hold the stop up) and waits until cc is closed, when
// called or when ctx is done. Concurrent callers all wait for the first to
// finish.
func stopper(ctx context.Context, cc jetstream.ConsumeContext, cancel context.CancelFunc, cancelFirst bool) func() {
	var once sync.Once
	halt := func() {
		once.Do(func() {
			if cancelFirst {
				cancel()
			}
			cc.Stop()
			cancel()
			<-cc.Closed()
		})
	}
	unhook := context.AfterFunc(ctx, halt)
	return func() {
		unhook()
		halt()
	}
}

// handle applies one message and acknowledges it.
func (b *Bus) handle(ctx context.Context, log *slog.Logger, msg jetstream.Msg, h events.Handler) {
	var e events.Event
	if err := json.Unmarshal(msg.Data(), &e); err != nil || e.ID == "" {
		if err == nil {
			err = errors.New("no event id")
		}
		log.Error("undecodable message dropped", "subject", msg.Subject(), "err", err)
		if err := msg.TermWithReason("undecodable event"); err != nil {
			log.Warn("terminate message", "err", err)
		}
		return
	}
	if err := h(ctx, e); err != nil {
		delivered := uint64(1)
		if md, mdErr := msg.Metadata(); mdErr == nil {
			delivered = md.NumDelivered
		}
		delay := retryDelay(delivered)
		log.Warn("event handler failed; will retry", "event_id", e.ID, "event_type", e.Type,
			"delivered", delivered, "retry_in", delay, "err", err)
		if err := msg.NakWithDelay(delay); err != nil {
			log.Warn("nak event", "event_id", e.ID, "err", err)
		}
		return
	}
	// A confirmed ack: once it returns, a restart does not deliver the event
	// to this consumer again.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	if err := msg.DoubleAck(actx); err != nil {
		log.Warn("ack event; it will be delivered again", "event_id", e.ID, "err", err)
	}
}

// retryDelay is the wait before delivering an event again after its
// delivered-th attempt failed.
func retryDelay(delivered uint64) time.Duration {
	d := retryBase
	for i := uint64(1); i < delivered && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}

// Close drains the connection (in-flight handlers finish and their acks are
// sent) and shuts the embedded server down, if any, waiting until its files
// are closed.
func (b *Bus) Close() error {
	var err error
	if b.nc != nil && !b.nc.IsClosed() {
		if derr := b.nc.Drain(); derr != nil {
			err = fmt.Errorf("natsbus.Close: %w", derr)
			b.nc.Close()
		}
		select {
		case <-b.closed:
		case <-time.After(35 * time.Second): // nats' drain timeout is 30s
			b.nc.Close()
		}
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
	return err
}

// serverLogger routes the embedded server's log to slog. Its notices (the
// start-up banner among them) are debug lines for Sesame; its fatal errors
// are remembered so that StartEmbedded can say why the server did not start.
type serverLogger struct {
	log   *slog.Logger
	mu    sync.Mutex
	fatal error
}

func (l *serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

// Fatalf logs and remembers the error; it does not exit, unlike the server's
// own logger, because a failed bus must not kill the process unannounced.
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	l.mu.Lock()
	if l.fatal == nil {
		l.fatal = errors.New(msg)
	}
	l.mu.Unlock()
}

func (l *serverLogger) failure() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fatal != nil {
		return l.fatal
	}
	return errors.New("no error reported")
}

// LastSeq returns the stream sequence of the last event on the bus (0 when
// there is none). A follower that loads a state from the database first
// takes it, then follows from it: every event after it is delivered, and
// none it loaded is lost.
func (b *Bus) LastSeq(ctx context.Context) (uint64, error) {
	s, err := b.js.Stream(ctx, StreamName)
	if err != nil {
		return 0, fmt.Errorf("natsbus.LastSeq: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("natsbus.LastSeq: %w", err)
	}
	return info.State.LastSeq, nil
}

// Follow delivers to h, one at a time and in stream order, the events on
// the subjects filters match (e.g. "sesame.catalog.listing.>") published
// after stream sequence after. It is for a node's own in-memory state (a
// search index): it keeps nothing on the server, and after a restart the
// node loads its state again and follows from the sequence it took then.
// When h fails the same event is given again after a growing delay, and
// later events wait: the state must not skip one.
//
// The subscription lasts until stop is called or ctx is done; stop waits
// for a running h to return and must not be called from inside it.
func (b *Bus) Follow(ctx context.Context, filters []string, after uint64, h events.Handler) (stop func(), err error) {
	const op = "natsbus.Follow"
	if len(filters) == 0 || h == nil {
		return nil, fmt.Errorf("%s: subjects and a handler are required", op)
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: filters, DeliverPolicy: jetstream.DeliverAllPolicy}
	if after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after+1
	}
	cons, err := b.js.OrderedConsumer(ctx, StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	log := b.log.With("follower", strings.Join(filters, ","))
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		var e events.Event
		if err := json.Unmarshal(msg.Data(), &e); err != nil || e.ID == "" {
			log.Error("undecodable message skipped", "subject", msg.Subject(), "err", err)
			return
		}
		for attempt := uint64(1); ; attempt++ {
			err := h(hctx, e)
			if err == nil || hctx.Err() != nil {
				return
			}
			delay := retryDelay(attempt)
			log.Warn("event handler failed; will retry", "event_id", e.ID, "event_type", e.Type, "retry_in", delay, "err", err)
			select {
			case <-hctx.Done():
				return
			case <-time.After(delay):
			}
		}
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if errors.Is(err, jetstream.ErrConnectionClosed) || hctx.Err() != nil {
			return
		}
		log.Warn("follow", "err", err)
	}))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return stopper(ctx, cc, cancel, true), nil
}
