package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/ratelimit"
	"github.com/dbrelay/dbrelay/channel/senders"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/secret"
	"github.com/urfave/cli/v2"
)

func channelCommand() *cli.Command {
	codes := func(name, usage string, action cli.ActionFunc) *cli.Command {
		return &cli.Command{Name: name, Usage: usage, ArgsUsage: "CODE...", Flags: databaseFlags(),
			OnUsageError: onUsageError, Action: action}
	}
	return &cli.Command{
		Name:  "channel",
		Usage: "manage the channels messages are delivered through (relay.channel)",
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "register a channel, checked as a listener would check it before it is written",
				ArgsUsage: "CODE",
				Description: "Flags come before CODE. Secrets are named, never given: --secret-env and the *_env keys\n" +
					"of --config name environment variables of 'dbrelay listen'. Examples:\n" +
					"  dbrelay channel add --target https://crm.example/hooks/oa --secret-env DBRELAY_SECRET_CRM crm\n" +
					"  dbrelay channel add --preset dingtalk --target 'https://oapi.dingtalk.com/robot/send?access_token=…' --secret-env DBRELAY_SECRET_DING ding\n" +
					"  dbrelay channel add --kind sms --target https://sms.example/send --config-file sms.json --rate 10/s sms\n" +
					"  dbrelay channel add --kind internal memo\n" +
					"docs/channels.md describes each kind's config.",
				Flags: append(databaseFlags(),
					&cli.StringFlag{Name: "kind", Value: "webhook", Usage: "webhook, email, sms or internal"},
					&cli.StringFlag{Name: "target", Usage: "where it sends: the URL (webhook, sms, robot), the SMTP server (email); none for internal"},
					&cli.StringFlag{Name: "config", Usage: "the kind's configuration as a JSON `OBJECT` (headers, auth, templates…)"},
					&cli.StringFlag{Name: "config-file", Usage: "read the configuration from `FILE` (- for standard input)"},
					&cli.StringFlag{Name: "preset", Usage: "a chat robot: wecom, dingtalk or feishu (a webhook channel with config.preset)"},
					&cli.StringFlag{Name: "format", Usage: "with --preset: text or markdown"},
					&cli.StringFlag{Name: "secret-env", Usage: "the environment variable of listen holding the signing secret (DBRELAY_SECRET_… or one listen allows)"},
					&cli.IntFlag{Name: "max-attempts", Value: 10, Usage: "attempts before a message is dead"},
					&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "per-attempt timeout"},
					&cli.StringFlag{Name: "rate", Usage: "most messages per second or minute over all listeners, e.g. 20/s or 600/min; none = no limit"},
					&cli.BoolFlag{Name: "disabled", Usage: "add it disabled (its messages wait)"},
				),
				OnUsageError: onUsageError,
				Action:       channelAdd,
			},
			{
				Name:         "list",
				Usage:        "list the channels with their health (relay_api.channel_stats)",
				Flags:        append(databaseFlags(), &cli.BoolFlag{Name: "json", Usage: "print JSON"}),
				OnUsageError: onUsageError,
				Action:       channelList,
			},
			{
				Name:         "show",
				Usage:        "print one channel: its row (secrets named, never read) and its statistics",
				ArgsUsage:    "CODE",
				Flags:        databaseFlags(),
				OnUsageError: onUsageError,
				Action:       channelShow,
			},
			{
				Name:  "test",
				Usage: "send one ECHO message on a channel through the running listeners and print what came back",
				Description: "Enqueues one message with event ECHO (from dbrelay, to --receiver) and waits for its first\n" +
					"attempt: prints the round trip, the status and the endpoint's answer. A 'dbrelay listen' must be\n" +
					"running against the database. The message is cancelled if no listener tried it in time, or if\n" +
					"it failed and would be retried. Exits 1 unless it was sent.",
				ArgsUsage: "CODE",
				Flags: append(databaseFlags(),
					&cli.StringFlag{Name: "receiver", Value: "dbrelay", Usage: "the message's receiver"},
					&cli.StringFlag{Name: "address", Usage: "the message's address (a phone number or mail address for sms and email)"},
					&cli.DurationFlag{Name: "wait", Value: 30 * time.Second, Usage: "how long to wait for a listener's attempt"},
				),
				OnUsageError: onUsageError,
				Action:       channelTest,
			},
			codes("disable", "pause channels: their messages wait, pending, until enabled again",
				func(c *cli.Context) error { return channelEnable(c, false) }),
			codes("enable", "resume channels: their waiting messages are due at once",
				func(c *cli.Context) error { return channelEnable(c, true) }),
		},
	}
}

