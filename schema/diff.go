package schema

import (
	"context"
	"fmt"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/dbrelay/dbrelay/dialect"

	dbrelay "github.com/dbrelay/dbrelay"
)

// ObjectDiff is one object file's definitions in the database beside the
// ones its shipped file gives.
type ObjectDiff struct {
	Path    string
	Objects string
	States  []string
	// Database is the database's definition (DDL), Shipped the shipped
	// file's: the definition the database gives it (the file is applied in
	// a transaction that is rolled back), or the file's text when that
	// fails (it may need a migration that has not run yet).
	Database, Shipped string
	// Unified is the unified diff from Database to Shipped; "" when equal.
	Unified string
}

// Diff compares the database's definitions with the shipped defaults, for
// the objects (relay.push) or files (procedures/postgres/push.sql) named;
// with none, for every customised extension point and every own object
// that is not as applied.
func (m *Migrator) Diff(ctx context.Context, names []string) ([]ObjectDiff, error) {
	srcs, err := m.sources()
	if err != nil {
		return nil, err
	}
	all, _, err := m.standings(ctx, m.Conn.DB, srcs)
	if err != nil {
		return nil, err
	}
	var picked []*standing
	for _, name := range names {
		s := standingOf(all, name)
		if s == nil {
			for _, c := range all {
				if c.file.Path == name {
					s = c
				}
			}
		}
		if s == nil || s.shipped == nil {
			_, err := shippedFile(m.shipped(), m.Conn.Dialect.Name(), name)
			return nil, err
		}
		picked = append(picked, s)
	}
	if len(names) == 0 {
		for _, s := range all {
			if st := s.states()[0]; s.shipped != nil && st != Applied && st != Default && st != Missing {
				picked = append(picked, s)
			}
		}
	}
	var out []ObjectDiff
	for _, s := range picked {
		od, err := m.diff(ctx, s)
		if err != nil {
			return nil, err
		}
		out = append(out, od)
	}
	return out, nil
}

func (m *Migrator) diff(ctx context.Context, s *standing) (ObjectDiff, error) {
	od := ObjectDiff{Path: s.file.Path, Objects: s.file.ObjectNames(), States: s.states()}
	mine, err := m.ddl(ctx, m.Conn.DB, s.shipped)
	if err != nil {
		return od, err
	}
	od.Database = mine
	od.Shipped = s.shipped.Text
	err = m.trial(ctx, []*ObjectFile{s.shipped}, func(q dialect.Querier, f *ObjectFile) error {
		var err error
		od.Shipped, err = m.ddl(ctx, q, f)
		return err
	})
	if err != nil {
		od.Shipped = s.shipped.Text
	}
	if od.Database != od.Shipped {
		name := s.file.Objects[0].Name
		od.Unified = udiff.Unified(name+" (database: "+strings.Join(od.States, ", ")+")",
			name+" (shipped default, dbrelay "+dbrelay.Version+")", od.Database+"\n", od.Shipped+"\n")
	}
	return od, nil
}

// ddl is the database's DDL of every object of f, in order.
func (m *Migrator) ddl(ctx context.Context, q dialect.Querier, f *ObjectFile) (string, error) {
	var parts []string
	for _, o := range f.Objects {
		def, ok, err := m.Conn.Dialect.DDL(ctx, q, o)
		if err != nil {
			return "", fmt.Errorf("%s: read %s: %w", f.Path, o.Name, m.Conn.Dialect.Explain(err))
		}
		if !ok {
			def = "-- " + o.Name + ": not in the database"
		}
		parts = append(parts, strings.TrimRight(def, "\n"))
	}
	return strings.Join(parts, "\n\n"), nil
}
