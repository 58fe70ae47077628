package dialecttest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
)

// runEventsSuite: relay.raise, relay.subscription, replay, ECHO, and
// endpoints' JSON answers reaching relay.on_outcome (docs/events.md).
func runEventsSuite(t *testing.T, h Harness) {
	t.Run("EventRouting", func(t *testing.T) { testEventRouting(t, h) })
	t.Run("RaiseAllOrNothing", func(t *testing.T) { testRaiseAllOrNothing(t, h) })
	t.Run("EventReplay", func(t *testing.T) { testEventReplay(t, h) })
	t.Run("EchoRoutesDirectly", func(t *testing.T) { testEchoRoutesDirectly(t, h) })
	t.Run("EchoHealthCheck", func(t *testing.T) { testEchoHealthCheck(t, h) })
	t.Run("ResponsesReachHook", func(t *testing.T) { testResponsesReachHook(t, h) })
	t.Run("EventsWorkedExample", func(t *testing.T) { testEventsWorkedExample(t, h) })
}

// raise calls relay.raise (nil = NULL) and returns the event's id.
func (d *db) raise(event, ref, payload any) (int64, error) {
	var id int64
	err := d.DB.QueryRow(d.h.SQL("raise"), event, ref, payload).Scan(&id)
	return id, d.Dialect.Explain(err)
}

func (d *db) mustRaise(event, ref, payload any) int64 {
	d.t.Helper()
	id, err := d.raise(event, ref, payload)
	if err != nil {
		d.t.Fatalf("raise(%v, %v): %v", event, ref, err)
	}
	return id
}

func (d *db) subscribe(event, refPrefix, channel string, enabled bool) int64 {
	d.t.Helper()
	ev, err := dialect.EventsOf(d.Conn)
	if err != nil {
		d.t.Fatal(err)
	}
	id, err := ev.AddSubscription(context.Background(), d.DB, dialect.Subscription{
		Event: event, RefPrefix: refPrefix, Channel: channel, Enabled: enabled})
	if err != nil {
		d.t.Fatalf("subscribe %s %q → %s: %v", event, refPrefix, channel, err)
	}
	return id
}

