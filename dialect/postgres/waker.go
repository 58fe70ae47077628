package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/lib/pq"
)

// wakeChannel is the NOTIFY channel of the wake-up trigger.
const wakeChannel = "relay_message"

// waker is LISTEN relay_message on a lib/pq Listener: a connection of its
// own, outside the pool, re-established by lib/pq when it drops.
type waker struct {
	pl     *pq.Listener
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// Listen starts listening for the wake-up trigger's notifications.
func (d Dialect) Listen(ctx context.Context, dsn string, log *slog.Logger) (dialect.Waker, error) {
	w := &waker{wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.pl = pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn("LISTEN connection lost; reconnecting (polling meanwhile)", "err", err)
		case pq.ListenerEventReconnected:
			log.Info("LISTEN connection re-established")
		case pq.ListenerEventConnectionAttemptFailed:
			log.Debug("LISTEN reconnect attempt failed", "err", err)
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
// wake-up too. A ping every 30 s finds a dead connection that TCP has not
// noticed yet.
func (w *waker) run(ctx context.Context) {
	defer close(w.done)
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.pl.Notify:
			w.signal()
		case <-ping.C:
			go w.pl.Ping()
		}
	}
}

func (w *waker) signal() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

func (w *waker) Wake() <-chan struct{} { return w.wake }

func (w *waker) Close() error {
	w.cancel()
	<-w.done
	return w.pl.Close()
}
