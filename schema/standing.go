package schema

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"

	"github.com/dbrelay/dbrelay/dialect"
)

// standing is one object file as the database holds it, compared with what
// dbrelay applied last (its row of relay.schema_object) and with what this
// binary ships. Both `migrate status` and `migrate up` decide from it, so
// that what status says is what up does.
type standing struct {
	file     ObjectFile  // what `up` applies: --objects-dir's copy, or the shipped file
	shipped  *ObjectFile // this binary's file for the path; nil for a file only --objects-dir has
	fromDir  bool        // file comes from --objects-dir
	rec      dialect.ObjectRecord
	known    bool   // rec was found
	complete bool   // every object the file names exists
	existing bool   // at least one of them exists
	dbNow    string // fingerprint of the database's definitions now
}

// extensionPoint says whether the file belongs to the integrator once
// installed. The shipped file decides: a copy in --objects-dir that lost its
// marker (an export older than the marker) is an extension point all the
// same.
func (s *standing) extensionPoint() bool {
	if s.shipped != nil {
		return s.shipped.ExtensionPoint
	}
	return s.file.ExtensionPoint
}

func (s *standing) shippedSHA() string {
	if s.shipped == nil {
		return ""
	}
	return s.shipped.SHA256
}

// handEdited: the database's definitions changed since dbrelay applied the
// file (CREATE OR REPLACE in an editor, ALTER, a disabled trigger).
func (s *standing) handEdited() bool {
	return s.known && s.complete && s.dbNow != s.rec.DBSHA256
}

// customisedFile: the file dbrelay applied was not the shipped default it
// was based on (it came from --objects-dir with changes). A row written
// before migration 4 does not say which default it was based on: then any
// file but this binary's counts as customised, so that nothing an
// integrator wrote is ever taken for an old default and replaced.
func (s *standing) customisedFile() bool {
	if s.rec.ShippedSHA256 != "" {
		return s.rec.FileSHA256 != s.rec.ShippedSHA256
	}
	return s.rec.FileSHA256 != s.shippedSHA()
}

// customised: the database holds something else than the default dbrelay
// installed, by an edit by hand or through --objects-dir.
func (s *standing) customised() bool { return s.customisedFile() || s.handEdited() }

// shippedChanged: this binary's default differs from the one the applied
// file is (based on): an upgrade brought a new default.
func (s *standing) shippedChanged() bool {
	if s.rec.ShippedSHA256 != "" {
		return s.rec.ShippedSHA256 != s.shippedSHA()
	}
	return s.rec.FileSHA256 != s.shippedSHA()
}

// fileChanged: the file up would apply differs from the one applied last.
func (s *standing) fileChanged() bool { return s.rec.FileSHA256 != s.file.SHA256 }

// states is what `migrate status` reports for the file.
func (s *standing) states() []string {
	if !s.complete || !s.known && !s.extensionPoint() {
		return []string{Missing}
	}
	if s.extensionPoint() {
		switch {
		case !s.known:
			return []string{Customised} // exists, but dbrelay never installed it
		case s.fromDir && s.fileChanged():
			return []string{ChangedOnDisk}
		case s.customised() && s.shippedChanged():
			return []string{CustomisedDefaultChanged}
		case s.customised():
			return []string{Customised}
		case s.shippedChanged():
			return []string{DefaultChanged}
		}
		return []string{Default}
	}
	var st []string
	if s.fileChanged() {
		st = append(st, ChangedOnDisk)
	}
	if s.handEdited() {
		st = append(st, Drifted)
	}
	if len(st) == 0 {
		st = []string{Applied}
	}
	return st
}

// objectSource is one object file `up` considers: the copy it would apply, and
// the shipped one.
type objectSource struct {
	file    ObjectFile
	shipped *ObjectFile
	fromDir bool
}

