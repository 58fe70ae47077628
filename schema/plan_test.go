package schema

import (
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/dialect"
)

// Every case of what status says and up does, for both kinds of file, from
// the standing alone: E is this binary's file, D a copy in --objects-dir,
// O an older shipped file.
func TestPlanAndStates(t *testing.T) {
	obj := []dialect.Object{{Kind: "procedure", Name: "relay.x"}}
	file := func(sha string, ext bool) ObjectFile {
		return ObjectFile{Path: "procedures/postgres/x.sql", SHA256: sha, Objects: obj, ExtensionPoint: ext}
	}
	type want struct {
		states string
		apply  string // "", or the SHA-256 of the file applied
		warn   bool
		kept   bool
	}
	for _, c := range []struct {
		name     string
		ext      bool
		fromDir  string // the copy in --objects-dir, "" for none
		rec      *dialect.ObjectRecord
		complete bool
		existing bool
		edited   bool // the database's definitions differ from rec.DBSHA256
		reset    bool
		want     want
	}{
		// Extension points.
		{"ext new", true, "", nil, false, false, false, false, want{Missing, "E", false, false}},
		{"ext unrecorded but there", true, "", nil, true, true, false, false, want{Customised, "", false, true}},
		{"ext dropped", true, "", &dialect.ObjectRecord{FileSHA256: "E", ShippedSHA256: "E"}, false, false, false, false, want{Missing, "E", false, false}},
		{"ext default", true, "", &dialect.ObjectRecord{FileSHA256: "E", ShippedSHA256: "E"}, true, true, false, false, want{Default, "", false, false}},
		{"ext old default", true, "", &dialect.ObjectRecord{FileSHA256: "O", ShippedSHA256: "O"}, true, true, false, false, want{DefaultChanged, "E", false, false}},
		{"ext edited by hand", true, "", &dialect.ObjectRecord{FileSHA256: "E", ShippedSHA256: "E"}, true, true, true, false, want{Customised, "", false, true}},
		{"ext edited, new default", true, "", &dialect.ObjectRecord{FileSHA256: "O", ShippedSHA256: "O"}, true, true, true, false, want{CustomisedDefaultChanged, "", false, true}},
		{"ext from a dir earlier", true, "", &dialect.ObjectRecord{FileSHA256: "D", ShippedSHA256: "E"}, true, true, false, false, want{Customised, "", false, true}},
		{"ext from a dir, new default", true, "", &dialect.ObjectRecord{FileSHA256: "D", ShippedSHA256: "O"}, true, true, false, false, want{CustomisedDefaultChanged, "", false, true}},
		{"ext dir copy changed", true, "D", &dialect.ObjectRecord{FileSHA256: "E", ShippedSHA256: "E"}, true, true, false, false, want{ChangedOnDisk, "D", false, false}},
		{"ext dir copy changed over a hand edit", true, "D", &dialect.ObjectRecord{FileSHA256: "E", ShippedSHA256: "E"}, true, true, true, false, want{ChangedOnDisk, "D", true, false}},
		{"ext dir copy is the old default", true, "O", &dialect.ObjectRecord{FileSHA256: "O", ShippedSHA256: "O"}, true, true, false, false, want{DefaultChanged, "", false, true}},
		{"ext reset", true, "", &dialect.ObjectRecord{FileSHA256: "D", ShippedSHA256: "E"}, true, true, false, true, want{Customised, "E", true, false}},
		{"ext before migration 4, this file", true, "", &dialect.ObjectRecord{FileSHA256: "E"}, true, true, false, false, want{Default, "", false, false}},
		{"ext before migration 4, another file", true, "", &dialect.ObjectRecord{FileSHA256: "O"}, true, true, false, false, want{CustomisedDefaultChanged, "", false, true}},
		// dbrelay's own.
		{"own new", false, "", nil, false, false, false, false, want{Missing, "E", false, false}},
		{"own unrecorded but there", false, "", nil, true, true, false, false, want{Missing, "E", true, false}},
		{"own applied", false, "", &dialect.ObjectRecord{FileSHA256: "E", ShippedSHA256: "E"}, true, true, false, false, want{Applied, "", false, false}},
		{"own older version", false, "", &dialect.ObjectRecord{FileSHA256: "O", ShippedSHA256: "O"}, true, true, false, false, want{ChangedOnDisk, "E", false, false}},
		{"own drifted", false, "", &dialect.ObjectRecord{FileSHA256: "E", ShippedSHA256: "E"}, true, true, true, false, want{Drifted, "E", true, false}},
		{"own from a dir earlier", false, "", &dialect.ObjectRecord{FileSHA256: "D", ShippedSHA256: "E"}, true, true, false, false, want{ChangedOnDisk, "E", true, false}},
		{"own dir copy", false, "D", &dialect.ObjectRecord{FileSHA256: "E", ShippedSHA256: "E"}, true, true, false, false, want{ChangedOnDisk, "D", true, false}},
		{"own before migration 4, older", false, "", &dialect.ObjectRecord{FileSHA256: "O"}, true, true, false, false, want{ChangedOnDisk, "E", false, false}},
		{"own before migration 4, differs", false, "", &dialect.ObjectRecord{FileSHA256: "E"}, true, true, true, false, want{Drifted, "E", true, false}},
	} {
		shipped := file("E", c.ext)
		s := &standing{file: shipped, shipped: &shipped, complete: c.complete, existing: c.existing, dbNow: "now"}
		if c.fromDir != "" {
			s.file, s.fromDir = file(c.fromDir, c.ext), true
		}
		if c.rec != nil {
			s.rec, s.known = *c.rec, true
			s.rec.DBSHA256 = "now"
			if c.edited {
				s.rec.DBSHA256 = "before"
			}
		}
		st := s.plan(c.reset)
		applied := ""
		if st.apply != nil {
			applied = st.apply.SHA256
		}
		got := want{strings.Join(s.states(), ", "), applied, st.warn != "", st.kept != ""}
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