func connectChannels(c *cli.Context) (*dialect.Conn, dialect.ChannelTables, error) {
	conn, err := connect(c)
	if err != nil {
		return nil, dialect.ChannelTables{}, err
	}
	t, err := dialect.ChannelsOf(conn)
	if err != nil {
		conn.Close()
		return nil, t, err
	}
	return conn, t, nil
}

// channelConfig is --config, --config-file and --preset/--format as one
// JSON object.
func channelConfig(c *cli.Context) (json.RawMessage, error) {
	raw := []byte(c.String("config"))
	if f := c.String("config-file"); f != "" {
		if len(raw) > 0 {
			return nil, usagef("--config and --config-file are alternatives: give one")
		}
		var err error
		if f == "-" {
			raw, err = io.ReadAll(c.App.Reader)
		} else {
			raw, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, usagef("--config-file: %v", err)
		}
	}
	cfg := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &cfg); err != nil || cfg == nil {
			return nil, usagef("the configuration must be a JSON object ({\"headers\": …}): %v", err)
		}
	}
	for _, f := range []string{"preset", "format"} {
		if v := c.String(f); v != "" {
			if _, set := cfg[f]; set {
				return nil, usagef("--%s and the configuration's %q key are alternatives: give one", f, f)
			}
			cfg[f], _ = json.Marshal(v)
		}
	}
	if c.String("format") != "" && c.String("preset") == "" && cfg["preset"] == nil {
		return nil, usagef("--format goes with --preset (a chat robot's message format)")
	}
	return json.Marshal(cfg)
}

func channelAdd(c *cli.Context) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() != 1 {
		return usagef("channel add takes one CODE, e.g. crm-webhook")
	}
	cfg, err := channelConfig(c)
	if err != nil {
		return err
	}
	ch := channel.Channel{Code: c.Args().First(), Kind: c.String("kind"), Target: c.String("target"), Config: cfg,
		SecretEnv: c.String("secret-env"), Enabled: !c.Bool("disabled"), MaxAttempts: c.Int("max-attempts"),
		Timeout: c.Duration("timeout")}
	if c.String("preset") != "" && c.IsSet("kind") && ch.Kind != "webhook" {
		return usagef("--preset makes a webhook channel (a chat robot); leave out --kind %s", ch.Kind)
	}
	if r := c.String("rate"); r != "" {
		if ch.RatePerMinute, err = ratelimit.ParseRate(r); err != nil {
			return usageError{err}
		}
	}
	switch {
	case ch.MaxAttempts < 1:
		return usagef("--max-attempts must be 1 or more")
	case ch.Timeout < time.Millisecond || ch.Timeout > 24*time.Hour:
		return usagef("--timeout must be between 1ms and 24h")
	}
	// What a listener would say when it loads the channel, said now.
	if known, err := senders.Check(ch); err != nil {
		if known {
			return usageError{fmt.Errorf("%w; nothing was added", err)}
		}
		fmt.Fprintf(c.App.ErrWriter, "warning: %v\n", err)
	}
	conn, t, err := connectChannels(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := t.AddChannel(c.Context, conn.DB, ch); err != nil {
		if errors.Is(err, dialect.ErrChannelExists) {
			return fmt.Errorf("%w; 'dbrelay channel show %s' shows it", err, ch.Code)
		}
		return err
	}
	fmt.Fprintf(c.App.Writer, "added %s (%s%s)\n", ch.Code, ch.Kind, map[bool]string{true: ", disabled"}[!ch.Enabled])
	if ch.SecretEnv != "" && !strings.HasPrefix(ch.SecretEnv, secret.Prefix) {
		fmt.Fprintf(c.App.ErrWriter, "note: %s does not start with %s: run 'dbrelay listen --allow-secret-env %s'\n",
			ch.SecretEnv, secret.Prefix, ch.SecretEnv)
	}
	return nil
}

// channelRow is one channel as list and show print it.
type channelRow struct {
	Code        string         `json:"code"`
	Kind        string         `json:"kind"`
	Target      string         `json:"target"`
	Config      map[string]any `json:"config"`
	SecretEnv   string         `json:"secret_env,omitempty"` // a name, never a value
	Enabled     bool           `json:"enabled"`
	MaxAttempts int            `json:"max_attempts"`
	TimeoutMS   int64          `json:"timeout_ms"`
	Rate        string         `json:"rate,omitempty"`
	Stats       map[string]any `json:"stats"`
	statCols    []dialect.Column
}

