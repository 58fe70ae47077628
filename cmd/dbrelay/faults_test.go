package main

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect/dialecttest"
	"github.com/dbrelay/dbrelay/internal/faultproxy"
)

// readyz is /readyz's status code, or 0 when it does not answer in 5 s.
func readyz(addr string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// A listener whose database connection is black-holed mid-drain (the
// network holds every byte; nothing resets) says so on /readyz, and SIGTERM
// still ends it within its grace plus the shutdown bound, instead of
// waiting for the kernel's TCP failure (issue 13, defect 2).
func TestBlackholedDatabase(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	rcv.Script("/hook", func(int) dialecttest.Reply {
		time.Sleep(5 * time.Millisecond)
		return dialecttest.Reply{Status: 200}
	})
	url, db := setUp(t, rcv, 3000)
	proxy, viaProxy, err := faultproxy.Front(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	addr := freeAddr(t)
	p := startDbrelay(t, "listen", "--database-url", viaProxy, "--http", addr, "--workers", "4", "--grace", "2s", "--log-format", "json")
	rcv.WaitCalls(t, "/hook", 100, 20*time.Second)
	proxy.Blackhole()
	// /readyz must answer, and say 503: not hang on the silent database
	// itself (its client gives up after 5 s), nor say 200.
	deadline := time.Now().Add(30 * time.Second)
	code := readyz(addr)
	for ; code != 503; code = readyz(addr) {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d 30 s into the black hole, want 503 (0: no answer within 5 s)", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	// grace 2 s + shutdownBound 3 s + exit; without the fix it waits for
	// the kernel (about 15 minutes).
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		p.cmd.Process.Signal(syscall.SIGQUIT) // its goroutines, in the output
		p.done <- <-p.done
		t.Fatal("SIGTERM not honoured within 20 s with the database black-holed")
	}
	if !strings.Contains(p.out.String(), "shutdown deadline passed") {
		t.Error("no log line said the shutdown closed the database connections")
	}
	proxy.Restore()
	var sending int
	if err := db.QueryRow(`SELECT count(*) FROM relay.message WHERE status = 'sending'`).Scan(&sending); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d messages left sending (claimed again when their lease ends)", sending)
}

// A second SIGTERM ends a listener at once, whatever its grace.
func TestSecondSIGTERMExitsAtOnce(t *testing.T) {
	rcv := dialecttest.NewReceiver(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	rcv.Script("/hook", func(int) dialecttest.Reply {
		<-release // never answers while the test runs
		return dialecttest.Reply{Status: 200}
	})
	url, _ := setUp(t, rcv, 5)
	addr := freeAddr(t)
	p := startDbrelay(t, "listen", "--database-url", url, "--http", addr, "--grace", "10m", "--log-format", "json")
	rcv.WaitCalls(t, "/hook", 1, 20*time.Second)
	if code := readyz(addr); code != 200 {
		t.Fatalf("/readyz = %d before the signal", code)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	// The first signal starts the graceful shutdown (/readyz says so).
	deadline := time.Now().Add(10 * time.Second)
	for readyz(addr) == 200 {
		if time.Now().After(deadline) {
			t.Fatal("/readyz still 200 10 s after the first SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t, 20*time.Second) // the grace is 10 minutes: only the second signal can end it in time
}
