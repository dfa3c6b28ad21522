// Package pgbus is an events.Bus that carries events between server
// replicas over PostgreSQL LISTEN/NOTIFY, so a write on any replica reaches
// the WebSocket clients of every replica.
//
// Publish only sends a NOTIFY; every Bus delivers to its local subscribers
// what its own listener connection hears, its own publications included.
// Each subscriber therefore sees every event exactly once, in the order the
// database committed them, whichever replica published it.
package pgbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"

	"github.com/superego-lab/superego/internal/events"
)

// Channel is the PostgreSQL notification channel. Notifications are scoped
// to one database, so replicas on different databases never mix.
const Channel = "superego_events"

// maxPayload is PostgreSQL's limit on a NOTIFY payload (8000 bytes by
// default) less one, for the terminating zero.
const maxPayload = 7999

// publishTimeout bounds one NOTIFY. Publish runs after the write it
// announces has committed, so it is detached from the request's context: a
// client hanging up must not keep other replicas from hearing of the write.
const publishTimeout = 5 * time.Second

// reconnectDelay is how long the listener waits before reconnecting after
// losing its connection.
const reconnectDelay = time.Second

// Bus implements events.Bus over LISTEN/NOTIFY.
type Bus struct {
	pool    *pgxpool.Pool
	ownPool bool
	local   *events.LocalBus
	log     *slog.Logger

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	failed     atomic.Int64
	reconnects atomic.Int64

	// onListen, when set (by tests), is called each time the listener has
	// (re)subscribed to the channel.
	onListen func()
}

var _ events.Bus = (*Bus)(nil)

// New starts a Bus on pool. The listener holds a connection of its own
// outside the pool, so it never takes a slot from queries. New returns once
// the listener is subscribed, so nothing published after it returns is
// missed; it fails if the database cannot be reached.
func New(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (*Bus, error) {
	return start(ctx, pool, false, log, nil)
}

// Open is New on a small pool of its own, for a process that has no pool to
// share. Close closes that pool.
func Open(ctx context.Context, url string, log *slog.Logger) (*Bus, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errors.New("pgbus: the database URL cannot be parsed")
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgbus: connect: %w", err)
	}
	b, err := start(ctx, pool, true, log, nil)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return b, nil
}

func start(ctx context.Context, pool *pgxpool.Pool, ownPool bool, log *slog.Logger, onListen func()) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lctx, cancel := context.WithCancel(context.Background())
	b := &Bus{
		pool:     pool,
		ownPool:  ownPool,
		local:    events.NewLocalBus(),
		log:      log,
		cancel:   cancel,
		done:     make(chan struct{}),
		onListen: onListen,
	}

	ready := make(chan struct{})
	firstErr := make(chan error, 1)
	var readyOnce sync.Once
	h := &handler{bus: b, listening: func() {
		first := false
		readyOnce.Do(func() { close(ready); first = true })
		if !first {
			// Notifications sent while the connection was down are gone;
			// subscribers that care (a browser's cache) re-read on their
			// own reconnect, so a log line is the right weight here.
			b.reconnects.Add(1)
			b.log.Warn("pgbus: listener reconnected; notifications sent while it was down were missed")
		}
		if b.onListen != nil {
			b.onListen()
		}
	}}
	connCfg := pool.Config().ConnConfig.Copy()
	connCfg.RuntimeParams["application_name"] = "superego-pgbus"
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, connCfg) },
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() != nil {
				return // shutting down
			}
			select {
			case <-ready:
				b.log.Warn("pgbus: listener", "err", err)
			default:
				select {
				case firstErr <- err:
				default:
				}
			}
		},
		ReconnectDelay: reconnectDelay,
	}
	l.Handle(Channel, h)
	go func() {
		defer close(b.done)
		_ = l.Listen(lctx) // returns only when lctx is cancelled
	}()

	select {
	case <-ready:
		return b, nil
	case err := <-firstErr:
		b.stop()
		return nil, fmt.Errorf("pgbus: listen: %w", err)
	case <-ctx.Done():
		b.stop()
		return nil, fmt.Errorf("pgbus: listen: %w", ctx.Err())
	}
}

// handler feeds notifications to the local subscribers.
type handler struct {
	bus       *Bus
	listening func()
}

// HandleNotification decodes one event and fans it out. It runs on the
// listener's goroutine and never blocks: LocalBus drops for a full queue.
func (h *handler) HandleNotification(ctx context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	var e events.Event
	if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
		return fmt.Errorf("undecodable notification from backend %d: %w", n.PID, err)
	}
	h.bus.local.Publish(ctx, e)
	return nil
}

// HandleBacklog is called by the listener right after each LISTEN; there is
// no backlog to read, but it is the moment the Bus starts hearing events.
func (h *handler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.listening()
	return nil
}

// Publish sends e to every replica's subscribers, this one's included. If
// the NOTIFY fails (or e is too large for one), e is still delivered to the
// local subscribers, so this replica's clients stay current; other
// replicas miss it, which is logged and counted in Failed.
func (b *Bus) Publish(ctx context.Context, e events.Event) {
	payload, err := json.Marshal(e)
	if err == nil && len(payload) > maxPayload {
		err = fmt.Errorf("event of %d bytes exceeds the %d-byte NOTIFY limit", len(payload), maxPayload)
	}
	if err == nil {
		nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
		_, err = b.pool.Exec(nctx, `SELECT pg_notify($1, $2)`, Channel, string(payload))
		cancel()
		if err == nil {
			return
		}
	}
	b.failed.Add(1)
	b.log.Error("pgbus: event not sent to other replicas; delivered locally only",
		"type", e.Type, "resource", e.Resource, "id", e.ID, "err", err)
	b.local.Publish(ctx, e)
}

// Subscribe implements events.Bus.
func (b *Bus) Subscribe(buf int) (<-chan events.Event, func()) { return b.local.Subscribe(buf) }

// Dropped counts deliveries skipped because a subscriber's queue was full.
func (b *Bus) Dropped() int64 { return b.local.Dropped() }

// Failed counts events that could not be sent to other replicas.
func (b *Bus) Failed() int64 { return b.failed.Load() }

// Reconnects counts how often the listener lost its connection and
// subscribed again.
func (b *Bus) Reconnects() int64 { return b.reconnects.Load() }

// Close stops the listener and, for a Bus made by Open, closes its pool.
// Subscriptions stay valid (they just stop receiving); unsubscribe them as
// usual. Close is idempotent.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		b.stop()
		if b.ownPool {
			b.pool.Close()
		}
	})
	return nil
}

func (b *Bus) stop() {
	b.cancel()
	<-b.done
}
