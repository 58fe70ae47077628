// Package postgres is dbrelay's PostgreSQL dialect (version 14 or newer),
// on lib/pq. All SQL dbrelay sends to PostgreSQL is in queries.go.
package postgres

import (
	"database/sql"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/internal/tcpopt"
	"github.com/lib/pq"
	"github.com/xo/dburl"
)

// Dialect implements dialect.Dialect for PostgreSQL.
type Dialect struct{}

func init() { dialect.Register("postgres", Dialect{}) }

// Name is the directory name of the PostgreSQL SQL files.
func (Dialect) Name() string { return "postgres" }

// Connect opens a lib/pq pool whose connections are dialed by d (TCP
// keepalive, TCP_USER_TIMEOUT) and guarded by their statements' deadlines
// (dialect.Guard).
//
// Unless the URL or the environment says otherwise it uses sslmode=prefer,
// as psql does: lib/pq's own default (require) fails against a server
// without TLS, which surprises everyone once. And connect_timeout=10: lib/pq
// has none by default, so a connection attempt (and the cancel request it
// sends for a query that overran) could wait on a silent network for the
// kernel's TCP failure.
func (Dialect) Connect(u *dburl.URL, d *tcpopt.Dialer) (*sql.DB, string, error) {
	dsn, err := withDefaults(u.DSN)
	if err != nil {
		return nil, "", err
	}
	db, err := openPool(dsn, d)
	return db, dsn, err
}

// openPool opens a lib/pq pool on dsn whose connections are dialed by d and
// guarded by dialect.Guard. Every pool of the listener is opened with it.
func openPool(dsn string, d *tcpopt.Dialer) (*sql.DB, error) {
	connector, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	connector.Dialer(d)
	return sql.OpenDB(dialect.Guard(connector, d)), nil
}

// connectTimeout is the default connect_timeout, in seconds.
const connectTimeout = "10"

func withDefaults(dsn string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres") {
		return dsn, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if q.Get("sslmode") == "" && os.Getenv("PGSSLMODE") == "" {
		q.Set("sslmode", "prefer")
	}
	if q.Get("connect_timeout") == "" && os.Getenv("PGCONNECT_TIMEOUT") == "" {
		q.Set("connect_timeout", connectTimeout)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Explain adds what to do to the errors users meet most.
func (Dialect) Explain(err error) error {
	if err == nil {
		return nil
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return explainServerError(pqErr)
	}
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &dialect.Explained{Msg: err.Error() + ": is PostgreSQL running there, and are the host and port in the URL right?", Err: err}
	case errors.As(err, &netErr) && netErr.Timeout():
		return &dialect.Explained{Msg: err.Error() + ": the server did not answer in time; check the host, the port and any firewall", Err: err}
	case strings.Contains(err.Error(), "SSL is not enabled on the server"):
		return &dialect.Explained{Msg: err.Error() + ": add sslmode=disable to the URL, or enable TLS on the server", Err: err}
	}
	return err
}

func explainServerError(e *pq.Error) error {
	code := string(e.Code)
	switch {
	case strings.HasPrefix(e.Message, "relay."):
		return &dialect.ArgumentError{Code: "SQLSTATE " + code, Message: e.Message, Hint: e.Hint, Err: e}
	case code == "3D000": // invalid_catalog_name
		return explained(e, "create the database first (CREATE DATABASE …) or fix its name in the URL")
	case code == "28P01" || code == "28000": // invalid password / authorization
		return explained(e, "check the user and password in the URL (or PGPASSWORD)")
	case code == "42501": // insufficient_privilege
		return explained(e, "the URL's user lacks a privilege dbrelay needs; see the README's section on roles")
	case code == "42P01" || code == "3F000": // undefined_table / undefined schema
		return explained(e, "dbrelay's tables are not installed; run 'dbrelay migrate up'")
	case code == "42883" && strings.Contains(e.Message, "relay."): // undefined_function
		return explained(e, "dbrelay's procedures are not installed; run 'dbrelay migrate up'")
	case code == "2BP01": // dependent_objects_still_exist
		return explained(e, "one of your own objects (named above) depends on a dbrelay object; drop or change it first (dbrelay never drops with CASCADE, which would drop yours too)")
	case code == "57P01" || code == "57P02" || code == "57P03": // admin shutdown, crash, cannot connect now
		return explained(e, "the server is shutting down or starting up; try again in a moment")
	}
	return explained(e, e.Hint)
}

// explained formats a server error as "message (detail) (SQLSTATE x): what to do".
func explained(e *pq.Error, todo string) error {
	msg := e.Message
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	msg += " (SQLSTATE " + string(e.Code) + ")"
	if todo != "" {
		msg += ": " + todo
	}
	return &dialect.Explained{Msg: msg, Err: e}
}
