// Package faultproxy is a TCP proxy on 127.0.0.1 that tests put between a
// client and a server to inject network faults: cut every connection, or
// black-hole the traffic (hold every byte, close nothing), and let it flow
// again.
//
// A black hole here is made in user space: the proxy stops reading and
// writing, so the client's kernel still gets its bytes acknowledged by the
// proxy's kernel until the socket buffers fill. TCP keepalive and
// TCP_USER_TIMEOUT therefore do not fire against it; what it tests is that
// the client gives up on its own deadline (a query that overran closes its
// connection), which is what saves a client behind a real silent network
// too once its kernel's timers are set.
package faultproxy

import (
	"net"
	"net/url"
	"sync"
)

// Proxy forwards connections from Addr to a target.
type Proxy struct {
	target string
	ln     net.Listener

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	holding bool
	resume  chan struct{} // closed when a black hole ends
	closed  bool
	wg      sync.WaitGroup

	accepted int
}

// Start listens on a free port of 127.0.0.1 and forwards every connection
// to target (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}, resume: make(chan struct{})}
	close(p.resume)
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Accepted is how many client connections the proxy has accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Cut closes every open connection (both sides) at once; new connections
// are still accepted and forwarded.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// Blackhole holds all traffic, of open and new connections alike, without
// closing anything, until Restore.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.holding {
		p.holding = true
		p.resume = make(chan struct{})
	}
}

// Restore lets held traffic flow again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.holding {
		p.holding = false
		close(p.resume)
	}
}

// Close stops accepting, closes every connection and waits for the proxy's
// goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	err := p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	if p.holding {
		p.holding = false
		close(p.resume)
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		p.mu.Unlock()
		p.wg.Add(1)
		go p.serve(client)
	}
}

// gate blocks while the proxy holds traffic; it reports false once the
// proxy is closed.
func (p *Proxy) gate() bool {
	p.mu.Lock()
	resume, closed := p.resume, p.closed
	p.mu.Unlock()
	<-resume
	return !closed
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	if !p.track(client) {
		return
	}
	defer p.untrack(client)
	if !p.gate() {
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(server) {
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client); done <- struct{}{} }()
	go func() { p.pipe(client, server); done <- struct{}{} }()
	<-done
	// One direction ended: end both, as a real connection would.
	client.Close()
	server.Close()
	<-done
}

// pipe copies src to dst, holding each chunk while the proxy black-holes.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.gate() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or a cut: serve closes both sides
		}
	}
}

// Front starts a proxy to the host:port of a database URL and returns the
// same URL pointing at the proxy, for a client that must reach the server
// only through it.
func Front(rawURL string) (*Proxy, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", err
	}
	p, err := Start(u.Host)
	if err != nil {
		return nil, "", err
	}
	u.Host = p.Addr()
	return p, u.String(), nil
}
