package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	_ "github.com/dbrelay/dbrelay/dialect/postgres" // registers postgres:// for dialect.Open
	"github.com/dbrelay/dbrelay/pgserver"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lab is everything the workloads share for one invocation: a private
// PostgreSQL with default durability, the dbrelay binary built from this
// tree, the sink process, and a scratch directory for logs.
type lab struct {
	cfg     config
	pg      *pgserver.Server
	sink    *sink
	self    string // this binary, re-executed for the sink, River and the HTTP client
	bin     string // the dbrelay binary
	repo    string // the product's source tree
	tmp     string
	nextDB  int
	explain string // where the backlog's EXPLAIN of the claim goes
}

// newLab starts PostgreSQL and the sink and builds dbrelay. close undoes it.
func newLab(ctx context.Context, cfg config) (_ *lab, err error) {
	l := &lab{cfg: cfg}
	if l.self, err = os.Executable(); err != nil {
		return nil, fmt.Errorf("finding the bench binary: %w", err)
	}
	if l.tmp, err = os.MkdirTemp("", "dbrelay-bench-"); err != nil {
		return nil, fmt.Errorf("scratch directory: %w", err)
	}
	defer func() {
		if err != nil {
			l.close(false)
		}
	}()
	if l.repo, err = productDir(ctx); err != nil {
		return nil, err
	}
	l.explain = filepath.Join(benchDir(), "EXPLAIN-claim.txt")
	if l.bin, err = buildDbrelay(ctx, l.repo, l.tmp); err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) { progress(format, args...) }
	if l.pg, err = pgserver.Start(ctx, pgserver.Options{Durable: true, Logf: logf}); err != nil {
		return nil, fmt.Errorf("starting PostgreSQL: %w", err)
	}
	if l.sink, err = startSink(l.self, l.tmp); err != nil {
		return nil, err
	}
	return l, nil
}

// close stops the sink and PostgreSQL. The scratch directory goes too,
// unless keepLogs: after a failure, the processes' logs it holds are what
// explains it.
func (l *lab) close(keepLogs bool) {
	if l.sink != nil {
		l.sink.proc.stop(5 * time.Second)
	}
	if l.pg != nil {
		if err := l.pg.Stop(); err != nil {
			progress("stopping PostgreSQL: %v", err)
		}
	}
	if keepLogs {
		os.Remove(l.bin)
		progress("logs of the listener, River, the sink and the HTTP client kept in %s", l.tmp)
		return
	}
	os.RemoveAll(l.tmp)
}

// benchDir is the bench module's directory: the working directory of
// `go run .`, where RESULTS.md and EXPLAIN-claim.txt are written.
func benchDir() string {
	d, _ := os.Getwd()
	return d
}

// goTool is the go command: from PATH, else the toolchain that built us.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// productDir asks the go command where github.com/dbrelay/dbrelay lives
// (the replace directive points it at ../).
func productDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, goTool(), "list", "-m", "-f", "{{.Dir}}", "github.com/dbrelay/dbrelay").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m github.com/dbrelay/dbrelay: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// buildDbrelay builds the real command once per invocation, from the
// product's tree as it is now, so that the listener runs as its own process
// with default flags, as users run it. It builds inside the product's own
// module, not through this module's replace directive: that way the binary
// has exactly the dependency versions the product ships (River's
// requirements could otherwise lift shared ones), and a dependency the
// product adds needs no change here.
func buildDbrelay(ctx context.Context, repo, dir string) (string, error) {
	bin := filepath.Join(dir, "dbrelay")
	progress("building dbrelay")
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", bin, "./cmd/dbrelay")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/dbrelay in %s: %w\n%s", repo, err, out)
	}
	return bin, nil
}

// database is one fresh database of one workload run.
type database struct {
	name string
	url  string
	pool *pgxpool.Pool
}

// freshDB creates a new database so that runs do not see each other's rows,
// dead tuples or statistics. drop removes it again (a backlog database holds
// a gigabyte).
func (l *lab) freshDB(ctx context.Context, prefix string) (*database, error) {
	l.nextDB++
	name := fmt.Sprintf("%s_%d", prefix, l.nextDB)
	if err := l.pg.CreateDatabase(ctx, name, ""); err != nil {
		return nil, err
	}
	d := &database{name: name, url: l.pg.URL(name)}
	pc, err := pgxpool.ParseConfig(d.url)
	if err != nil {
		return nil, err
	}
	// Room for the host-cost phase's 8 connections plus the orchestrator's
	// own queries; pgx's default (4 on this machine) would make hosts queue
	// for a connection instead of for the database.
	pc.MaxConns = 16
	if d.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		l.pg.DropDatabase(ctx, name)
		return nil, fmt.Errorf("connecting to %s: %w", name, err)
	}
	return d, nil
}

func (l *lab) drop(ctx context.Context, d *database) {
	d.pool.Close()
	if err := l.pg.DropDatabase(context.WithoutCancel(ctx), d.name); err != nil {
		progress("dropping database %s: %v", d.name, err)
	}
}

// installRelay installs dbrelay's schema with its own migrator and points a
// webhook channel named "sink" at the sink; receiver "bench" prefers it, so
// relay.push('…', 'bench', …) makes one message.
func (l *lab) installRelay(ctx context.Context, d *database) error {
	conn, err := dialect.Open(d.url)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := (&schema.Migrator{Conn: conn}).Up(ctx); err != nil {
		return fmt.Errorf("installing dbrelay in %s: %w", d.name, err)
	}
	_, err = d.pool.Exec(ctx, `INSERT INTO relay.channel (code, kind, target) VALUES ('sink', 'webhook', $1)`, l.sink.URL())
	if err == nil {
		_, err = d.pool.Exec(ctx, `INSERT INTO relay.recipient (receiver, channel) VALUES ('bench', 'sink')`)
	}
	if err != nil {
		return fmt.Errorf("registering the sink channel: %w", err)
	}
	return nil
}

// checkpoint flushes the setup's dirty pages before a phase, so that every
// system starts right after a checkpoint and pays the same full-page writes.
func checkpoint(ctx context.Context, d *database) error {
	if _, err := d.pool.Exec(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("CHECKPOINT: %w", err)
	}
	return nil
}

// startListener runs `dbrelay listen` against d with default flags plus
// extra.
func (l *lab) startListener(d *database, extra ...string) (*child, error) {
	args := append([]string{"listen", "--database-url", d.url, "--log-format", "json"}, extra...)
	return startChild("dbrelay-listen", l.tmp, l.bin, nil, args...)
}

// sample reads the CPU of PostgreSQL, sut (nil: none) and the sink.
func (l *lab) sample(sut *child) cpuSample {
	s := cpuSample{PG: postgresCPU(l.pg.PID()), Sink: processCPU(l.sink.proc.pid())}
	if sut != nil {
		s.SUT = processCPU(sut.pid())
	}
	return s
}

// progress prints a line on stderr, so that stdout carries only the table.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
