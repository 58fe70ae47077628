package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/internal/faultproxy"
	"github.com/dbrelay/dbrelay/pgserver/pgtest"
)

// behindProxy opens a migrated database through a fault proxy.
func behindProxy(t *testing.T) (*dialect.Conn, *faultproxy.Proxy) {
	t.Helper()
	proxy, url, err := faultproxy.Front(pgtest.Migrated(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	conn, err := dialect.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, proxy
}

// within runs f and fails the test when it has not returned by timeout
// (without the guard it would wait for the kernel, about 15 minutes).
func within(t *testing.T, timeout time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		t.Fatalf("%s did not return within %v on a black-holed connection", what, timeout)
		return nil
	}
}

// A statement whose database stops answering (the network holds every
// byte, nothing resets) fails soon after its deadline, and its connection
// is closed and dropped from the pool; a new connection attempt is bounded
// by its context too. Once the network flows again, the pool works.
func TestOverrunClosesConnection(t *testing.T) {
	conn, proxy := behindProxy(t)
	ctx := context.Background()
	if _, err := conn.DB.ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	proxy.Blackhole()
	err := within(t, 20*time.Second, "a statement with a 500 ms deadline", func() error {
		qctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		_, err := conn.DB.ExecContext(qctx, `SELECT 1`)
		return err
	})
	if err == nil {
		t.Fatal("a statement on a black-holed connection succeeded")
	}
	if n := conn.DB.Stats().OpenConnections; n != 0 {
		t.Errorf("%d connections still in the pool after the overrun, want 0", n)
	}
	// No pooled connection left: a new one is dialed, and its login is
	// black-holed too.
	err = within(t, 20*time.Second, "a connection attempt with a 500 ms deadline", func() error {
		qctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		return conn.DB.PingContext(qctx)
	})
	if err == nil {
		t.Fatal("a ping on a black-holed network succeeded")
	}
	proxy.Restore()
	if _, err := conn.DB.ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatalf("after the network came back: %v", err)
	}
}

// Abort ends a statement waiting on a silent database at once, whatever its
// deadline, and refuses new ones.
func TestAbortEndsWaitingStatements(t *testing.T) {
	conn, proxy := behindProxy(t)
	ctx := context.Background()
	if _, err := conn.DB.ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	proxy.Blackhole()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		qctx, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		close(started)
		_, err := conn.DB.ExecContext(qctx, `SELECT 1`)
		done <- err
	}()
	<-started
	// Abort until the statement has returned: it may not have reached its
	// socket yet when the first Abort runs (then it finds the Dialer
	// aborted).
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn.Abort()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("the statement succeeded on a black-holed connection")
			}
			if _, err := conn.DB.ExecContext(ctx, `SELECT 1`); err == nil {
				t.Fatal("a statement after Abort succeeded")
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("a statement waiting on a black-holed connection did not return after Abort")
		}
	}
}
