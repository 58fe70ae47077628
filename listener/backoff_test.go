package listener

import (
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
)

func TestBackoffDoublesWithJitterUpToTheCap(t *testing.T) {
	l := &Listener{cfg: Config{RetryBase: time.Second, RetryMax: 10 * time.Second}}
	for _, c := range []struct {
		attempt int
		want    time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {40, 10 * time.Second}} {
		lo, hi := c.want*8/10, c.want*12/10
		seen := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			d := l.backoff(c.attempt, 0)
			if d < lo || d > hi {
				t.Fatalf("backoff(attempt %d) = %v, want within ±20%% of %v", c.attempt, d, c.want)
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Errorf("backoff(attempt %d) took only %d distinct values in 200 draws: no jitter", c.attempt, len(seen))
		}
	}
	if d := l.backoff(1, time.Hour); d != time.Hour {
		t.Errorf("a Retry-After of 1h gave %v: an endpoint asking for longer wins, even past the cap", d)
	}
	if d := l.backoff(4, time.Second); d < 6*time.Second {
		t.Errorf("a short Retry-After shortened the backoff to %v", d)
	}
}

func TestConfigDefaultsAndValidation(t *testing.T) {
	senders := map[string]channel.Factory{"x": nil}
	c, err := Config{Senders: senders}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Workers != 32 || c.BatchSize != 100 || c.Lease != time.Minute || c.PollInterval != 2*time.Second ||
		c.RetryBase != time.Second || c.RetryMax != time.Hour || c.Linger != 20*time.Millisecond || c.ID == "" {
		t.Fatalf("defaults: %+v", c)
	}
	for field, bad := range map[string]Config{
		"workers":       {Workers: -1, Senders: senders},
		"batch size":    {BatchSize: 6000, Senders: senders},
		"lease":         {Lease: time.Millisecond, Senders: senders},
		"retry base":    {RetryBase: time.Hour, RetryMax: time.Minute, Senders: senders},
		"minimum poll":  {PollMin: time.Minute, PollInterval: time.Second, Senders: senders},
		"no senders":    {},
		"grace":         {Grace: -time.Second, Senders: senders},
		"poll interval": {PollInterval: time.Microsecond, Senders: senders},
	} {
		if _, err := bad.withDefaults(); err == nil || !strings.Contains(err.Error(), strings.Split(field, " ")[0]) {
			t.Errorf("%s: err = %v, want one naming it", field, err)
		}
	}
}
