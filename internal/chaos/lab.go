package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	_ "github.com/dbrelay/dbrelay/dialect/postgres" // registers postgres:// for dialect.Open
	"github.com/dbrelay/dbrelay/pgserver"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/lib/pq"
)

// Lab is what every scenario of one invocation shares: a private durable
// PostgreSQL, the dbrelay binary built from this tree, the recording
// receiver and a scratch directory for the listeners' logs.
type Lab struct {
	PG       *pgserver.Server
	Bin      string // the dbrelay binary
	Dir      string // scratch: logs
	Receiver *Receiver
	// Flags are the long flag names `dbrelay listen --help` lists, so
	// that a scenario can adapt to a listener that has (or lacks) one.
	Flags map[string]bool
	Logf  func(format string, args ...any)

	nextDB int
}

// NewLab builds dbrelay, starts PostgreSQL (fsync and synchronous_commit
// on: a crash loses what a real crash loses) and the receiver.
func NewLab(ctx context.Context, logf func(string, ...any)) (_ *Lab, err error) {
	l := &Lab{Logf: logf}
	if l.Dir, err = os.MkdirTemp("", "dbrelay-chaos-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			l.Close(false)
		}
	}()
	if l.Bin, err = buildDbrelay(ctx, l.Dir); err != nil {
		return nil, err
	}
	if l.Flags, err = listenFlags(ctx, l.Bin); err != nil {
		return nil, err
	}
	if l.PG, err = pgserver.Start(ctx, pgserver.Options{Durable: true, Logf: logf,
		Settings: map[string]string{"max_connections": "300"}}); err != nil {
		return nil, fmt.Errorf("starting PostgreSQL: %w", err)
	}
	if l.Receiver, err = StartReceiver(); err != nil {
		return nil, err
	}
	return l, nil
}

// Close stops everything; the logs stay when keepLogs.
func (l *Lab) Close(keepLogs bool) {
	if l.Receiver != nil {
		l.Receiver.Close()
	}
	if l.PG != nil {
		if err := l.PG.Stop(); err != nil {
			l.Logf("stopping PostgreSQL: %v", err)
		}
	}
	if keepLogs {
		l.Logf("the listeners' logs are kept in %s", l.Dir)
		return
	}
	os.RemoveAll(l.Dir)
}

// buildDbrelay builds cmd/dbrelay from the module this package belongs to,
// once per invocation, so every scenario runs the binary users run.
func buildDbrelay(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w", err)
	}
	bin := filepath.Join(dir, "dbrelay")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/dbrelay")
	cmd.Dir = strings.TrimSpace(string(out))
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/dbrelay: %w\n%s", err, b)
	}
	return bin, nil
}

var flagName = regexp.MustCompile(`--([a-z][a-z0-9-]+)`)

func listenFlags(ctx context.Context, bin string) (map[string]bool, error) {
	out, err := exec.CommandContext(ctx, bin, "listen", "--help").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("dbrelay listen --help: %w\n%s", err, out)
	}
	flags := map[string]bool{}
	for _, m := range flagName.FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	return flags, nil
}

// DB is one run's fresh database, reached directly (not through the
// proxy): the harness's own view of the truth.
type DB struct {
	Name string
	URL  string
	*sql.DB
}

// FreshDB creates a database with dbrelay installed by its own migrator.
func (l *Lab) FreshDB(ctx context.Context, prefix string) (*DB, error) {
	l.nextDB++
	name := fmt.Sprintf("%s_%d", strings.ReplaceAll(prefix, "-", "_"), l.nextDB)
	if err := l.PG.CreateDatabase(ctx, name, ""); err != nil {
		return nil, err
	}
	d := &DB{Name: name, URL: l.PG.URL(name)}
	conn, err := dialect.Open(d.URL)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := (&schema.Migrator{Conn: conn}).Up(ctx); err != nil {
		return nil, fmt.Errorf("installing dbrelay in %s: %w", name, err)
	}
	if d.DB, err = sql.Open("postgres", d.URL); err != nil {
		return nil, err
	}
	d.SetMaxOpenConns(24)
	return d, nil
}

// Drop closes the pool and drops the database.
func (l *Lab) Drop(ctx context.Context, d *DB) {
	d.Close()
	if err := l.PG.DropDatabase(context.WithoutCancel(ctx), d.Name); err != nil {
		l.Logf("dropping %s: %v", d.Name, err)
	}
}

// AddChannel registers a webhook channel and makes it the default one when
// asDefault.
func (d *DB) AddChannel(ctx context.Context, code, target string, timeout time.Duration, maxAttempts int, asDefault bool) error {
	_, err := d.ExecContext(ctx, `INSERT INTO relay.channel (code, kind, target, timeout_ms, max_attempts) VALUES ($1, 'webhook', $2, $3, $4)`,
		code, target, timeout.Milliseconds(), maxAttempts)
	if err == nil && asDefault {
		_, err = d.ExecContext(ctx, `UPDATE relay.settings SET default_channel = $1`, code)
	}
	if err != nil {
		return fmt.Errorf("channel %s: %w", code, err)
	}
	return nil
}

// PushBulk commits n pending messages on channel in one statement and
// returns their ids.
func (d *DB) PushBulk(ctx context.Context, channel string, n int) ([]int64, error) {
	rows, err := d.QueryContext(ctx, `
INSERT INTO relay.message (sender, receiver, channel, title, payload)
SELECT 'chaos', 'r' || g, $1, 'message ' || g, jsonb_build_object('n', g)
FROM generate_series(1, $2) g
RETURNING id`, channel, n)
	if err != nil {
		return nil, fmt.Errorf("pushing %d messages: %w", n, err)
	}
	return dialect.ScanIDs(rows)
}

// Unfinished counts messages still pending or sending, outside the
// channels in except.
func (d *DB) Unfinished(ctx context.Context, except ...string) (int, error) {
	var n int
	err := d.QueryRowContext(ctx, `SELECT count(*) FROM relay.message WHERE next_attempt_at IS NOT NULL AND NOT channel = ANY($1)`,
		pq.Array(append(except, ""))).Scan(&n)
	return n, err
}

// Messages reads every message's final state and its attempt rows.
func (d *DB) Messages(ctx context.Context) ([]Message, error) {
	rows, err := d.QueryContext(ctx, `
SELECT m.id, m.key::text, m.status, m.attempts, coalesce(dl.n, 0)
FROM relay.message m
LEFT JOIN (SELECT message_id, count(*) AS n FROM relay.delivery GROUP BY message_id) dl ON dl.message_id = m.id`)
	if err != nil {
		return nil, fmt.Errorf("reading messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.ID, &m.Key, &m.Status, &m.Attempts, &m.Deliveries); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CountStatus counts messages in status.
func (d *DB) CountStatus(ctx context.Context, status string) (int, error) {
	var n int
	err := d.QueryRowContext(ctx, `SELECT count(*) FROM relay.message WHERE status = $1`, status).Scan(&n)
	return n, err
}
