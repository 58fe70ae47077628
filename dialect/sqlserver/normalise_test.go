package sqlserver

import (
	"strings"
	"testing"
)

// What SQL Server tools do to a module's text without changing the module
// leaves its normalised definition unchanged; a change to the module does
// not.
func TestNormaliseModule(t *testing.T) {
	const shipped = "-- relay.push: the host's one call.\n-- more header\nCREATE OR ALTER PROCEDURE relay.push\n    @Sender nvarchar(100)\nAS\nBEGIN\n    SET NOCOUNT ON;\nEND;\n-- uses_ansi_nulls=1 uses_quoted_identifier=1"
	want := normaliseModule(shipped)
	if !strings.HasPrefix(want, "CREATE PROCEDURE relay.push\n") || strings.Contains(want, "header") {
		t.Fatalf("normalised header: %q", want)
	}
	same := map[string]string{
		"SSMS Modify (ALTER, bracketed names)": strings.Replace(shipped, "CREATE OR ALTER PROCEDURE relay.push", "ALTER PROCEDURE [relay].[push]", 1),
		"CREATE PROC":                          strings.Replace(shipped, "CREATE OR ALTER PROCEDURE relay.push", "create proc Relay . Push", 1),
		"CRLF line ends":                       strings.ReplaceAll(shipped, "\n", "\r\n"),
		"trailing blanks":                      strings.ReplaceAll(shipped, "\n", "  \n"),
		"other header comments":                "/* edited in SSMS */\r\n" + shipped[strings.Index(shipped, "CREATE"):],
	}
	for name, text := range same {
		if got := normaliseModule(text); got != want {
			t.Errorf("%s: normalised to\n%q\nwant\n%q", name, got, want)
		}
	}
	changed := map[string]string{
		"a body line":        strings.Replace(shipped, "SET NOCOUNT ON;", "SET NOCOUNT OFF;", 1),
		"a comment in body":  strings.Replace(shipped, "BEGIN\n", "BEGIN\n    -- mine\n", 1),
		"another object":     strings.Replace(shipped, "PROCEDURE relay.push", "PROCEDURE relay.push2", 1),
		"another SET option": strings.Replace(shipped, "uses_ansi_nulls=1", "uses_ansi_nulls=0", 1),
	}
	for name, text := range changed {
		if got := normaliseModule(text); got == want {
			t.Errorf("%s: the change was normalised away", name)
		}
	}
}
