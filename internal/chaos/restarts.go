package chaos

import (
	"context"
	"fmt"
	"time"
)

// Faults that hit the listener or PostgreSQL as a whole, mid-drain.

// pgFaultsMidDrain starts a drain (lease as given) and runs fault each
// time the receiver has accepted another quarter or so of the messages; it
// returns the listener, still running, and how many faults it ran.
func pgFaultsMidDrain(ctx context.Context, r *Run, lease string, fault func() error) (*Listener, int, error) {
	lst, err := startDrain(ctx, r, Behaviour{}, 0, "--lease", lease)
	if err != nil {
		return nil, 0, err
	}
	for i, f := range []float64{0.2, 0.45, 0.7} {
		if err := r.AwaitFraction(ctx, f, 2*time.Minute); err != nil {
			return nil, i, err
		}
		if err := fault(); err != nil {
			return nil, i, err
		}
	}
	return lst, 3, nil
}

// pgCrashImmediate (defect 7): with synchronous_commit off on its claims
// the listener acts on claims a crash may then forget: after recovery the
// same message is claimed with the same attempt number again. Claims are
// durable by default now (--durable-claims). Duplicates are explained by
// the crash; a repeated attempt number is not (the README says attempts
// count claims).
func pgCrashImmediate(ctx context.Context, r *Run) error {
	lst, crashes, err := pgFaultsMidDrain(ctx, r, "5s", func() error { return r.Lab.CrashPG(ctx) })
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
	r.SentMetric = true
	lst, restarts, err := pgFaultsMidDrain(ctx, r, "10s", func() error { return r.Lab.PG.Restart(ctx) })
	if err != nil {
		return err
	}
	r.Note("%d restarts", restarts)
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}

// sigkillLoop: the listener killed outright five times; its claimed
// messages come back when their 3 s lease ends.
func sigkillLoop(ctx context.Context, r *Run) error {
	const kills = 5
	lease := []string{"--lease", "3s"}
	lst, err := startDrain(ctx, r, Behaviour{}, 0.12, lease...)
	for i := 2; err == nil && i <= kills; i++ {
		lst.Kill()
		if lst, err = r.Listen(ctx, append(lease, "--grace", grace.String())...); err == nil {
			err = r.AwaitFraction(ctx, 0.12*float64(i), 2*time.Minute)
		}
	}
	if err != nil {
		return err
	}
	lst.Kill()
	r.Allow = Allow{Duplicates: true, Unrecorded: true, Why: fmt.Sprintf("%d SIGKILLs", kills)}
	if lst, err = r.Listen(ctx, append(lease, "--grace", grace.String())...); err != nil {
		return err
	}
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}

// connCuts: the proxy closes every database connection each time another
// hundredth of the messages is finished (and every 250 ms without
// progress), so that a fast machine gets as many cuts as a slow one: about
// a hundred. A cut claim is given back (or strands its rows for the lease,
// 10 s); a cut write-back is retried. Nothing may be lost, and a cut
// explains no duplicate.
func connCuts(ctx context.Context, r *Run) error {
	r.SentMetric = true
	lst, err := startDrain(ctx, r, Behaviour{}, 0, "--lease", "10s")
	if err != nil {
		return err
	}
	step := max(r.N/100, 1)
	cuts, stop := 0, time.Now().Add(drainDeadline(r.N))
	last, lastCut := r.N, time.Now()
	for time.Now().Before(stop) {
		pause(ctx, 5*time.Millisecond)
		left, err := r.DB.Unfinished(ctx)
		if err != nil || left == 0 {
			break
		}
		if last-left < step && time.Since(lastCut) < 250*time.Millisecond {
			continue
		}
		r.Proxy.Cut()
		cuts++
		last, lastCut = left, time.Now()
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
	r.SentMetric = true
	lst, err := startDrain(ctx, r, Behaviour{}, 0)
	if err != nil {
		return err
	}
	if _, err := r.AwaitDrained(ctx, drainDeadline(r.N)); err != nil {
		return err
	}
	r.Note("listener peak RSS %.1f MiB", float64(lst.PeakRSS())/(1<<20))
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}
