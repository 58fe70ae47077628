package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
)

// ObjectDirs are the directories of repeatable objects, in the order they are
// applied: procedures first (views and triggers call them), then views,
// then triggers. Within a directory files apply in lexical order of their
// names; prefix them with numbers when one must precede another.
var ObjectDirs = []string{"procedures", "views", "triggers"}

// ObjectFile is one file of repeatable objects.
type ObjectFile struct {
	Path    string // relative to the tree root: procedures/postgres/push.sql
	Text    string
	SHA256  string
	Objects []dialect.Object
}

// ObjectNames lists the file's objects, space separated, as recorded in
// relay.schema_object.
func (f ObjectFile) ObjectNames() string {
	names := make([]string, len(f.Objects))
	for i, o := range f.Objects {
		names[i] = o.Name
	}
	return strings.Join(names, " ")
}

// LoadObjects reads the object files of one dialect from fsys (the embedded
// tree, or an integrator's directory laid out the same way).
func LoadObjects(fsys fs.FS, dialectName string) ([]ObjectFile, error) {
	var files []ObjectFile
	for _, dir := range ObjectDirs {
		d := path.Join(dir, dialectName)
		entries, err := fs.ReadDir(fsys, d)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w (an objects directory must hold procedures/%s, views/%s and triggers/%s; 'dbrelay migrate export DIR' writes one)", d, err, dialectName, dialectName, dialectName)
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, name := range names {
			p := path.Join(d, name)
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return nil, err
			}
			f := ObjectFile{Path: p, Text: string(b), Objects: ParseObjects(string(b))}
			sum := sha256.Sum256(b)
			f.SHA256 = hex.EncodeToString(sum[:])
			if len(f.Objects) == 0 {
				return nil, fmt.Errorf("%s defines no object (no CREATE FUNCTION, PROCEDURE, VIEW or TRIGGER found): add one or move the file out of %s", p, d)
			}
			files = append(files, f)
		}
	}
	return files, nil
}

var (
	identPart  = `(?:"(?:[^"]|"")+"|\[[^\]]+\]|[\p{L}_][\p{L}\p{N}_$]*)`
	qualified  = identPart + `(?:\s*\.\s*` + identPart + `)?`
	createRe   = regexp.MustCompile(`(?i)\bcreate\s+(?:or\s+(?:replace|alter)\s+)?(function|procedure|proc|view|trigger)\s+(` + qualified + `)`)
	onTableRe  = regexp.MustCompile(`(?i)\bon\s+(` + qualified + `)`)
	commentsRe = regexp.MustCompile(`(?s)/\*.*?\*/|--[^\n]*`)
)

// ParseObjects finds the objects a file creates, in order. Comments are
// ignored; a CREATE inside a dynamic SQL string would be counted, so object
// files should not build DDL in strings.
func ParseObjects(text string) []dialect.Object {
	text = commentsRe.ReplaceAllString(text, " ")
	var objs []dialect.Object
	for _, m := range createRe.FindAllStringSubmatchIndex(text, -1) {
		kind := strings.ToLower(text[m[2]:m[3]])
		if kind == "proc" {
			kind = "procedure"
		}
		obj := dialect.Object{Kind: kind, Name: squeeze(text[m[4]:m[5]])}
		if kind == "trigger" {
			if on := onTableRe.FindStringSubmatch(text[m[5]:]); on != nil {
				obj.Table = squeeze(on[1])
			}
		}
		objs = append(objs, obj)
	}
	return objs
}

func squeeze(name string) string {
	return strings.Join(strings.Fields(name), "")
}
