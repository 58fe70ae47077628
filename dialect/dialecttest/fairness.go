package dialecttest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/internal/smtptest"
	"github.com/dbrelay/dbrelay/listener"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// runFairnessSuite: channels that fail or stall do not hold up the others
// and are visible (issue 13 defect 6; issue 12 items 7 and 10).
func runFairnessSuite(t *testing.T, h Harness) {
	t.Run("StalledChannelDoesNotStarve", func(t *testing.T) { testStalledChannelDoesNotStarve(t, h) })
	t.Run("BrokenChannelVisible", func(t *testing.T) { testBrokenChannelVisible(t, h) })
	t.Run("OnlyChannels", func(t *testing.T) { testOnlyChannels(t, h) })
}

// stallServer accepts TCP connections and never answers: an HTTP endpoint
// that stalls, made by the same helper as a wedged SMTP server.
func stallServer(t *testing.T) string {
	t.Helper()
	return "http://" + smtptest.Stalled(t)
}

// enqueue adds a message for receiver on channel and returns its id.
func (d *db) enqueue(receiver, channel string) int64 {
	d.t.Helper()
	var id int64
	if err := d.DB.QueryRow(d.h.EnqueueCall(), "s", receiver, channel, "t").Scan(&id); err != nil {
		d.t.Fatalf("enqueue on %s: %v", channel, d.Dialect.Explain(err))
	}
	return id
}

// Beside a channel whose endpoint accepts connections and never answers,
// with more of its messages due first than there are workers, a healthy
// channel is delivered at once: one worker pool shared first come, first
// served would hold every worker for the stalled channel's timeout, message
// after message (here 120 × 3 s over 4 workers: 90 s). The stalled channel
// is then parked: its messages wait, their attempt given back, and
// relay_api.channel_stats says so.
func testStalledChannelDoesNotStarve(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.webhook("stall", stallServer(t), 10, 3000)
	d.webhook("ok", rcv.URL+"/ok", 10, 3000)
	var healthy []int64
	for i := 0; i < 120; i++ {
		d.enqueue("r", "stall")
		if i%6 == 5 {
			healthy = append(healthy, d.enqueue("r", "ok"))
		}
	}
	cfg := TestConfig(t)
	cfg.Workers = 4
	StartListener(t, d.Conn, cfg)
	d.waitUntil("every healthy message sent", 20*time.Second,
		`SELECT CASE WHEN count(*) = ? THEN 1 ELSE 0 END FROM relay.message WHERE channel = 'ok' AND status = 'sent'`, len(healthy))
	d.waitUntil("the stalled channel parked, its messages waiting without an attempt counted", 30*time.Second,
		`SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM relay_api.outbox
		 WHERE channel = 'stall' AND status = 'pending' AND attempts = 0 AND last_error LIKE '%parked%'`)
	d.waitUntil("channel_stats showing the park", 30*time.Second,
		`SELECT CASE WHEN count(*) = 1 THEN 1 ELSE 0 END FROM relay_api.channel_stats
		 WHERE channel = 'stall' AND up = ? AND parked_until IS NOT NULL AND reason LIKE '%parked%' AND waiting = 120`, false)
	if n := d.count(`SELECT count(*) FROM relay_api.channel_stats WHERE channel = 'ok' AND up = ?`, true); n != 1 {
		t.Fatal("the healthy channel is not shown up in channel_stats")
	}
}

