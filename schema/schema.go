// Package schema installs, upgrades, inspects and removes dbrelay's database
// objects. Versioned migrations (sql/<dialect>) run through golang-migrate,
// exactly as the upstream `migrate` CLI would run them; the repeatable
// objects (procedures/, views/, triggers/) are applied afterwards, each file
// recorded with its checksum and a checksum of the definitions the database
// held right after, so that status can tell a file changed on disk from an
// object edited in the database by hand.
package schema

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	dbrelay "github.com/dbrelay/dbrelay"
)

// Migrator applies dbrelay's schema to one database.
type Migrator struct {
	Conn *dialect.Conn
	// Objects is the tree the repeatable objects come from; nil means the
	// files embedded in the binary. Migrations always come from the binary:
	// they are versioned history, not something to edit.
	Objects fs.FS
	// Logf receives one line per action; nil = silent.
	Logf func(format string, args ...any)
}

func (m *Migrator) objects() fs.FS {
	if m.Objects != nil {
		return m.Objects
	}
	return dbrelay.Files
}

func (m *Migrator) logf(format string, args ...any) {
	if m.Logf != nil {
		m.Logf(format, args...)
	}
}

// migrationsDir is the embedded directory of one dialect's migrations.
func migrationsDir(d dialect.Dialect) string { return "sql/" + d.Name() }

// Latest is the highest migration version this binary carries.
func Latest(d dialect.Dialect) (uint, error) {
	src, err := iofs.New(dbrelay.Files, migrationsDir(d))
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
	return v, err
}

func (m *Migrator) newMigrate(ctx context.Context) (*migrate.Migrate, error) {
	src, err := iofs.New(dbrelay.Files, migrationsDir(m.Conn.Dialect))
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
// file that is new, changed on disk, or drifted in the database.
func (m *Migrator) Up(ctx context.Context) error {
	if err := m.checkUpgradable(ctx); err != nil {
		return err
	}
	files, err := LoadObjects(m.objects(), m.Conn.Dialect.Name())
	if err != nil {
		return err
	}
	mg, err := m.newMigrate(ctx)
	if err != nil {
		return err
	}
	err = mg.Up()
	mg.Close()
	switch {
	case errors.Is(err, migrate.ErrNoChange):
		m.logf("migrations: already at the latest version")
	case err != nil:
		return m.explainMigrateError(err)
	default:
		v, _, _, _ := m.Conn.Dialect.MigrationVersion(ctx, m.Conn.DB)
		m.logf("migrations: now at version %d", v)
	}
	return m.applyObjects(ctx, files)
}

// checkUpgradable refuses a dirty or newer database before anything runs.
func (m *Migrator) checkUpgradable(ctx context.Context) error {
	latest, err := Latest(m.Conn.Dialect)
	if err != nil {
		return err
	}
	v, dirty, ok, err := m.Conn.Dialect.MigrationVersion(ctx, m.Conn.DB)
	if err != nil {
		return m.Conn.Dialect.Explain(err)
	}
	switch {
	case ok && dirty:
		return dirtyError(v)
	case ok && v > latest:
		return newerError(v, latest)
	}
	return nil
}

func (m *Migrator) applyObjects(ctx context.Context, files []ObjectFile) error {
	d := m.Conn.Dialect
	tx, err := d.BeginObjects(ctx, m.Conn.DB)
	if err != nil {
		return d.Explain(err)
	}
	defer tx.Rollback()
	recorded, err := d.RecordedObjects(ctx, tx)
	if err != nil {
		return d.Explain(err)
	}
	byPath := map[string]dialect.ObjectRecord{}
	for _, r := range recorded {
		byPath[r.Path] = r
	}
	changed := 0
	for _, f := range files {
		before, complete, err := fingerprint(ctx, d, tx, f.Objects)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, d.Explain(err))
		}
		rec, known := byPath[f.Path]
		var why string
		switch {
		case !known:
			why = "new"
		case !complete:
			why = "missing in the database"
		case rec.FileSHA256 != f.SHA256:
			why = "changed on disk"
		case rec.DBSHA256 != before:
			why = "drifted: edited in the database since it was applied; the file's version replaces it"
		default:
			continue
		}
		batches, err := d.Batches(f.Text)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		for _, b := range batches {
			if _, err := tx.ExecContext(ctx, b); err != nil {
				return fmt.Errorf("apply %s: %w", f.Path, d.Explain(err))
			}
		}
		after, complete, err := fingerprint(ctx, d, tx, f.Objects)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, d.Explain(err))
		}
		if !complete {
			return fmt.Errorf("apply %s: it ran, but not every object it names exists afterwards (%s); check its CREATE statements", f.Path, f.ObjectNames())
		}
		if err := d.RecordObject(ctx, tx, dialect.ObjectRecord{Path: f.Path, Objects: f.ObjectNames(), FileSHA256: f.SHA256, DBSHA256: after}); err != nil {
			return d.Explain(err)
		}
		m.logf("objects: applied %s (%s)", f.Path, why)
		changed++
	}
	if err := tx.Commit(); err != nil {
		return d.Explain(err)
	}
	if changed == 0 {
		m.logf("objects: all %d files already applied", len(files))
	}
	return nil
}

