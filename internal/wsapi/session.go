package wsapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/events"
)

// noticeInstance is the resource kind of flow instances' notices.
const noticeInstance = "flow_instance"

// session is one connected socket: a reader that decodes client frames and
// hands each request to its own goroutine, followers that copy run events
// from engine subscriptions into the send queue, and one writer.
type session struct {
	h      *Handler
	conn   *websocket.Conn
	ctx    context.Context // ends when the socket closes
	cancel context.CancelFunc
	q      *sendQueue
	bucket tokenBucket

	mu       sync.Mutex
	follows  map[string]*follow // by run id, while the run holds a slot
	live     map[string]*follow // by run id, until the follow's goroutine ends
	reserved int                // slots held by requests still starting runs

	// The notices the socket receives, guarded by h.mu (the fan-out's lock).
	kinds     map[string]bool // every notice of these kinds; nil: of every kind (the default)
	instances []string        // every notice of these flow instances, their runs' included

	work      sync.WaitGroup // request handlers and followers
	writers   sync.WaitGroup // the writer, while one runs
	closeOnce sync.Once
	pinging   atomic.Bool
	pingTimer *time.Timer

	writing atomic.Bool // a frame is being written
	watch   *time.Timer // the write watch (writeFrame), owned by the writer
}

// follow is one run the socket relays. Replaced (by a resume of the same run)
// or finished follows are told apart by pointer.
type follow struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the follow's goroutine has ended
}

func newSession(parent context.Context, h *Handler, conn *websocket.Conn) *session {
	ctx, cancel := context.WithCancel(parent)
	s := &session{
		h:       h,
		conn:    conn,
		ctx:     ctx,
		cancel:  cancel,
		bucket:  newTokenBucket(h.cfg.RateLimit, h.cfg.RateBurst),
		follows: make(map[string]*follow),
		live:    make(map[string]*follow),
	}
	s.q = newSendQueue(h.cfg.SendQueue, h.cfg.MergeLimit, h.cfg.DrainTimeout, s.stalled, s.startWriter, h.m)
	return s
}

// serve runs the socket until it closes. Followers and pending requests are
// stopped with it; the runs themselves go on in the engine.
func (s *session) serve() {
	// Armed only once assigned: pingTick resets the timer, and with a short
	// interval it could otherwise run before the assignment.
	s.pingTimer = time.AfterFunc(time.Duration(math.MaxInt64), s.pingTick)
	s.pingTimer.Reset(s.h.cfg.PingInterval)
	s.readLoop()
	s.cancel()
	s.abortWrite()
	s.q.close()
	s.work.Wait()
	s.writers.Wait()
	s.pingTimer.Stop()
	s.closeWith(websocket.StatusNormalClosure, "")
}

// startWriter is the queue's callback (called with its lock held, so the
// writer is counted before close can wait for it).
func (s *session) startWriter() {
	s.writers.Add(1)
	go func() {
		defer s.writers.Done()
		s.writeLoop()
	}()
}

// pingTick pings an idle peer to find out whether it is still there; a busy
// socket's writes time out on their own.
func (s *session) pingTick() {
	if s.ctx.Err() != nil {
		return
	}
	if !s.q.busy() {
		s.startPing()
	}
	s.pingTimer.Reset(s.h.cfg.PingInterval)
}

// closeWith closes the socket once with a status; later calls do nothing.
// The queue is closed first so no producer adds to it; the close frame is
// then written after the frame in flight (coder/websocket bounds both the
// wait and the handshake), and only then is the session context cancelled,
// because cancelling a write in progress would drop the connection without
// the status.
func (s *session) closeWith(code websocket.StatusCode, reason string) {
	s.closeOnce.Do(func() {
		s.q.close()
		_ = s.conn.Close(code, reason)
		s.cancel()
	})
}

