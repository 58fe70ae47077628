package sms

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

// request is what the stand-in gateway saw.
type request struct {
	method, path, rawQuery string
	header                 http.Header
	body                   []byte
}

// gateway is a stand-in SMS gateway on 127.0.0.1: it records each request
// and answers with the next of the queued answers (the last one repeats).
type gateway struct {
	*httptest.Server
	seen    chan request
	answers chan answer
}

type answer struct {
	status int
	body   string
}

func newGateway(t *testing.T, answers ...answer) *gateway {
	t.Helper()
	g := &gateway{seen: make(chan request, 16), answers: make(chan answer, 16)}
	for _, a := range answers {
		g.answers <- a
	}
	last := answers[len(answers)-1]
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("gateway: %v", err)
		}
		g.seen <- request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body}
		a := last
		select {
		case a = <-g.answers:
		default:
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(g.Close)
	return g
}

// next returns the request the gateway saw for the Send that just returned.
func (g *gateway) next(t *testing.T) request {
	t.Helper()
	select {
	case r := <-g.seen:
		return r
	default:
		t.Fatal("the gateway saw no request")
		return request{}
	}
}

func mustSender(t *testing.T, target, config string, env map[string]string) *Sender {
	t.Helper()
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	s, err := New(client, testChannel(target, config), secret.FromMap(env, names...))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func testChannel(target, config string) channel.Channel {
	return channel.Channel{Code: "sms-gw", Kind: Kind, Target: target, Config: json.RawMessage(config),
		Enabled: true, MaxAttempts: 5, Timeout: 5 * time.Second}
}

func testMessage() *channel.Message {
	return &channel.Message{ID: 7, Key: "k-7", Receiver: "zhangsan", Address: "+8613800138000",
		Title: "请审批", Body: "报销单 #42 & <加急>", Ref: "EXP-42",
		Payload: json.RawMessage(`{"code": "123456", "amount": 120}`), Attempt: 1}
}

// A Twilio-shaped gateway: a form body from templates, Basic auth from the
// environment, 201 Created as plain success.
func TestFormBodyAndPlainSuccess(t *testing.T) {
	g := newGateway(t, answer{201, `{"sid": "SM1", "status": "queued"}`})
	s := mustSender(t, g.URL+"/2010-04-01/Accounts/AC1/Messages.json", `{
		"form": {"To": "{{.Address}}", "From": "+15005550006", "Body": "{{.Title}}: {{.Body}}"},
		"basic_auth": {"username": "AC1", "password_env": "TWILIO_TOKEN"},
		"response": {"message_path": "message"}}`, map[string]string{"TWILIO_TOKEN": "tw-secret"})
	res := s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Sent || res.StatusCode != 201 {
		t.Fatalf("got %v %d %q, want sent 201", res.Outcome, res.StatusCode, res.Err)
	}
	r := g.next(t)
	if r.method != "POST" || r.path != "/2010-04-01/Accounts/AC1/Messages.json" {
		t.Errorf("request %s %s", r.method, r.path)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	// The body is exactly the encoded form, keys sorted.
	const want = "Body=%E8%AF%B7%E5%AE%A1%E6%89%B9%3A+%E6%8A%A5%E9%94%80%E5%8D%95+%2342+%26+%3C%E5%8A%A0%E6%80%A5%3E&From=%2B15005550006&To=%2B8613800138000"
	if string(r.body) != want {
		t.Errorf("body\n got %s\nwant %s", r.body, want)
	}
	hr := &http.Request{Header: r.header}
	if u, p, ok := hr.BasicAuth(); !ok || u != "AC1" || p != "tw-secret" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
}

// A Tencent-Cloud-shaped gateway: a JSON body whose strings are templates
// (order kept, values JSON-escaped, numbers as written), a secret in the
// body and a bearer token; it answers 200 and puts its verdict inside.
func TestJSONBodyAndErrorCodeIn200(t *testing.T) {
	ok := `{"Response": {"SendStatusSet": [{"Code": "Ok", "Message": "send success"}], "RequestId": "r1"}}`
	limited := `{"Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "单个手机号日下发条数超过设定的上限"}]}}`
	busy := `{"Response": {"SendStatusSet": [{"Code": "InternalError.Timeout", "Message": "timeout"}]}}`
	authFail := `{"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "signature mismatch"}}}`
	g := newGateway(t, answer{200, ok}, answer{200, limited}, answer{200, busy}, answer{200, authFail})
	s := mustSender(t, g.URL+"/sms", `{
		"json": {"PhoneNumberSet": ["{{.Address}}"], "SmsSdkAppId": "1400006666", "TemplateId": 1110,
		         "TemplateParamSet": ["{{.Payload.code}}", "{{.Title}}"], "Text": "{{.Body}}",
		         "Key": {"value_from_env": "DBRELAY_SECRET_GW_KEY"}, "Urgent": false},
		"headers": {"X-TC-Action": "SendSms", "X-Ref": "{{.Ref}}"},
		"bearer_token_env": "DBRELAY_SECRET_GW_TOKEN",
		"response": {"path": ["Response.SendStatusSet.0.Code", "Response.Error.Code"], "success": "Ok",
		             "transient": ["InternalError.Timeout"],
		             "message_path": ["Response.SendStatusSet.0.Message", "Response.Error.Message"]}}`,
		map[string]string{"DBRELAY_SECRET_GW_KEY": "key-123", "DBRELAY_SECRET_GW_TOKEN": "tok-456"})

	res := s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Sent {
		t.Fatalf("Code Ok: got %v %q, want sent", res.Outcome, res.Err)
	}
	r := g.next(t)
	const want = `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400006666","TemplateId":1110,"TemplateParamSet":["123456","请审批"],"Text":"报销单 #42 & <加急>","Key":"key-123","Urgent":false}`
	if string(r.body) != want {
		t.Errorf("body\n got %s\nwant %s", r.body, want)
	}
	for h, v := range map[string]string{"Content-Type": "application/json", "X-Tc-Action": "SendSms",
		"X-Ref": "EXP-42", "Authorization": "Bearer tok-456"} {
		if got := r.header.Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}

	for _, c := range []struct {
		outcome channel.Outcome
		want    string
	}{
		{channel.Permanent, `HTTP 200, Response.SendStatusSet.0.Code "LimitExceeded.PhoneNumberDailyLimit": 单个手机号日下发条数超过设定的上限`},
		{channel.Transient, `Response.SendStatusSet.0.Code "InternalError.Timeout": timeout`},
		{channel.Permanent, `Response.Error.Code "AuthFailure.SignatureFailure": signature mismatch`},
	} {
		res := s.Send(context.Background(), testMessage())
		g.next(t)
		if res.Outcome != c.outcome || !strings.Contains(res.Err, c.want) {
			t.Errorf("got %v %q, want %v containing %q", res.Outcome, res.Err, c.outcome, c.want)
		}
	}
}

// An Aliyun-shaped answer read with GET and query parameters; answers that
// cannot be read are permanent, never sent: dbrelay cannot tell whether
// the SMS went out.
func TestQueryAndUnreadableAnswers(t *testing.T) {
	g := newGateway(t,
		answer{200, `{"Code": "OK", "Message": "OK", "BizId": "9006197469364984400"}`},
		answer{200, `{"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发号码天级流控"}`},
		answer{200, `<html>maintenance</html>`},
		answer{200, `{"RequestId": "x"}`},
		answer{503, `{"Code": "isp.SYSTEM_ERROR"}`},
		answer{400, `{"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}`},
		answer{404, `not json`},
	)
	s := mustSender(t, g.URL+"/relay?Action=SendSms", `{"method": "get",
		"query": {"PhoneNumbers": "{{.Address}}", "TemplateParam": "{{json .Payload}}", "SignName": "阿里云"},
		"response": {"path": "Code", "success": "OK", "transient": ["isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR"], "message_path": "Message"}}`, nil)
	for i, c := range []struct {
		outcome channel.Outcome
		want    string
	}{
		{channel.Sent, ""},
		{channel.Transient, `Code "isv.BUSINESS_LIMIT_CONTROL": 触发号码天级流控`},
		{channel.Permanent, "not JSON"},
		{channel.Permanent, "the answer has no Code"},
		{channel.Transient, "HTTP 503"},
		{channel.Permanent, `HTTP 400, Code "isv.MOBILE_NUMBER_ILLEGAL": 非法手机号`},
		{channel.Permanent, "HTTP 404"},
	} {
		res := s.Send(context.Background(), testMessage())
		r := g.next(t)
		if res.Outcome != c.outcome || !strings.Contains(res.Err, c.want) {
			t.Errorf("answer %d: got %v %q, want %v containing %q", i, res.Outcome, res.Err, c.outcome, c.want)
		}
		if i == 0 {
			if r.method != "GET" || len(r.body) != 0 {
				t.Errorf("request %s with %d body bytes, want GET without a body", r.method, len(r.body))
			}
			const want = "Action=SendSms&PhoneNumbers=%2B8613800138000&SignName=%E9%98%BF%E9%87%8C%E4%BA%91&TemplateParam=%7B%22amount%22%3A120%2C%22code%22%3A%22123456%22%7D"
			if r.rawQuery != want {
				t.Errorf("query\n got %s\nwant %s", r.rawQuery, want)
			}
		}
	}
}

// A gateway that echoes the request shows no secret in the stored answer.
func TestEchoedSecretsAreMasked(t *testing.T) {
	g := newGateway(t, answer{400, "you sent key-123 with pw-789 as Basic"})
	s := mustSender(t, g.URL, `{"form": {"apikey": {"value_from_env": "K"}, "text": "{{.Body}}"},
		"basic_auth": {"username": "u", "password_env": "P"}}`, map[string]string{"K": "key-123", "P": "pw-789"})
	res := s.Send(context.Background(), testMessage())
	g.next(t)
	if strings.Contains(res.Body, "key-123") || strings.Contains(res.Body, "pw-789") || !strings.Contains(res.Body, channel.Redacted) {
		t.Errorf("stored answer %q", res.Body)
	}
}

// A message whose rendered header cannot be sent fails permanently without
// a request: every attempt would fail the same way.
func TestRenderFailureIsPermanent(t *testing.T) {
	g := newGateway(t, answer{200, "{}"})
	s := mustSender(t, g.URL, `{"headers": {"X-Title": "{{.Title}}"}, "form": {"n": "{{.Payload.a.b}}"}}`, nil)
	m := testMessage()
	m.Title = "two\nlines"
	m.Payload = json.RawMessage(`{"a": {"b": "ok"}}`)
	if res := s.Send(context.Background(), m); res.Outcome != channel.Permanent || !strings.Contains(res.Err, "X-Title") {
		t.Errorf("got %v %q", res.Outcome, res.Err)
	}
	m = testMessage()
	m.Payload = json.RawMessage(`{"a": 1}`)
	if res := s.Send(context.Background(), m); res.Outcome != channel.Permanent || !strings.Contains(res.Err, "config.form.n") {
		t.Errorf("got %v %q", res.Outcome, res.Err)
	}
	if len(g.seen) != 0 {
		t.Error("a request that could not be built reached the gateway")
	}
}

// Mistakes in the config, templates included, fail when the channel is
// built, naming the key and the fix, never showing a secret.
func TestConfigErrors(t *testing.T) {
	env := secret.FromMap(map[string]string{"K": "key-value-1", "DATABASE_URL": "postgres://u:pw-db@h/d"}, "K")
	for _, c := range []struct{ config, want string }{
		{`{"from": "x"}`, `unknown key "from"`},
		{`{"method": "DELETE"}`, "not one of POST, PUT, PATCH, GET"},
		{`{"form": {"a": "x"}, "json": {}}`, "both form and json"},
		{`{"method": "GET", "form": {"a": "x"}}`, "GET sends no body"},
		{`{"form": {"Body": "{{.Titel}}"}}`, "config.form.Body"},
		{`{"json": {"t": ["{{.Title"]}}`, "config.json.t.0"},
		{`{"query": {"a": 1}}`, "config.query.a must be a string"},
		{`{"form": {"k": {"value_from_env": "DATABASE_URL"}}}`, "not allowed"},
		{`{"json": {"k": {"value_from_env": "UNSET_X"}}}`, "not allowed"},
		{`{"form": {"k": {"value_from_env": "DBRELAY_SECRET_UNSET"}}}`, "not set"},
		{`{"headers": {"Content-Type": "text/plain"}}`, "may not set Content-Type"},
		{`{"headers": {"X-A": "1", "x-a": "2"}}`, "twice"},
		{`{"headers": {"Authorization": "x"}, "bearer_token_env": "K"}`, "Authorization together"},
		{`{"basic_auth": {"username": "u", "password_env": "K"}, "bearer_token_env": "K"}`, "both basic_auth and bearer_token_env"},
		{`{"basic_auth": {"username": "u:x", "password_env": "K"}}`, "without ':'"},
		{`{"bearer_token_env": ""}`, "bearer_token_env must be"},
		{`{"response": {"path": "Code"}}`, "needs success"},
		{`{"response": {"success": "OK"}}`, "need path"},
		{`{"response": {"path": "a..b", "success": 0}}`, "empty step"},
		{`{"response": {"path": "a", "success": {"x": 1}}}`, "string or number"},
		{`{"response": {"paths": "a"}}`, `unknown key "paths"`},
	} {
		_, err := New(nil, testChannel("https://gw.example/send", c.config), env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.config, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), `sms channel "sms-gw"`) {
			t.Errorf("%s: %v does not name the channel", c.config, err)
		}
		for _, v := range []string{"key-value-1", "pw-db"} {
			if strings.Contains(err.Error(), v) {
				t.Errorf("%s: the error shows a secret: %v", c.config, err)
			}
		}
	}
	for _, target := range []string{"", "ftp://gw/x", "https://u:p@gw/x"} {
		if _, err := New(nil, testChannel(target, `{}`), env); err == nil {
			t.Errorf("target %q accepted", target)
		}
	}
	if _, err := New(nil, testChannel("https://gw.example/send", `{"form": {"k": {"value_from_env": "DATABASE_URL"}}}`), env); !errors.Is(err, secret.ErrNotAllowed) {
		t.Errorf("got %v, want secret.ErrNotAllowed in the chain", err)
	}
}
