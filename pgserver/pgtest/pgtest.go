// Package pgtest gives each test its own fresh PostgreSQL database on one
// private server per test binary (see pgserver). A migrated template is built
// once, so a migrated database per test costs a file copy, not a migration.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestX(t *testing.T) { url := pgtest.Migrated(t) … }
package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	_ "github.com/dbrelay/dbrelay/dialect/postgres" // registers the dialect
	"github.com/dbrelay/dbrelay/pgserver"
	"github.com/dbrelay/dbrelay/schema"
)

var (
	server       *pgserver.Server
	counter      atomic.Int64
	templateOnce sync.Once
	templateErr  error
)

const templateName = "dbrelay_template"

// Main starts the server, runs the tests and stops the server.
func Main(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	var err error
	server, err = pgserver.Start(ctx, pgserver.Options{Logf: func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, f+"\n", a...)
	}})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: cannot start PostgreSQL:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := server.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
	os.Exit(code)
}

// Server is the running server, for tests that restart it.
func Server() *pgserver.Server { return server }

// Empty returns the URL of a new empty database, dropped when t ends.
func Empty(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "")
}

// Migrated returns the URL of a new database with dbrelay installed
// (`dbrelay migrate up` with the embedded files), dropped when t ends.
func Migrated(t testing.TB) string {
	t.Helper()
	templateOnce.Do(func() { templateErr = buildTemplate() })
	if templateErr != nil {
		t.Fatalf("pgtest: migrated template: %v", templateErr)
	}
	return newDatabase(t, templateName)
}

func newDatabase(t testing.TB, template string) string {
	t.Helper()
	if server == nil {
		t.Fatal("pgtest: no server; call pgtest.Main from TestMain")
	}
	name := fmt.Sprintf("t%d_%s", counter.Add(1), sanitize(t.Name()))
	ctx := context.Background()
	if err := server.CreateDatabase(ctx, name, template); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := server.DropDatabase(context.Background(), name); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	return server.URL(name)
}

func buildTemplate() error {
	ctx := context.Background()
	if err := server.CreateDatabase(ctx, templateName, ""); err != nil {
		return err
	}
	conn, err := dialect.Open(server.URL(templateName))
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := (&schema.Migrator{Conn: conn}).Up(ctx); err != nil {
		return err
	}
	return conn.Close() // CREATE DATABASE … TEMPLATE needs it unused
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}
