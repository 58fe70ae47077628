package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

func TestBasicAuthAndHeaders(t *testing.T) {
	srv, seen := recordingServer(t, nil)
	ch := testChannel(srv.URL)
	ch.Config = json.RawMessage(`{
		"headers": {"X-Tenant": "acme", "x-api-version": "2", "User-Agent": "dbrelay-test"},
		"basic_auth": {"username": "relay", "password_env": "CRM_HOOK_PASSWORD"}
	}`)
	s := mustSender(t, ch, map[string]string{"CRM_HOOK_PASSWORD": "pä$$:word"})

	if res := s.Send(context.Background(), testMessage()); res.Outcome != channel.Sent {
		t.Fatalf("outcome %v (%s)", res.Outcome, res.Err)
	}
	req := receive(t, seen)
	r := &http.Request{Header: req.header}
	user, pass, ok := r.BasicAuth()
	if !ok || user != "relay" || pass != "pä$$:word" {
		t.Errorf("basic auth = %q %q %v, want relay / the env password", user, pass, ok)
	}
	for name, want := range map[string]string{"X-Tenant": "acme", "X-Api-Version": "2", "User-Agent": "dbrelay-test"} {
		if got := req.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := req.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
}

func TestEmptyConfigs(t *testing.T) {
	for _, cfg := range []string{"", "null", "{}", " { } ", `{"headers": null, "basic_auth": null}`, `{"headers": {}}`} {
		ch := testChannel("https://example.com/hook")
		ch.Config = json.RawMessage(cfg)
		if _, err := NewFactory(nil)(ch, mapEnv(nil)); err != nil {
			t.Errorf("config %q: %v", cfg, err)
		}
	}
}

// secretValues are planted in the environment of every factory error case;
// none may ever appear in an error.
var secretValues = []string{"whsec_TOPSECRET!!", "hunter2-password", "c2VjcmV0LXZhbHVl"}

func TestFactoryErrors(t *testing.T) {
	env := secret.FromMap(map[string]string{
		"BAD_SECRET":   secretValues[0],
		"HOOK_PW":      secretValues[1],
		"EMPTY_SECRET": "whsec_",
		"DATABASE_URL": "postgres://relay:" + secretValues[2] + "@db/app",
	}, "BAD_SECRET", "HOOK_PW", "EMPTY_SECRET", "CRM_WEBHOOK_SECRET", "NOPE_PW")
	cases := []struct {
		name   string
		target string
		secret string // SecretEnv
		config string
		want   []string // substrings of the error
	}{
		{name: "secret env unset", secret: "CRM_WEBHOOK_SECRET",
			want: []string{`"crm-webhook"`, "CRM_WEBHOOK_SECRET", "not set", "set CRM_WEBHOOK_SECRET", "whsec_"}},
		{name: "secret not base64", secret: "BAD_SECRET",
			want: []string{`"crm-webhook"`, "BAD_SECRET", "base64", "set BAD_SECRET"}},
		{name: "secret empty after prefix", secret: "EMPTY_SECRET",
			want: []string{`"crm-webhook"`, "EMPTY_SECRET"}},
		{name: "password env unset", config: `{"basic_auth": {"username": "u", "password_env": "NOPE_PW"}}`,
			want: []string{`"crm-webhook"`, "NOPE_PW", "not set", "set NOPE_PW"}},
		{name: "password env missing", config: `{"basic_auth": {"username": "u"}}`,
			want: []string{"password_env"}},
		{name: "username missing", config: `{"basic_auth": {"password_env": "HOOK_PW"}}`,
			want: []string{"username"}},
		{name: "unknown key", config: `{"header": {"X-A": "1"}}`,
			want: []string{`"crm-webhook"`, `unknown key "header"`, "basic_auth, headers, oauth2"}},
		{name: "unknown basic_auth key", config: `{"basic_auth": {"username": "u", "password": "x"}}`,
			want: []string{`unknown key "password"`}},
		{name: "invalid JSON", config: `{"headers": {"X-A": "1"}`,
			want: []string{"not valid JSON", "unexpected end of JSON input"}},
		{name: "config not an object", config: `["headers"]`,
			want: []string{"JSON object"}},
		{name: "header value not a string", config: `{"headers": {"X-A": 1}}`,
			want: []string{"config.headers"}},
		{name: "invalid header name", config: `{"headers": {"X A": "1"}}`,
			want: []string{`"X A"`, "not a valid header name"}},
		{name: "header value with newline", config: `{"headers": {"X-A": "1\r\nX-B: 2"}}`,
			want: []string{"X-A", "control characters"}},
		{name: "duplicate header", config: `{"headers": {"X-A": "1", "x-a": "2"}}`,
			want: []string{"X-A", "twice"}},
		{name: "Authorization with basic_auth",
			config: `{"headers": {"authorization": "Bearer x"}, "basic_auth": {"username": "u", "password_env": "HOOK_PW"}}`,
			want:   []string{"Authorization", "basic_auth"}},
		// Only names the operator allowed may be read (DBRELAY_SECRET_…
		// or --allow-secret-env): the error says which are.
		{name: "secret env not allowed", secret: "DATABASE_URL",
			want: []string{`"crm-webhook"`, "secret_env", "DATABASE_URL", "not allowed", secret.Prefix, "--allow-secret-env DATABASE_URL", "CRM_WEBHOOK_SECRET, EMPTY_SECRET"}},
		{name: "password env not allowed", config: `{"basic_auth": {"username": "u", "password_env": "DATABASE_URL"}}`,
			want: []string{"password_env", "DATABASE_URL", "not allowed", secret.Prefix, "--allow-secret-env"}},
		{name: "header env not allowed", config: `{"headers": {"Authorization": {"value_from_env": "DATABASE_URL"}}}`,
			want: []string{"config.headers.Authorization.value_from_env", "DATABASE_URL", "not allowed", secret.Prefix}},
		{name: "header env unset", config: `{"headers": {"X-Api-Key": {"value_from_env": "DBRELAY_SECRET_NOPE"}}}`,
			want: []string{"DBRELAY_SECRET_NOPE", "not set", "set DBRELAY_SECRET_NOPE"}},
		{name: "header env not a name", config: `{"headers": {"X-Api-Key": {"value_from_env": ""}}}`,
			want: []string{"value_from_env", "name of an environment variable"}},
		{name: "header object with unknown key", config: `{"headers": {"X-Api-Key": {"value_from_file": "/etc/x"}}}`,
			want: []string{`unknown key "value_from_file"`}},
		{name: "header value an array", config: `{"headers": {"X-A": ["1"]}}`,
			want: []string{"config.headers", "an array"}},
		{name: "empty target", target: "-", want: []string{`"crm-webhook"`, "target is empty"}},
		{name: "relative target", target: "/hook", want: []string{"absolute http or https URL"}},
		{name: "ftp target", target: "ftp://example.com/x", want: []string{`scheme "ftp"`}},
		{name: "no host", target: "https:///hook", want: []string{"with a host"}},
		{name: "unparsable target", target: "http://exa mple.com/T0KEN", want: []string{"not a valid URL"}},
		{name: "credentials in target", target: "https://u:" + secretValues[1] + "@example.com/", want: []string{"credentials", "basic_auth"}},
	}
	for _, name := range []string{"webhook-id", "Webhook-Timestamp", "WEBHOOK-SIGNATURE", "content-type", "Host", "Content-Length", "Transfer-Encoding", "Idempotency-Key"} {
		cases = append(cases, struct {
			name   string
			target string
			secret string
			config string
			want   []string
		}{name: "reserved " + name, config: `{"headers": {"` + name + `": "x"}}`, want: []string{`"crm-webhook"`, "may not set " + http.CanonicalHeaderKey(name)}})
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch := testChannel("https://example.com/hooks/T0KEN")
			switch tc.target {
			case "":
			case "-":
				ch.Target = ""
			default:
				ch.Target = tc.target
			}
			ch.SecretEnv = tc.secret
			ch.Config = json.RawMessage(tc.config)
			s, err := NewFactory(nil)(ch, env)
			if err == nil {
				t.Fatalf("factory accepted the channel (%T)", s)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for _, secret := range append(secretValues, "TOPSECRET", "T0KEN") {
				if strings.Contains(msg, secret) {
					t.Errorf("error leaks %q: %s", secret, msg)
				}
			}
		})
	}
}

