package dialect

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// mask replaces a password.
const mask = "xxxxx"

var (
	// keyValuePassword is password=… in a keyword DSN (host=db
	// password='s e c'), a URL's query (?password=…&), an ADO-style
	// connection string (Password=…;) or a log line quoting one.
	keyValuePassword = regexp.MustCompile(`(?i)((?:^|[^a-z0-9_])(?:ssl)?(?:password|passwd|pwd)\s*=\s*)('(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|[^\s&;,)]*)`)
	// schemeStart finds each scheme:// of a URL inside text.
	schemeStart = regexp.MustCompile(`(?i)[a-z][a-z0-9+.\-]*://`)
	// opaqueURL is dburl's short form without //, e.g. pg:user:pw@host/db.
	opaqueURL = regexp.MustCompile(`(?i)^([a-z][a-z0-9+.\-]*:[^:/@\s]*:)(.*)(@[^@]*)$`)
	// quoted is a fragment a parser quotes in its error ("invalid port
	// \":pw\" after host"): it may be a piece of the password.
	quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)
)

// Redact hides the passwords in s, which may be a database URL
// (scheme://user:pw@host → scheme://user:xxxxx@host, also when it does not
// parse), a keyword DSN (host=db password=pw), a URL with ?password=, or an
// error or log line quoting any of them. It knows no particular password:
// a fragment of one that a parser quotes on its own is hidden only by a
// Redactor made from the URL.
func Redact(s string) string {
	s = keyValuePassword.ReplaceAllString(s, "${1}"+mask)
	if m := opaqueURL.FindStringSubmatch(s); m != nil && !strings.Contains(s, "://") && m[2] != "" {
		return m[1] + mask + m[3]
	}
	var b strings.Builder
	rest := s
	for {
		loc := schemeStart.FindStringIndex(rest)
		if loc == nil {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:loc[1]])
		rest = rest[loc[1]:]
		// The userinfo ends at the last @ before the URL ends (a space or a
		// quote): an unencoded @ in the password is common.
		end := strings.IndexAny(rest, " \t\r\n\"'<>")
		if end < 0 {
			end = len(rest)
		}
		at := strings.LastIndex(rest[:end], "@")
		colon := strings.Index(rest[:max(at, 0)], ":")
		if at < 0 || colon < 0 {
			continue
		}
		b.WriteString(rest[:colon+1] + mask)
		rest = rest[at:]
	}
}

// Redactor hides the passwords of one database URL wherever they turn up
// (whole, percent-decoded, or in the pieces a parser quotes in an error),
// on top of everything Redact hides.
type Redactor struct {
	secrets []string // longest first
}

// NewRedactor returns a Redactor for the passwords written in rawURL.
func NewRedactor(rawURL string) *Redactor {
	r := &Redactor{}
	add := func(pw string) {
		if pw == "" {
			return
		}
		r.secrets = append(r.secrets, pw)
		if dec, err := url.PathUnescape(pw); err == nil && dec != pw {
			r.secrets = append(r.secrets, dec)
		}
		// The pieces a URL parser may quote on their own: between the
		// characters that end a URL's parts.
		for _, piece := range strings.FieldsFunc(pw, func(c rune) bool { return strings.ContainsRune("/?#@:% \t", c) }) {
			if len(piece) >= 3 && piece != pw {
				r.secrets = append(r.secrets, piece)
			}
		}
	}
	if i := strings.Index(rawURL, "://"); i >= 0 {
		rest := rawURL[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				add(pw)
			}
		}
	} else if m := opaqueURL.FindStringSubmatch(rawURL); m != nil {
		add(m[2])
	}
	for _, m := range keyValuePassword.FindAllStringSubmatch(rawURL, -1) {
		add(strings.Trim(m[2], `'"`))
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	r.secrets = slices.Compact(r.secrets)
	return r
}

// Redact hides the URL's passwords and everything Redact hides in s.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return Redact(s)
	}
	s = Redact(s)
	for _, pw := range r.secrets {
		s = strings.ReplaceAll(s, pw, mask)
	}
	return s
}

// Error returns err with its text redacted, keeping it unwrappable (errors.As
// still finds the driver's error; print the returned error, not the one
// inside it). nil stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := r.Redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

// redacted is an error whose text hides a password its cause shows.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// parseError is a URL parser's error without the input fragments it quotes
// (`invalid port ":pw" after host`): they may be pieces of the password.
func parseError(err error) string {
	var uerr *url.Error // its text repeats the whole URL
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return quoted.ReplaceAllString(err.Error(), "(…)")
}
