package schema

import (
	"context"
)

// States of dbrelay's own object files, reported by Status.
const (
	Applied       = "applied"         // recorded, same file, same definitions
	ChangedOnDisk = "changed on disk" // the file differs from the one applied (an edited copy, or a new dbrelay)
	Missing       = "missing"         // never applied, or an object is gone
	Drifted       = "drifted"         // edited in the database by hand since it was applied
	NotOnDisk     = "not on disk"     // recorded, but no such file any more (nothing for up to do)
)

// States of extension points, reported by Status (besides Missing, and
// ChangedOnDisk for a copy in --objects-dir that differs from the one
// applied).
const (
	// Default: the database holds the default dbrelay installed.
	Default = "default"
	// DefaultChanged: it holds the previous default, untouched, and this
	// dbrelay ships a new one, which `migrate up` installs.
	DefaultChanged = "default; the shipped default changed"
	// Customised: it differs from the default dbrelay installed (edited by
	// hand, or applied from --objects-dir); `migrate up` keeps it.
	Customised = "customised"
	// CustomisedDefaultChanged: customised, and this dbrelay ships another
	// default than the one it is based on: the DBA may want to look at the
	// new default (`migrate diff`).
	CustomisedDefaultChanged = "customised; the shipped default changed"
)

// Status is what `dbrelay migrate status` reports.
type Status struct {
	Installed bool // a version table exists with a version
	Version   int  // -1: dirty with no version
	Dirty     bool
	Latest    int // the binary's newest migration
	Objects   []ObjectStatus
}

// ObjectStatus is the state of one object file.
type ObjectStatus struct {
	Path           string
	Objects        string   // the objects it defines
	States         []string // one or more of the states above
	ExtensionPoint bool
}

// Status compares the database with this binary's migrations and the
// object files (shipped, or from Objects).
func (m *Migrator) Status(ctx context.Context) (*Status, error) {
	d := m.Conn.Dialect
	st := &Status{}
	var err error
	if st.Latest, err = latest(m.shipped(), d); err != nil {
		return nil, err
	}
	if st.Version, st.Dirty, st.Installed, err = d.MigrationVersion(ctx, m.Conn.DB); err != nil {
		return nil, d.Explain(err)
	}
	srcs, err := m.sources()
	if err != nil {
		return nil, err
	}
	all, recorded, err := m.standings(ctx, m.Conn.DB, srcs)
	if err != nil {
		return nil, err
	}
	onDisk := map[string]bool{}
	for _, s := range all {
		onDisk[s.file.Path] = true
		st.Objects = append(st.Objects, ObjectStatus{Path: s.file.Path, Objects: s.file.ObjectNames(), States: s.states(), ExtensionPoint: s.extensionPoint()})
	}
	for _, r := range recorded {
		if !onDisk[r.Path] {
			st.Objects = append(st.Objects, ObjectStatus{Path: r.Path, Objects: r.Objects, States: []string{NotOnDisk}})
		}
	}
	return st, nil
}

// Clean reports whether the schema is at the latest version and nothing
// needs `migrate up`: every own object applied as on disk, every extension
// point present and either the default or customised (a customised one
// whose shipped default changed is clean: up keeps it by design). A
// recorded file this dbrelay no longer has is listed, but up has nothing to
// do about it.
func (s *Status) Clean() bool {
	if !s.Installed || s.Dirty || s.Version != s.Latest {
		return false
	}
	for _, o := range s.Objects {
		if len(o.States) != 1 {
			return false
		}
		switch o.States[0] {
		case Applied, Default, Customised, CustomisedDefaultChanged, NotOnDisk:
		default:
			return false
		}
	}
	return true
}
