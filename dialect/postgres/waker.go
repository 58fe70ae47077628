package postgres

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

const (
	// wakeChannel is the NOTIFY channel of the wake-up trigger.
	wakeChannel = "relay_message"
	// idleTTL is how long an idle mark in relay.listener counts; it is
	// refreshed every idleTTL/3 while the listener waits, so a listener
	// killed while idle stops attracting notifications within idleTTL.
	idleTTL = 30 * time.Second
)

// waker is LISTEN relay_message on a lib/pq Listener (a connection of its
// own, outside the pool, re-established by lib/pq when it drops), plus the
// listener's idle/busy mark in relay.listener.
type waker struct {
	id  string
	db  *sql.DB
	pl  *pq.Listener
	log *slog.Logger

	wake    chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
	pinging atomic.Bool // a ping of the LISTEN connection is waiting for its answer

	mu        sync.Mutex
	idle      bool
	stopWatch context.CancelFunc // the running watcher of in-progress transactions
}

// Listen starts listening for the wake-up trigger's notifications, for the
// listener named id.
func (d Dialect) Listen(ctx context.Context, conn *dialect.Conn, id string, log *slog.Logger) (dialect.Waker, error) {
	w := &waker{id: id, db: conn.DB, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.pl = pq.NewDialListener(conn.Dialer, wakeDSN(conn.DSN), 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn("LISTEN connection lost; reconnecting (polling meanwhile)", "err", err)
		case pq.ListenerEventReconnected:
			log.Info("LISTEN connection re-established")
		}
	})
	if err := w.pl.Listen(wakeChannel); err != nil {
		w.pl.Close()
		return nil, d.Explain(err)
	}
	ctx, w.cancel = context.WithCancel(ctx)
	go w.run(ctx)
	return w, nil
}

// run turns notifications into wake-ups. lib/pq sends nil after a
// reconnect: notifications sent while it was down are lost, so that is a
// wake-up too. A ping every 10 s finds a dead connection TCP has not
// noticed (lib/pq then reconnects); the idle mark is refreshed meanwhile.
func (w *waker) run(ctx context.Context) {
	defer close(w.done)
	tick := time.NewTicker(idleTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.pl.Notify:
			w.signal()
		case <-tick.C:
			w.ping()
			w.mu.Lock()
			idle := w.idle
			w.mu.Unlock()
			if idle {
				w.mark(ctx, markIdle)
			}
		}
	}
}

// ping pings the LISTEN connection unless a ping is still waiting: on a
// silent network a ping waits until the kernel gives the connection up
// (TCP_USER_TIMEOUT, see internal/tcpopt), and one ping per tick would pile
// up goroutines meanwhile.
func (w *waker) ping() {
	if !w.pinging.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer w.pinging.Store(false)
		w.pl.Ping()
	}()
}

func (w *waker) signal() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

func (w *waker) Wake() <-chan struct{} { return w.wake }

func (w *waker) mark(ctx context.Context, query string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := w.db.ExecContext(ctx, query, w.id, idleTTL.Milliseconds())
	return err
}

// Idle marks the listener idle, so that inserts notify it. Transactions
// running at this moment may have looked at relay.listener before the mark
// and skipped their NOTIFY; the listener's next claim may not see their
// messages yet either. So Idle notes them, and signals a wake-up once they
// have all ended: the claim after that sees everything they committed.
func (w *waker) Idle(ctx context.Context) error {
	if err := w.mark(ctx, markIdle); err != nil {
		return err
	}
	var running string
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := w.db.QueryRowContext(qctx, inProgress).Scan(&running); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.idle = true
	if w.stopWatch != nil {
		w.stopWatch()
		w.stopWatch = nil
	}
	if running != "{}" {
		wctx, stop := context.WithCancel(ctx)
		w.stopWatch = stop
		go w.watch(wctx, running)
	}
	return nil
}

// watch polls until the transactions in running have ended (checking after
// 1, 2, 4 … ms, at most every second), then wakes the listener.
func (w *waker) watch(ctx context.Context, running string) {
	wait := time.Millisecond
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		var n int
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := w.db.QueryRowContext(qctx, stillRunning, running).Scan(&n)
		cancel()
		if err != nil || n == 0 {
			w.signal()
			return
		}
		wait = min(wait*2, time.Second)
	}
}

// Busy marks the listener busy: inserts stop notifying while it drains.
func (w *waker) Busy(ctx context.Context) error {
	w.mu.Lock()
	w.idle = false
	if w.stopWatch != nil {
		w.stopWatch()
		w.stopWatch = nil
	}
	w.mu.Unlock()
	return w.mark(ctx, markBusy)
}

func (w *waker) Close() error {
	w.cancel()
	<-w.done
	w.mu.Lock()
	if w.stopWatch != nil {
		w.stopWatch()
	}
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w.db.ExecContext(ctx, forgetListener, w.id)
	return w.pl.Close()
}
