package sqlcheck

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// ParityExceptions are the object files one dialect has and the other has
// not, with the reason. Nothing else may differ.
var ParityExceptions = map[string]string{
	// PostgreSQL's wake-up trigger sends NOTIFY; SQL Server has no NOTIFY,
	// and its listeners poll adaptively instead.
	"triggers/message_wake.sql": "SQL Server listeners poll: there is no NOTIFY to send",
}

// ParityDirs are the directories of repeatable objects compared.
var ParityDirs = []string{"procedures", "views", "triggers"}

// ParityProblems compares the PostgreSQL and SQL Server object trees in
// fsys: the same files in each directory (but ParityExceptions); for each
// procedure or function, the same object name and the same parameter names
// in the same order (ignoring @ and case; a trailing SQL Server OUTPUT
// parameter stands for a PostgreSQL function's result and is ignored then);
// for each view, the same name and the same column names in the same order.
func ParityProblems(fsys fs.FS) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, dir := range ParityDirs {
		pg, err1 := sqlFiles(fsys, path.Join(dir, "postgres"))
		ms, err2 := sqlFiles(fsys, path.Join(dir, "sqlserver"))
		if err1 != nil || err2 != nil {
			add("%s: %v %v", dir, err1, err2)
			continue
		}
		for _, name := range union(pg, ms) {
			key := dir + "/" + name
			inPG, inMS := slices.Contains(pg, name), slices.Contains(ms, name)
			if _, ok := ParityExceptions[key]; ok {
				continue
			}
			switch {
			case !inMS:
				add("%s/postgres/%s has no SQL Server counterpart %s/sqlserver/%s", dir, name, dir, name)
				continue
			case !inPG:
				add("%s/sqlserver/%s has no PostgreSQL counterpart %s/postgres/%s", dir, name, dir, name)
				continue
			}
			pgText, _ := fs.ReadFile(fsys, path.Join(dir, "postgres", name))
			msText, _ := fs.ReadFile(fsys, path.Join(dir, "sqlserver", name))
			problems = append(problems, compareFiles(dir, dir+"/{postgres,sqlserver}/"+name, string(pgText), string(msText))...)
		}
	}
	return problems
}

// compareFiles compares one file of both trees: procedures by name and
// parameters, views by name and columns. Trigger files are compared by
// name only: their objects differ by nature (on PostgreSQL a trigger
// function plus CREATE TRIGGER statements, on SQL Server one trigger).
func compareFiles(dir, label, pgText, msText string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, label+": "+fmt.Sprintf(format, args...)) }
	switch dir {
	case "procedures":
		pg, pgErr := PostgresRoutine(pgText)
		ms, msErr := TSQLRoutine(msText)
		if pgErr != nil || msErr != nil {
			add("cannot compare parameters: %v; %v", pgErr, msErr)
			return problems
		}
		if !sameName(pg.Name, ms.Name) {
			add("PostgreSQL defines %s, SQL Server %s", pg.Name, ms.Name)
		}
		params := ms.Params
		if n := len(params); n > 0 && params[n-1].Output && pg.ReturnsValue && len(pg.Params) == n-1 {
			params = params[:n-1] // @Id OUTPUT: PostgreSQL returns it as the function's result
		}
		if a, b := names(pg.Params), names(params); !slices.Equal(a, b) {
			add("parameters differ: PostgreSQL (%s), SQL Server (%s)", strings.Join(a, ", "), strings.Join(b, ", "))
		}
	case "views":
		pg, pgErr := ViewColumns(pgText, PostgreSQL)
		ms, msErr := ViewColumns(msText, TSQL)
		if pgErr != nil || msErr != nil {
			add("cannot compare columns: %v; %v", pgErr, msErr)
			return problems
		}
		if !sameName(pg.Name, ms.Name) {
			add("PostgreSQL defines view %s, SQL Server %s", pg.Name, ms.Name)
		}
		if !slices.Equal(pg.Columns, ms.Columns) {
			add("view columns differ: PostgreSQL (%s), SQL Server (%s)", strings.Join(pg.Columns, ", "), strings.Join(ms.Columns, ", "))
		}
	}
	return problems
}

