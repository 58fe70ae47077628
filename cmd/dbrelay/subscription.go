package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/urfave/cli/v2"
)

func subscriptionCommand() *cli.Command {
	return &cli.Command{
		Name:  "subscription",
		Usage: "route events raised with relay.raise to channels (relay.subscription; docs/events.md)",
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "send an event (a name or a pattern with *) to a channel, optionally only for refs with a prefix",
				ArgsUsage: "EVENT",
				Description: "Flags come before EVENT. Examples:\n" +
					"  dbrelay subscription add --channel messenger ACTION_DONE\n" +
					"  dbrelay subscription add --channel messenger --ref-prefix leave/ 'ACTION_*'\n" +
					"  dbrelay subscription add --channel audit '*'\n" +
					"Quote patterns so that the shell does not expand the *. ECHO needs no\n" +
					"subscription: it always goes to the channel its ref names.",
				Flags: append(databaseFlags(),
					&cli.StringFlag{Name: "channel", Usage: "the channel's `CODE` (relay.channel)"},
					&cli.StringFlag{Name: "ref-prefix", Usage: "only events whose ref starts with `PREFIX` (a workflow 'leave/', a step 'leave/approve/')"},
					&cli.StringFlag{Name: "address", Usage: "the messages' address, for channels that need one (an email address)"},
					&cli.BoolFlag{Name: "disabled", Usage: "add it disabled"},
				),
				OnUsageError: onUsageError,
				Action:       subscriptionAdd,
			},
			{
				Name:         "list",
				Usage:        "list the subscriptions",
				Flags:        append(databaseFlags(), &cli.BoolFlag{Name: "json", Usage: "print JSON"}),
				OnUsageError: onUsageError,
				Action:       subscriptionList,
			},
			{
				Name:         "disable",
				Usage:        "stop routing events through subscriptions (events raised meanwhile are not sent to them)",
				ArgsUsage:    "ID...",
				Flags:        databaseFlags(),
				OnUsageError: onUsageError,
				Action:       func(c *cli.Context) error { return subscriptionEnable(c, false) },
			},
			{
				Name:         "enable",
				Usage:        "route events through disabled subscriptions again",
				ArgsUsage:    "ID...",
				Flags:        databaseFlags(),
				OnUsageError: onUsageError,
				Action:       func(c *cli.Context) error { return subscriptionEnable(c, true) },
			},
		},
	}
}

func subscriptionAdd(c *cli.Context) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() != 1 {
		return usagef("subscription add takes one EVENT, e.g. ACTION_DONE or 'ACTION_*'")
	}
	if c.String("channel") == "" {
		return usagef("subscription add needs --channel CODE")
	}
	s := dialect.Subscription{Event: c.Args().First(), RefPrefix: c.String("ref-prefix"),
		Channel: c.String("channel"), Address: c.String("address"), Enabled: !c.Bool("disabled")}
	if err := dialect.ValidateSubscription(s); err != nil {
		return usageError{err}
	}
	conn, ev, err := connectEvents(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	id, err := ev.AddSubscription(c.Context, conn.DB, s)
	switch {
	case errors.Is(err, dialect.ErrNoChannel):
		return fmt.Errorf("channel %q does not exist; register it first (INSERT INTO relay.channel …, see docs/channels.md)", s.Channel)
	case errors.Is(err, dialect.ErrSubscriptionExists):
		return fmt.Errorf("%w; 'dbrelay subscription list' shows it (enable it if it is disabled)", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(c.App.Writer, "added subscription %d: %s%s → %s\n", id, s.Event, refNote(s.RefPrefix), s.Channel)
	return nil
}

func refNote(prefix string) string {
	if prefix == "" {
		return ""
	}
	return " (ref " + prefix + "…)"
}

func subscriptionList(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unexpected argument %q", c.Args().First())
	}
	conn, ev, err := connectEvents(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	subs, err := ev.Subscriptions(c.Context, conn.DB)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		type row struct {
			ID        int64     `json:"id"`
			Event     string    `json:"event"`
			RefPrefix string    `json:"ref_prefix"`
			Channel   string    `json:"channel"`
			Address   string    `json:"address"`
			Enabled   bool      `json:"enabled"`
			CreatedAt time.Time `json:"created_at"`
		}
		rows := make([]row, 0, len(subs))
		for _, s := range subs {
			rows = append(rows, row(s))
		}
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(subs) == 0 {
		fmt.Fprintln(c.App.Writer, "no subscriptions; add one with 'dbrelay subscription add --channel CODE EVENT'")
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tevent\tref prefix\tchannel\taddress\tenabled")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, s := range subs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%v\n", s.ID, s.Event, dash(s.RefPrefix), s.Channel, dash(s.Address), s.Enabled)
	}
	return tw.Flush()
}

func subscriptionEnable(c *cli.Context, enabled bool) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() == 0 {
		return usagef("name at least one subscription ID ('dbrelay subscription list' shows them)")
	}
	ids, err := idArgs(c, "subscription")
	if err != nil {
		return err
	}
	conn, ev, err := connectEvents(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	done, err := ev.EnableSubscriptions(c.Context, conn.DB, ids, enabled)
	if err != nil {
		return err
	}
	verb := map[bool]string{true: "enabled", false: "disabled"}[enabled]
	fmt.Fprintf(c.App.Writer, "%s %d subscription(s)%s\n", verb, len(done), list(done))
	if missed := missing(ids, done); len(missed) > 0 {
		return fmt.Errorf("no subscription%s; 'dbrelay subscription list' shows them", list(missed))
	}
	return nil
}

// connectEvents connects and returns the dialect's events side.
func connectEvents(c *cli.Context) (*dialect.Conn, dialect.EventTables, error) {
	conn, err := connect(c)
	if err != nil {
		return nil, dialect.EventTables{}, err
	}
	ev, err := dialect.EventsOf(conn)
	if err != nil {
		conn.Close()
		return nil, dialect.EventTables{}, err
	}
	return conn, ev, nil
}
