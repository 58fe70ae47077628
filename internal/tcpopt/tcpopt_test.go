package tcpopt

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/internal/smtptest"
)

// server is a silent peer on 127.0.0.1: it accepts connections and never
// writes, while its kernel still acknowledges.
func server(t *testing.T) string { return smtptest.Stalled(t) }

func TestSocketOptions(t *testing.T) {
	d := New()
	c, err := d.Dial("tcp", server(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := c.(*Conn).Conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var keepalive, idle int
	var user time.Duration
	var gerr error
	err = rc.Control(func(fd uintptr) {
		if keepalive, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); gerr != nil {
			return
		}
		if runtime.GOOS != "linux" {
			return
		}
		if idle, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE); gerr != nil {
			return
		}
		user, gerr = userTimeoutOf(fd)
	})
	if err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if keepalive == 0 {
		t.Error("SO_KEEPALIVE is off")
	}
	if runtime.GOOS == "linux" {
		if time.Duration(idle)*time.Second != KeepAliveIdle {
			t.Errorf("TCP_KEEPIDLE = %ds, want %s", idle, KeepAliveIdle)
		}
		if user != UserTimeout {
			t.Errorf("TCP_USER_TIMEOUT = %s, want %s", user, UserTimeout)
		}
	}
}

// A read that overruns its deadline closes the connection, and says so.
func TestDeadlineClosesConnection(t *testing.T) {
	d := New()
	c, err := d.Dial("tcp", server(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := d.Open(); n != 1 {
		t.Fatalf("%d connections open, want 1", n)
	}
	c.SetDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v, want a deadline error", err)
	}
	if !c.(*Conn).Expired() {
		t.Error("Expired() = false after a read overran its deadline")
	}
	if n := d.Open(); n != 0 {
		t.Errorf("%d connections still open after the overrun, want 0", n)
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("write on the expired connection succeeded")
	}
}

// Abort ends a read blocked on a silent peer at once, and refuses new dials.
func TestAbort(t *testing.T) {
	d := New()
	addr := server(t)
	ctx, cp := WithCapture(context.Background())
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Conn() != c {
		t.Error("the capture did not record the dialed connection")
	}
	read := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(c)
		read <- err
	}()
	if n := d.Abort(); n != 1 {
		t.Errorf("Abort closed %d connections, want 1", n)
	}
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("a read blocked on a silent peer did not return after Abort")
	}
	if _, err := d.Dial("tcp", addr); !errors.Is(err, ErrAborted) {
		t.Errorf("dial after Abort: %v, want ErrAborted", err)
	}
}
