package schema

import (
	"context"
	"fmt"

	"github.com/dbrelay/dbrelay/dialect"
)

// Object states reported by Status.
const (
	Applied       = "applied"         // recorded, same file, same definitions
	ChangedOnDisk = "changed on disk" // the file differs from the one applied
	Missing       = "missing"         // never applied, or an object is gone
	Drifted       = "drifted"         // edited in the database by hand since it was applied
	NotOnDisk     = "not on disk"     // recorded, but no such file any more
)

// Status is what `dbrelay migrate status` reports.
type Status struct {
	Installed bool // a version table exists with a version
	Version   uint
	Dirty     bool
	Latest    uint // the binary's newest migration
	Objects   []ObjectStatus
}

// ObjectStatus is the state of one object file.
type ObjectStatus struct {
	Path    string
	Objects string   // the objects it defines
	States  []string // Applied, or one or more of the others
}

// Status compares the database with this binary's migrations and the
// object files (embedded, or from Objects).
func (m *Migrator) Status(ctx context.Context) (*Status, error) {
	d := m.Conn.Dialect
	st := &Status{}
	var err error
	if st.Latest, err = Latest(d); err != nil {
		return nil, err
	}
	if st.Version, st.Dirty, st.Installed, err = d.MigrationVersion(ctx, m.Conn.DB); err != nil {
		return nil, d.Explain(err)
	}
	files, err := LoadObjects(m.objects(), d.Name())
	if err != nil {
		return nil, err
	}
	recorded, err := d.RecordedObjects(ctx, m.Conn.DB)
	if err != nil {
		return nil, d.Explain(err)
	}
	byPath := map[string]dialect.ObjectRecord{}
	for _, r := range recorded {
		byPath[r.Path] = r
	}
	for _, f := range files {
		obj := ObjectStatus{Path: f.Path, Objects: f.ObjectNames()}
		now, complete, err := fingerprint(ctx, d, m.Conn.DB, f.Objects)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, d.Explain(err))
		}
		rec, known := byPath[f.Path]
		delete(byPath, f.Path)
		switch {
		case !known || !complete:
			obj.States = append(obj.States, Missing)
		default:
			if rec.FileSHA256 != f.SHA256 {
				obj.States = append(obj.States, ChangedOnDisk)
			}
			if rec.DBSHA256 != now {
				obj.States = append(obj.States, Drifted)
			}
		}
		if len(obj.States) == 0 {
			obj.States = []string{Applied}
		}
		st.Objects = append(st.Objects, obj)
	}
	for _, r := range recorded {
		if _, left := byPath[r.Path]; left {
			st.Objects = append(st.Objects, ObjectStatus{Path: r.Path, Objects: r.Objects, States: []string{NotOnDisk}})
		}
	}
	return st, nil
}

// Clean reports whether the schema is at the latest version and every
// object is applied as on disk.
func (s *Status) Clean() bool {
	if !s.Installed || s.Dirty || s.Version != s.Latest {
		return false
	}
	for _, o := range s.Objects {
		if len(o.States) != 1 || o.States[0] != Applied {
			return false
		}
	}
	return true
}
