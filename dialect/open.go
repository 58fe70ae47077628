package dialect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dbrelay/dbrelay/internal/tcpopt"
	"github.com/xo/dburl"
)

// Opener connects to one kind of database. Dialect packages register one
// with Register in an init function.
type Opener interface {
	Dialect
	// Connect opens a pool for a URL already parsed by dburl, dialing
	// through d and guarding each connection with Guard; it may adjust the
	// DSN (PostgreSQL: default sslmode=prefer, as psql does).
	Connect(u *dburl.URL, d *tcpopt.Dialer) (db *sql.DB, dsn string, err error)
}

// maxIdleConns covers a listener's concurrent statements (one claimer, two
// writers, metrics and channel reloads) with room to spare.
const maxIdleConns = 8

var (
	mu       sync.Mutex
	openers  = map[string]Opener{}
	errNoURL = errors.New("no database URL: pass --database-url or set DATABASE_URL (e.g. postgres://user:password@host:5432/dbname or sqlserver://user:password@host:1433?database=dbname)")
)

// Register makes a dialect available under dburl's dialect name
// ("postgres", "sqlserver").
func Register(name string, o Opener) {
	mu.Lock()
	defer mu.Unlock()
	openers[name] = o
}

// Conn is an open database with its dialect.
type Conn struct {
	Dialect Dialect
	DB      *sql.DB
	DSN     string // the driver's connection string, for connections outside the pool (LISTEN)
	// Dialer opens every connection of the pool; connections outside the
	// pool (LISTEN) should use it too, so that Abort reaches them.
	Dialer *tcpopt.Dialer
	// Redactor hides the URL's password in what is printed or logged
	// about this connection (errors quoting the URL, drivers' errors).
	Redactor *Redactor
}

// Open parses a dburl-style URL (postgres://, pg:, sqlserver://, ms:, …),
// picks its dialect and opens a pool. It does not connect: call Ping. No
// error it returns shows the URL's password, whole or in part.
func Open(rawURL string) (*Conn, error) {
	if strings.TrimSpace(rawURL) == "" {
		return nil, errNoURL
	}
	r := NewRedactor(rawURL)
	u, err := dburl.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %q: %s; write it as postgres://user:password@host:5432/dbname or sqlserver://user:password@host:1433?database=dbname (percent-encode / ? # @ : %% in the password)", r.Redact(rawURL), r.Redact(parseError(err)))
	}
	mu.Lock()
	o, ok := openers[u.Dialect]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("database URL %q: dbrelay supports %s, not %q", r.Redact(rawURL), strings.Join(Names(), " and "), u.Dialect)
	}
	d := tcpopt.New()
	db, dsn, err := o.Connect(u, d)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = errors.New(parseError(err))
		}
		return nil, r.Error(fmt.Errorf("database URL %q: %w", rawURL, err))
	}
	// database/sql keeps 2 idle connections by default: a listener's
	// claimer and writers use more at once, and every connection closed and
	// reopened costs the server a new backend (PostgreSQL forks one).
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Conn{Dialect: o, DB: db, DSN: dsn, Dialer: d, Redactor: r}, nil
}

// Ping checks that the database answers, with an error that says what to
// do (and no password).
func (c *Conn) Ping(ctx context.Context) error {
	if err := c.DB.PingContext(ctx); err != nil {
		return c.Redactor.Error(fmt.Errorf("cannot reach the database: %w", c.Dialect.Explain(err)))
	}
	return nil
}

// Close closes the pool.
func (c *Conn) Close() error { return c.DB.Close() }

// Abort closes every connection to the database at once, in use or not,
// and makes every later statement fail: whatever waits on the database
// returns with an error. A listener calls it when its shutdown deadline
// passes with statements still waiting (a database that stopped
// answering). The Conn is unusable afterwards.
func (c *Conn) Abort() int { return c.Dialer.Abort() }

// Names lists the registered dialects.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	var names []string
	for n := range openers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns a registered dialect by name ("postgres", "sqlserver").
func Lookup(name string) (Dialect, bool) {
	mu.Lock()
	defer mu.Unlock()
	o, ok := openers[name]
	return o, ok
}
