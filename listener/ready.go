package listener

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// stallAfter is how long the claimer or the writer may go on trying one
// statement (or retrying it) without success before Ready reports the
// listener not ready: with work due, a listener that cannot reach its
// database must say so, not answer "ready" while nothing moves.
const stallAfter = 10 * time.Second

// trying records since when a loop has been trying to get one statement
// through (zero while it is not trying, e.g. asleep with nothing to do).
type trying struct{ since atomic.Int64 }

func (t *trying) start() { t.since.CompareAndSwap(0, time.Now().UnixNano()) }
func (t *trying) done()  { t.since.Store(0) }

// stalled is how long the loop has been trying, when that is more than
// stallAfter.
func (t *trying) stalled() (time.Duration, bool) {
	s := t.since.Load()
	if s == 0 {
		return 0, false
	}
	d := time.Since(time.Unix(0, s))
	return d, d > stallAfter
}

// Ready reports whether the listener is making progress: nil, or why not
// (for /readyz). A listener that is shutting down, or whose claims or
// write-backs have not gone through for stallAfter, is not ready.
func (l *Listener) Ready() error {
	if _, ok := l.shutdownDeadline(); ok {
		return errors.New("the listener is shutting down")
	}
	if d, ok := l.claiming.stalled(); ok {
		return fmt.Errorf("no claim has gone through for %s: the database does not answer or fails (see the listener's log)", d.Round(time.Second))
	}
	if d, ok := l.writing.stalled(); ok {
		return fmt.Errorf("no write-back has gone through for %s: the database does not answer or fails (see the listener's log)", d.Round(time.Second))
	}
	return nil
}
