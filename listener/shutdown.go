package listener

import (
	"context"
	"time"
)

// shutdownBound is how long after the grace period a shutdown may still
// spend writing outcomes back. When it is over, every statement still
// waiting on the database is abandoned (its connection closed): a
// database that does not answer cannot hold the process, and the messages
// whose outcomes were not written stay 'sending' until their lease ends,
// when any listener claims them again.
const shutdownBound = 3 * time.Second

// beginShutdown records when the shutdown must be over and wakes the
// writer if it is waiting to retry. It returns that deadline.
func (l *Listener) beginShutdown() time.Time {
	by := time.Now().Add(l.cfg.Grace + shutdownBound)
	l.stopBy.Store(by.UnixNano())
	close(l.stopping)
	return by
}

// shutdownDeadline is when the shutdown must be over, once it has begun.
func (l *Listener) shutdownDeadline() (time.Time, bool) {
	if ns := l.stopBy.Load(); ns != 0 {
		return time.Unix(0, ns), true
	}
	return time.Time{}, false
}

// statementContext bounds one write-back statement: queryTimeout, and
// never past the shutdown's deadline once the shutdown has begun.
func (l *Listener) statementContext() (context.Context, context.CancelFunc) {
	d := time.Now().Add(queryTimeout)
	if by, ok := l.shutdownDeadline(); ok && by.Before(d) {
		d = by
	}
	return context.WithDeadline(context.Background(), d)
}

// abortAt closes every database connection when by passes before the
// returned stop is called: the last resort of a shutdown whose statements
// the database does not answer.
func (l *Listener) abortAt(by time.Time) (stop func() bool) {
	t := time.AfterFunc(time.Until(by), func() {
		n := l.conn.Abort()
		l.log.Warn("shutdown deadline passed with the database not answering: connections closed; messages whose outcome was not written stay 'sending' until their lease ends, then are claimed again",
			"closed", n, "grace", l.cfg.Grace.String(), "bound", shutdownBound.String())
	})
	return t.Stop
}
