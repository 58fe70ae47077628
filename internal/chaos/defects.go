package chaos

import (
	"context"
	"fmt"
	"time"
)

// The scenarios of issue 13's defects. Each one failed on the listener the
// issue was filed against; the comment says how it shows.

// leaseSlowReceiver (defect 1): the lease starts at claim time while up to
// workers + batch size messages wait in the listener's own queue; with a
// slow endpoint they wait longer than the lease, and the same listener
// claims them again while the first copy still waits or runs. The issue's
// 24 s answer / 25 s timeout / 60 s lease, scaled by 1/10. The listener now
// renews the leases of the messages it holds (listener/lease.go).
func leaseSlowReceiver(ctx context.Context, r *Run) error {
	if err := r.Channel(ctx, "slow", Behaviour{Delay: 2 * time.Second}, 2500*time.Millisecond, 10); err != nil {
		return err
	}
	if err := r.Push(ctx, "slow", r.N); err != nil {
		return err
	}
	r.SentMetric = true
	lst, err := r.Listen(ctx, "--lease", "6s", "--grace", grace.String())
	if err != nil {
		return err
	}
	deadline := time.Minute + time.Duration(r.N)*200*time.Millisecond
	if err := r.Finish(ctx, lst, deadline, 0, grace); err != nil {
		return err
	}
	if n := lst.LogLines("given back unsent"); n > 0 {
		r.Note("%d messages given back unsent (their lease could not be renewed in time)", n)
	}
	return nil
}

// dbBlackhole (defect 2): the proxy holds every byte to and from
// PostgreSQL. Nothing can move; what matters is that the listener says so
// (/readyz) and that it still stops on SIGTERM.
func dbBlackhole(ctx context.Context, r *Run) error {
	lst, err := startDrain(ctx, r, Behaviour{}, 0.2, "--lease", "10s")
	if err != nil {
		return err
	}
	g0 := lst.Goroutines(ctx)
	r.Proxy.Blackhole()
	black := time.Now()
	ready, readyAt := 200, time.Duration(0)
	for time.Since(black) < 15*time.Second && ready == 200 {
		pause(ctx, time.Second)
		ready, readyAt = lst.Ready(ctx), time.Since(black)
	}
	switch ready {
	case 200:
		r.Fail("/readyz still answered 200 after %s of a black-holed database", readyAt.Round(time.Second))
	case -1:
		r.Note("/readyz stopped answering (5 s client timeout) %s into the black hole", readyAt.Round(time.Second))
	default:
		r.Note("/readyz answered %d %s into the black hole", ready, readyAt.Round(time.Second))
	}
	if g1 := lst.Goroutines(ctx); g0 > 0 && g1 > 0 {
		r.Note("goroutines %d before, %d after %s black-holed", g0, g1, time.Since(black).Round(time.Second))
	}
	took, ok := lst.Term(grace + termBound)
	if ok {
		r.Note("exited %s after SIGTERM with the database black-holed", took.Round(100*time.Millisecond))
	} else {
		r.Fail("SIGTERM not honoured within grace %s + %s while the database was black-holed", grace, termBound)
		if _, ok := lst.Term(5 * time.Second); !ok {
			r.Note("a second SIGTERM did not stop it either; killed")
		}
		lst.Kill()
	}
	r.Allow = Allow{Duplicates: true, Unrecorded: true, Why: "the database was unreachable when the listener stopped"}
	r.Proxy.Restore()
	lst, err = r.Listen(ctx, "--lease", "10s", "--grace", grace.String())
	if err != nil {
		return err
	}
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}

// lostWritebackReply (defect 3): a write-back commits and its reply is
// lost; database/sql and the listener's flush run it again. The second run
// fails the token fence but inserted attempt rows again.
func lostWritebackReply(ctx context.Context, r *Run) error {
	return lostReplies(ctx, r, "writeback", 5, "--lease", "15s")
}

