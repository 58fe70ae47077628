package email

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

// Bad configs fail when the channel is built, naming what to fix.
func TestConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		target, config, secretEnv, want string
	}{
		"no from":           {"mx:587", `{}`, "", "config.from is missing"},
		"bad from":          {"mx:587", `{"from": "nobody"}`, "", "config.from"},
		"unknown key":       {"mx:587", `{"from": "a@b.c", "form": 1}`, "", `unknown key "form"`},
		"bad tls":           {"mx:587", `{"from": "a@b.c", "tls": "ssl"}`, "", "config.tls"},
		"url target":        {"smtp://mx:587", `{"from": "a@b.c"}`, "", "host:port"},
		"credentials":       {"user:pw@mx", `{"from": "a@b.c"}`, "", "user:password@"},
		"empty target":      {" , ", `{"from": "a@b.c"}`, "", "target is empty"},
		"bad port":          {"mx:0", `{"from": "a@b.c"}`, "", "port"},
		"user no password":  {"mx", `{"from": "a@b.c", "username": "u"}`, "", "password_env is missing"},
		"password no user":  {"mx", `{"from": "a@b.c", "password_env": "DBRELAY_SECRET_SMTP"}`, "", "needs config.username"},
		"auth in clear":     {"mx", `{"from": "a@b.c", "tls": "none", "username": "u", "password_env": "DBRELAY_SECRET_SMTP"}`, "", "clear text"},
		"bad auth":          {"mx", `{"from": "a@b.c", "auth": "cram-md5", "username": "u", "password_env": "DBRELAY_SECRET_SMTP"}`, "", "config.auth"},
		"bad bcc":           {"mx", `{"from": "a@b.c", "bcc": ["x"]}`, "", "config.bcc"},
		"connections":       {"mx", `{"from": "a@b.c", "connections": 99}`, "", "config.connections"},
		"template":          {"mx", `{"from": "a@b.c", "subject": "{{.Titel}}"}`, "", "config.subject"},
		"html template":     {"mx", `{"from": "a@b.c", "html": "<p>{{.Body</p>"}`, "", "config.html"},
		"secret_env":        {"mx", `{"from": "a@b.c"}`, "DBRELAY_SECRET_X", "secret_env"},
		"password not set":  {"mx", `{"from": "a@b.c", "username": "u", "password_env": "DBRELAY_SECRET_NONE"}`, "", "DBRELAY_SECRET_NONE"},
		"password disallow": {"mx", `{"from": "a@b.c", "username": "u", "password_env": "HOME"}`, "", "HOME"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(channel.Channel{Code: "mail", Kind: Kind, Target: tc.target, Config: json.RawMessage(tc.config),
				SecretEnv: tc.secretEnv}, secret.FromMap(map[string]string{"DBRELAY_SECRET_SMTP": "x", "HOME": "/root"}),
				Options{Store: attachments{}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// Default ports follow config.tls; several servers keep their order.
func TestConfigServers(t *testing.T) {
	for tls, want := range map[string]string{"starttls": "mx.example:587", "tls": "mx.example:465", "none": "mx.example:25"} {
		c, err := parseConfig("mx.example, backup.example:2525", json.RawMessage(`{"from": "a@b.c", "tls": "`+tls+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.servers) != 2 || c.servers[0] != want || c.servers[1] != "backup.example:2525" {
			t.Errorf("tls %s: servers %v", tls, c.servers)
		}
	}
	if _, err := New(channel.Channel{Code: "m", Kind: Kind, Target: "mx", Config: json.RawMessage(`{"from": "a@b.c"}`)},
		secret.FromMap(nil), Options{}); err == nil || !strings.Contains(err.Error(), "relay.attachment") {
		t.Errorf("a factory without an attachment store: %v", err)
	}
}
