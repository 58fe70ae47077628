package channel

import (
	"regexp"
	"strings"
)

// Redacted replaces a credential in text that dbrelay stores or logs.
const Redacted = "[redacted]"

var (
	// credentialNames are header, JSON and form field names whose values are
	// credentials.
	credentialNames = `(?:proxy-)?authorization|cookie|set-cookie|x-api-key|api[-_]?key|x-auth-token|auth[-_]?token|` +
		`access[-_]?token|refresh[-_]?token|id[-_]?token|token|client[-_]?secret|password|passwd|secret`
	// namedCredential is such a name, optionally quoted, a ':' or '=', and
	// its value: a JSON string, a JSON array, or the rest of the line up to
	// a field separator.
	namedCredential = regexp.MustCompile(`(?i)(["']?\b(?:` + credentialNames + `)\b["']?\s*[:=]\s*)` +
		`("(?:[^"\\\r\n]|\\.)*"|\[[^\]\r\n]*\]|[^\s"'&;,<>][^\r\n"'&;<>]*)`)
	// schemeCredential is an Authorization value quoted on its own:
	// "Bearer eyJ…", "Basic dXNlcjpwdw==".
	schemeCredential = regexp.MustCompile(`(?i)\b(Bearer|Basic|Digest|Token)(\s+)[A-Za-z0-9\-._~+/]{6,}=*`)
	// userinfo is the user:password@ of a URL.
	userinfo = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@"'<>]*:)[^/\s@"'<>]+@`)
)

// RedactCredentials masks what looks like a credential in s: the values of
// credential-named fields in an echoed request or a JSON or form body
// (Authorization, Cookie, X-Api-Key, password, token, secret, …), bearer and
// basic credentials quoted on their own, and a URL's user:password@. An
// endpoint's response is stored (relay.message.response_body) and shown to
// every reader of relay_api: an endpoint that echoes the request would
// otherwise publish the channel's Authorization header there.
//
// It is a safety net, not a guarantee: a sender that knows which secrets it
// sent masks those exact values as well.
func RedactCredentials(s string) string {
	if s == "" || !mayHoldCredential(s) {
		return s
	}
	s = namedCredential.ReplaceAllString(s, "${1}"+Redacted)
	s = schemeCredential.ReplaceAllString(s, "${1}${2}"+Redacted)
	return userinfo.ReplaceAllString(s, "${1}"+Redacted+"@")
}

// hints are lower-case substrings without which no pattern of
// RedactCredentials can match: checking for them first keeps the common
// short, harmless response ("OK", "{}") cheap.
var hints = []string{"auth", "cookie", "key", "token", "secret", "passw", "bearer", "basic", "digest", "@"}

func mayHoldCredential(s string) bool {
	lower := strings.ToLower(s)
	for _, h := range hints {
		if strings.Contains(lower, h) {
			return true
		}
	}
	return false
}

// MaskValues replaces every occurrence of each non-empty value in s with
// Redacted: a sender masks the exact secrets it sent (a password, a token
// read from the environment) wherever an endpoint echoes them.
func MaskValues(s string, values []string) string {
	for _, v := range values {
		if v != "" && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}
