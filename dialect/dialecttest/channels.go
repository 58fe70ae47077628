package dialecttest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/secret"
)

// runChannelKindsSuite runs the HTTP channel kinds of issue 15 (sms, chat
// robot presets) through the real listener and database.
func runChannelKindsSuite(t *testing.T, h Harness) {
	t.Run("SMSGateway", func(t *testing.T) { testSMSGateway(t, h) })
	t.Run("RobotPreset", func(t *testing.T) { testRobotPreset(t, h) })
	t.Run("ChannelKindRowsChecked", func(t *testing.T) { testChannelKindRowsChecked(t, h) })
	t.Run("TemplateErrorWaits", func(t *testing.T) { testTemplateErrorWaits(t, h) })
}

// An sms channel renders the gateway's form from the message and reads the
// gateway's verdict from its 200 answer: Code "OK" is sent, another code
// dead, with the gateway's message in last_error.
func testSMSGateway(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	const config = `{"form": {"PhoneNumbers": "{{.Address}}", "Text": "{{.Title}}: {{.Body}}",
		"Key": {"value_from_env": "DBRELAY_SECRET_TEST_TOKEN"}},
		"response": {"path": "Code", "success": "OK", "transient": ["isp.SYSTEM_ERROR"], "message_path": "Message"}}`
	for _, code := range []string{"sms-ok", "sms-bad"} {
		d.exec(`INSERT INTO relay.channel (code, kind, target, config, max_attempts, timeout_ms) VALUES (?, 'sms', ?, ?, 3, 5000)`,
			code, rcv.URL+"/"+code, config)
	}
	rcv.Script("/sms-ok", func(int) Reply { return Reply{Status: 200, Body: `{"Code": "OK", "Message": "OK", "BizId": "1"}`} })
	rcv.Script("/sms-bad", func(int) Reply {
		return Reply{Status: 200, Body: `{"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}`}
	})
	d.prefer("alice", "sms-ok", "+8613800138000")
	d.prefer("bob", "sms-bad", "12")
	ids := d.push("王经理", "alice, bob", "请审批", "报销单 #42 & 加急")
	StartListener(t, d.Conn, TestConfig(t))
	d.waitUntil("alice's SMS sent", 10*time.Second,
		`SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, ids[0])
	d.waitUntil("bob's SMS dead with the gateway's reason", 10*time.Second,
		`SELECT CASE WHEN status = 'dead' AND attempts = 1 AND last_error LIKE ? THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`,
		`%isv.MOBILE_NUMBER_ILLEGAL%非法手机号%`, ids[1])
	form, err := url.ParseQuery(string(rcv.Calls("/sms-ok")[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("PhoneNumbers") != "+8613800138000" || form.Get("Text") != "请审批: 报销单 #42 & 加急" || form.Get("Key") != "Bearer tok-"+testSecret[6:] {
		t.Errorf("the gateway got %v", form)
	}
}

// A webhook channel naming a preset is posted as that robot's JSON, signed
// its way (DingTalk: HMAC-SHA256 keyed with the secret over timestamp +
// "\n" + secret, in the query), and the robot's errcode decides.
func testRobotPreset(t *testing.T, h Harness) {
	const dingSecret = "SEC0123456789abcdef"
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.exec(`INSERT INTO relay.channel (code, kind, target, config, secret_env, max_attempts) VALUES ('ops', 'webhook', ?, ?, 'DBRELAY_SECRET_TEST_DING', 3)`,
		rcv.URL+"/robot/send?access_token=tok", `{"preset": "dingtalk", "mention_address": true}`)
	d.exec(`INSERT INTO relay.channel (code, kind, target, config, max_attempts) VALUES ('ops-kw', 'webhook', ?, ?, 3)`,
		rcv.URL+"/robot/kw?access_token=tok", `{"preset": "dingtalk"}`)
	rcv.Script("/robot/send", func(int) Reply { return Reply{Status: 200, Body: `{"errcode": 0, "errmsg": "ok"}`} })
	rcv.Script("/robot/kw", func(int) Reply {
		return Reply{Status: 200, Body: `{"errcode": 310000, "errmsg": "keywords not in content"}`}
	})
	d.prefer("alice", "ops", "13800138000")
	d.prefer("bob", "ops-kw", "")
	ids := d.push("s", "alice, bob", "请审批", "报销单 #42")
	cfg := TestConfig(t)
	cfg.Env = secret.FromMap(map[string]string{"DBRELAY_SECRET_TEST_DING": dingSecret})
	StartListener(t, d.Conn, cfg)
	d.waitUntil("posted to the robot", 10*time.Second,
		`SELECT CASE WHEN status = 'sent' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, ids[0])
	d.waitUntil("refused by the robot's keywords", 10*time.Second,
		`SELECT CASE WHEN status = 'dead' AND last_error LIKE '%310000%keywords%' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, ids[1])
	c := rcv.Calls("/robot/send")[0]
	ts := c.Query.Get("timestamp")
	mac := hmac.New(sha256.New, []byte(dingSecret))
	mac.Write([]byte(ts + "\n" + dingSecret))
	if c.Query.Get("access_token") != "tok" || c.Query.Get("sign") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Errorf("query %v: not signed as DingTalk documents", c.Query)
	}
	text, _ := c.Envelope["text"].(map[string]any)
	if c.Envelope["msgtype"] != "text" || text["content"] != "请审批\n报销单 #42 @13800138000" {
		t.Errorf("robot body %s", c.Body)
	}
	if _, ok := c.Envelope["key"]; ok || c.Header.Get("Webhook-Id") != "" {
		t.Errorf("a robot got the webhook envelope or its headers: %s", c.Body)
	}
}

// The database refuses what it can see of the new shapes on both dialects;
// the listener checks the rest.
func testChannelKindRowsChecked(t *testing.T, h Harness) {
	d := fresh(t, h)
	for _, c := range []struct {
		name, kind, target, config, secretEnv string
		mentions                              []string
	}{
		{"unknown preset", "webhook", "https://robot.example/x", `{"preset": "slack"}`, "", []string{"preset", "dingtalk"}},
		{"signed WeCom", "webhook", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", `{"preset": "wecom"}`, "DBRELAY_SECRET_X", []string{"WeCom", "secret_env"}},
		{"oauth2 beside basic_auth", "webhook", "https://crm.example/", `{"oauth2": {"token_url": "https://idp.example/t", "client_id": "c", "client_secret_env": "S"}, "basic_auth": {"username": "u", "password_env": "P"}}`, "", []string{"basic_auth", "oauth2"}},
		{"sms target not http", "sms", "ftp://gw.example/x", `{}`, "", []string{"target", "http"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d.t = t
			var secretEnv any
			if c.secretEnv != "" {
				secretEnv = c.secretEnv
			}
			_, err := d.DB.Exec(d.rebind(`INSERT INTO relay.channel (code, kind, target, config, secret_env) VALUES ('bad', ?, ?, ?, ?)`),
				c.kind, c.target, c.config, secretEnv)
			checkArgumentError(t, h, d.Dialect.Explain(err), "bad channel", append(c.mentions, "bad"))
		})
	}
	d.t = t
	d.exec(`INSERT INTO relay.channel (code, kind, target, config, secret_env) VALUES ('ding', 'webhook', ?, ?, 'DBRELAY_SECRET_D')`,
		"https://oapi.dingtalk.com/robot/send?access_token=x", `{"preset": "dingtalk", "format": "markdown"}`)
	if n := d.count(`SELECT count(*) FROM relay.channel WHERE code = 'bad'`); n != 0 {
		t.Fatal("a bad row was stored")
	}
}

// A template with a typo is caught when the listener builds the channel,
// not when a message is sent: nothing reaches the gateway, no attempt is
// counted, and the message waits (last_error says the channel's config is
// unusable; the listener's log names the key). Once the row is fixed the
// waiting message is delivered.
func testTemplateErrorWaits(t *testing.T, h Harness) {
	d := fresh(t, h)
	rcv := NewReceiver(t)
	d.exec(`INSERT INTO relay.channel (code, kind, target, config) VALUES ('sms', 'sms', ?, ?)`,
		rcv.URL+"/sms", `{"form": {"To": "{{.Address}}", "Text": "{{.Titel}}"}}`)
	d.prefer("alice", "sms", "+8613800138000")
	id := d.push("s", "alice", "请审批", "x")[0]
	StartListener(t, d.Conn, TestConfig(t))
	d.waitUntil("waiting for a usable config", 10*time.Second,
		`SELECT CASE WHEN status = 'pending' AND attempts = 0 AND last_error LIKE '%unusable target or config%' THEN 1 ELSE 0 END FROM relay_api.outbox WHERE id = ?`, id)
	if rcv.Total() != 0 {
		t.Fatal("a channel with a broken template called the gateway")
	}
	d.exec(`UPDATE relay.channel SET config = ? WHERE code = 'sms'`, `{"form": {"To": "{{.Address}}", "Text": "{{.Title}}"}}`)
	// The listener re-reads the row within its reload interval; until then
	// it postpones the message again, so make it due until it is sent.
	deadline := time.Now().Add(30 * time.Second)
	for d.count(`SELECT count(*) FROM relay_api.outbox WHERE id = ? AND status = 'sent'`, id) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("after 30s the message is still not sent with the fixed template")
		}
		d.exec(`UPDATE relay.message SET next_attempt_at = created_at WHERE id = ? AND status = 'pending'`, id)
		time.Sleep(100 * time.Millisecond)
	}
	if form, _ := url.ParseQuery(string(rcv.Calls("/sms")[0].Body)); form.Get("Text") != "请审批" {
		t.Errorf("the gateway got %v", form)
	}
}
