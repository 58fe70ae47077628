package schema

import (
	"context"

	"github.com/dbrelay/dbrelay/dialect"
)

// trial applies object files in a transaction that is always rolled back,
// and lets read look at what the database made of each: so that dbrelay can
// compare a definition in the database with the one a file gives, in the
// database's own terms (pg_get_functiondef's layout, a normalised module),
// without changing anything. It stops at the first file that does not
// apply (it may need a migration that has not run yet), with that error.
func (m *Migrator) trial(ctx context.Context, files []*ObjectFile, read func(q dialect.Querier, f *ObjectFile) error) error {
	d := m.Conn.Dialect
	tx, err := d.BeginObjects(ctx, m.Conn.DB)
	if err != nil {
		return d.Explain(err)
	}
	defer tx.Rollback()
	for _, f := range files {
		if err := m.run(ctx, tx, f); err != nil {
			return err
		}
		if err := read(tx, f); err != nil {
			return err
		}
	}
	return nil
}

// rebaseline completes the rows an earlier dbrelay wrote before migration 4,
// which do not say which shipped file they were based on. A row whose
// objects the database holds exactly as this dbrelay's file makes them (a
// trial says so) is recorded as installed from that file: a default, or
// dbrelay's own version, as the case may be. The others stay as they are,
// and count as customised (extension points) or are restored with a
// warning (dbrelay's own): nothing is taken for an old default that might
// be an integrator's work.
func (m *Migrator) rebaseline(ctx context.Context, srcs []objectSource) error {
	d := m.Conn.Dialect
	all, _, err := m.standings(ctx, m.Conn.DB, srcs)
	if err != nil {
		return err
	}
	var todo []*standing
	var files []*ObjectFile
	for _, s := range all {
		if s.known && s.complete && s.rec.ShippedSHA256 == "" && s.shipped != nil {
			todo = append(todo, s)
			files = append(files, s.shipped)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	made := map[string]string{}
	err = m.trial(ctx, files, func(q dialect.Querier, f *ObjectFile) error {
		fp, _, _, err := fingerprint(ctx, d, q, f.Objects)
		made[f.Path] = fp
		return d.Explain(err)
	})
	if err != nil {
		m.logf("objects: could not compare every object recorded by an earlier dbrelay with this one's (%v); the others count as changed", err)
	}
	for _, s := range todo {
		if fp, ok := made[s.file.Path]; !ok || fp != s.dbNow {
			continue
		}
		rec := s.rec
		rec.FileSHA256, rec.DBSHA256, rec.ShippedSHA256 = s.shipped.SHA256, s.dbNow, s.shipped.SHA256
		if err := d.RecordObject(ctx, m.Conn.DB, rec); err != nil {
			return d.Explain(err)
		}
	}
	return nil
}
