package schema

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// Down removes everything dbrelay installed: it runs every down migration
// from the database's version to the first (they remove the repeatable
// objects before the tables), then drops the version table and schema
// relay, all in ONE transaction under golang-migrate's lock and the
// objects lock. So a down that is refused (one of the host's objects
// depends on a dbrelay object: the down files never use CASCADE) changes
// nothing, and the version stays as it was, clean; golang-migrate's own
// Down would have run the later down files, then left the version dirty.
func (m *Migrator) Down(ctx context.Context) error {
	d := m.Conn.Dialect
	if err := m.checkUpgradable(ctx); err != nil {
		return err
	}
	v, _, ok, err := d.MigrationVersion(ctx, m.Conn.DB)
	if err != nil {
		return d.Explain(err)
	}
	if !ok {
		m.logf("migrations: dbrelay is not installed here; nothing to remove")
		return nil
	}
	downs, err := m.downFiles(v)
	if err != nil {
		return err
	}
	drv, err := d.MigrationDriver(ctx, m.Conn.DB)
	if err != nil {
		return d.Explain(err)
	}
	defer drv.Close()
	if err := drv.Lock(); err != nil {
		return fmt.Errorf("take golang-migrate's lock: %w", d.Explain(err))
	}
	defer drv.Unlock()
	tx, err := d.BeginObjects(ctx, m.Conn.DB)
	if err != nil {
		return d.Explain(err)
	}
	defer tx.Rollback()
	for _, f := range downs {
		if _, err := tx.ExecContext(ctx, f.text); err != nil {
			return fmt.Errorf("migrate down refused, and nothing was removed: the database is still at version %d, clean. %s failed: %w", v, f.name, d.Explain(err))
		}
	}
	if err := d.AfterDown(ctx, tx); err != nil {
		return fmt.Errorf("migrate down failed, and nothing was removed: the database is still at version %d, clean: %w", v, d.Explain(err))
	}
	if err := tx.Commit(); err != nil {
		return d.Explain(err)
	}
	m.logf("migrations: removed every dbrelay table, view, procedure and trigger")
	return nil
}

type migrationFile struct {
	name string
	text string
}

// downFiles returns the down files of versions up to v, newest first.
func (m *Migrator) downFiles(v int) ([]migrationFile, error) {
	dir := migrationsDir(m.Conn.Dialect)
	entries, err := fs.ReadDir(m.shipped(), dir)
	if err != nil {
		return nil, err
	}
	type versioned struct {
		v uint
		migrationFile
	}
	var downs []versioned
	for _, e := range entries {
		mig, err := source.DefaultParse(e.Name())
		if err != nil || mig.Direction != source.Down || int(mig.Version) > v {
			continue
		}
		b, err := fs.ReadFile(m.shipped(), path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		downs = append(downs, versioned{mig.Version, migrationFile{path.Join(dir, e.Name()), string(b)}})
	}
	sort.Slice(downs, func(i, j int) bool { return downs[i].v > downs[j].v })
	out := make([]migrationFile, len(downs))
	for i := range downs {
		out[i] = downs[i].migrationFile
	}
	return out, nil
}

// Force sets the recorded version without running anything: the way out of
// a dirty version after the cause was fixed by hand. -1 records no version.
func (m *Migrator) Force(ctx context.Context, version int) error {
	mg, err := m.newMigrate(ctx)
	if err != nil {
		return err
	}
	defer mg.Close()
	if err := mg.Force(version); err != nil {
		return m.explainMigrateError(ctx, err)
	}
	return nil
}

// prevVersion is the version before v among the shipped migrations: -1
// before the first (or when v is unknown).
func (m *Migrator) prevVersion(v int) int {
	src, err := iofs.New(m.shipped(), migrationsDir(m.Conn.Dialect))
	if err != nil || v < 0 {
		return -1
	}
	defer src.Close()
	prev, err := src.Prev(uint(v))
	if err != nil {
		return -1
	}
	return int(prev)
}

func (m *Migrator) firstVersion() int {
	src, err := iofs.New(m.shipped(), migrationsDir(m.Conn.Dialect))
	if err != nil {
		return 1
	}
	defer src.Close()
	first, err := src.First()
	if err != nil {
		return 1
	}
	return int(first)
}

// explainMigrateError turns golang-migrate's errors into what to do, with
// commands that work as printed.
func (m *Migrator) explainMigrateError(ctx context.Context, err error) error {
	d := m.Conn.Dialect
	v, dirty, ok, verr := d.MigrationVersion(ctx, m.Conn.DB)
	if verr == nil && ok && dirty {
		return fmt.Errorf("%w (%v)", m.dirtyError(v), d.Explain(err))
	}
	return fmt.Errorf("migration failed: %w", d.Explain(err))
}

// dirtyError says how to leave a dirty version: the two versions the
// database can really be at, as commands to paste.
func (m *Migrator) dirtyError(v int) error {
	if v < 0 {
		first := m.firstVersion()
		return fmt.Errorf("%w: a migration failed half-way and left the database marked dirty with no version; if dbrelay's tables are there, run 'dbrelay migrate force %d', otherwise 'dbrelay migrate force -1'; then run 'dbrelay migrate up'",
			dialect.ErrSchema, first)
	}
	return fmt.Errorf("%w: migration %d failed half-way and left the database marked dirty; fix what it reported, then run 'dbrelay migrate force %d' if its changes are in place, or 'dbrelay migrate force %d' if they are not, and run 'dbrelay migrate up' again",
		dialect.ErrSchema, v, v, m.prevVersion(v))
}
