package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
)

// tokenEndpoint is an OAuth2 token endpoint on 127.0.0.1 for client
// "relay" with secret "cs-1": it hands out tok-1, tok-2, … (an hour each)
// and refuses other credentials with invalid_client.
func tokenEndpoint(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, pw, _ := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		if id != "relay" || pw != "cs-1" || r.PostFormValue("scope") != "hooks.write" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error": "invalid_client"}`)
			return
		}
		fmt.Fprintf(w, `{"access_token": "tok-%d", "token_type": "Bearer", "expires_in": 3600}`, n.Add(1))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func oauthChannel(target, tokenURL string) channel.Channel {
	ch := testChannel(target)
	ch.SecretEnv = "S"
	ch.Config = json.RawMessage(`{"oauth2": {"token_url": "` + tokenURL + `", "client_id": "relay",
		"client_secret_env": "CLIENT_SECRET", "scope": "hooks.write"}, "headers": {"X-Ref": "{{.Ref}}"}}`)
	return ch
}

// A webhook behind OAuth2: the token is fetched once and sent as a bearer
// token on a normal signed webhook; a 401 refreshes it once and the same
// message goes through; an endpoint echoing the token does not get it
// stored.
func TestOAuth2Webhook(t *testing.T) {
	idp, fetches := tokenEndpoint(t)
	var valid atomic.Value
	valid.Store("tok-1")
	srv, seen := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+valid.Load().(string) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "welcome %s", r.Header.Get("Authorization"))
	})
	s := mustSender(t, oauthChannel(srv.URL, idp.URL), map[string]string{"S": testSecret, "CLIENT_SECRET": "cs-1"})

	for i := range 2 {
		res := s.Send(context.Background(), testMessage())
		if res.Outcome != channel.Sent {
			t.Fatalf("message %d: %v %q", i, res.Outcome, res.Err)
		}
		if strings.Contains(res.Body, "tok-1") || !strings.Contains(res.Body, channel.Redacted) {
			t.Errorf("stored answer %q keeps the token", res.Body)
		}
		req := receive(t, seen)
		if req.header.Get("Authorization") != "Bearer tok-1" || req.header.Get("X-Ref") != "ORD-42" {
			t.Errorf("headers %v", req.header)
		}
		if err := verifyStandardWebhook(testSecret, req.header, req.body, time.Now()); err != nil {
			t.Errorf("signature: %v", err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d token fetches for two messages, want 1", n)
	}

	valid.Store("tok-2") // the endpoint revokes tok-1
	if res := s.Send(context.Background(), testMessage()); res.Outcome != channel.Sent {
		t.Fatalf("after revocation: %v %q, want sent after one refresh", res.Outcome, res.Err)
	}
	first, second := receive(t, seen), receive(t, seen)
	if first.header.Get("Authorization") != "Bearer tok-1" || second.header.Get("Authorization") != "Bearer tok-2" ||
		string(first.body) != string(second.body) || first.header.Get("webhook-id") != second.header.Get("webhook-id") {
		t.Errorf("the retry is not the same message with a fresh token: %v / %v", first.header, second.header)
	}
}

// Refused credentials are permanent with a last_error naming what to check;
// an unreachable token endpoint is transient; neither calls the endpoint.
func TestOAuth2TokenFailures(t *testing.T) {
	idp, _ := tokenEndpoint(t)
	srv, seen := recordingServer(t, nil)
	s := mustSender(t, oauthChannel(srv.URL, idp.URL), map[string]string{"S": testSecret, "CLIENT_SECRET": "wrong"})
	res := s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Permanent || !strings.Contains(res.Err, "refused the client credentials") ||
		!strings.Contains(res.Err, "CLIENT_SECRET") || strings.Contains(res.Err, "wrong") {
		t.Errorf("wrong secret: %v %q", res.Outcome, res.Err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + l.Addr().String() + "/token"
	l.Close()
	s = mustSender(t, oauthChannel(srv.URL, gone), map[string]string{"S": testSecret, "CLIENT_SECRET": "cs-1"})
	res = s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Transient || res.Err != "the OAuth2 token endpoint cannot be reached: connect: connection refused" {
		t.Errorf("unreachable token endpoint: %v %q", res.Outcome, res.Err)
	}
	if len(seen) != 0 {
		t.Error("the endpoint was called without a token")
	}
}

// Header templates render per message; a typo fails when the channel is
// built; a value that cannot be a header fails the message without a
// request.
func TestHeaderTemplates(t *testing.T) {
	srv, seen := recordingServer(t, nil)
	ch := testChannel(srv.URL)
	ch.Config = json.RawMessage(`{"headers": {"X-Ref": "{{.Ref}}", "x-order": "{{.Payload.order}}", "X-Static": "acme"}}`)
	s := mustSender(t, ch, nil)
	if res := s.Send(context.Background(), testMessage()); res.Outcome != channel.Sent {
		t.Fatalf("%v %q", res.Outcome, res.Err)
	}
	req := receive(t, seen)
	for h, want := range map[string]string{"X-Ref": "ORD-42", "X-Order": "42", "X-Static": "acme"} {
		if got := req.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}

	ch.Config = json.RawMessage(`{"headers": {"X-Title": "{{.Title}}"}}`)
	s = mustSender(t, ch, nil)
	m := testMessage()
	m.Title = "line\nbreak"
	if res := s.Send(context.Background(), m); res.Outcome != channel.Permanent || !strings.Contains(res.Err, "config.headers.X-Title") {
		t.Errorf("unsendable header: %v %q", res.Outcome, res.Err)
	}
	if len(seen) != 0 {
		t.Error("a message whose header cannot be sent reached the endpoint")
	}

	ch.Config = json.RawMessage(`{"headers": {"X-Ref": "{{.Reff}}"}}`)
	if _, err := NewFactory(nil)(ch, mapEnv(nil)); err == nil || !strings.Contains(err.Error(), "config.headers.X-Ref") {
		t.Errorf("template typo: %v, want an error naming config.headers.X-Ref", err)
	}
}

func TestOAuth2ConfigErrors(t *testing.T) {
	env := mapEnv(map[string]string{"CS": "x", "PW": "y"})
	const o = `"oauth2": {"token_url": "https://login.example/token", "client_id": "c", "client_secret_env": "CS"}`
	for _, c := range []struct{ config, want string }{
		{`{` + o + `, "basic_auth": {"username": "u", "password_env": "PW"}}`, "both basic_auth and oauth2"},
		{`{` + o + `, "headers": {"authorization": "Bearer x"}}`, "Authorization together with config.oauth2"},
		{`{"oauth2": {"token_url": "https://login.example/token", "client_id": "c", "client_secret_env": "CS", "secret": "x"}}`, `config.oauth2 has unknown key "secret"`},
		{`{"oauth2": {"token_url": "https://login.example/token", "client_id": "c", "client_secret_env": "HOME"}}`, "not allowed"},
	} {
		ch := testChannel("https://example.com/hook")
		ch.Config = json.RawMessage(c.config)
		if _, err := NewFactory(nil)(ch, env); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.config, err, c.want)
		}
	}
}
