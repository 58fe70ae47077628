package sqlcheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Literal is a Go string literal with where it is.
type Literal struct {
	Pos   string // file:line
	Value string // unquoted
}

// GoStrings returns the string literals of the non-test Go files of dir.
func GoStrings(dir string) ([]Literal, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var lits []Literal
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			bl, ok := n.(*ast.BasicLit)
			if !ok || bl.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(bl.Value)
			if err != nil {
				return true
			}
			p := fset.Position(bl.Pos())
			lits = append(lits, Literal{Pos: fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line), Value: v})
			return true
		})
	}
	return lits, nil
}

// Idiom is a construct of one dialect that must not appear in the other's
// SQL.
type Idiom struct {
	Name string
	Re   *regexp.Regexp
}

// PostgresIdioms must not appear in the SQL Server dialect's Go strings.
var PostgresIdioms = []Idiom{
	{"now()", regexp.MustCompile(`(?i)\bnow\s*\(\s*\)`)},
	{"RETURNING", regexp.MustCompile(`(?i)\bRETURNING\b`)},
	{"::", regexp.MustCompile(`::`)},
	{"ILIKE", regexp.MustCompile(`(?i)\bILIKE\b`)},
	{"SKIP LOCKED", regexp.MustCompile(`(?i)\bSKIP\s+LOCKED\b`)},
	{"$1", regexp.MustCompile(`\$[0-9]`)},
}

// SQLServerIdioms must not appear in the PostgreSQL dialect's Go strings.
var SQLServerIdioms = []Idiom{
	{"GETDATE", regexp.MustCompile(`(?i)\bGETDATE\b`)},
	{"SYSUTCDATETIME", regexp.MustCompile(`(?i)\bSYSUTCDATETIME\b`)},
	{"TOP (", regexp.MustCompile(`(?i)\bTOP\s*\(`)},
	{"NVARCHAR", regexp.MustCompile(`(?i)\bNVARCHAR\b`)},
	{"@p", regexp.MustCompile(`@p[0-9]`)},
}

// IdiomProblems lists the literals that contain one of idioms.
func IdiomProblems(lits []Literal, idioms []Idiom) []string {
	var problems []string
	for _, l := range lits {
		for _, id := range idioms {
			if id.Re.MatchString(l.Value) {
				problems = append(problems, fmt.Sprintf("%s: %s in %q", l.Pos, id.Name, abbreviate(l.Value)))
			}
		}
	}
	return problems
}

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// DropCalls finds calls of a method named Drop with no arguments in the Go
// files under root (tests included). golang-migrate's Drop — on a
// database.Driver or on *migrate.Migrate — drops every table in the
// database on SQL Server (sp_MSforeachtable 'DROP TABLE ?'), the host's
// included: dbrelay must never call it. The check is syntactic, so any
// other zero-argument Drop method is reported too: name it otherwise.
func DropCalls(root string) ([]string, error) {
	var calls []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		found, err := dropCallsIn(p, nil)
		calls = append(calls, found...)
		return err
	})
	return calls, err
}

// dropCallsIn reports the zero-argument Drop calls of one Go file (src, or
// the file at path when src is nil).
func dropCallsIn(path string, src any) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var calls []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 0 {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Drop" {
			p := fset.Position(call.Pos())
			calls = append(calls, fmt.Sprintf("%s:%d: %s.Drop()", p.Filename, p.Line, exprString(sel.X)))
		}
		return true
	})
	return calls, nil
}

func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	}
	return "…"
}
