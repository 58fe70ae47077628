package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"text/tabwriter"

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
			return nil
		},
	}
}
