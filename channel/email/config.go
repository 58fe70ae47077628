package email

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/tmpl"
)

// configKeys are the keys an email channel's config may have; others are
// rejected so that a typo fails when the channel is built.
var configKeys = []string{"auth", "bcc", "connections", "from", "helo", "html", "password_env", "reply_to",
	"subject", "text", "tls", "username"}

// TLS modes of config.tls.
const (
	tlsStartTLS = "starttls" // plain connect, STARTTLS required (port 587)
	tlsImplicit = "tls"      // TLS from the first byte (port 465)
	tlsNone     = "none"     // no TLS (a relay on the same host or LAN, port 25)
)

// defaultPorts are the ports used when the target names none.
var defaultPorts = map[string]int{tlsStartTLS: 587, tlsImplicit: 465, tlsNone: 25}

// maxConnections bounds config.connections: a mail server counts
// connections per client, and a few reused ones carry hundreds of mails a
// second.
const maxConnections = 16

// config is a parsed email channel config; no secret is read yet.
type config struct {
	servers     []string // host:port, tried in order
	tls         string
	from        *mail.Address
	replyTo     *mail.Address
	bcc         []*mail.Address
	username    string
	passwordEnv string
	auth        string // "plain" or "login"
	helo        string
	connections int
	subject     *tmpl.Template
	text        *tmpl.Template
	html        *tmpl.Template // nil: the payload's "html" member, if any
}

// parseConfig parses and checks a channel's target and config; templates
// are parsed and tried here.
func parseConfig(target string, raw json.RawMessage) (*config, error) {
	top, err := channel.ConfigObject("config", raw, configKeys)
	if err != nil {
		return nil, err
	}
	c := &config{tls: tlsStartTLS, auth: "plain", connections: 2}
	str := func(key string) (string, error) {
		v, ok := top[key]
		if !ok || channel.IsNull(v) {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("config.%s must be a string", key)
		}
		return s, nil
	}
	if c.tls, err = str("tls"); err != nil {
		return nil, err
	}
	switch c.tls {
	case "":
		c.tls = tlsStartTLS
	case tlsStartTLS, tlsImplicit, tlsNone:
	default:
		return nil, fmt.Errorf("config.tls %q is not one of starttls (the default: port 587, STARTTLS required), tls (port 465, TLS from the start), none (port 25, no encryption)", c.tls)
	}
	if c.servers, err = parseServers(target, defaultPorts[c.tls]); err != nil {
		return nil, err
	}
	from, err := str("from")
	if err != nil {
		return nil, err
	}
	if from == "" {
		return nil, errors.New(`config.from is missing: the sender's address, e.g. "OA Notices <oa@example.com>"`)
	}
	if c.from, err = parseAddress("config.from", from); err != nil {
		return nil, err
	}
	if s, err := str("reply_to"); err != nil {
		return nil, err
	} else if s != "" {
		if c.replyTo, err = parseAddress("config.reply_to", s); err != nil {
			return nil, err
		}
	}
	if c.bcc, err = parseBCC(top["bcc"]); err != nil {
		return nil, err
	}
	if c.username, err = str("username"); err != nil {
		return nil, err
	}
	if c.passwordEnv, err = str("password_env"); err != nil {
		return nil, err
	}
	if err := c.checkAuth(top); err != nil {
		return nil, err
	}
	if c.helo, err = str("helo"); err != nil {
		return nil, err
	}
	if strings.ContainsAny(c.helo, " \t\r\n") {
		return nil, errors.New("config.helo must be a host name, without white space")
	}
	if v, ok := top["connections"]; ok && !channel.IsNull(v) {
		if err := json.Unmarshal(v, &c.connections); err != nil || c.connections < 1 || c.connections > maxConnections {
			return nil, fmt.Errorf("config.connections must be a whole number from 1 to %d (connections kept open to the mail server)", maxConnections)
		}
	}
	return c, c.parseTemplates(str)
}

func (c *config) checkAuth(top map[string]json.RawMessage) error {
	if v, ok := top["auth"]; ok && !channel.IsNull(v) {
		if err := json.Unmarshal(v, &c.auth); err != nil || (c.auth != "plain" && c.auth != "login") {
			return errors.New("config.auth must be plain (the default) or login")
		}
		if c.username == "" {
			return errors.New("config.auth needs config.username and config.password_env")
		}
	}
	switch {
	case c.username == "" && c.passwordEnv != "":
		return errors.New("config.password_env needs config.username: the user name to log in with")
	case c.username != "" && c.passwordEnv == "":
		return errors.New("config.password_env is missing; set it to the name of the environment variable holding the SMTP password")
	case c.username != "" && c.tls == tlsNone:
		return errors.New("config.username with tls none would send the password in clear text; use tls starttls or tls")
	}
	return nil
}

func (c *config) parseTemplates(str func(string) (string, error)) error {
	for _, t := range []struct {
		key, fallback string
		dst           **tmpl.Template
	}{{"subject", "{{.Title}}", &c.subject}, {"text", "{{.Body}}", &c.text}} {
		text, err := str(t.key)
		if err != nil {
			return err
		}
		if text == "" {
			text = t.fallback
		}
		if *t.dst, err = tmpl.Parse("config."+t.key, text); err != nil {
			return err
		}
	}
	html, err := str("html")
	if err != nil || html == "" {
		return err
	}
	c.html, err = tmpl.ParseHTML("config.html", html)
	return err
}

// parseServers splits a target of "host[:port]" entries separated by
// commas: the servers tried in order when one is unreachable.
func parseServers(target string, defaultPort int) ([]string, error) {
	var out []string
	for _, s := range strings.Split(target, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "://") || strings.ContainsAny(s, "@/ \t") {
			return nil, fmt.Errorf("target %q: write each mail server as host or host:port, separated by commas (smtp1.example.com:587,smtp2.example.com:587); no URL scheme, path or user:password@", s)
		}
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			host, port = s, strconv.Itoa(defaultPort)
		}
		if p, err := strconv.Atoi(port); host == "" || err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("target %q: want host or host:port with a port from 1 to 65535", s)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	if len(out) == 0 {
		return nil, errors.New("target is empty: name the mail server, host:port (several separated by commas are tried in order)")
	}
	return out, nil
}

func parseAddress(where, s string) (*mail.Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a mail address (want user@example.com or \"Name <user@example.com>\"): %v", where, s, err)
	}
	return a, nil
}

// parseBCC accepts one address or a list of them.
func parseBCC(raw json.RawMessage) ([]*mail.Address, error) {
	if channel.IsNull(raw) {
		return nil, nil
	}
	list, ok := channel.Strings(raw)
	if !ok {
		return nil, errors.New("config.bcc must be an address or a list of addresses (the audit mailbox that gets a blind copy of every mail)")
	}
	out := make([]*mail.Address, 0, len(list))
	for _, s := range list {
		a, err := parseAddress("config.bcc", s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
