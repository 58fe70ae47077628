package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/urfave/cli/v2"
)

// listen refuses 0 (and negative values) for the flags where the listener
// would otherwise silently use its default, and says what a duration
// without a unit should be: all before connecting (the URL points nowhere).
func TestListenFlagValues(t *testing.T) {
	const url = "postgres://u@127.0.0.1:1/x"
	cases := []struct {
		args []string
		env  string
		want string
	}{
		{args: []string{"--workers", "0"}, want: "--workers 0: must be at least 1"},
		{args: []string{"--batch-size", "0"}, want: "--batch-size 0: must be at least 1"},
		{args: []string{"--workers", "-3"}, want: "--workers -3: must be at least 1"},
		{args: []string{"--lease", "0s"}, want: "--lease 0s: must be more than 0"},
		{args: []string{"--poll-interval", "0"}, want: "--poll-interval 0s: must be more than 0"},
		{args: []string{"--echo-check", "0s"}, want: "--echo-check 0s: give how often"},
		{args: []string{"--lease", "10"}, want: "--lease 10: a duration needs a unit: write 10s"},
		{args: []string{"--grace", "1.5"}, want: "--grace 1.5: a duration needs a unit: write 1.5s"},
		{args: []string{"--lease", "soon"}, want: "--lease soon: not a duration"},
		// Last: t.Setenv keeps it set until the test ends.
		{env: "DBRELAY_LEASE=10", want: "DBRELAY_LEASE=10 (--lease): a duration needs a unit: write 10s"},
	}
	for _, c := range cases {
		if c.env != "" {
			k, v, _ := strings.Cut(c.env, "=")
			t.Setenv(k, v)
		}
		code, _, errOut := runCLI(t, append(append([]string{"listen"}, c.args...), "--database-url", url)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("listen %s (%s): exit %d, %q; want exit 2 saying %q", strings.Join(c.args, " "), c.env, code, errOut, c.want)
		}
		if strings.Contains(errOut, "cannot reach") {
			t.Errorf("listen %s: connected before checking its flags", strings.Join(c.args, " "))
		}
	}
}

// JSON logs print durations as text ("1m0s"), not as nanoseconds.
func TestJSONLogDurations(t *testing.T) {
	var buf bytes.Buffer
	app := &cli.App{Flags: logFlags(), Action: func(c *cli.Context) error {
		log, err := newLogger(c, &buf, dialect.NewRedactor("").Redact)
		if err != nil {
			return err
		}
		log.Info("listener started", "lease", time.Minute, "in", 250*time.Millisecond)
		return nil
	}}
	if err := app.Run([]string{"dbrelay", "--log-format", "json"}); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line["lease"] != "1m0s" || line["in"] != "250ms" {
		t.Fatalf("durations logged as %v and %v, want \"1m0s\" and \"250ms\": %s", line["lease"], line["in"], buf.String())
	}
}
