// Package tcpopt dials the database connections of dbrelay with the socket
// settings a long-running client needs against a network that can fail
// silently, and keeps hold of every connection it opened so that a
// shutdown can close them all at once.
//
// Without these settings a connection whose traffic is held by the network
// (a firewall dropping state, a host gone without a reset) waits for the
// kernel's TCP failure, about 15 minutes on Linux (tcp_retries2=15), and
// the goroutine reading it waits as long: a query's context deadline only
// makes lib/pq send a cancel request on another connection.
//
//   - TCP keepalive (idle KeepAliveIdle, then a probe every
//     KeepAliveInterval, KeepAliveCount probes) finds a dead peer while the
//     connection is idle;
//   - TCP_USER_TIMEOUT (UserTimeout, Linux) bounds how long sent data may
//     stay unacknowledged before the kernel drops the connection;
//   - a connection whose read or write ran past its deadline is closed at
//     once, so its driver sees it broken and the pool discards it (the
//     dialect package sets that deadline from each statement's context).
//
// Neither kernel timer fires against a peer whose kernel still acknowledges
// (a proxy that stops forwarding in user space); the deadline does.
package tcpopt

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The socket settings of every connection a Dialer opens.
const (
	KeepAliveIdle     = 15 * time.Second
	KeepAliveInterval = 5 * time.Second
	KeepAliveCount    = 3
	UserTimeout       = 30 * time.Second
)

// ErrAborted is what a Dialer returns once Abort has been called.
var ErrAborted = errors.New("database connections closed: the process is shutting down")

// Dialer opens TCP (or Unix socket) connections with the settings above
// and tracks them until they are closed. It satisfies lib/pq's Dialer and
// DialerContext and go-mssqldb's Dialer. The zero value is not usable; call
// New.
type Dialer struct {
	d net.Dialer

	mu      sync.Mutex
	open    map[*Conn]struct{}
	aborted bool
}

// New returns a Dialer.
func New() *Dialer {
	return &Dialer{
		d: net.Dialer{
			KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: KeepAliveIdle, Interval: KeepAliveInterval, Count: KeepAliveCount},
			Control:         control,
		},
		open: map[*Conn]struct{}{},
	}
}

// DialContext connects to address. When ctx carries a Capture, the new
// connection is recorded in it.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if d.isAborted() {
		return nil, ErrAborted
	}
	nc, err := d.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	c := &Conn{Conn: nc, d: d}
	d.mu.Lock()
	aborted := d.aborted
	if !aborted {
		d.open[c] = struct{}{}
	}
	d.mu.Unlock()
	if aborted {
		nc.Close()
		return nil, ErrAborted
	}
	if cp, ok := ctx.Value(captureKey{}).(*Capture); ok {
		cp.set(c)
	}
	return c, nil
}

// Dial connects without a deadline (lib/pq calls it when the DSN sets no
// connect_timeout).
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialTimeout connects within timeout.
func (d *Dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

// Abort closes every connection the Dialer has open and makes every later
// dial fail with ErrAborted: whatever waits on one of them returns at
// once. It is the last resort of a shutdown the database did not let
// finish; the Dialer is unusable afterwards. It returns how many
// connections it closed.
func (d *Dialer) Abort() int {
	d.mu.Lock()
	d.aborted = true
	open := d.open
	d.open = map[*Conn]struct{}{}
	d.mu.Unlock()
	for c := range open {
		c.Conn.Close()
	}
	return len(open)
}

// Open is how many connections the Dialer has open.
func (d *Dialer) Open() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.open)
}

func (d *Dialer) isAborted() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.aborted
}

// Conn is a connection from a Dialer. A read or write that fails because
// its deadline passed closes it: what was waiting on it has been abandoned,
// and a half-read reply must never be taken for the next one.
type Conn struct {
	net.Conn
	d       *Dialer
	expired atomic.Bool
	once    sync.Once
}

func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.check(err)
	return n, err
}

func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.check(err)
	return n, err
}

func (c *Conn) check(err error) {
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.expired.Store(true)
		c.Close()
	}
}

// Expired reports whether the connection was closed because an operation
// overran its deadline.
func (c *Conn) Expired() bool { return c.expired.Load() }

// Close closes the connection and forgets it.
func (c *Conn) Close() error {
	c.once.Do(func() {
		c.d.mu.Lock()
		delete(c.d.open, c)
		c.d.mu.Unlock()
	})
	return c.Conn.Close()
}

// Capture receives the connection dialed under a context from WithCapture:
// it lets the code that asked a driver to connect find the socket the
// driver opened.
type Capture struct {
	mu sync.Mutex
	c  *Conn
}

type captureKey struct{}

// WithCapture returns a context whose dials through a Dialer are recorded
// in the returned Capture (the last one wins: a driver may dial again, e.g.
// without TLS after the server refused it).
func WithCapture(ctx context.Context) (context.Context, *Capture) {
	cp := &Capture{}
	return context.WithValue(ctx, captureKey{}, cp), cp
}

func (cp *Capture) set(c *Conn) {
	cp.mu.Lock()
	cp.c = c
	cp.mu.Unlock()
}

// Conn is the connection recorded, or nil.
func (cp *Capture) Conn() *Conn {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return cp.c
}

// control is net.Dialer's Control: it sets TCP_USER_TIMEOUT where the
// system has it (see control_linux.go).
func control(network, _ string, rc syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil
	}
	var serr error
	err := rc.Control(func(fd uintptr) { serr = setUserTimeout(fd, UserTimeout) })
	if err != nil {
		return err
	}
	return serr
}
