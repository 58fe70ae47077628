package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
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

// ExtensionPointMarker is the line that makes an object file an extension
// point: an object that belongs to the integrator once installed. It must
// stand in the file's header, before the first CREATE. `migrate up` creates
// an extension point when it is missing and never replaces one that differs
// from the default dbrelay installed; everything else is dbrelay's own, and
// `migrate up` restores it.
const ExtensionPointMarker = "-- dbrelay:extension-point"

// ObjectFile is one file of repeatable objects.
type ObjectFile struct {
	Path    string // relative to the tree root: procedures/postgres/push.sql
	Text    string
	SHA256  string
	Objects []dialect.Object
	// ExtensionPoint is true when the header carries ExtensionPointMarker.
	ExtensionPoint bool
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

// Defines reports whether the file defines the object named name (compared
// without brackets or quotes, case-insensitively).
func (f ObjectFile) Defines(name string) bool {
	for _, o := range f.Objects {
		if sameObject(o.Name, name) {
			return true
		}
	}
	return false
}

// LoadObjects reads the object files of one dialect from fsys (the embedded
// tree, or an integrator's directory laid out the same way).
func LoadObjects(fsys fs.FS, dialectName string) ([]ObjectFile, error) {
	return loadObjects(fsys, dialectName, false)
}

// loadObjects reads the object files; with partial, a directory that holds
// only some of procedures/, views/ and triggers/ is fine (an objects
// directory with just the files an integrator edited), one with none is not.
func loadObjects(fsys fs.FS, dialectName string, partial bool) ([]ObjectFile, error) {
	var files []ObjectFile
	found := 0
	for _, dir := range ObjectDirs {
		d := path.Join(dir, dialectName)
		entries, err := fs.ReadDir(fsys, d)
		if partial && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w (an objects directory holds procedures/%s, views/%s and triggers/%s; 'dbrelay migrate export DIR' writes one)", d, err, dialectName, dialectName, dialectName)
		}
		found++
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
			f := newObjectFile(p, string(b))
			if len(f.Objects) == 0 {
				return nil, fmt.Errorf("%s defines no object (no CREATE FUNCTION, PROCEDURE, VIEW or TRIGGER found): add one or move the file out of %s", p, d)
			}
			files = append(files, f)
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("no procedures/%s, views/%s or triggers/%s in the objects directory; 'dbrelay migrate export DIR' writes one", dialectName, dialectName, dialectName)
	}
	return files, nil
}

func newObjectFile(p, text string) ObjectFile {
	sum := sha256.Sum256([]byte(text))
	f := ObjectFile{Path: p, Text: text, SHA256: hex.EncodeToString(sum[:]), Objects: ParseObjects(text)}
	code := blankComments(text)
	header := text
	if m := createRe.FindStringIndex(code); m != nil {
		header = text[:m[0]]
	}
	f.ExtensionPoint = markerRe.MatchString(header)
	return f
}

var (
	identPart  = `(?:"(?:[^"]|"")+"|\[[^\]]+\]|[\p{L}_][\p{L}\p{N}_$]*)`
	qualified  = identPart + `(?:\s*\.\s*` + identPart + `)?`
	createRe   = regexp.MustCompile(`(?i)\bcreate\s+(?:or\s+(?:replace|alter)\s+)?(function|procedure|proc|view|trigger)\s+(` + qualified + `)`)
	onTableRe  = regexp.MustCompile(`(?i)\bon\s+(` + qualified + `)`)
	commentsRe = regexp.MustCompile(`(?s)/\*.*?\*/|--[^\n]*`)
	markerRe   = regexp.MustCompile(`(?m)^[ \t]*` + regexp.QuoteMeta(ExtensionPointMarker) + `\b`)
)

// blankComments replaces every comment with blanks of the same length, so
// that positions in the result are positions in text.
func blankComments(text string) string {
	return commentsRe.ReplaceAllStringFunc(text, func(c string) string {
		return strings.Repeat(" ", len(c))
	})
}

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

// normalName is an object name without brackets or quotes, in lower case:
// [relay].[Push] and relay.push are the same object.
func normalName(name string) string {
	parts := strings.Split(squeeze(name), ".")
	for i, p := range parts {
		if len(p) >= 2 && (p[0] == '[' && p[len(p)-1] == ']' || p[0] == '"' && p[len(p)-1] == '"') {
			p = p[1 : len(p)-1]
		}
		parts[i] = strings.ToLower(p)
	}
	return strings.Join(parts, ".")
}

func sameObject(a, b string) bool { return normalName(a) == normalName(b) }