// routed lists "channel:event:ref" of the messages an event became, by
// channel.
func (d *db) routed(eventID int64) string {
	d.t.Helper()
	rows, err := d.DB.Query(d.rebind(`SELECT m.channel, m.event, m.title, COALESCE(m.ref, ''), m.receiver
FROM relay.event_message em JOIN relay.message m ON m.id = em.message_id
WHERE em.event_id = ? ORDER BY m.channel`), eventID)
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ch, ev, title, ref, receiver string
		if err := rows.Scan(&ch, &ev, &title, &ref, &receiver); err != nil {
			d.t.Fatal(err)
		}
		if title != ev || receiver != ch {
			d.t.Errorf("message on %s: title %q, receiver %q; want the event and the channel", ch, title, receiver)
		}
		out = append(out, ch+":"+ev+":"+ref)
	}
	if err := rows.Err(); err != nil {
		d.t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func (d *db) eventStatus(id int64) string {
	d.t.Helper()
	var s string
	var n int
	if err := d.DB.QueryRow(d.rebind(`SELECT status, messages FROM relay.event WHERE id = ?`), id).Scan(&s, &n); err != nil {
		d.t.Fatal(err)
	}
	return fmt.Sprintf("%s/%d", s, n)
}

// Names and patterns, ref prefixes, one message per channel, disabled
// subscriptions, exact case, and events nobody subscribes to.
func testEventRouting(t *testing.T, h Harness) {
	d := fresh(t, h)
	for _, c := range []string{"a", "b", "c", "d"} {
		d.channel(c, "webhook", "http://127.0.0.1:1/"+c)
	}
	d.subscribe("ACTION_*", "", "a", true)
	d.subscribe("ACTION_DONE", "", "a", true) // same channel: still one message
	d.subscribe("ACTION_DONE", "leave/", "b", true)
	d.subscribe("STEP_EXPIRED", "", "c", true)
	d.subscribe("*", "", "d", false) // disabled

	cases := []struct{ event, ref, want string }{
		{"ACTION_DONE", "leave/approve/1", "a:ACTION_DONE:leave/approve/1 b:ACTION_DONE:leave/approve/1"},
		{"ACTION_DONE", "trip/approve/1", "a:ACTION_DONE:trip/approve/1"},
		{"ACTION_SAVED", "leave/approve/1", "a:ACTION_SAVED:leave/approve/1"},
		{"ACTION_DONE", "lea", "a:ACTION_DONE:lea"}, // shorter than the prefix
		{"STEP_EXPIRED", "", "c:STEP_EXPIRED:"},
		{"ACTIONXDONE", "leave/1", ""},     // _ is no wildcard
		{"action_done", "leave/1", ""},     // exact case
		{"INSTANCE_KILLED", "leave/1", ""}, // nobody listens
	}
	for _, c := range cases {
		var ref any = c.ref
		if c.ref == "" {
			ref = nil
		}
		id := d.mustRaise(c.event, ref, `{"by": "lisi"}`)
		if got := d.routed(id); got != c.want {
			t.Errorf("raise(%s, %q) routed to %q, want %q", c.event, c.ref, got, c.want)
		}
		wantStatus := fmt.Sprintf("routed/%d", len(strings.Fields(c.want)))
		if c.want == "" {
			wantStatus = "unrouted/0"
		}
		if got := d.eventStatus(id); got != wantStatus {
			t.Errorf("raise(%s, %q): event is %s, want %s", c.event, c.ref, got, wantStatus)
		}
	}
	// The payload reaches the messages, and relay_api.events shows each
	// event with its messages (an unrouted one once, without).
	if n := d.count(`SELECT COUNT(*) FROM relay.message WHERE event = 'ACTION_DONE' AND payload IS NOT NULL`); n != 4 {
		t.Errorf("%d ACTION_DONE messages carry the payload, want 4", n)
	}
	if n := d.count(`SELECT COUNT(*) FROM relay_api.events`); n != 9 {
		t.Errorf("relay_api.events has %d rows, want 6 messages + 3 unrouted events", n)
	}
	if n := d.count(`SELECT COUNT(*) FROM relay_api.events WHERE status = 'unrouted' AND message_id IS NULL AND channel IS NULL`); n != 3 {
		t.Errorf("relay_api.events shows %d unrouted events, want 3", n)
	}
	if n := d.count(`SELECT COUNT(*) FROM relay_api.events WHERE status = 'routed' AND message_status = 'pending' AND subscription_id IS NOT NULL`); n != 6 {
		t.Errorf("relay_api.events shows %d routed messages with their subscription, want 6", n)
	}
}

// relay.raise commits and rolls back with the host's transaction, and a
// failing raise enqueues nothing.
func testRaiseAllOrNothing(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("a", "webhook", "http://127.0.0.1:1/a")
	d.channel("b", "webhook", "http://127.0.0.1:1/b")
	d.subscribe("ACTION_*", "", "a", true)
	d.subscribe("ACTION_*", "", "b", true)

	tx, err := d.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := tx.QueryRow(h.SQL("raise"), "ACTION_DONE", "x/1", nil).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := d.count(`SELECT COUNT(*) FROM relay.message`) + d.count(`SELECT COUNT(*) FROM relay.event`); n != 0 {
		t.Fatalf("%d rows left by a rolled-back raise", n)
	}

	// Too large for relay.settings.max_message_bytes: an error, nothing kept.
	d.exec(`UPDATE relay.settings SET max_message_bytes = 200 WHERE id = 1`)
	_, err = d.raise("ACTION_DONE", "x/1", `{"big": "`+strings.Repeat("x", 300)+`"}`)
	checkArgumentError(t, h, err, "too large", nil)
	for _, bad := range []struct {
		event any
		kind  string
	}{{nil, "null title"}, {"", "no receivers"}, {strings.Repeat("E", 101), "no receivers"}} {
		_, err := d.raise(bad.event, nil, nil)
		checkArgumentError(t, h, err, bad.kind, []string{"event"})
	}
	if n := d.count(`SELECT COUNT(*) FROM relay.message`) + d.count(`SELECT COUNT(*) FROM relay.event`); n != 0 {
		t.Fatalf("%d rows left by failed raises", n)
	}
}

// `dbrelay retry --event`: an unrouted event is routed against today's
// subscriptions; a routed one has its dead messages retried, not its sent
// ones.
func testEventReplay(t *testing.T, h Harness) {
	d := fresh(t, h)
	ctx := context.Background()
	ev, err := dialect.EventsOf(d.Conn)
	if err != nil {
		t.Fatal(err)
	}
	d.channel("a", "webhook", "http://127.0.0.1:1/a")
	d.channel("b", "webhook", "http://127.0.0.1:1/b")
	id := d.mustRaise("STEP_EXPIRED", "leave/1", nil)

	r, ok, err := ev.RetryEvent(ctx, d.DB, id)
	if err != nil || !ok || !r.Rerouted || len(r.Messages) != 0 {
		t.Fatalf("replaying an event nobody subscribes to: %+v %v %v, want rerouted with no messages", r, ok, err)
	}
	d.subscribe("STEP_*", "", "a", true)
	d.subscribe("STEP_EXPIRED", "", "b", true)
	r, ok, err = ev.RetryEvent(ctx, d.DB, id)
	if err != nil || !ok || !r.Rerouted || len(r.Messages) != 2 {
		t.Fatalf("replaying it after subscribing: %+v %v %v, want rerouted to 2 messages", r, ok, err)
	}
	if got := d.routed(id); got != "a:STEP_EXPIRED:leave/1 b:STEP_EXPIRED:leave/1" {
		t.Fatalf("routed to %q", got)
	}
	if got := d.eventStatus(id); got != "routed/2" {
		t.Fatalf("event is %s, want routed/2", got)
	}

	// One dead, one sent: only the dead one is due again.
	d.exec(`UPDATE relay.message SET status = 'dead', next_attempt_at = NULL, attempts = 3 WHERE channel = 'a'`)
	d.exec(`UPDATE relay.message SET status = 'sent', next_attempt_at = NULL, attempts = 1 WHERE channel = 'b'`)
	r, ok, err = ev.RetryEvent(ctx, d.DB, id)
	if err != nil || !ok || r.Rerouted || len(r.Messages) != 1 {
		t.Fatalf("replaying a routed event: %+v %v %v, want its one dead message", r, ok, err)
	}
	if n := d.count(`SELECT COUNT(*) FROM relay.message WHERE id = ? AND channel = 'a' AND status = 'pending' AND attempts = 3 AND next_attempt_at IS NOT NULL`, r.Messages[0]); n != 1 {
		t.Fatal("the dead message is not pending again with its attempts kept")
	}
	if n := d.count(`SELECT COUNT(*) FROM relay.message WHERE status = 'sent' AND channel = 'b'`); n != 1 {
		t.Fatal("the sent message was touched")
	}
	if got := d.eventStatus(id); got != "routed/2" {
		t.Fatalf("event is %s after a replay, want routed/2 (no new messages)", got)
	}
	if _, ok, err := ev.RetryEvent(ctx, d.DB, id+1000); ok || err != nil {
		t.Fatalf("replaying an event that does not exist: ok %v, err %v", ok, err)
	}
}

// ECHO goes to the channel its ref names, whatever the subscriptions say;
// an ECHO of nothing is an error.
func testEchoRoutesDirectly(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.channel("a", "webhook", "http://127.0.0.1:1/a")
	d.channel("b", "webhook", "http://127.0.0.1:1/b")
	d.subscribe("*", "", "b", true)    // a catch-all does not get ECHO
	d.subscribe("ECHO", "", "b", true) // nor does a subscription to it
	id := d.mustRaise("ECHO", "a", nil)
	if got := d.routed(id); got != "a:ECHO:a" {
		t.Fatalf("ECHO on a routed to %q, want a alone", got)
	}
	_, err := d.raise("ECHO", "nosuch", nil)
	checkArgumentError(t, h, err, "unknown channel", []string{"nosuch"})
	_, err = d.raise("ECHO", nil, nil)
	checkArgumentError(t, h, err, "no receivers", []string{"ECHO"})
	if n := d.count(`SELECT COUNT(*) FROM relay.message`); n != 1 {
		t.Fatalf("%d messages, want the one ECHO", n)
	}
}

// The periodic health check: due channels get one ECHO per interval while
// idle, none while they have messages waiting; a listener raises and
// delivers them, and relay_api.channel_echo shows the answer.
func testEchoHealthCheck(t *testing.T, h Harness) {
	d := fresh(t, h)
	ctx := context.Background()
	ev, err := dialect.EventsOf(d.Conn)
	if err != nil {
		t.Fatal(err)
	}
	rcv := NewReceiver(t)
	rcv.Script("/idle", func(int) Reply { return Reply{Status: 200, Body: `{"alive": true}`} })
	d.webhook("idle", rcv.URL+"/idle", 3, 5000)
	d.webhook("busy", rcv.URL+"/busy", 3, 5000)
	d.webhook("off", rcv.URL+"/off", 3, 5000)
	d.exec(`UPDATE relay.channel SET echo_every_s = 3600 WHERE code IN ('idle', 'busy')`)
	d.prefer("x", "busy", "")
	d.push("s", "x", "waiting", "") // no listener yet: busy has a message waiting

	n, err := ev.EchoDue(ctx, d.DB)
	if err != nil || n != 1 {
		t.Fatalf("EchoDue = %d, %v; want 1 (idle only: busy has a message waiting, off has no interval)", n, err)
	}
	if n, err := ev.EchoDue(ctx, d.DB); err != nil || n != 0 {
		t.Fatalf("EchoDue again = %d, %v; want 0 within the interval", n, err)
	}
	if n := d.count(`SELECT COUNT(*) FROM relay.message WHERE event = 'ECHO' AND channel = 'idle'`); n != 1 {
		t.Fatalf("%d ECHO messages on idle, want 1", n)
	}
	// A listener delivers it; with a 1 s interval it raises the next ones.
	// sick answers its checks with a refusal: it is reported down.
	rcv.Script("/sick", func(int) Reply { return Reply{Status: 410, Body: "gone"} })
	d.webhook("sick", rcv.URL+"/sick", 3, 5000)
	d.exec(`UPDATE relay.channel SET echo_every_s = 1 WHERE code IN ('idle', 'sick')`)
	cfg := TestConfig(t)
	cfg.EchoCheck = 50 * time.Millisecond
	StartListener(t, d.Conn, cfg)
	calls := rcv.WaitCalls(t, "/idle", 2, 20*time.Second)
	for _, c := range calls {
		if c.Envelope["event"] != "ECHO" || c.Envelope["ref"] != "idle" {
			t.Fatalf("health check sent %v", c.Envelope)
		}
	}
	d.waitUntil("the last check shows as ok", 20*time.Second,
		`SELECT COUNT(*) FROM relay_api.channel_echo WHERE channel = 'idle' AND ok = ? AND response_code = 200 AND rtt_ms IS NOT NULL`, true)
	d.waitUntil("the failed check shows sick as down", 20*time.Second,
		`SELECT COUNT(*) FROM relay_api.channel_stats WHERE channel = 'sick' AND up = ? AND reason LIKE '%ECHO health check%410%'`, false)
	if n := d.count(`SELECT COUNT(*) FROM relay_api.channel_stats WHERE channel = 'idle' AND up = ?`, true); n != 1 {
		t.Fatalf("idle answers its checks but is not up (%d rows)", n)
	}
	// busy is checked too once its message is delivered; off never.
	if n := d.count(`SELECT COUNT(*) FROM relay.message WHERE event = 'ECHO' AND channel = 'off'`); n != 0 {
		t.Fatalf("%d checks on a channel without echo_every_s", n)
	}
	if n := d.count(`SELECT COUNT(*) FROM relay.message WHERE event = 'ECHO' AND response_json IS NOT NULL`); n < 1 {
		t.Fatal("the ECHO answer's JSON was not kept")
	}
}

// Endpoints' answers: JSON reaches relay.on_outcome parsed, up to
// channel.MaxJSONResponse (more than the 4 KiB text cap); text and
// oversized JSON keep only the text, and the hook sees no JSON.
func testResponsesReachHook(t *testing.T, h Harness) {
	d := fresh(t, h)
	d.exec(h.SQL("host table"))
	d.exec(h.SQL("response hook"))
	rcv := NewReceiver(t)
	form := map[string]any{"formData": map[string]any{"reason": strings.Repeat("出差", 1500)}, "codes": []any{1.0, 2.0}}
	formJSON, _ := json.Marshal(form)
	big := `{"formData": "` + strings.Repeat("x", channel.MaxJSONResponse) + `"}`
	answers := map[string]string{
		"json": `{"cancel": true, "prompt": "请补充材料"}`,
		"text": "OK, thanks",
		"mid":  string(formJSON), // over 4 KiB, under 64 KiB
		"big":  big,              // over 64 KiB
	}
	if len(formJSON) <= channel.MaxResponseBody || len(formJSON) >= channel.MaxJSONResponse {
		t.Fatalf("mid answer is %d bytes; the test needs it between the caps", len(formJSON))
	}
	ids := map[string]int64{}
	for name, body := range answers {
		rcv.Script("/"+name, func(int) Reply { return Reply{Status: 200, Body: body} })
		d.webhook(name, rcv.URL+"/"+name, 3, 5000)
		d.prefer("to-"+name, name, "")
	}
	StartListener(t, d.Conn, TestConfig(t))
	for name := range answers {
		ids[name] = d.push("s", "to-"+name, "t", "")[0]
	}
	d.waitUntil("every hook ran", 20*time.Second, `SELECT CASE WHEN COUNT(*) = 4 THEN 1 ELSE 0 END FROM host_log`)

	want := map[string]string{"json": "请补充材料", "text": "no json", "mid": "json", "big": "no json"}
	for name, w := range want {
		if n := d.count(`SELECT COUNT(*) FROM host_log WHERE note = ?`, fmt.Sprintf("%d %s", ids[name], w)); n != 1 {
			t.Errorf("%s: the hook did not see %q", name, w)
		}
	}
	stored := func(name string) (body string, js sql.NullString) {
		t.Helper()
		if err := d.DB.QueryRow(d.rebind(`SELECT response_body, response_json FROM relay.message WHERE id = ? AND status = 'sent'`), ids[name]).Scan(&body, &js); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return body, js
	}
	if body, js := stored("text"); body != "OK, thanks" || js.Valid {
		t.Errorf("text answer stored as %q / %v", body, js)
	}
	if body, js := stored("big"); body != big[:channel.MaxResponseBody] || js.Valid {
		t.Errorf("oversized answer: %d bytes of text (want the first %d), JSON kept: %v", len(body), channel.MaxResponseBody, js.Valid)
	}
	body, js := stored("mid")
	var got any
	if err := json.Unmarshal([]byte(js.String), &got); err != nil || !reflect.DeepEqual(got, form) {
		t.Errorf("mid answer: JSON kept is not the answer (%v)", err)
	}
	if len(body) > channel.MaxResponseBody {
		t.Errorf("mid answer: %d bytes of text, over the text cap", len(body))
	}
}

// exampleBlock matches the SQL blocks of docs/events.md that the worked
// example runs: ```sql example=<dialect>.
var exampleBlock = regexp.MustCompile("(?s)```sql example=(\\w+)\n(.*?)```")

// exampleSQL returns the statements of docs/events.md's worked example for
// the dialect, in order.
func exampleSQL(t *testing.T, d *db) []string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "docs", "events.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range exampleBlock.FindAllStringSubmatch(string(doc), -1) {
		if m[1] != d.Dialect.Name() {
			continue
		}
		batches, err := d.Dialect.Batches(m[2])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, batches...)
	}
	if len(out) == 0 {
		t.Fatalf("docs/events.md has no example=%s blocks", d.Dialect.Name())
	}
	return out
}