// Without an allow-list the process environment is read, names with the
// DBRELAY_SECRET_ prefix only.
func TestNilEnvUsesProcessEnvironment(t *testing.T) {
	t.Setenv("DBRELAY_SECRET_WEBHOOK_TEST", testSecret)
	t.Setenv("DBRELAY_WEBHOOK_TEST_SECRET", testSecret)
	ch := testChannel("https://example.com/hook")
	ch.SecretEnv = "DBRELAY_SECRET_WEBHOOK_TEST"
	if _, err := NewFactory(nil)(ch, nil); err != nil {
		t.Fatal(err)
	}
	ch.SecretEnv = "DBRELAY_WEBHOOK_TEST_SECRET"
	if _, err := NewFactory(nil)(ch, nil); !errors.Is(err, secret.ErrNotAllowed) {
		t.Fatalf("an unprefixed name without an allow-list: %v, want not allowed", err)
	}
}

// A header's value may come from the environment (an API key, a bearer
// token), so that it is not stored in relay.channel; it is masked in a
// response that echoes it, as basic auth's credentials are.
func TestHeaderValueFromEnv(t *testing.T) {
	const token = "Bearer eyJ-live-token-42"
	srv, seen := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprintf(w, "you sent %q and %q", r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"))
	})
	ch := testChannel(srv.URL)
	ch.Config = json.RawMessage(`{"headers": {"Authorization": {"value_from_env": "DBRELAY_SECRET_CRM_TOKEN"},
		"X-Api-Key": {"value_from_env": "CRM_KEY"}, "X-Tenant": "acme"}}`)
	env := secret.FromMap(map[string]string{"DBRELAY_SECRET_CRM_TOKEN": token, "CRM_KEY": "k-0123456789"}, "CRM_KEY")
	client := NewClient(1)
	t.Cleanup(client.CloseIdleConnections)
	s, err := NewFactory(client)(ch, env)
	if err != nil {
		t.Fatal(err)
	}
	res := s.Send(context.Background(), testMessage())
	if res.Outcome != channel.Sent {
		t.Fatalf("outcome %v (%s)", res.Outcome, res.Err)
	}
	req := receive(t, seen)
	if got := req.header.Get("Authorization"); got != token {
		t.Errorf("Authorization = %q, want the env's value", got)
	}
	if got := req.header.Get("X-Api-Key"); got != "k-0123456789" {
		t.Errorf("X-Api-Key = %q", got)
	}
	if strings.Contains(res.Body, "eyJ-live-token-42") || strings.Contains(res.Body, "k-0123456789") {
		t.Errorf("the response body kept an echoed secret: %q", res.Body)
	}
	if !strings.Contains(res.Body, channel.Redacted) {
		t.Errorf("response body %q does not show where it was masked", res.Body)
	}
}

// Basic auth's password and credential are masked in an echo too.
func TestBasicAuthEchoMasked(t *testing.T) {
	srv, _ := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		w.WriteHeader(401)
		fmt.Fprintf(w, "{\"got\": %q, \"user\": %q, \"pw\": %q}", r.Header.Get("Authorization"), u, p)
	})
	ch := testChannel(srv.URL)
	ch.Config = json.RawMessage(`{"basic_auth": {"username": "relay", "password_env": "CRM_PW"}}`)
	s := mustSender(t, ch, map[string]string{"CRM_PW": "hunter2-pw"})
	res := s.Send(context.Background(), testMessage())
	cred := base64.StdEncoding.EncodeToString([]byte("relay:hunter2-pw"))
	if res.StatusCode != 401 || strings.Contains(res.Body, "hunter2-pw") || strings.Contains(res.Body, cred) {
		t.Fatalf("status %d, body %q: want the 401 with password and credential masked", res.StatusCode, res.Body)
	}
}
