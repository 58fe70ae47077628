package schema

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
)

// step is what `migrate up` does with one object file.
type step struct {
	apply *ObjectFile // the file to apply; nil: leave the database as it is
	why   string      // logged with the file's path
	// warn, when set, is printed as a warning naming what is replaced
	// (with the history ids where its definition was saved).
	warn string
	// kept, when set, says why an extension point is left as it is.
	kept string
	// adopt records an extension point that exists but that dbrelay has no
	// record of installing, as customised, without touching it.
	adopt bool
}

// plan decides, for one file, what `migrate up` does. reset asks for an
// extension point to be replaced with the shipped default.
func (s *standing) plan(reset bool) step {
	if s.extensionPoint() {
		return s.planExtension(reset)
	}
	return s.planOwn()
}

// planExtension: an extension point is created when missing, updated to a
// new shipped default only while it holds the previous default untouched,
// and otherwise left as it is.
func (s *standing) planExtension(reset bool) step {
	name := s.file.ObjectNames()
	switch {
	case reset:
		st := step{apply: s.shipped, why: "reset to this dbrelay's default (--reset)"}
		if s.existing {
			st.warn = fmt.Sprintf("replaced %s with this dbrelay's default, as --reset asked", name)
		}
		return st
	case !s.known && s.complete:
		return step{adopt: true, kept: fmt.Sprintf("kept %s: it exists, but dbrelay has no record of installing it, so it counts as customised ('dbrelay migrate up --reset %s' replaces it with this dbrelay's default)", name, s.file.Objects[0].Name)}
	case !s.known:
		return step{apply: &s.file, why: "new"}
	case !s.complete:
		return step{apply: &s.file, why: "missing in the database"}
	case s.fromDir && s.fileChanged():
		st := step{apply: &s.file, why: "changed in --objects-dir"}
		if s.handEdited() {
			st.warn = fmt.Sprintf("replaced %s, edited in the database by hand since its file was applied, with the file from --objects-dir", name)
		}
		return st
	case s.customised():
		kept := fmt.Sprintf("kept %s: customised, so 'migrate up' does not replace it", name)
		if s.shippedChanged() {
			kept += fmt.Sprintf("; this dbrelay ships a new default for it: compare with 'dbrelay migrate diff %s'", s.file.Objects[0].Name)
		}
		return step{kept: kept}
	case s.shippedChanged() && s.fromDir:
		return step{kept: fmt.Sprintf("kept %s as --objects-dir has it, the previous default; this dbrelay ships a new one: run 'dbrelay migrate up' without --objects-dir to install it, or export the new files with 'dbrelay migrate export'", name)}
	case s.shippedChanged():
		return step{apply: s.shipped, why: "updated to this dbrelay's default (it held the previous default, never customised)"}
	}
	return step{}
}

// planOwn: dbrelay's own objects are restored to the file whenever they
// differ from it, and every replaced definition that was not dbrelay's
// shipped one is named in a warning.
func (s *standing) planOwn() step {
	name := s.file.ObjectNames()
	// A row from before migration 4 that differs from this dbrelay's file
	// (rebaseline recorded the others): an older version, or an edit; which
	// one cannot be told.
	legacy := s.known && s.rec.ShippedSHA256 == ""
	var st step
	switch {
	case !s.known && s.existing:
		st = step{apply: &s.file, why: "not recorded", warn: fmt.Sprintf("replaced %s, which dbrelay had no record of installing", name)}
	case !s.known:
		st = step{apply: &s.file, why: "new"}
	case !s.complete:
		st = step{apply: &s.file, why: "missing in the database"}
	case legacy && s.handEdited():
		st = step{apply: &s.file, why: "replaced: it differed from what an earlier dbrelay recorded",
			warn: fmt.Sprintf("replaced %s, which differed from what an earlier dbrelay recorded (an edit by hand?), with this dbrelay's version", name)}
	case s.handEdited():
		st = step{apply: &s.file, why: "drifted: edited in the database by hand; restored",
			warn: fmt.Sprintf("replaced %s, edited in the database by hand: it is dbrelay's own and 'migrate up' restores it", name)}
	case !s.fileChanged():
		return step{}
	case s.fromDir:
		st = step{apply: &s.file, why: "changed in --objects-dir"}
	case s.customisedFile() && !legacy:
		st = step{apply: &s.file, why: "restored to this dbrelay's version",
			warn: fmt.Sprintf("replaced %s, applied earlier from --objects-dir, with this dbrelay's version", name)}
	default:
		st = step{apply: &s.file, why: "updated to this dbrelay's version"}
	}
	if s.fromDir && s.file.SHA256 != s.shippedSHA() && st.warn == "" {
		st.warn = fmt.Sprintf("%s is dbrelay's own, and --objects-dir holds another version of it: the next 'dbrelay migrate up' without --objects-dir restores this dbrelay's", name)
	}
	return st
}

