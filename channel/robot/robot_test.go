package robot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

const (
	signingSecret = "SECa1b2c3d4e5f60718293a4b5c6d7e8f90"
	secretEnv     = "DBRELAY_SECRET_ROBOT"
)

// standIn is a robot endpoint on 127.0.0.1. check inspects each request as
// the platform would (shape and signature) and returns the answer; the
// test reads the decoded body back from bodies.
type standIn struct {
	*httptest.Server
	bodies chan map[string]any
}

func newStandIn(t *testing.T, check func(r *http.Request, body map[string]any) string) *standIn {
	t.Helper()
	s := &standIn{bodies: make(chan map[string]any, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("stand-in: body is not a JSON object: %v\n%s", err, raw)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || r.Method != "POST" {
			t.Errorf("stand-in: %s with Content-Type %q, want a JSON POST", r.Method, ct)
		}
		s.bodies <- body
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, check(r, body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) body(t *testing.T) map[string]any {
	t.Helper()
	select {
	case b := <-s.bodies:
		return b
	default:
		t.Fatal("the stand-in saw no request")
		return nil
	}
}

func mustSender(t *testing.T, target, secretEnvName, config, secretValue string) *Sender {
	t.Helper()
	ch := channel.Channel{Code: "ops-group", Kind: "webhook", Target: target, SecretEnv: secretEnvName,
		Config: json.RawMessage(config), Enabled: true, MaxAttempts: 5, Timeout: 5 * time.Second}
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	s, err := New(client, ch, secret.FromMap(map[string]string{secretEnv: secretValue}))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func testMessage() *channel.Message {
	return &channel.Message{ID: 9, Key: "k-9", Receiver: "lisi", Address: "13800138000", Title: "请审批：差旅报销",
		Body: "报销单 #42 待您审批 <b>&</b>", Ref: "EXP-42", Payload: json.RawMessage(`{"amount": 1200}`), Attempt: 1}
}

// within says whether a platform timestamp is within the hour both
// platforms accept around the stand-in's clock.
func within(ts time.Time) bool { return time.Since(ts).Abs() < time.Hour }

func hmacBase64(key, msg string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// path reads a nested member of a decoded JSON body.
func path(v any, steps ...string) any {
	for _, s := range steps {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[s]
	}
	return v
}

// DingTalk checks the timestamp (ms) and sign query parameters the way its
// documentation computes them: HMAC-SHA256 keyed with the secret over
// timestamp + "\n" + secret.
func dingtalkStandIn(t *testing.T) *standIn {
	return newStandIn(t, func(r *http.Request, _ map[string]any) string {
		q := r.URL.Query()
		if r.URL.Path != "/robot/send" || q.Get("access_token") != "tok" {
			return `{"errcode": 300001, "errmsg": "token is not exist"}`
		}
		ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil || !within(time.UnixMilli(ms)) {
			return `{"errcode": 310000, "errmsg": "invalid timestamp"}`
		}
		if q.Get("sign") != hmacBase64(signingSecret, q.Get("timestamp")+"\n"+signingSecret) {
			return `{"errcode": 310000, "errmsg": "sign not match"}`
		}
		return `{"errcode": 0, "errmsg": "ok"}`
	})
}

func TestDingTalk(t *testing.T) {
	srv := dingtalkStandIn(t)
	target := srv.URL + "/robot/send?access_token=tok"

	s := mustSender(t, target, secretEnv, `{"preset": "dingtalk", "mention_address": true}`, signingSecret)
	if res := s.Send(context.Background(), testMessage()); res.Outcome != channel.Sent {
		t.Fatalf("text: %v %q", res.Outcome, res.Err)
	}
	b := srv.body(t)
	if b["msgtype"] != "text" || path(b, "text", "content") != "请审批：差旅报销\n报销单 #42 待您审批 <b>&</b> @13800138000" {
		t.Errorf("text body %v", b)
	}
	if m, _ := path(b, "at", "atMobiles").([]any); len(m) != 1 || m[0] != "13800138000" {
		t.Errorf("at %v, want the address in atMobiles", b["at"])
	}

	s = mustSender(t, target, secretEnv, `{"preset": "dingtalk", "format": "markdown", "mention_all": true}`, signingSecret)
	if res := s.Send(context.Background(), testMessage()); res.Outcome != channel.Sent {
		t.Fatalf("markdown: %v %q", res.Outcome, res.Err)
	}
	b = srv.body(t)
	if b["msgtype"] != "markdown" || path(b, "markdown", "title") != "请审批：差旅报销" ||
		path(b, "markdown", "text") != "### 请审批：差旅报销\n\n报销单 #42 待您审批 <b>&</b>" || path(b, "at", "isAtAll") != true {
		t.Errorf("markdown body %v", b)
	}

	// The stand-in is not fooled: a wrong secret is refused, permanently.
	s = mustSender(t, target, secretEnv, `{"preset": "dingtalk"}`, "SECwrong")
	res := s.Send(context.Background(), testMessage())
	srv.body(t)
	if res.Outcome != channel.Permanent || !strings.Contains(res.Err, "errcode 310000: sign not match") || !strings.Contains(res.Err, "secret_env") {
		t.Errorf("wrong secret: %v %q", res.Outcome, res.Err)
	}
}

// An independent vector (the Rust crate dingding's test of the same
// documented algorithm): timestamp 1700000000000, secret "secret".
func TestDingTalkSignatureVector(t *testing.T) {
	u, _ := http.NewRequest("POST", "https://oapi.dingtalk.com/robot/send?access_token=x", nil)
	dingtalk{}.sign(u.URL, nil, "secret", time.UnixMilli(1700000000000))
	const want = "access_token=x&timestamp=1700000000000&sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"
	if u.URL.RawQuery != want {
		t.Errorf("query\n got %s\nwant %s", u.URL.RawQuery, want)
	}
	// Feishu's scheme over the same inputs is another signature.
	if feishuSignature("secret", "1700000000") == dingtalkSignature("secret", "1700000000") {
		t.Error("the Feishu and DingTalk signatures coincide")
	}
}

// Feishu checks the timestamp (seconds, a string) and sign body fields the
// way its documentation computes them: HMAC-SHA256 keyed with timestamp +
// "\n" + secret over an empty message.
func feishuStandIn(t *testing.T) *standIn {
	return newStandIn(t, func(r *http.Request, b map[string]any) string {
		ts, _ := b["timestamp"].(string)
		secs, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || !within(time.Unix(secs, 0)) || b["sign"] != hmacBase64(ts+"\n"+signingSecret, "") {
			return `{"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}`
		}
		return `{"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}`
	})
}

func TestFeishu(t *testing.T) {
	srv := feishuStandIn(t)
	target := srv.URL + "/open-apis/bot/v2/hook/abc"

	s := mustSender(t, target, secretEnv, `{"preset": "feishu", "mention_address": true}`, signingSecret)
	m := testMessage()
	m.Address = "ou_7d8a6e6df7621556ce0d21922b676706"
	if res := s.Send(context.Background(), m); res.Outcome != channel.Sent {
		t.Fatalf("text: %v %q", res.Outcome, res.Err)
	}
	b := srv.body(t)
	if b["msg_type"] != "text" || path(b, "content", "text") != `请审批：差旅报销`+"\n"+`报销单 #42 待您审批 <b>&</b> <at user_id="ou_7d8a6e6df7621556ce0d21922b676706"></at>` {
		t.Errorf("text body %v", b)
	}

	s = mustSender(t, target, secretEnv, `{"preset": "feishu", "format": "markdown",
		"text": "**金额** {{.Payload.amount}} 元\n{{.Body}}"}`, signingSecret)
	if res := s.Send(context.Background(), testMessage()); res.Outcome != channel.Sent {
		t.Fatalf("card: %v %q", res.Outcome, res.Err)
	}
	b = srv.body(t)
	el, _ := path(b, "card", "elements").([]any)
	if b["msg_type"] != "interactive" || path(b, "card", "header", "title", "content") != "请审批：差旅报销" || len(el) != 1 ||
		path(el[0], "text", "tag") != "lark_md" || path(el[0], "text", "content") != "**金额** 1200 元\n报销单 #42 待您审批 <b>&</b>" {
		t.Errorf("card body %v", b)
	}

	s = mustSender(t, target, secretEnv, `{"preset": "feishu"}`, "wrong")
	res := s.Send(context.Background(), testMessage())
	srv.body(t)
	if res.Outcome != channel.Permanent || !strings.Contains(res.Err, "code 19021") || !strings.Contains(res.Err, "clock") {
		t.Errorf("wrong secret: %v %q", res.Outcome, res.Err)
	}
}

// WeCom is unsigned (the key in the URL is the credential) and limits text
// to 2048 bytes, markdown to 4096.
func TestWeCom(t *testing.T) {
	srv := newStandIn(t, func(r *http.Request, _ map[string]any) string {
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != "k-1" {
			return `{"errcode": 93000, "errmsg": "invalid webhook url"}`
		}
		return `{"errcode": 0, "errmsg": "ok"}`
	})
	s := mustSender(t, srv.URL+"/cgi-bin/webhook/send?key=k-1", "", `{"preset": "wecom", "mention_address": true, "mention_all": true}`, "")
	m := testMessage()
	m.Body = strings.Repeat("长", 1000) // 3000 bytes
	if res := s.Send(context.Background(), m); res.Outcome != channel.Sent {
		t.Fatalf("text: %v %q", res.Outcome, res.Err)
	}
	b := srv.body(t)
	text, _ := path(b, "text", "content").(string)
	if b["msgtype"] != "text" || len(text) > 2048 || !strings.HasSuffix(text, "长…") || !strings.HasPrefix(text, "请审批：差旅报销\n长") {
		t.Errorf("text content (%d bytes) %.80q…", len(text), text)
	}
	if mm, _ := path(b, "text", "mentioned_mobile_list").([]any); len(mm) != 1 || mm[0] != "13800138000" {
		t.Errorf("mentioned_mobile_list %v", path(b, "text", "mentioned_mobile_list"))
	}
	if ml, _ := path(b, "text", "mentioned_list").([]any); len(ml) != 1 || ml[0] != "@all" {
		t.Errorf("mentioned_list %v", path(b, "text", "mentioned_list"))
	}

	s = mustSender(t, srv.URL+"/cgi-bin/webhook/send?key=k-1", "", `{"preset": "wecom", "format": "markdown", "title": "【{{.Ref}}】{{.Title}}"}`, "")
	if res := s.Send(context.Background(), testMessage()); res.Outcome != channel.Sent {
		t.Fatalf("markdown: %v %q", res.Outcome, res.Err)
	}
	b = srv.body(t)
	if b["msgtype"] != "markdown" || path(b, "markdown", "content") != "### 【EXP-42】请审批：差旅报销\n\n报销单 #42 待您审批 <b>&</b>" {
		t.Errorf("markdown body %v", b)
	}

	s = mustSender(t, srv.URL+"/cgi-bin/webhook/send?key=wrong", "", `{"preset": "wecom"}`, "")
	res := s.Send(context.Background(), testMessage())
	srv.body(t)
	if res.Outcome != channel.Permanent || !strings.Contains(res.Err, "wecom errcode 93000: invalid webhook url") {
		t.Errorf("wrong key: %v %q", res.Outcome, res.Err)
	}
}

// Each platform's documented codes in a 200 answer, and HTTP statuses.
func TestAnswers(t *testing.T) {
	for _, c := range []struct {
		preset, answer string
		status         int
		outcome        channel.Outcome
		retryAfter     time.Duration
		want           string
	}{
		{"dingtalk", `{"errcode": 410100, "errmsg": "send too fast"}`, 200, channel.Transient, 10 * time.Minute, "20 messages a minute"},
		{"dingtalk", `{"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}`, 200, channel.Transient, 10 * time.Minute, "130101"},
		{"dingtalk", `{"errcode": -1, "errmsg": "系统繁忙"}`, 200, channel.Transient, 0, "busy"},
		{"dingtalk", `{"errcode": 310000, "errmsg": "keywords not in content"}`, 200, channel.Permanent, 0, "keywords"},
		{"dingtalk", `{"errcode": 400102, "errmsg": "机器人已停用"}`, 200, channel.Permanent, 0, "disabled"},
		{"dingtalk", `{"errcode": 430102, "errmsg": "含有不合适的文本"}`, 200, channel.Permanent, 0, "refused the content"},
		{"dingtalk", `{"errcode": 123456, "errmsg": "new"}`, 200, channel.Permanent, 0, "errcode 123456: new"},
		{"wecom", `{"errcode": 45009, "errmsg": "api freq out of limit"}`, 200, channel.Transient, time.Minute, "45009"},
		{"wecom", `{"errcode": -1, "errmsg": "system busy"}`, 200, channel.Transient, 0, "busy"},
		{"wecom", `{"errcode": 44004, "errmsg": "empty content"}`, 200, channel.Permanent, 0, "content"},
		{"feishu", `{"code": 11232, "msg": "frequency limited"}`, 200, channel.Transient, 0, "100 messages a minute"},
		{"feishu", `{"code": 19024, "msg": "Key Words Not Found"}`, 200, channel.Permanent, 0, "keywords"},
		{"feishu", `{"code": 19022, "msg": "Ip Not Allowed"}`, 200, channel.Permanent, 0, "whitelist"},
		{"feishu", `{"code": 9499, "msg": "Bad Request", "data": {}}`, 400, channel.Permanent, 0, "20 KB"},
		{"feishu", `{"StatusCode": 0, "StatusMessage": "success"}`, 200, channel.Sent, 0, ""},
		{"feishu", `<html>portal</html>`, 200, channel.Permanent, 0, "not a feishu robot's answer"},
		{"wecom", `{}`, 200, channel.Permanent, 0, "without errcode"},
		{"dingtalk", `bad gateway`, 502, channel.Transient, 0, "HTTP 502"},
		{"wecom", `not found`, 404, channel.Permanent, 0, "HTTP 404"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			io.WriteString(w, c.answer)
		}))
		s := mustSender(t, srv.URL, "", `{"preset": "`+c.preset+`"}`, "")
		res := s.Send(context.Background(), testMessage())
		srv.Close()
		if res.Outcome != c.outcome || res.RetryAfter != c.retryAfter || !strings.Contains(res.Err, c.want) {
			t.Errorf("%s %d %s: got %v after %v %q; want %v after %v containing %q",
				c.preset, c.status, c.answer, res.Outcome, res.RetryAfter, res.Err, c.outcome, c.retryAfter, c.want)
		}
	}
}

// The webhook kind hands configs naming a preset to this package, the rest
// to the plain webhook; mistakes fail when the channel is built.
func TestFactory(t *testing.T) {
	plainCalled := false
	f := WebhookFactory(nil, func(channel.Channel, *secret.Env) (channel.Sender, error) {
		plainCalled = true
		return nil, nil
	})
	env := secret.FromMap(map[string]string{secretEnv: signingSecret, "PATH": "/bin"})
	ch := channel.Channel{Code: "c", Kind: "webhook", Target: "https://oapi.dingtalk.com/robot/send?access_token=x", Config: json.RawMessage(`{"preset": "dingtalk"}`)}
	if s, err := f(ch, env); err != nil || s == nil || plainCalled {
		t.Fatalf("preset config: %T %v (plain called: %v)", s, err, plainCalled)
	}
	ch.Config = json.RawMessage(`{"headers": {"X": "y"}}`)
	if _, err := f(ch, env); err != nil || !plainCalled {
		t.Fatalf("plain config went elsewhere: %v", err)
	}
	for _, c := range []struct{ config, secretEnv, want string }{
		{`{"preset": "slack"}`, "", "not one of wecom, dingtalk, feishu"},
		{`{"preset": 1}`, "", "preset, format, title and text are strings"},
		{`{"preset": "dingtalk", "headers": {}}`, "", `unknown key "headers"`},
		{`{"preset": "dingtalk", "format": "html"}`, "", "not text or markdown"},
		{`{"preset": "dingtalk", "mention_all": "yes"}`, "", "true or false"},
		{`{"preset": "dingtalk", "text": "{{.Bdy}}"}`, "", "config.text"},
		{`{"preset": "feishu", "title": "{{.Title"}`, "", "config.title"},
		{`{"preset": "wecom"}`, secretEnv, "not signed"},
		{`{"preset": "wecom", "format": "markdown", "mention_all": true}`, "", "use format text"},
		{`{"preset": "dingtalk"}`, "PATH", "not allowed"},
		{`{"preset": "feishu"}`, "DBRELAY_SECRET_UNSET", "not set"},
	} {
		ch := channel.Channel{Code: "ops", Kind: "webhook", Target: "https://robot.example/x", SecretEnv: c.secretEnv, Config: json.RawMessage(c.config)}
		_, err := f(ch, env)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `webhook channel "ops" (robot preset)`) {
			t.Errorf("%s: got %v, want an error naming the channel and %q", c.config, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), signingSecret) {
			t.Errorf("%s: the error shows the secret", c.config)
		}
	}
}
