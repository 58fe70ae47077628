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
		Usage:     "set messages back to pending, due now (attempts are kept; listeners are woken)",
		ArgsUsage: "ID... | --dead [--channel C]",
		Flags: append(databaseFlags(),
			&cli.BoolFlag{Name: "dead", Usage: "retry every dead message"},
			&cli.StringFlag{Name: "channel", Usage: "with --dead: only this channel's"},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			var ids []int64
			for _, a := range c.Args().Slice() {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil || id <= 0 {
					return usagef("%q is not a message id", a)
				}
				ids = append(ids, id)
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