// Param is a routine parameter.
type Param struct {
	Name   string // lower case, without @
	Output bool   // T-SQL OUTPUT
}

// Routine is a procedure's or function's name and parameters.
type Routine struct {
	Name         string
	Params       []Param
	ReturnsValue bool // a PostgreSQL function returning something other than void or trigger
}

var (
	identPat = `(?:"(?:[^"]|"")+"|\[[^\]]+\]|[\p{L}_][\p{L}\p{N}_$#@]*)`
	namePat  = identPat + `(?:\s*\.\s*` + identPat + `)?`
	pgRoutRe = regexp.MustCompile(`(?is)\bCREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+(` + namePat + `)\s*\(`)
	msRoutRe = regexp.MustCompile(`(?is)\bCREATE\s+(?:OR\s+ALTER\s+)?(FUNCTION|PROCEDURE|PROC)\s+(` + namePat + `)`)
	returnRe = regexp.MustCompile(`(?is)^\s*RETURNS\s+(\w+)`)
	asRe     = regexp.MustCompile(`(?is)\b(AS|WITH)\b`)
	outRe    = regexp.MustCompile(`(?i)\bOUT(PUT)?\b`)
	pgViewRe = regexp.MustCompile(`(?is)\bCREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(` + namePat + `)(?:\s*\([^)]*\))?\s+(?:WITH\s*\([^)]*\)\s+)?AS\s+SELECT\b`)
	msViewRe = regexp.MustCompile(`(?is)\bCREATE\s+(?:OR\s+ALTER\s+)?VIEW\s+(` + namePat + `)(?:\s*\([^)]*\))?\s+(?:WITH\s+\w+(?:\s*,\s*\w+)*\s+)?AS\s+SELECT\b`)
	fromRe   = regexp.MustCompile(`(?i)\bFROM\b`)
	aliasRe  = regexp.MustCompile(`(?is)\bAS\s+(` + identPat + `)\s*$`)
	plainRe  = regexp.MustCompile(`(?s)^(?:` + identPat + `\s*\.\s*)?(` + identPat + `)$`)
)

// PostgresRoutine parses the first CREATE FUNCTION or PROCEDURE of a
// PostgreSQL file.
func PostgresRoutine(text string) (Routine, error) {
	code := Strip(text, PostgreSQL, true)
	m := pgRoutRe.FindStringSubmatchIndex(code)
	if m == nil {
		return Routine{}, fmt.Errorf("no CREATE FUNCTION or PROCEDURE")
	}
	r := Routine{Name: squeeze(code[m[4]:m[5]])}
	open := m[1] - 1
	closeAt := matchParen(code, open)
	if closeAt < 0 {
		return r, fmt.Errorf("%s: unbalanced parameter list", r.Name)
	}
	for _, item := range splitTopLevel(code[open+1:closeAt], ',') {
		f := strings.Fields(item)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "IN", "OUT", "INOUT", "VARIADIC":
			f = f[1:]
		}
		if len(f) == 0 {
			return r, fmt.Errorf("%s: a parameter without a name", r.Name)
		}
		r.Params = append(r.Params, Param{Name: unquote(f[0])})
	}
	if strings.EqualFold(code[m[2]:m[3]], "FUNCTION") {
		if rm := returnRe.FindStringSubmatch(code[closeAt+1:]); rm != nil {
			t := strings.ToLower(rm[1])
			r.ReturnsValue = t != "void" && t != "trigger"
		}
	}
	return r, nil
}

