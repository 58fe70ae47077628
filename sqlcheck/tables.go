package sqlcheck

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// TableExceptions are the tables one dialect's migrations create and the
// other's do not, with the reason. Nothing else may differ.
var TableExceptions = map[string]string{
	// PostgreSQL listeners record themselves idle so the wake-up trigger
	// notifies only then; SQL Server has no NOTIFY and its listeners poll.
	"relay.listener": "only PostgreSQL has NOTIFY, and with it idle listeners to wake",
}

var (
	createTableRe = regexp.MustCompile(`(?is)\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(` + namePat + `)\s*\(`)
	tableItemRe   = regexp.MustCompile(`(?i)^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|INDEX)\b`)
)

// TableParityProblems compares the tables the up migrations of each
// version create in sql/postgres and sql/sqlserver of fsys: the same
// tables (but TableExceptions), each with the same column names in the
// same order (ignoring quotes, brackets and case). Types differ by nature
// (jsonb and nvarchar(max), timestamptz and datetime2) and are not compared.
func TableParityProblems(fsys fs.FS) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	pgFiles, err1 := sqlFiles(fsys, "sql/postgres")
	msFiles, err2 := sqlFiles(fsys, "sql/sqlserver")
	if err1 != nil || err2 != nil {
		return []string{fmt.Sprintf("sql/: %v %v", err1, err2)}
	}
	for _, name := range union(pgFiles, msFiles) {
		if !strings.HasSuffix(name, ".up.sql") {
			continue
		}
		inPG, inMS := slices.Contains(pgFiles, name), slices.Contains(msFiles, name)
		if !inPG || !inMS {
			add("migration %s exists for one dialect only: write its twin (sql/postgres and sql/sqlserver)", name)
			continue
		}
		pgText, _ := fs.ReadFile(fsys, path.Join("sql/postgres", name))
		msText, _ := fs.ReadFile(fsys, path.Join("sql/sqlserver", name))
		pg, err1 := Tables(string(pgText), PostgreSQL)
		ms, err2 := Tables(string(msText), TSQL)
		if err1 != nil || err2 != nil {
			add("%s: cannot compare tables: %v; %v", name, err1, err2)
			continue
		}
		for _, t := range union(keys(pg), keys(ms)) {
			cols1, ok1 := pg[t]
			cols2, ok2 := ms[t]
			switch {
			case TableExceptions[t] != "":
			case !ok2:
				add("%s: table %s has no SQL Server twin", name, t)
			case !ok1:
				add("%s: table %s has no PostgreSQL twin", name, t)
			case !slices.Equal(cols1, cols2):
				add("%s: table %s: columns differ: PostgreSQL (%s), SQL Server (%s)", name, t, strings.Join(cols1, ", "), strings.Join(cols2, ", "))
			}
		}
	}
	return problems
}

// Tables parses the CREATE TABLE statements of a migration: table name
// (lower case, unquoted) → column names in order.
func Tables(text string, lang Lang) (map[string][]string, error) {
	code := Strip(text, lang, true)
	out := map[string][]string{}
	for _, m := range createTableRe.FindAllStringSubmatchIndex(code, -1) {
		name := normName(code[m[2]:m[3]])
		closeAt := matchParen(code, m[1]-1)
		if closeAt < 0 {
			return nil, fmt.Errorf("table %s: unbalanced parentheses", name)
		}
		var cols []string
		for _, item := range splitTopLevel(code[m[1]:closeAt], ',') {
			item = strings.TrimSpace(item)
			if item == "" || tableItemRe.MatchString(item) {
				continue
			}
			cols = append(cols, unquote(strings.Fields(item)[0]))
		}
		out[name] = cols
	}
	return out, nil
}

func normName(s string) string {
	parts := strings.Split(squeeze(s), ".")
	for i, p := range parts {
		parts[i] = unquote(p)
	}
	return strings.Join(parts, ".")
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