// The worked example of docs/events.md, as written there: an approval
// raises ACTION_DONE in the host's transaction, the receiver answers
// cancel with a prompt, and the hook writes the prompt into the host's
// table.
func testEventsWorkedExample(t *testing.T, h Harness) {
	d := fresh(t, h)
	for _, stmt := range exampleSQL(t, d) {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		d.exec(stmt)
	}
	rcv := NewReceiver(t)
	const prompt = "请先补充出差证明 (attach the travel approval first)"
	rcv.Script("/messenger", func(int) Reply {
		return Reply{Status: 200, Body: `{"cancel": true, "prompt": "` + prompt + `"}`}
	})
	d.webhook("messenger", rcv.URL+"/messenger", 3, 5000)
	d.subscribe("ACTION_DONE", "leave/", "messenger", true)
	StartListener(t, d.Conn, TestConfig(t))

	d.exec(`INSERT INTO wf_approval (id, workflow, step) VALUES (42, 'leave', 'approve')`)
	d.exec(`INSERT INTO wf_approval (id, workflow, step) VALUES (43, 'trip', 'approve')`)
	d.exec(h.SQL("example approve"), 42, "lisi")
	d.exec(h.SQL("example approve"), 43, "lisi") // not a leave/: nobody subscribes
	d.waitUntil("the prompt written back", 20*time.Second,
		`SELECT COUNT(*) FROM wf_approval WHERE id = 42 AND state = 'cancelled' AND prompt = ?`, prompt)
	calls := rcv.Calls("/messenger")
	if len(calls) != 1 || calls[0].Envelope["ref"] != "leave/approve/42" {
		t.Fatalf("messenger got %d calls (%v), want ACTION_DONE of leave/approve/42", len(calls), calls)
	}
	if p, _ := calls[0].Envelope["payload"].(map[string]any); p["by"] != "lisi" {
		t.Errorf("payload %v, want by lisi", calls[0].Envelope["payload"])
	}
	if n := d.count(`SELECT COUNT(*) FROM wf_approval WHERE id = 43 AND state = 'approved' AND prompt IS NULL`); n != 1 {
		t.Error("approval 43 was touched")
	}
	if n := d.count(`SELECT COUNT(*) FROM relay_api.events WHERE ref = 'trip/approve/43' AND status = 'unrouted'`); n != 1 {
		t.Error("the unsubscribed event is not recorded as unrouted")
	}
}