// A channel the listener cannot deliver on (its secret is not set) is
// visible: channel_stats says up = false with the reason and the messages
// waiting, dbrelay_channel_up is 0 and dbrelay_channel_waiting_messages
// counts them; a healthy channel is up. Once the listener stops, up is
// NULL: no listener delivers.
func testBrokenChannelVisible(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.exec(`INSERT INTO relay.channel (code, kind, target, secret_env) VALUES ('nosecret', 'webhook', ?, 'DBRELAY_SECRET_NOT_SET')`, rcv.URL+"/x")
	d.webhook("fine", rcv.URL+"/fine", 5, 5000)
	d.enqueue("r", "nosecret")
	d.enqueue("r", "nosecret")
	cfg := TestConfig(t)
	reg := prometheus.NewRegistry()
	cfg.Metrics = listener.NewMetrics(reg, d.Conn)
	stop := StartListener(t, d.Conn, cfg)
	d.waitUntil("channel_stats showing the broken channel", 20*time.Second,
		`SELECT CASE WHEN count(*) = 1 THEN 1 ELSE 0 END FROM relay_api.channel_stats
		 WHERE channel = 'nosecret' AND up = ? AND reason LIKE '%nosecret%not set%' AND waiting = 2 AND parked_until IS NULL`, false)
	if n := d.count(`SELECT count(*) FROM relay_api.channel_stats WHERE channel = 'fine' AND up = ? AND reason IS NULL`, true); n != 1 {
		t.Fatal("the healthy channel is not shown up")
	}
	if n := d.count(`SELECT count(*) FROM relay_api.channel_stats WHERE reason LIKE '%DBRELAY_SECRET_NOT_SET%'`); n != 0 {
		t.Fatal("channel_stats names the environment variable")
	}
	stats, err := d.Dialect.ChannelStats(context.Background(), d.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || stats[1].Channel != "nosecret" || stats[1].Up == nil || *stats[1].Up || stats[1].Waiting != 2 {
		t.Fatalf("ChannelStats = %+v", stats)
	}
	if got := gauge(t, reg, "dbrelay_channel_up", "nosecret"); got != 0 {
		t.Errorf("dbrelay_channel_up{channel=nosecret} = %v, want 0", got)
	}
	if got := gauge(t, reg, "dbrelay_channel_up", "fine"); got != 1 {
		t.Errorf("dbrelay_channel_up{channel=fine} = %v, want 1", got)
	}
	if got := gauge(t, reg, "dbrelay_channel_waiting_messages", "nosecret"); got != 2 {
		t.Errorf("dbrelay_channel_waiting_messages{channel=nosecret} = %v, want 2", got)
	}
	stop()
	if n := d.count(`SELECT count(*) FROM relay_api.channel_stats WHERE up IS NOT NULL`); n != 0 {
		t.Fatalf("%d channels still reported after the only listener stopped", n)
	}
}

// gauge reads one labelled gauge from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name, channel string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelIs(m, "channel", channel) {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no %s{channel=%q}", name, channel)
	return 0
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// A listener given channels claims only their messages: those of other
// channels, due earlier, are never claimed (nor attempted, nor postponed).
// A channel that does not exist is refused at start, by name.
func testOnlyChannels(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.webhook("mine", rcv.URL+"/mine", 5, 5000)
	d.webhook("theirs", rcv.URL+"/theirs", 5, 5000)
	var theirs []int64
	for i := 0; i < 5; i++ {
		theirs = append(theirs, d.enqueue("r", "theirs"))
	}
	mine := d.enqueue("r", "mine")

	cfg := TestConfig(t)
	cfg.Channels = []string{"mine", "nope"}
	_, err := listener.New(context.Background(), d.Conn, cfg)
	if !errors.Is(err, listener.ErrConfig) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("a listener for a channel that does not exist: %v", err)
	}

	cfg.Channels = []string{"mine"}
	StartListener(t, d.Conn, cfg)
	d.waitUntil("its own channel's message sent", 20*time.Second,
		`SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay.message WHERE id = ?`, mine)
	if n := len(rcv.Calls("/theirs")); n != 0 {
		t.Fatalf("%d calls to a channel the listener was not given", n)
	}
	if n := d.count(`SELECT count(*) FROM relay_api.outbox WHERE channel = 'theirs' AND status = 'pending' AND attempts = 0 AND last_error IS NULL`); n != len(theirs) {
		t.Fatalf("%d of %d messages of the other channel untouched", n, len(theirs))
	}
	if n := d.count(`SELECT count(*) FROM relay_api.channel_stats WHERE channel = 'theirs' AND up IS NOT NULL`); n != 0 {
		t.Fatal("the listener reported on a channel it was not given")
	}
}
