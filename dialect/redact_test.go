package dialect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	_ "github.com/dbrelay/dbrelay/dialect/postgres"
	_ "github.com/dbrelay/dbrelay/dialect/sqlserver"
)

// Every form a password is written in, masked by Redact alone.
func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, secret, keep string }{
		{"postgres://relay:pw-1a@db:5432/app", "pw-1a", "postgres://relay:xxxxx@db:5432/app"},
		{"postgres://relay:p@ss/w0rd@db/app", "p@ss/w0rd", "@db/app"},
		{"pg:relay:pw-2b@db/app", "pw-2b", "pg:relay:xxxxx@db/app"},
		{"sqlserver://sa:pw-3c@db:1433?database=oa", "pw-3c", "sqlserver://sa:xxxxx@db:1433?database=oa"},
		// Keyword DSNs, quoted or not, and ADO-style strings.
		{"host=db port=5432 user=relay password=pw-4d dbname=app", "pw-4d", "dbname=app"},
		{"host=db password='pw 5e with spaces' dbname=app", "5e with", "dbname=app"},
		{"Server=db;User Id=sa;Password=pw-6f;Database=oa", "pw-6f", "Database=oa"},
		{"server=db;pwd=pw-7g", "pw-7g", "server=db"},
		// ?password= in a URL, and sslpassword.
		{"postgres://relay@db/app?password=pw-8h&sslmode=disable", "pw-8h", "sslmode=disable"},
		{"postgres://relay@db/app?sslpassword=pw-9i", "pw-9i", "relay@db/app"},
		// A URL inside an error or a log line.
		{`open "postgres://relay:pw-0j@db/app": refused`, "pw-0j", `: refused`},
		{"dial failed for postgres://relay:pw-1k@db/app and sqlserver://sa:pw-2l@ms/oa", "pw-", "and sqlserver://sa:xxxxx@ms/oa"},
		// Nothing to hide.
		{"dial tcp 127.0.0.1:5432: connect: connection refused", "", "dial tcp 127.0.0.1:5432: connect: connection refused"},
	} {
		got := dialect.Redact(c.in)
		if c.secret != "" && strings.Contains(got, c.secret) {
			t.Errorf("Redact(%q) = %q: %q is visible", c.in, got, c.secret)
		}
		if !strings.Contains(got, c.keep) {
			t.Errorf("Redact(%q) = %q: lost %q", c.in, got, c.keep)
		}
	}
}

// A Redactor knows the URL's password, so it also hides the pieces of it a
// parser quotes on their own, and the decoded form.
func TestRedactorHidesFragments(t *testing.T) {
	r := dialect.NewRedactor("postgres://relay:s3cr/etpart%21x@db/app")
	for _, line := range []string{
		`parse error: invalid port ":s3cr" after host`,
		`pq: missing "=" after "etpart!x" in connection info string`,
		`the password was s3cr/etpart!x`,
	} {
		got := r.Redact(line)
		for _, piece := range []string{"s3cr", "etpart"} {
			if strings.Contains(got, piece) {
				t.Errorf("Redact(%q) = %q: %q is visible", line, got, piece)
			}
		}
	}
}

// No error of dialect.Open or Ping shows the password, whole or in part,
// in any of the forms a URL can carry it.
func TestOpenErrorsHidePasswords(t *testing.T) {
	for _, c := range []struct {
		url     string
		secrets []string
	}{
		// Does not parse: the parser quotes a piece of the password.
		{"postgres://relay:s3cr/etpart@db.example:5432/app", []string{"s3cr", "etpart"}},
		{"postgres://relay:pw%zzbad@db.example/app", []string{"pw%zz", "zzbad"}},
		// A keyword DSN is not a URL dbrelay takes.
		{"host=127.0.0.1 port=1 user=relay password=kw-s3cret dbname=app", []string{"kw-s3cret"}},
		// Parses, but the driver refuses an option; the URL is quoted.
		{"postgres://relay@127.0.0.1:1/app?password=q-s3cret&sslmode=bogus", []string{"q-s3cret"}},
		{"pg:relay:op-s3cret@127.0.0.1:1/app?sslmode=bogus", []string{"op-s3cret"}},
		{"mysql://relay:my-s3cret@127.0.0.1:1/app", []string{"my-s3cret"}},
		// Opens, then cannot connect.
		{"postgres://relay:ping-s3cret@127.0.0.1:1/app?sslmode=disable", []string{"ping-s3cret"}},
		{"postgres://relay@127.0.0.1:1/app?sslmode=disable&password=ping2-s3cret", []string{"ping2-s3cret"}},
		{"sqlserver://sa:ms-s3cret@127.0.0.1:1?database=oa&dial+timeout=1", []string{"ms-s3cret"}},
	} {
		c := c
		err := func() error {
			conn, err := dialect.Open(c.url)
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return conn.Ping(ctx)
		}()
		if err == nil {
			t.Errorf("%s: no error", dialect.Redact(c.url))
			continue
		}
		for _, s := range c.secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error shows %q: %v", s, err)
			}
		}
	}
}
