// Package schema installs, upgrades, inspects and removes dbrelay's database
// objects. Versioned migrations (sql/<dialect>) run through golang-migrate,
// exactly as the upstream `migrate` CLI would run them; the repeatable
// objects (procedures/, views/, triggers/) are applied afterwards, each file
// recorded with its checksum, the checksum of the shipped file it is (or is
// based on) and a checksum of the definitions the database held right
// after, so that status can tell a file changed on disk from an object
// edited in the database by hand.
//
// Two kinds of object file (see ExtensionPointMarker): extension points
// belong to the integrator once installed, and `up` never replaces one
// that differs from the default dbrelay installed; everything else is
// dbrelay's own, and `up` restores it, after saving what it replaces.
package schema

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	dbrelay "github.com/dbrelay/dbrelay"
)

// Migrator applies dbrelay's schema to one database.
type Migrator struct {
	Conn *dialect.Conn
	// Shipped is the tree this binary carries: the migrations and the
	// default object files. nil means the files embedded in the binary;
	// tests put a newer tree here to simulate an upgrade.
	Shipped fs.FS
	// Objects is a tree of object files that replace the shipped ones of
	// the same path (`--objects-dir`); nil means none. Migrations always
	// come from Shipped: they are versioned history, not something to edit.
	Objects fs.FS
	// Reset names extension points (relay.push, or a file's path) that Up
	// replaces with the shipped default, saving the definition it replaces.
	Reset []string
	// Logf receives one line per action; nil = silent.
	Logf func(format string, args ...any)
	// Warnf receives warnings: definitions Up replaced that were not
	// dbrelay's shipped ones. nil = Logf with a "warning: " prefix.
	Warnf func(format string, args ...any)

	// saved lists the files whose definitions Up saved in the history
	// before migrating, so that they are not saved twice.
	saved map[string]bool
}

func (m *Migrator) shipped() fs.FS {
	if m.Shipped != nil {
		return m.Shipped
	}
	return dbrelay.Files
}

func (m *Migrator) logf(format string, args ...any) {
	if m.Logf != nil {
		m.Logf(format, args...)
	}
}

func (m *Migrator) warnf(format string, args ...any) {
	if m.Warnf != nil {
		m.Warnf(format, args...)
		return
	}
	m.logf("warning: "+format, args...)
}

// resets reports whether Reset names f (a path or one of its objects).
func (m *Migrator) resets(f ObjectFile) bool {
	for _, r := range m.Reset {
		if f.Path == r || f.Defines(r) {
			return true
		}
	}
	return false
}

// migrationsDir is the directory of one dialect's migrations.
func migrationsDir(d dialect.Dialect) string { return "sql/" + d.Name() }

// Latest is the highest migration version this binary carries.
func Latest(d dialect.Dialect) (uint, error) {
	v, err := latest(dbrelay.Files, d)
	return uint(v), err
}

func latest(fsys fs.FS, d dialect.Dialect) (int, error) {
	src, err := iofs.New(fsys, migrationsDir(d))
	if err != nil {
		return 0, err
	}
	defer src.Close()
	v, err := src.First()
	for err == nil {
		next, nerr := src.Next(v)
		if nerr != nil {
			break
		}
		v = next
	}
	return int(v), err
}

func (m *Migrator) newMigrate(ctx context.Context) (*migrate.Migrate, error) {
	src, err := iofs.New(m.shipped(), migrationsDir(m.Conn.Dialect))
	if err != nil {
		return nil, err
	}
	drv, err := m.Conn.Dialect.MigrationDriver(ctx, m.Conn.DB)
	if err != nil {
		return nil, m.Conn.Dialect.Explain(err)
	}
	mg, err := migrate.NewWithInstance("iofs", src, m.Conn.Dialect.Name(), drv)
	if err != nil {
		drv.Close()
		return nil, err
	}
	return mg, nil
}

// Up migrates to the latest version, then applies every repeatable object
// file that is new, changed or drifted, as each file's kind says (see
// ExtensionPointMarker). Before any migration runs it checks what the
// pending migrations require of customised extension points, and refuses
// with nothing changed if one does not follow.
func (m *Migrator) Up(ctx context.Context) error {
	if err := m.checkUpgradable(ctx); err != nil {
		return err
	}
	srcs, err := m.sources()
	if err != nil {
		return err
	}
	if err := m.checkResets(srcs); err != nil {
		return err
	}
	if err := m.checkRequirements(ctx, srcs); err != nil {
		return err
	}
	if err := m.migrateUp(ctx); err != nil {
		return err
	}
	if err := m.rebaseline(ctx, srcs); err != nil {
		return err
	}
	return m.applyObjects(ctx, srcs)
}