func readChannels(c *cli.Context, t dialect.ChannelTables, conn *dialect.Conn, code string) ([]channelRow, error) {
	chans, err := t.Channels(c.Context, conn.DB)
	if err != nil {
		return nil, err
	}
	var rows []channelRow
	for _, ch := range chans {
		if code != "" && ch.Code != code {
			continue
		}
		r := channelRow{Code: ch.Code, Kind: ch.Kind, Target: channel.RedactCredentials(ch.Target), SecretEnv: ch.SecretEnv,
			Enabled: ch.Enabled, MaxAttempts: ch.MaxAttempts, TimeoutMS: ch.Timeout.Milliseconds(), Stats: map[string]any{}}
		// Config holds names of secrets, not secrets; a literal credential
		// someone put there anyway is masked like a response body.
		if err := json.Unmarshal([]byte(channel.RedactCredentials(string(ch.Config))), &r.Config); err != nil {
			r.Config = map[string]any{"unreadable": "config is not a JSON object after masking credentials"}
		}
		if ch.RatePerMinute > 0 {
			r.Rate = ratelimit.FormatRate(ch.RatePerMinute)
		}
		cols, _, err := t.ChannelStats(c.Context, conn.DB, ch.Code)
		if err != nil {
			return nil, err
		}
		r.statCols = cols
		for _, col := range cols {
			r.Stats[col.Name] = col.Value
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// health is a channel's line in list: relay_api.channel_stats's columns,
// whichever this database's release has (a health column, when there is
// one, first).
func health(r channelRow) string {
	var parts []string
	for _, want := range []string{"health", "pending", "sending", "dead", "oldest_unfinished_at", "last_sent_at"} {
		v, ok := r.Stats[want]
		if !ok || v == nil {
			continue
		}
		if ts, isTime := v.(time.Time); isTime {
			v = ts.UTC().Format(time.RFC3339)
		}
		parts = append(parts, fmt.Sprintf("%s=%v", want, v))
	}
	return strings.Join(parts, " ")
}

func channelList(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unexpected argument %q", c.Args().First())
	}
	conn, t, err := connectChannels(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	rows, err := readChannels(c, t, conn, "")
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(c.App.Writer, "no channels; add one with 'dbrelay channel add --target URL CODE'")
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "code\tkind\tenabled\trate\tsecret\thealth")
	for _, r := range rows {
		rate, sec := "-", "-"
		if r.Rate != "" {
			rate = r.Rate
		}
		if r.SecretEnv != "" {
			sec = "env " + r.SecretEnv
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\n", r.Code, r.Kind, r.Enabled, rate, sec, health(r))
	}
	return tw.Flush()
}

func channelShow(c *cli.Context) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() != 1 {
		return usagef("channel show takes one CODE")
	}
	conn, t, err := connectChannels(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	rows, err := readChannels(c, t, conn, c.Args().First())
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("no channel %s; 'dbrelay channel list' shows them", c.Args().First())
	}
	r := rows[0]
	w := c.App.Writer
	fmt.Fprintf(w, "code          %s\nkind          %s\ntarget        %s\nenabled       %v\nmax attempts  %d\ntimeout       %v\n",
		r.Code, r.Kind, r.Target, r.Enabled, r.MaxAttempts, time.Duration(r.TimeoutMS)*time.Millisecond)
	rate := "no limit"
	if r.Rate != "" {
		rate = r.Rate + " over all listeners"
	}
	fmt.Fprintf(w, "rate          %s\n", rate)
	if r.SecretEnv != "" {
		fmt.Fprintf(w, "secret        env %s (its value is not read here)\n", r.SecretEnv)
	}
	cfg, _ := json.MarshalIndent(r.Config, "              ", "  ")
	fmt.Fprintf(w, "config        %s\n", cfg)
	for _, col := range r.statCols {
		if col.Name == "channel" || col.Name == "kind" || col.Name == "enabled" {
			continue
		}
		v := col.Value
		if v == nil {
			v = "-"
		}
		fmt.Fprintf(w, "%-13s %v\n", strings.ReplaceAll(col.Name, "_", " "), v)
	}
	return nil
}

func channelEnable(c *cli.Context, enabled bool) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() == 0 {
		return usagef("name at least one CODE")
	}
	conn, t, err := connectChannels(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	return setEnabledEach(c, enabled, "channel", func(code string) (bool, error) {
		return t.SetChannelEnabled(c.Context, conn.DB, code, enabled)
	})
}

// setEnabledEach enables or disables each row named on the command line
// with set (which says whether the row exists), printing a line for each,
// and fails naming those that do not exist.
func setEnabledEach(c *cli.Context, enabled bool, what string, set func(key string) (bool, error)) error {
	verb := map[bool]string{true: "enabled", false: "disabled"}[enabled]
	var missing []string
	for _, key := range c.Args().Slice() {
		found, err := set(key)
		if err != nil {
			return err
		}
		if !found {
			missing = append(missing, key)
			continue
		}
		fmt.Fprintf(c.App.Writer, "%s %s\n", verb, key)
	}
	if len(missing) > 0 {
		return fmt.Errorf("no %s %s; 'dbrelay %s list' shows them", what, strings.Join(missing, ", "), what)
	}
	return nil
}
