package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

func retryCommand() *cli.Command {
	return &cli.Command{
		Name:      "retry",
		Usage:     "set messages back to pending, due now (attempts are kept; listeners are woken); or replay events",
		ArgsUsage: "ID... | --dead [--channel C] | --event ID...",
		Description: "With --event, the IDs are events (relay_api.events): a routed event's dead,\n" +
			"cancelled and pending messages are due again; an unrouted one is routed\n" +
			"again against today's subscriptions.",
		Flags: append(databaseFlags(),
			&cli.BoolFlag{Name: "dead", Usage: "retry every dead message"},
			&cli.StringFlag{Name: "channel", Usage: "with --dead: only this channel's"},
			&cli.BoolFlag{Name: "event", Usage: "the IDs are events (relay.raise), not messages"},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.Bool("event") {
				return retryEvents(c)
			}
			ids, err := idArgs(c, "message")
			if err != nil {
				return err
			}
			switch {
			case c.Bool("dead") && len(ids) > 0:
				return usagef("give message ids or --dead, not both")
			case !c.Bool("dead") && len(ids) == 0:
				return usagef("'retry' needs message ids or --dead")
			case c.IsSet("channel") && !c.Bool("dead"):
				return usagef("--channel goes with --dead")
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer conn.Close()
			var done []int64
			if c.Bool("dead") {
				done, err = conn.Dialect.RetryDead(c.Context, conn.DB, c.String("channel"))
			} else {
				done, err = conn.Dialect.Retry(c.Context, conn.DB, ids)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "retried %d message(s)%s\n", len(done), list(done))
			if missed := missing(ids, done); len(missed) > 0 {
				return fmt.Errorf("not retried: %s (no such message, or already sent or being delivered; only dead, cancelled and pending messages are retried)", strings.TrimPrefix(list(missed), ": "))
			}
			return nil
		},
	}
}

// retryEvents replays the events named, each in a transaction of its own.
func retryEvents(c *cli.Context) error {
	if c.Bool("dead") || c.IsSet("channel") {
		return usagef("--event takes event ids, not --dead or --channel")
	}
	if c.NArg() == 0 {
		return usagef("'retry --event' needs event ids (relay_api.events)")
	}
	ids, err := idArgs(c, "event")
	if err != nil {
		return err
	}
	conn, ev, err := connectEvents(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	var unknown, idle []int64
	for _, id := range ids {
		r, ok, err := ev.RetryEvent(c.Context, conn.DB, id)
		switch {
		case err != nil:
			return fmt.Errorf("event %d: %w", id, err)
		case !ok:
			unknown = append(unknown, id)
		case r.Rerouted && len(r.Messages) == 0:
			fmt.Fprintf(c.App.Writer, "event %d: still unrouted (no enabled subscription matches it; 'dbrelay subscription add')\n", id)
			idle = append(idle, id)
		case r.Rerouted:
			fmt.Fprintf(c.App.Writer, "event %d: routed, %d message(s)%s\n", id, len(r.Messages), list(r.Messages))
		case len(r.Messages) == 0:
			fmt.Fprintf(c.App.Writer, "event %d: nothing to retry (its messages are sent or being delivered)\n", id)
			idle = append(idle, id)
		default:
			fmt.Fprintf(c.App.Writer, "event %d: retried %d message(s)%s\n", id, len(r.Messages), list(r.Messages))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("no event%s; relay_api.events lists them", list(unknown))
	}
	if len(idle) > 0 {
		return fmt.Errorf("nothing replayed for event%s", list(idle))
	}
	return nil
}

// idArgs reads the arguments as ids of what (a usage error names a bad one).
func idArgs(c *cli.Context, what string) ([]int64, error) {
	var ids []int64
	for _, a := range c.Args().Slice() {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return nil, usagef("%q is not a%s %s id", a, map[bool]string{true: "n"}[strings.IndexByte("aeiou", what[0]) >= 0], what)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func list(ids []int64) string {
	if len(ids) == 0 {
		return ""
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return ": " + strings.Join(s, " ")
}

func missing(want, got []int64) []int64 {
	have := map[int64]bool{}
	for _, id := range got {
		have[id] = true
	}
	var out []int64
	for _, id := range want {
		if !have[id] {
			out = append(out, id)
		}
	}
	return out
}