// migrateUp runs the pending migrations. Each migration file runs in one
// transaction (PostgreSQL runs a multi-statement file as one; a SQL Server
// file wraps itself in one, which sqlcheck enforces), so a migration that
// fails changes nothing: the version is set back to the one before it,
// clean, rather than left dirty.
func (m *Migrator) migrateUp(ctx context.Context) error {
	mg, err := m.newMigrate(ctx)
	if err != nil {
		return err
	}
	err = mg.Up()
	defer mg.Close()
	var failed database.Error
	switch {
	case errors.Is(err, migrate.ErrNoChange):
		m.logf("migrations: already at the latest version")
		return nil
	case errors.As(err, &failed) && len(failed.Query) > 0:
		v, _, _, verr := m.Conn.Dialect.MigrationVersion(ctx, m.Conn.DB)
		if verr != nil {
			return m.Conn.Dialect.Explain(verr)
		}
		prev := m.prevVersion(v)
		if ferr := mg.Force(prev); ferr != nil {
			return m.explainMigrateError(ctx, err)
		}
		return fmt.Errorf("migration %d failed and changed nothing (each migration runs in one transaction), so the database is still at %s: %w; fix the cause, then run 'dbrelay migrate up' again",
			v, versionName(prev), m.Conn.Dialect.Explain(failed.OrigErr))
	case err != nil:
		return m.explainMigrateError(ctx, err)
	}
	v, _, _, _ := m.Conn.Dialect.MigrationVersion(ctx, m.Conn.DB)
	m.logf("migrations: now at version %d", v)
	return nil
}

func versionName(v int) string {
	if v < 0 {
		return "no version (nothing installed)"
	}
	return fmt.Sprintf("version %d", v)
}

// checkUpgradable refuses a dirty or newer database before anything runs.
func (m *Migrator) checkUpgradable(ctx context.Context) error {
	last, err := latest(m.shipped(), m.Conn.Dialect)
	if err != nil {
		return err
	}
	v, dirty, ok, err := m.Conn.Dialect.MigrationVersion(ctx, m.Conn.DB)
	if err != nil {
		return m.Conn.Dialect.Explain(err)
	}
	switch {
	case ok && dirty:
		return m.dirtyError(v)
	case ok && v > last:
		return newerError(v, last)
	}
	return nil
}

// Check tells whether the database is ready for a listener of this binary:
// installed, clean, and at exactly the binary's version.
func Check(ctx context.Context, conn *dialect.Conn) error {
	last, err := latest(dbrelay.Files, conn.Dialect)
	if err != nil {
		return err
	}
	v, dirty, ok, err := conn.Dialect.MigrationVersion(ctx, conn.DB)
	switch {
	case err != nil:
		return conn.Dialect.Explain(err)
	case !ok:
		return fmt.Errorf("%w: dbrelay is not installed in this database; run 'dbrelay migrate up' first", dialect.ErrSchema)
	case dirty:
		return (&Migrator{Conn: conn}).dirtyError(v)
	case v < last:
		return fmt.Errorf("%w: the database's dbrelay schema is at version %d, older than this binary's %d; run 'dbrelay migrate up'", dialect.ErrSchema, v, last)
	case v > last:
		return newerError(v, last)
	}
	return nil
}

func newerError(v, last int) error {
	return fmt.Errorf("%w: the database's dbrelay schema is at version %d, newer than this dbrelay binary knows (%d); use the dbrelay release that installed it, or a newer one", dialect.ErrSchema, v, last)
}

// Export writes the embedded repeatable objects of one dialect into dir,
// laid out as in the repository (dir/procedures/<dialect>/…), ready to edit
// and to apply with --objects-dir. Existing files are not overwritten.
func Export(dialectName, dir string) ([]string, error) {
	files, err := LoadObjects(dbrelay.Files, dialectName)
	if err != nil {
		return nil, err
	}
	var written []string
	for _, f := range files {
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		if _, err := os.Stat(dst); err == nil {
			return written, fmt.Errorf("%s already exists; export into an empty directory, or move your edited copy away first", dst)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return written, err
		}
		if err := os.WriteFile(dst, []byte(f.Text), 0o644); err != nil {
			return written, err
		}
		written = append(written, dst)
	}
	return written, nil
}

// MigrationFiles lists every file in the embedded migrations directory of a
// dialect with whether golang-migrate recognises its name: a misnamed file
// is otherwise skipped without a word.
func MigrationFiles(d dialect.Dialect) (map[string]bool, error) {
	entries, err := fs.ReadDir(dbrelay.Files, migrationsDir(d))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, e := range entries {
		_, perr := source.DefaultParse(e.Name())
		out[e.Name()] = perr == nil && strings.HasSuffix(e.Name(), ".sql")
	}
	return out, nil
}