// TSQLRoutine parses the first CREATE PROCEDURE or FUNCTION of a T-SQL file.
func TSQLRoutine(text string) (Routine, error) {
	code := Strip(text, TSQL, true)
	m := msRoutRe.FindStringSubmatchIndex(code)
	if m == nil {
		return Routine{}, fmt.Errorf("no CREATE PROCEDURE or FUNCTION")
	}
	r := Routine{Name: squeeze(code[m[4]:m[5]])}
	rest := code[m[1]:]
	var list string
	if trimmed := strings.TrimLeft(rest, " \t\r\n"); strings.HasPrefix(trimmed, "(") {
		open := len(rest) - len(trimmed)
		closeAt := matchParen(rest, open)
		if closeAt < 0 {
			return r, fmt.Errorf("%s: unbalanced parameter list", r.Name)
		}
		list = rest[open+1 : closeAt]
	} else {
		end := -1
		for _, am := range asRe.FindAllStringIndex(rest, -1) {
			if depthAt(rest, am[0]) == 0 {
				end = am[0]
				break
			}
		}
		if end < 0 {
			return r, fmt.Errorf("%s: no AS after the parameters", r.Name)
		}
		list = rest[:end]
	}
	for _, item := range splitTopLevel(list, ',') {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.HasPrefix(item, "@") {
			return r, fmt.Errorf("%s: parameter %q does not start with @", r.Name, item)
		}
		f := strings.Fields(item)
		r.Params = append(r.Params, Param{Name: strings.ToLower(strings.TrimPrefix(f[0], "@")), Output: outRe.MatchString(item)})
	}
	return r, nil
}

// View is a view's name and column names.
type View struct {
	Name    string
	Columns []string // lower case
}

// ViewColumns parses the select list of a file's first CREATE VIEW. Every
// item must name its column explicitly: a plain column reference (m.id) or
// an alias (… AS name); anything else is an error, so that both trees can
// be compared by name.
func ViewColumns(text string, lang Lang) (View, error) {
	code := Strip(text, lang, true)
	re := pgViewRe
	if lang == TSQL {
		re = msViewRe
	}
	m := re.FindStringSubmatchIndex(code)
	if m == nil {
		return View{}, fmt.Errorf("no CREATE VIEW … AS SELECT")
	}
	v := View{Name: squeeze(code[m[2]:m[3]])}
	rest := code[m[1]:]
	end := -1
	for _, fm := range fromRe.FindAllStringIndex(rest, -1) {
		if depthAt(rest, fm[0]) == 0 {
			end = fm[0]
			break
		}
	}
	if end < 0 {
		return v, fmt.Errorf("%s: no FROM after the select list", v.Name)
	}
	for _, item := range splitTopLevel(rest[:end], ',') {
		item = strings.TrimSpace(item)
		if am := aliasRe.FindStringSubmatch(item); am != nil {
			v.Columns = append(v.Columns, unquote(am[1]))
			continue
		}
		if pm := plainRe.FindStringSubmatch(item); pm != nil {
			v.Columns = append(v.Columns, unquote(pm[1]))
			continue
		}
		return v, fmt.Errorf("%s: select item %q has no explicit column name (write … AS name)", v.Name, item)
	}
	return v, nil
}

func matchParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func depthAt(s string, at int) int {
	return strings.Count(s[:at], "(") - strings.Count(s[:at], ")")
}

func unquote(ident string) string {
	ident = strings.TrimSpace(ident)
	if len(ident) >= 2 && (ident[0] == '"' && ident[len(ident)-1] == '"' || ident[0] == '[' && ident[len(ident)-1] == ']') {
		ident = ident[1 : len(ident)-1]
	}
	return strings.ToLower(ident)
}

func squeeze(name string) string {
	return strings.Join(strings.Fields(name), "")
}

func sameName(a, b string) bool {
	norm := func(s string) string {
		parts := strings.Split(s, ".")
		for i, p := range parts {
			parts[i] = unquote(p)
		}
		return strings.Join(parts, ".")
	}
	return norm(a) == norm(b)
}

func names(ps []Param) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

func sqlFiles(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func union(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range append(append([]string{}, a...), b...) {
		set[s] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
