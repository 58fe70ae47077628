package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

// echoPoll is how often `channel test` looks for the listener's attempt.
const echoPoll = 20 * time.Millisecond

// channelTest enqueues one ECHO message on a channel and reports its first
// attempt, made by whichever listener claims it: the real path, secrets
// and rate limit included, which a send from this process would skip.
func channelTest(c *cli.Context) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() != 1 {
		return usagef("channel test takes one CODE")
	}
	code := c.Args().First()
	conn, t, err := connectChannels(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	chans, err := t.Channels(c.Context, conn.DB)
	if err != nil {
		return err
	}
	found := false
	for _, ch := range chans {
		if ch.Code == code {
			found = true
			if !ch.Enabled {
				return fmt.Errorf("channel %s is disabled: its messages wait; 'dbrelay channel enable %s' first", code, code)
			}
		}
	}
	if !found {
		return fmt.Errorf("no channel %s; 'dbrelay channel list' shows them", code)
	}
	start := time.Now()
	payload, _ := json.Marshal(map[string]any{"echo": true, "sent_at": start.UTC().Format(time.RFC3339Nano)})
	id, err := t.EnqueueEcho(c.Context, conn.DB, code, c.String("receiver"), c.String("address"), string(payload))
	if err != nil {
		return err
	}
	deadline := start.Add(c.Duration("wait"))
	tick := time.NewTicker(echoPoll)
	defer tick.Stop()
	for {
		a, ok, err := t.FirstEchoAttempt(c.Context, conn.DB, id)
		if err != nil {
			return err
		}
		if ok {
			rtt := time.Since(start)
			if a.Outcome != "sent" {
				// A test message is not left to retry behind the operator's back.
				if err := t.CancelEcho(c.Context, conn.DB, id); err != nil {
					return err
				}
			}
			w := c.App.Writer
			status := "-"
			if a.ResponseCode != 0 {
				status = fmt.Sprint(a.ResponseCode)
			}
			fmt.Fprintf(w, "ECHO on %s (message %d): %s, status %s\n", code, id, a.Outcome, status)
			fmt.Fprintf(w, "round trip %v (enqueued to recorded; the endpoint answered in %v)\n",
				rtt.Round(time.Millisecond), a.Duration)
			if a.ResponseBody != "" {
				fmt.Fprintf(w, "answer: %s\n", a.ResponseBody)
			}
			if a.Outcome != "sent" {
				return fmt.Errorf("the ECHO failed (%s): %s; message %d is %s", a.Outcome, a.Error, id, map[bool]string{true: "dead", false: "cancelled"}[a.Status == "dead"])
			}
			return nil
		}
		if time.Now().After(deadline) {
			if err := t.CancelEcho(c.Context, conn.DB, id); err != nil {
				return err
			}
			return fmt.Errorf("no listener tried message %d within %v, so it was cancelled: is 'dbrelay listen' running against this database? If it is, its log (or relay_api.outbox.last_error for id %d) says why it cannot deliver on %s",
				id, c.Duration("wait"), id, code)
		}
		select {
		case <-tick.C:
		case <-c.Context.Done():
			return c.Context.Err()
		}
	}
}
