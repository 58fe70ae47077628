package chaos

import (
	"context"
	"fmt"
	"time"
)

// Faults that hit the listener or PostgreSQL as a whole, mid-drain.

// atFractions runs fault each time the receiver has accepted the next
// fraction of the pushed messages.
func atFractions(ctx context.Context, r *Run, fracs []float64, fault func() error) error {
	for _, f := range fracs {
		if err := r.AwaitFraction(ctx, f, 2*time.Minute); err != nil {
			return err
		}
		if err := fault(); err != nil {
			return err
		}
	}
	return nil
}

// pgCrashImmediate (defect 7): with synchronous_commit off on its sessions
// the listener acts on claims a crash may then forget: after recovery the
// same message is claimed with the same attempt number again. Duplicates
// are explained by the crash; a repeated attempt number is not (the README
// says attempts count claims).
func pgCrashImmediate(ctx context.Context, r *Run) error {
	if err := fastChannel(ctx, r, Behaviour{}); err != nil {
		return err
	}
	lst, err := r.Listen(ctx, "--lease", "5s", "--grace", grace.String())
	if err != nil {
		return err
	}
	crashes := 0
	err = atFractions(ctx, r, []float64{0.2, 0.45, 0.7}, func() error {
		crashes++
		return r.Lab.CrashPG(ctx)
	})
	if err != nil {
		return err
	}
	r.Allow = Allow{Duplicates: true, Unrecorded: true, Why: fmt.Sprintf("%d PostgreSQL crashes", crashes)}
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}

// pgRestartFast: PostgreSQL shut down cleanly (-m fast: sessions are
// disconnected, everything committed is kept) and started again. Nothing
// is forgotten, so nothing may be delivered twice.
func pgRestartFast(ctx context.Context, r *Run) error {
	if err := fastChannel(ctx, r, Behaviour{}); err != nil {
		return err
	}
	r.SentMetric = true
	lst, err := r.Listen(ctx, "--lease", "10s", "--grace", grace.String())
	if err != nil {
		return err
	}
	err = atFractions(ctx, r, []float64{0.2, 0.45, 0.7}, func() error { return r.Lab.PG.Restart(ctx) })
	if err != nil {
		return err
	}
	r.Note("3 restarts")
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}

// sigkillLoop: the listener killed outright five times; its claimed
// messages come back when their 3 s lease ends.
func sigkillLoop(ctx context.Context, r *Run) error {
	if err := fastChannel(ctx, r, Behaviour{}); err != nil {
		return err
	}
	args := []string{"--lease", "3s", "--grace", grace.String()}
	kills := 0
	for _, f := range []float64{0.12, 0.24, 0.36, 0.48, 0.6} {
		lst, err := r.Listen(ctx, args...)
		if err != nil {
			return err
		}
		err = r.AwaitFraction(ctx, f, 2*time.Minute)
		lst.Kill()
		if err != nil {
			return err
		}
		kills++
	}
	r.Allow = Allow{Duplicates: true, Unrecorded: true, Why: fmt.Sprintf("%d SIGKILLs", kills)}
	lst, err := r.Listen(ctx, args...)
	if err != nil {
		return err
	}
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}

// connCuts: the proxy closes every database connection every 250 ms. A
// cut claim strands its rows for the lease (10 s); a cut write-back is
// retried. Nothing may be lost, and a cut explains no duplicate.
func connCuts(ctx context.Context, r *Run) error {
	if err := fastChannel(ctx, r, Behaviour{}); err != nil {
		return err
	}
	r.SentMetric = true
	lst, err := r.Listen(ctx, "--lease", "10s", "--grace", grace.String())
	if err != nil {
		return err
	}
	cuts, stop := 0, time.Now().Add(drainDeadline(r.N))
	for time.Now().Before(stop) {
		pause(ctx, 250*time.Millisecond)
		if left, err := r.DB.Unfinished(ctx); err != nil || left == 0 {
			break
		}
		r.Proxy.Cut()
		cuts++
	}
	r.Note("%d cuts", cuts)
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}

// flapping: an endpoint that answers 503 three times in ten and leaves
// three in a hundred hanging past the channel's 1 s timeout. Every message
// must end sent, once.
func flapping(ctx context.Context, r *Run) error {
	if err := r.Channel(ctx, "flap", Behaviour{Fail503: 0.3, Hang: 0.03}, time.Second, 100); err != nil {
		return err
	}
	if err := r.Push(ctx, "flap", r.N); err != nil {
		return err
	}
	r.SentMetric = true
	lst, err := r.Listen(ctx, "--lease", "10s", "--grace", grace.String(), "--retry-base", "50ms", "--retry-max", "500ms")
	if err != nil {
		return err
	}
	return r.Finish(ctx, lst, drainDeadline(r.N)+time.Minute, 0, grace)
}

// backlogRSS: one listener drains a large backlog; its peak resident set
// is reported.
func backlogRSS(ctx context.Context, r *Run) error {
	if err := fastChannel(ctx, r, Behaviour{}); err != nil {
		return err
	}
	r.SentMetric = true
	lst, err := r.Listen(ctx, "--grace", grace.String())
	if err != nil {
		return err
	}
	if _, err := r.AwaitDrained(ctx, drainDeadline(r.N)); err != nil {
		return err
	}
	r.Note("listener peak RSS %.1f MiB", float64(lst.PeakRSS())/(1<<20))
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}