// lostClaimReply (defect 4): a claim commits and its reply is lost; its
// rows stay sending until the lease ends. The run's deadline is shorter
// than the lease.
func lostClaimReply(ctx context.Context, r *Run) error {
	return lostReplies(ctx, r, "claim", 3, "--lease", "45s")
}

func lostReplies(ctx context.Context, r *Run, fault string, times int, args ...string) error {
	if err := r.DB.InstallFaults(ctx); err != nil {
		return err
	}
	r.SentMetric = true
	lst, err := startDrain(ctx, r, Behaviour{Delay: 30 * time.Millisecond}, 0.1, args...)
	if err != nil {
		return err
	}
	lost := 0
	for ; lost < times; lost++ {
		if left, err := r.DB.Unfinished(ctx); err != nil || left == 0 {
			break
		}
		if err := r.DB.LoseReply(ctx, r.Proxy, fault); err != nil {
			return err
		}
		pause(ctx, 200*time.Millisecond)
	}
	r.Note("%d %s replies lost", lost, fault)
	if lost == 0 {
		r.Fail("no %s reply was lost: the drain ended first; raise N", fault)
	}
	return r.Finish(ctx, lst, 20*time.Second+time.Duration(r.N)*time.Millisecond, 45*time.Second, grace)
}

// shutdownDBDown (defect 5): PostgreSQL is stopped while messages are in
// flight, then the listener gets SIGTERM. It cannot write outcomes back;
// it must still exit within its grace plus a bound, and what it held comes
// back when its lease ends.
func shutdownDBDown(ctx context.Context, r *Run) error {
	lst, err := startDrain(ctx, r, Behaviour{Delay: 200 * time.Millisecond}, 0.05, "--lease", "20s")
	if err != nil {
		return err
	}
	if err := r.Lab.StopPG(ctx); err != nil {
		return err
	}
	took, ok := lst.Term(45 * time.Second)
	switch {
	case !ok:
		r.Fail("SIGTERM with the database down: still running after %s (grace %s); killed", took.Round(time.Second), grace)
		lst.Kill()
	case took > grace+termBound:
		r.Fail("SIGTERM with the database down took %s (grace %s + %s)", took.Round(100*time.Millisecond), grace, termBound)
	default:
		r.Note("exited %s after SIGTERM with the database down", took.Round(100*time.Millisecond))
	}
	if err := r.Lab.PG.Restart(ctx); err != nil {
		return err
	}
	if n, err := r.DB.CountStatus(ctx, "sending"); err == nil && n > 0 {
		r.Note("%d left 'sending' (claimed again when their 20 s lease ends)", n)
	}
	r.Allow = Allow{Duplicates: true, Unrecorded: true, Why: "the database was down when the listener stopped"}
	lst, err = r.Listen(ctx, "--lease", "20s", "--grace", grace.String())
	if err != nil {
		return err
	}
	return r.Finish(ctx, lst, drainDeadline(r.N)+time.Minute, 0, grace)
}

// deletedMidFlight (defect 8): a message deleted while in flight. On
// PostgreSQL its attempt row violated relay.delivery's foreign key and the
// whole write-back batch failed for a lease, then was delivered again.
func deletedMidFlight(ctx context.Context, r *Run) error {
	r.SentMetric = true
	lst, err := startDrain(ctx, r, Behaviour{Delay: 300 * time.Millisecond}, 0.1, "--lease", "10s")
	if err != nil {
		return err
	}
	var id int64
	err = r.DB.QueryRowContext(ctx, `
DELETE FROM relay.message
WHERE id = (SELECT id FROM relay.message WHERE status = 'sending' ORDER BY id DESC LIMIT 1)
RETURNING id`).Scan(&id)
	if err != nil {
		return fmt.Errorf("deleting a message in flight: %w", err)
	}
	r.Expect.Ignore[id] = true
	r.Note("message %d deleted while sending", id)
	return r.Finish(ctx, lst, drainDeadline(r.N), 0, grace)
}