// fingerprint hashes the database's definitions of objs; complete is false
// when one of them does not exist.
func fingerprint(ctx context.Context, d dialect.Dialect, q dialect.Querier, objs []dialect.Object) (sum string, complete bool, err error) {
	h := sha256.New()
	complete = true
	for _, o := range objs {
		def, ok, err := d.Definition(ctx, q, o)
		if err != nil {
			return "", false, err
		}
		if !ok {
			complete = false
		}
		fmt.Fprintf(h, "%s %s %s\n%s\n", o.Kind, o.Name, o.Table, def)
	}
	return hex.EncodeToString(h.Sum(nil)), complete, nil
}

// Down runs every down migration (which removes the repeatable objects
// before the tables) and then what golang-migrate cannot remove itself.
func (m *Migrator) Down(ctx context.Context) error {
	if err := m.checkUpgradable(ctx); err != nil {
		return err
	}
	mg, err := m.newMigrate(ctx)
	if err != nil {
		return err
	}
	err = mg.Down()
	mg.Close()
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return m.explainMigrateError(err)
	}
	if err := m.Conn.Dialect.AfterDown(ctx, m.Conn.DB); err != nil {
		return m.Conn.Dialect.Explain(err)
	}
	m.logf("migrations: removed every dbrelay table, view, procedure and trigger")
	return nil
}

// Force sets the recorded version without running anything: the way out of
// a dirty version after the cause was fixed by hand.
func (m *Migrator) Force(ctx context.Context, version int) error {
	mg, err := m.newMigrate(ctx)
	if err != nil {
		return err
	}
	defer mg.Close()
	if err := mg.Force(version); err != nil {
		return m.explainMigrateError(err)
	}
	return nil
}

func (m *Migrator) explainMigrateError(err error) error {
	var dirty migrate.ErrDirty
	if errors.As(err, &dirty) {
		return dirtyError(uint(dirty.Version))
	}
	return fmt.Errorf("migration failed: %w; the version is now marked dirty: fix the cause, then run 'dbrelay migrate force VERSION' with the last version that applied cleanly", m.Conn.Dialect.Explain(err))
}

func dirtyError(v uint) error {
	return fmt.Errorf("%w: migration %d failed half-way and left the database marked dirty; fix what it reported, then run 'dbrelay migrate force %d' (if its changes are in place) or 'dbrelay migrate force %d' (if they are not) and run 'dbrelay migrate up' again", dialect.ErrSchema, v, v, int(v)-1)
}

func newerError(v, latest uint) error {
	return fmt.Errorf("%w: the database's dbrelay schema is at version %d, newer than this dbrelay binary knows (%d); use the dbrelay release that installed it, or a newer one", dialect.ErrSchema, v, latest)
}

// Check tells whether the database is ready for a listener of this binary:
// installed, clean, and at exactly the binary's version.
func Check(ctx context.Context, conn *dialect.Conn) error {
	latest, err := Latest(conn.Dialect)
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
		return dirtyError(v)
	case v < latest:
		return fmt.Errorf("%w: the database's dbrelay schema is at version %d, older than this binary's %d; run 'dbrelay migrate up'", dialect.ErrSchema, v, latest)
	case v > latest:
		return newerError(v, latest)
	}
	return nil
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
