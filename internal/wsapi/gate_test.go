package wsapi_test

import (
	"net"
	"sync"
)

// writeGate stands for a client that stops reading: while the gate is shut,
// every write the server makes to its sockets waits, exactly as a write to
// a peer whose receive window is full does, and it goes on once the gate is
// opened (the client reads again) or the connection is closed.
//
// Shrinking the kernel's socket buffers gave the same effect, but then the
// data moved at the pace of TCP's zero-window probes, whose interval backs
// off to seconds while nothing is read: the same test took 7 s, or over
// 5 minutes under -race.
type writeGate struct {
	mu   sync.Mutex
	shut bool
	open chan struct{} // closed while the gate is open
}

func newWriteGate() *writeGate {
	ch := make(chan struct{})
	close(ch)
	return &writeGate{open: ch}
}

// close makes later writes wait. A write already in the kernel completes.
func (g *writeGate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.shut {
		g.shut = true
		g.open = make(chan struct{})
	}
}

// reopen lets every waiting and later write through.
func (g *writeGate) reopen() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		g.shut = false
		close(g.open)
	}
}

func (g *writeGate) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// gatedListener wraps each accepted connection in the gate.
type gatedListener struct {
	net.Listener
	gate *writeGate
}

func (l gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, gate: l.gate, closed: make(chan struct{})}, nil
}

type gatedConn struct {
	net.Conn
	gate      *writeGate
	closeOnce sync.Once
	closed    chan struct{}
}

func (c *gatedConn) Write(p []byte) (int, error) {
	select {
	case <-c.gate.wait():
		return c.Conn.Write(p)
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

// Close also ends a write waiting at the gate: coder/websocket closes the
// connection when a write's context ends, and that must free the writer.
func (c *gatedConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}