// sources merges the shipped object files with --objects-dir's: a file in
// the directory replaces the shipped one of the same path, a shipped file
// the directory lacks (an export older than this dbrelay) comes from the
// binary, and a file only the directory has is applied as it is. Order:
// ObjectDirs, then file name.
func (m *Migrator) sources() ([]objectSource, error) {
	name := m.Conn.Dialect.Name()
	shipped, err := LoadObjects(m.shipped(), name)
	if err != nil {
		return nil, err
	}
	if m.Objects == nil {
		out := make([]objectSource, len(shipped))
		for i := range shipped {
			out[i] = objectSource{file: shipped[i], shipped: &shipped[i]}
		}
		return out, nil
	}
	own, err := loadObjects(m.Objects, name, true)
	if err != nil {
		return nil, err
	}
	byPath := map[string]*ObjectFile{}
	for i := range shipped {
		byPath[shipped[i].Path] = &shipped[i]
	}
	fromDir := map[string]ObjectFile{}
	for _, f := range own {
		fromDir[f.Path] = f
	}
	var out []objectSource
	for _, dir := range ObjectDirs {
		for _, f := range mergeDir(dir+"/"+name+"/", shipped, own) {
			d, inDir := fromDir[f]
			s := objectSource{shipped: byPath[f], fromDir: inDir}
			if inDir {
				s.file = d
			} else {
				s.file = *byPath[f]
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// mergeDir lists the paths under prefix of both file lists, sorted.
func mergeDir(prefix string, a, b []ObjectFile) []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]ObjectFile{a, b} {
		for _, f := range list {
			if len(f.Path) > len(prefix) && f.Path[:len(prefix)] == prefix && !seen[f.Path] {
				seen[f.Path] = true
				out = append(out, f.Path)
			}
		}
	}
	sort.Strings(out)
	return out
}

// standings compares every source with the database.
func (m *Migrator) standings(ctx context.Context, q dialect.Querier, srcs []objectSource) ([]*standing, []dialect.ObjectRecord, error) {
	d := m.Conn.Dialect
	recorded, err := d.RecordedObjects(ctx, q)
	if err != nil {
		return nil, nil, d.Explain(err)
	}
	byPath := map[string]dialect.ObjectRecord{}
	for _, r := range recorded {
		byPath[r.Path] = r
	}
	out := make([]*standing, 0, len(srcs))
	for _, src := range srcs {
		s := &standing{file: src.file, shipped: src.shipped, fromDir: src.fromDir}
		s.rec, s.known = byPath[src.file.Path]
		if s.dbNow, s.complete, s.existing, err = fingerprint(ctx, d, q, src.file.Objects); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", src.file.Path, d.Explain(err))
		}
		out = append(out, s)
	}
	return out, recorded, nil
}

// fingerprint hashes the database's definitions of objs; complete is false
// when one of them does not exist, existing is true when one does.
func fingerprint(ctx context.Context, d dialect.Dialect, q dialect.Querier, objs []dialect.Object) (sum string, complete, existing bool, err error) {
	h := sha256.New()
	complete = true
	for _, o := range objs {
		def, ok, err := d.Definition(ctx, q, o)
		if err != nil {
			return "", false, false, err
		}
		complete = complete && ok
		existing = existing || ok
		fmt.Fprintf(h, "%s %s %s\n%s\n", o.Kind, o.Name, o.Table, def)
	}
	return hex.EncodeToString(h.Sum(nil)), complete, existing, nil
}

// shippedFile returns this binary's object file defining the object named
// name, or the file at that path.
func shippedFile(fsys fs.FS, dialectName, name string) (*ObjectFile, error) {
	files, err := LoadObjects(fsys, dialectName)
	if err != nil {
		return nil, err
	}
	for i := range files {
		if files[i].Path == name || files[i].Defines(name) {
			return &files[i], nil
		}
	}
	return nil, fmt.Errorf("%q: this dbrelay has no such object for %s (an object like relay.push, or a file like procedures/%s/push.sql)", name, dialectName, dialectName)
}