// flush waits, bounded by ctx, until the runs this socket follows have been
// relayed to their end and every queued frame is written. A shutdown that
// first let the runs finish (engine Drain) thus delivers each run's last
// events before the close frame.
func (s *session) flush(ctx context.Context) {
	s.mu.Lock()
	dones := make([]chan struct{}, 0, len(s.live))
	for _, fl := range s.live {
		dones = append(dones, fl.done)
	}
	s.mu.Unlock()
	for _, done := range dones {
		select {
		case <-done:
		case <-ctx.Done():
			return
		}
	}
	// The writer reports no completion event; a short tick is enough for a
	// one-off wait at shutdown.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for s.q.busy() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// drop closes the connection without a close handshake: for a peer that
// no longer answers, whom a handshake would only wait for.
func (s *session) drop() {
	s.closeOnce.Do(func() {
		s.q.close()
		_ = s.conn.CloseNow()
		s.cancel()
	})
}

// wantsLocked reports whether a notice that announces no run goes to this
// socket: one of a kind it follows, or about an instance it follows. The
// caller holds h.mu.
func (s *session) wantsLocked(ev events.Event) bool {
	if s.kinds == nil || s.kinds[ev.Resource] {
		return true
	}
	return ev.Resource == noticeInstance && slices.Contains(s.instances, ev.ID)
}

// stalled is the send queue's drain-timeout callback.
func (s *session) stalled() {
	s.h.m.slowCloses.Inc()
	s.h.log.Info("closing slow websocket client", "drain_timeout", s.h.cfg.DrainTimeout)
	go s.closeWith(websocket.StatusPolicyViolation, "slow client: send queue full; reconnect and resume")
}

func (s *session) readLoop() {
	for {
		typ, data, err := s.conn.Read(s.ctx)
		if err != nil {
			s.logReadEnd(err)
			return
		}
		if typ != websocket.MessageText {
			s.h.m.framesIn.WithLabelValues("invalid").Inc()
			s.sendError(&FrameError{Code: CodeBadFrame, Message: "binary frames are not supported; send JSON text frames"})
			continue
		}
		f, ferr := DecodeFrame(data)
		if ferr != nil {
			s.h.m.framesIn.WithLabelValues("invalid").Inc()
			s.sendError(ferr)
			continue
		}
		s.h.m.framesIn.WithLabelValues(f.Type).Inc()
		if !s.bucket.allow(time.Now()) {
			s.sendError(&FrameError{RequestID: f.RequestID, Code: CodeRateLimited, Message: "too many frames; slow down"})
			continue
		}
		if f.Type == TypePing {
			_ = s.q.pushFrame(s.ctx, pongFrame{Type: TypePong, TS: time.Now().UTC(), RequestID: f.RequestID})
			continue
		}
		if f.Type == TypeSubscribe {
			// In the reader, so that it takes effect before any later
			// frame is served (a ping after it is answered after it).
			s.h.subscribe(s, f.Resources, f.FlowInstanceIDs)
			continue
		}
		// Every other request runs on its own so a slow store or engine
		// call never holds up the frames behind it.
		s.work.Add(1)
		go func() {
			defer s.work.Done()
			s.handle(f)
		}()
	}
}

func (s *session) logReadEnd(err error) {
	switch {
	case websocket.CloseStatus(err) == websocket.StatusNormalClosure,
		websocket.CloseStatus(err) == websocket.StatusGoingAway,
		errors.Is(err, context.Canceled), errors.Is(err, io.EOF):
		// Ordinary endings are not worth a log line.
	default:
		s.h.log.Debug("websocket read ended", "err", err)
	}
}

// writeLoop writes queued frames, each within DrainTimeout, until the
// queue is empty or closed.
func (s *session) writeLoop() {
	for {
		it, ok := s.q.next()
		if !ok {
			return
		}
		data, err := json.Marshal(it.payload())
		if err != nil {
			s.h.log.Error("encoding websocket frame", "err", err, "type", it.frameType())
			continue
		}
		timedOut, err := s.writeFrame(data)
		if err != nil {
			if timedOut {
				s.h.m.slowCloses.Inc()
				s.h.log.Info("dropping websocket client that stopped reading", "drain_timeout", s.h.cfg.DrainTimeout)
			} else if s.ctx.Err() == nil {
				s.h.log.Debug("websocket write failed", "err", err)
			}
			go s.drop()
			return
		}
		s.h.m.frameOut(it.frameType())
	}
}

// errWriteTimedOut is a frame's write cut short by the write watch.
var errWriteTimedOut = errors.New("websocket write timed out")

// writeFrame writes one frame. A frame that cannot be written within
// DrainTimeout means the client has stopped draining: the write watch then
// drops the connection (the peer is not reading, so no close frame could
// reach it anyway), which ends the write. One timer, re-armed per frame,
// does what a context with a deadline per frame did, without the context
// and the callback coder/websocket registers on it for every write; the
// write itself gets a context that never ends, and the session's end stops
// a write in flight through abortWrite.
func (s *session) writeFrame(data []byte) (timedOut bool, err error) {
	s.writing.Store(true)
	defer s.writing.Store(false)
	if err := s.ctx.Err(); err != nil {
		return false, err
	}
	if s.watch == nil {
		// Made on the first write, not per socket: idle sockets carry no
		// timer. Only the one writer of the moment touches it.
		s.watch = time.AfterFunc(s.h.cfg.DrainTimeout, func() { _ = s.conn.CloseNow() })
	} else {
		s.watch.Reset(s.h.cfg.DrainTimeout)
	}
	err = s.conn.Write(context.Background(), websocket.MessageText, data)
	if !s.watch.Stop() {
		// The watch fired: the connection is dropped, whatever the write
		// returned.
		return true, cmp.Or(err, errWriteTimedOut)
	}
	return false, err
}

// abortWrite drops the connection when a frame is being written as the
// session ends, as cancelling that write's context did: the caller has
// cancelled s.ctx, so a write not yet begun will not begin (writeFrame
// checks it after marking itself).
func (s *session) abortWrite() {
	if s.writing.Load() {
		_ = s.conn.CloseNow()
	}
}

// startPing pings the peer in the background: a ping waits for the pong,
// which must not hold up writes.
func (s *session) startPing() {
	if !s.pinging.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.pinging.Store(false)
		ctx, cancel := context.WithTimeout(s.ctx, s.h.cfg.WriteTimeout)
		defer cancel()
		if err := s.conn.Ping(ctx); err != nil && s.ctx.Err() == nil {
			s.h.log.Debug("websocket peer did not answer ping", "err", err)
			s.drop()
		}
	}()
}

// sendError queues an error frame (waiting while the queue is full, which
// also stops the reader: backpressure on a client that floods).
func (s *session) sendError(e *FrameError) {
	s.h.m.errors.WithLabelValues(e.Code).Inc()
	_ = s.q.pushFrame(s.ctx, errorFrame{Type: TypeError, TS: time.Now().UTC(), RequestID: e.RequestID, Code: e.Code, Message: e.Message})
}

// tokenBucket limits the client frames of one socket. Only the reader
// goroutine uses it, so it needs no lock.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate float64, burst int) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

func (b *tokenBucket) allow(now time.Time) bool {
	if b.rate < 0 {
		return true
	}
	if !b.last.IsZero() {
		b.tokens += now.Sub(b.last).Seconds() * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
