package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/urfave/cli/v2"
)

var statuses = []string{dialect.StatusPending, dialect.StatusSending, dialect.StatusSent, dialect.StatusDead, dialect.StatusCancelled}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:         "status",
		Usage:        "count messages by channel and status, and show how long the oldest due message has waited",
		Flags:        append(databaseFlags(), &cli.BoolFlag{Name: "json", Usage: "print JSON"}),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer conn.Close()
			counts, err := conn.Dialect.Counts(c.Context, conn.DB)
			if err != nil {
				return err
			}
			backlog, err := conn.Dialect.Backlog(c.Context, conn.DB)
			if err != nil {
				return err
			}
			stats, err := conn.Dialect.ChannelStats(c.Context, conn.DB)
			if err != nil {
				return err
			}
			hooks, err := conn.Dialect.HookFailures(c.Context, conn.DB)
			if err != nil {
				return err
			}
			byChannel := map[string]map[string]int64{}
			for _, n := range counts {
				if byChannel[n.Channel] == nil {
					byChannel[n.Channel] = map[string]int64{}
				}
				byChannel[n.Channel][n.Status] = n.N
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{
					"channels":           byChannel,
					"due":                backlog.Due,
					"oldest_due_seconds": backlog.OldestDue.Seconds(),
					"channel_health":     healthJSON(stats),
					"hook_failures":      hooksJSON(hooks),
				})
			}
			names := make([]string, 0, len(byChannel))
			for name := range byChannel {
				names = append(names, name)
			}
			sort.Strings(names)
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprint(tw, "channel\t")
			for _, s := range statuses {
				fmt.Fprint(tw, s, "\t")
			}
			fmt.Fprintln(tw)
			for _, name := range names {
				fmt.Fprint(tw, name, "\t")
				for _, s := range statuses {
					fmt.Fprint(tw, strconv.FormatInt(byChannel[name][s], 10), "\t")
				}
				fmt.Fprintln(tw)
			}
			tw.Flush()
			if backlog.Due == 0 {
				fmt.Fprintln(c.App.Writer, "due now: 0")
			} else {
				fmt.Fprintf(c.App.Writer, "due now: %d, the oldest due for %s\n", backlog.Due, backlog.OldestDue.Round(1e6))
			}
			for _, s := range stats {
				if line := healthLine(s); line != "" {
					fmt.Fprintln(c.App.Writer, line)
				}
			}
			for _, h := range hooks {
				fmt.Fprintln(c.App.Writer, hookLine(h))
			}
			return nil
		},
	}
}

// healthLine is a line of `dbrelay status` for a channel whose messages
// cannot be delivered now (relay_api.channel_stats), "" for one that is
// fine: a healthy channel, or an idle one with no listener.
func healthLine(s dialect.ChannelStat) string {
	switch {
	case s.Up != nil && !*s.Up && s.ParkedUntil != nil:
		return fmt.Sprintf("channel %s: PARKED until %s, %d messages waiting: %s", s.Channel,
			s.ParkedUntil.Format(time.RFC3339), s.Waiting, s.Reason)
	case s.Up != nil && !*s.Up:
		return fmt.Sprintf("channel %s: DOWN, %d messages waiting: %s", s.Channel, s.Waiting, s.Reason)
	case s.Up == nil && s.Waiting > 0:
		return fmt.Sprintf("channel %s: NO LISTENER has reported on it in the last minute, %d messages waiting (is `dbrelay listen` running, and with --channels including it?)",
			s.Channel, s.Waiting)
	}
	return ""
}

// healthJSON is the channels' health for `dbrelay status --json`.
func healthJSON(stats []dialect.ChannelStat) []map[string]any {
	out := make([]map[string]any, 0, len(stats))
	for _, s := range stats {
		out = append(out, map[string]any{"channel": s.Channel, "up": s.Up, "reason": s.Reason,
			"parked_until": s.ParkedUntil, "waiting": s.Waiting})
	}
	return out
}

// hookLine is a line of `dbrelay status` for a hook whose calls are
// failing (relay_api.hook_failures). The messages are finished either way;
// the line is for whoever owns the hook.
func hookLine(h dialect.HookFailures) string {
	return fmt.Sprintf("hook %s: FAILING for %d finished messages since %s (retried on its own; see relay_api.hook_failures), latest error: %s",
		h.Hook, h.Runs, h.Since.UTC().Format(time.RFC3339), cut(oneLine(h.LastError), 300))
}

// cut is s cut to at most max runes, with an ellipsis.
func cut(s string, max int) string {
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

// hooksJSON is the hooks' failures for `dbrelay status --json`.
func hooksJSON(hs []dialect.HookFailures) []map[string]any {
	out := make([]map[string]any, 0, len(hs))
	for _, h := range hs {
		out = append(out, map[string]any{"hook": h.Hook, "runs": h.Runs, "since": h.Since, "last_error": h.LastError})
	}
	return out
}
