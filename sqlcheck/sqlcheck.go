// Package sqlcheck holds the static checks of dbrelay's SQL that run in
// every `go test ./...`, with no database: the rules of the SQL Server
// files (batches, SET options, migrations golang-migrate can send as one
// batch, nothing newer than SQL Server 2016 SP1), the parity of the
// PostgreSQL and SQL Server trees (same object files, parameters and view
// columns; the migrations' tables and columns), and the separation of the
// two dialects' SQL in Go. Each checker returns the problems it found, one readable line each, so that
// the tests can show both that the repository passes and that a broken
// copy fails.
package sqlcheck

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/golang-migrate/migrate/v4/source"
	"github.com/microsoft/go-mssqldb/batch"
)

var (
	createModuleRe = regexp.MustCompile(`(?i)\bCREATE\s+(OR\s+ALTER\s+)?(PROCEDURE|PROC|VIEW|TRIGGER|FUNCTION)\b`)
	goRepeatRe     = regexp.MustCompile(`(?im)^[ \t]*GO[ \t]+[0-9]+[ \t]*$`)
	goLineRe       = regexp.MustCompile(`(?im)^[ \t]*GO\b[ \t]*([0-9]+[ \t]*)?;?[ \t]*$`)
	createSchemaRe = regexp.MustCompile(`(?i)\bCREATE\s+SCHEMA\b`)
	execSQLRe      = regexp.MustCompile(`(?i)\bEXEC(UTE)?\s+(sys\.)?sp_executesql\s+(@stmt\s*=\s*)?N?$`)
	wrapStartRe    = regexp.MustCompile(`(?i)^\s*SET\s+XACT_ABORT\s+ON\s*;\s*BEGIN\s+TRAN(SACTION)?\s*;`)
	wrapEndRe      = regexp.MustCompile(`(?i)\bCOMMIT(\s+TRAN(SACTION)?)?\s*;?\s*$`)
	indexRe        = regexp.MustCompile(`(?is)\bCREATE\b.*\bINDEX\b.*\bWHERE\b`)
	setHeaderRe    = regexp.MustCompile(`(?i)^SET\s+ANSI_NULLS\s+ON\s*;\s*SET\s+QUOTED_IDENTIFIER\s+ON\s*;?$`)
)

// ObjectFileProblems checks one SQL Server object file (procedures/,
// views/, triggers/): it starts with SET ANSI_NULLS ON; SET
// QUOTED_IDENTIFIER ON; and GO (a module keeps the settings it was created
// with, whatever its callers use); split on GO as sqlcmd and the applier
// split it, every CREATE PROCEDURE/VIEW/TRIGGER/FUNCTION is the first
// statement of its batch, at most one per batch, and a CREATE OR ALTER;
// the file defines exactly one object; it has no GO with a repeat count
// (which would run a batch twice); it is ASCII, so that sqlcmd without
// -f 65001 reads it as the applier does.
func ObjectFileProblems(name, text string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, name+": "+fmt.Sprintf(format, args...)) }

	batches := batch.Split(text, "GO")
	if len(batches) < 2 || !setHeaderRe.MatchString(strings.TrimSpace(batches[0])) || !strings.HasPrefix(text, "SET ANSI_NULLS ON;") {
		add("must start with SET ANSI_NULLS ON; SET QUOTED_IDENTIFIER ON; and a GO line, before anything else")
	}
	if m := goRepeatRe.FindStringIndex(Strip(text, TSQL, true)); m != nil {
		add("line %d: GO with a repeat count runs the batch more than once", lineOf(text, m[0]))
	}
	creates := 0
	for i, b := range batches {
		code := Strip(b, TSQL, true)
		found := createModuleRe.FindAllStringSubmatchIndex(code, -1)
		creates += len(found)
		if len(found) > 1 {
			add("batch %d has %d CREATE PROCEDURE/VIEW/TRIGGER/FUNCTION statements; each must be alone in its batch (error 111): separate them with GO", i+1, len(found))
		}
		for _, m := range found {
			if strings.TrimSpace(code[:m[0]]) != "" {
				add("batch %d: CREATE %s is not the first statement of its batch (error 111): put GO before it", i+1, strings.ToUpper(code[m[4]:m[5]]))
			}
			if m[2] < 0 {
				add("batch %d: CREATE %s must be CREATE OR ALTER, so that the file can be applied again", i+1, strings.ToUpper(code[m[4]:m[5]]))
			}
		}
	}
	if creates != 1 {
		add("defines %d objects; an object file defines exactly one", creates)
	}
	for i, r := range text {
		if r > 0x7e || r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			add("line %d: character %U: keep T-SQL files ASCII (write NCHAR(n) in the code)", lineOf(text, i), r)
			break
		}
	}
	return problems
}