// applyObjects applies, in one transaction under the objects lock, every
// object file the plan says to, saving each definition it replaces in
// relay.schema_object_history first.
func (m *Migrator) applyObjects(ctx context.Context, srcs []objectSource) error {
	d := m.Conn.Dialect
	tx, err := d.BeginObjects(ctx, m.Conn.DB)
	if err != nil {
		return d.Explain(err)
	}
	defer tx.Rollback()
	all, _, err := m.standings(ctx, tx, srcs)
	if err != nil {
		return err
	}
	changed := 0
	for _, s := range all {
		st := s.plan(m.resets(s.file))
		if st.kept != "" {
			m.logf("objects: %s", st.kept)
		}
		switch {
		case st.adopt:
			if err := d.RecordObject(ctx, tx, dialect.ObjectRecord{Path: s.file.Path, Objects: s.file.ObjectNames(), DBSHA256: s.dbNow, ShippedSHA256: s.shippedSHA()}); err != nil {
				return d.Explain(err)
			}
			continue
		case st.apply == nil:
			continue
		}
		saved, err := m.saveReplaced(ctx, tx, s, st)
		if err != nil {
			return err
		}
		if err := m.apply(ctx, tx, s, st.apply); err != nil {
			return err
		}
		line := fmt.Sprintf("applied %s (%s)", st.apply.Path, st.why)
		if len(saved) > 0 {
			line += fmt.Sprintf("; the definition it replaced is saved: %s", historyQuery(saved))
		}
		m.logf("objects: %s", line)
		if st.warn != "" {
			if len(saved) > 0 {
				m.warnf("%s; the replaced definition is saved: %s", st.warn, historyQuery(saved))
			} else {
				m.warnf("%s", st.warn)
			}
		}
		changed++
	}
	if err := tx.Commit(); err != nil {
		return d.Explain(err)
	}
	if changed == 0 {
		m.logf("objects: all %d files up to date", len(all))
	}
	return nil
}

// apply runs one file and records it.
func (m *Migrator) apply(ctx context.Context, tx *sql.Tx, s *standing, f *ObjectFile) error {
	d := m.Conn.Dialect
	if err := m.run(ctx, tx, f); err != nil {
		return err
	}
	after, complete, _, err := fingerprint(ctx, d, tx, f.Objects)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, d.Explain(err))
	}
	if !complete {
		return fmt.Errorf("apply %s: it ran, but not every object it names exists afterwards (%s); check its CREATE statements", f.Path, f.ObjectNames())
	}
	rec := dialect.ObjectRecord{Path: f.Path, Objects: f.ObjectNames(), FileSHA256: f.SHA256, DBSHA256: after, ShippedSHA256: s.shippedSHA()}
	return d.Explain(d.RecordObject(ctx, tx, rec))
}

// run executes one object file, batch by batch.
func (m *Migrator) run(ctx context.Context, q dialect.Querier, f *ObjectFile) error {
	d := m.Conn.Dialect
	batches, err := d.Batches(f.Text)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	for _, b := range batches {
		if _, err := q.ExecContext(ctx, b); err != nil {
			return fmt.Errorf("apply %s: %w", f.Path, d.Explain(err))
		}
	}
	return nil
}

// saveReplaced keeps the database's current definition of every object the
// step replaces, and returns the history ids.
func (m *Migrator) saveReplaced(ctx context.Context, q dialect.Querier, s *standing, st step) ([]int64, error) {
	if !s.existing || m.saved[s.file.Path] {
		return nil, nil
	}
	reason := st.why
	if st.warn != "" {
		reason = st.warn
	}
	return m.save(ctx, q, s.file.Path, s.file.Objects, reason)
}

func (m *Migrator) save(ctx context.Context, q dialect.Querier, path string, objs []dialect.Object, reason string) ([]int64, error) {
	d := m.Conn.Dialect
	var ids []int64
	for _, o := range objs {
		ddl, ok, err := d.DDL(ctx, q, o)
		if err != nil {
			return nil, fmt.Errorf("%s: read %s: %w", path, o.Name, d.Explain(err))
		}
		if !ok {
			continue
		}
		id, err := d.SaveReplaced(ctx, q, dialect.Replaced{Path: path, Object: o.Name, Definition: ddl, Reason: reason})
		if err != nil {
			return nil, fmt.Errorf("%s: save the definition of %s before replacing it: %w", path, o.Name, d.Explain(err))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// historyQuery is the statement that reads saved definitions back.
func historyQuery(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	if len(ids) == 1 {
		return "SELECT definition FROM relay.schema_object_history WHERE id = " + s[0]
	}
	return "SELECT definition FROM relay.schema_object_history WHERE id IN (" + strings.Join(s, ", ") + ")"
}
