package schema

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/golang-migrate/migrate/v4/source"
)

// A migration that changes what an extension point must look like says so
// in its up file's header, one line per extension point:
//
//	-- dbrelay:requires relay.on_outcome(message_id, status, channel, receiver, event, ref, attempt): add the parameter attempt integer after ref
//	-- dbrelay:requires relay.push default: the default body now …; take it and make your changes again
//
// The first form requires the parameters, by name and in order; the second
// requires the shipped default itself (the integrator's version cannot be
// kept as it is). The text after the colon is the change to make, shown
// when a customised extension point does not follow. Up checks every
// pending migration's requirements before it runs any migration.
var requiresRe = regexp.MustCompile(`(?m)^[ \t]*--[ \t]*dbrelay:requires[ \t]+([^\s(:]+)[ \t]*(?:\(([^)]*)\)|[ \t]+(default))[ \t]*:[ \t]*(.+?)[ \t]*$`)

// Requirement is what one migration requires of an extension point.
type Requirement struct {
	Version uint     // the migration declaring it
	File    string   // its up file
	Object  string   // e.g. relay.on_outcome
	Params  []string // required parameter names, in order; nil with Default
	Default bool     // the shipped default itself is required
	Change  string   // what the integrator must change
}

func (r Requirement) what() string {
	if r.Default {
		return "to be this dbrelay's default"
	}
	return "to take (" + strings.Join(r.Params, ", ") + ")"
}

// Requirements reads the requirements declared by the up migrations of one
// dialect in fsys whose version is above after (-1: all), oldest first.
func Requirements(fsys fs.FS, dialectName string, after int) ([]Requirement, error) {
	dir := "sql/" + dialectName
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Requirement
	for _, e := range entries {
		mig, err := source.DefaultParse(e.Name())
		if err != nil || mig.Direction != source.Up || int(mig.Version) <= after {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, m := range requiresRe.FindAllStringSubmatch(string(b), -1) {
			r := Requirement{Version: mig.Version, File: path.Join(dir, e.Name()), Object: m[1], Default: m[3] != "", Change: m[4]}
			if !r.Default {
				r.Params = []string{}
				for _, p := range strings.Split(m[2], ",") {
					if p = strings.TrimSpace(p); p != "" {
						r.Params = append(r.Params, normalName(strings.TrimPrefix(p, "@")))
					}
				}
			}
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// checkResets refuses a Reset naming no shipped extension point.
func (m *Migrator) checkResets(srcs []objectSource) error {
	for _, r := range m.Reset {
		found := false
		for _, s := range srcs {
			if s.shipped == nil || !(s.shipped.Path == r || s.shipped.Defines(r)) {
				continue
			}
			if !s.shipped.ExtensionPoint {
				return fmt.Errorf("--reset %s: %s is dbrelay's own, not an extension point: 'dbrelay migrate up' restores it anyway", r, s.shipped.ObjectNames())
			}
			found = true
		}
		if !found {
			return fmt.Errorf("--reset %s: this dbrelay has no extension point of that name (%s)", r, strings.Join(extensionPointNames(srcs), ", "))
		}
	}
	return nil
}

func extensionPointNames(srcs []objectSource) []string {
	var names []string
	for _, s := range srcs {
		if s.shipped != nil && s.shipped.ExtensionPoint {
			names = append(names, s.shipped.ObjectNames())
		}
	}
	return names
}

// checkRequirements refuses, before any migration runs, an upgrade whose
// migrations change what an extension point must look like while the
// version that would be in place afterwards (the integrator's, kept as it
// is, or the one --objects-dir brings) does not follow. Extension points
// --reset replaces are saved in the history first: a migration may drop
// them.
func (m *Migrator) checkRequirements(ctx context.Context, srcs []objectSource) error {
	d := m.Conn.Dialect
	v, _, ok, err := d.MigrationVersion(ctx, m.Conn.DB)
	if err != nil {
		return d.Explain(err)
	}
	if !ok {
		v = -1
	}
	reqs, err := Requirements(m.shipped(), d.Name(), v)
	if err != nil || len(reqs) == 0 {
		return err
	}
	all, _, err := m.standings(ctx, m.Conn.DB, srcs)
	if err != nil {
		return err
	}
	var problems []string
	for _, r := range reqs {
		s := standingOf(all, r.Object)
		if s == nil || !s.extensionPoint() {
			return fmt.Errorf("%s requires %s %s, but %s is no extension point of this dbrelay: the migration is wrong", r.File, r.Object, r.what(), r.Object)
		}
		if problem, err := m.unmet(ctx, s, r); err != nil {
			return err
		} else if problem != "" {
			problems = append(problems, problem)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: nothing was changed: %s", dialect.ErrSchema, strings.Join(problems, "; "))
	}
	// Save what will be replaced now: a migration may drop it.
	for _, r := range reqs {
		s := standingOf(all, r.Object)
		if m.saved[s.file.Path] || !s.existing || s.plan(m.resets(s.file)).apply == nil {
			continue
		}
		reason := fmt.Sprintf("replaced during the upgrade to migration %d, which requires %s %s", r.Version, r.Object, r.what())
		if _, err := m.save(ctx, m.Conn.DB, s.file.Path, s.file.Objects, reason); err != nil {
			return err
		}
		if m.saved == nil {
			m.saved = map[string]bool{}
		}
		m.saved[s.file.Path] = true
	}
	return nil
}

func standingOf(all []*standing, object string) *standing {
	for _, s := range all {
		if s.file.Defines(object) || s.shipped != nil && s.shipped.Defines(object) {
			return s
		}
	}
	return nil
}

// unmet returns why r is not met by the version of s that Up would leave in
// place, or "".
func (m *Migrator) unmet(ctx context.Context, s *standing, r Requirement) (string, error) {
	st := s.plan(m.resets(s.file))
	var text, kept string
	switch {
	case st.apply != nil && st.apply.SHA256 == s.shippedSHA():
		return "", nil // this dbrelay's default: it meets its own migrations (a test checks)
	case st.apply != nil:
		text, kept = st.apply.Text, "the version in --objects-dir, which 'migrate up' would apply,"
	case !s.customised() && !s.shippedChanged():
		return "", nil
	default:
		var ddl []string
		for _, o := range s.file.Objects {
			def, ok, err := m.Conn.Dialect.DDL(ctx, m.Conn.DB, o)
			if err != nil {
				return "", m.Conn.Dialect.Explain(err)
			}
			if ok {
				ddl = append(ddl, def)
			}
		}
		text, kept = strings.Join(ddl, "\n"), "your customised version in the database, which 'migrate up' keeps,"
		if !s.customised() {
			kept = "the previous default in the database, which 'migrate up' keeps because --objects-dir holds it,"
		}
	}
	has := "is not the default"
	if !r.Default {
		sigs := Signatures(text)[normalName(r.Object)]
		if slices.ContainsFunc(sigs, func(p []string) bool { return slices.Equal(p, r.Params) }) {
			return "", nil
		}
		have := make([]string, len(sigs))
		for i, p := range sigs {
			have[i] = "(" + strings.Join(p, ", ") + ")"
		}
		has = "takes " + strings.Join(have, " and ")
	}
	return fmt.Sprintf("migration %d (%s) requires %s %s, but %s %s. "+
		"The change to make: %s. Make it in your version (compare with the new default: 'dbrelay migrate diff %s') and apply it with 'migrate up --objects-dir', "+
		"or take the new default, dropping your changes (they are saved in relay.schema_object_history): 'dbrelay migrate up --reset %s'",
		r.Version, r.File, r.Object, r.what(), kept, has, r.Change, r.Object, r.Object), nil
}