// MigrationFileProblems checks one SQL Server migration file, which
// golang-migrate's sqlserver driver sends as ONE batch with no transaction
// of its own: no GO line; CREATE SCHEMA only inside sp_executesql (it must
// be alone in its batch); the file wrapped in SET XACT_ABORT ON; BEGIN
// TRANSACTION; … COMMIT, so that it applies whole or not at all; no
// filtered index (error 1934 for hosts running with QUOTED_IDENTIFIER or
// ANSI_NULLS off).
func MigrationFileProblems(name, text string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, name+": "+fmt.Sprintf(format, args...)) }

	code := Strip(text, TSQL, true)
	if m := goLineRe.FindStringIndex(code); m != nil {
		add("line %d: a GO line; golang-migrate sends the file as one batch, GO included, and SQL Server rejects it", lineOf(text, m[0]))
	}
	if m := createSchemaRe.FindStringIndex(code); m != nil {
		add("line %d: CREATE SCHEMA must be alone in its batch: run it with EXEC sp_executesql N'CREATE SCHEMA …'", lineOf(text, m[0]))
	}
	commentless := Strip(text, TSQL, false)
	lits, at := stringLiterals(text)
	for i, lit := range lits {
		if createSchemaRe.MatchString(lit) && !execSQLRe.MatchString(strings.TrimRight(commentless[:at[i]], " \t\r\n")) {
			add("line %d: CREATE SCHEMA in a string that is not sp_executesql's statement", lineOf(text, at[i]))
		}
	}
	if !wrapStartRe.MatchString(code) || !wrapEndRe.MatchString(code) {
		add("must begin with SET XACT_ABORT ON; BEGIN TRANSACTION; and end with COMMIT TRANSACTION;: golang-migrate runs it without a transaction")
	}
	for _, stmt := range splitTopLevel(code, ';') {
		if indexRe.MatchString(stmt) {
			add("a filtered index (CREATE … INDEX … WHERE): inserts fail with error 1934 for sessions with QUOTED_IDENTIFIER or ANSI_NULLS off; use a plain index")
		}
	}
	return problems
}

// MigrationNameProblems checks that golang-migrate recognises every file
// name of a migrations directory (it skips others without a word) and that
// every version has an up and a down file.
func MigrationNameProblems(names []string) []string {
	var problems []string
	ups, downs := map[uint]bool{}, map[uint]bool{}
	for _, n := range names {
		m, err := source.DefaultParse(n)
		if err != nil || !strings.HasSuffix(n, ".sql") {
			problems = append(problems, n+": golang-migrate does not recognise this name (NNNNNN_title.up.sql / .down.sql) and would skip the file")
			continue
		}
		switch m.Direction {
		case source.Up:
			ups[m.Version] = true
		case source.Down:
			downs[m.Version] = true
		}
	}
	for v := range ups {
		if !downs[v] {
			problems = append(problems, fmt.Sprintf("version %d has an up file and no down file", v))
		}
	}
	for v := range downs {
		if !ups[v] {
			problems = append(problems, fmt.Sprintf("version %d has a down file and no up file", v))
		}
	}
	return problems
}

// gatedRe finds what SQL Server 2016 SP1 (and a database at compatibility
// level 130) does not have. STRING_SPLIT is banned outright: its ordinal
// argument is 2022's, and without it the order of the parts is not
// guaranteed.
var gatedRe = regexp.MustCompile(`(?i)\b(TRIM|STRING_AGG|CONCAT_WS|TRANSLATE|GREATEST|LEAST|STRING_SPLIT|GENERATE_SERIES|JSON_OBJECT|JSON_ARRAY|JSON_OBJECTAGG|JSON_ARRAYAGG|DATETRUNC|DATE_BUCKET|LEFT_SHIFT|RIGHT_SHIFT|BIT_COUNT|APPROX_PERCENTILE_CONT|APPROX_PERCENTILE_DISC)\s*\(|\bIS\s+(NOT\s+)?DISTINCT\s+FROM\b`)

// GatedProblems lists uses of functions newer than SQL Server 2016 SP1 in
// T-SQL text (comments ignored; strings are not, since dynamic SQL runs).
func GatedProblems(name, text string) []string {
	var problems []string
	code := Strip(text, TSQL, false)
	for _, m := range gatedRe.FindAllStringIndex(code, -1) {
		problems = append(problems, fmt.Sprintf("%s: line %d: %s is newer than SQL Server 2016 SP1", name, lineOf(text, m[0]), strings.TrimRight(strings.TrimSpace(code[m[0]:m[1]]), "( \t")))
	}
	return problems
}
