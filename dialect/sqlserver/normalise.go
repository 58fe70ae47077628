package sqlserver

import (
	"regexp"
	"strings"
)

// moduleHeaderRe finds a module's header after the comments and blanks
// that sys.sql_modules keeps in front of it (the text of its batch before
// CREATE): the keyword, the kind and the name.
var moduleHeaderRe = regexp.MustCompile(`(?is)^(?:\s+|--[^\n]*|/\*.*?\*/)*` +
	`(?:create(?:\s+or\s+alter)?|alter)\s+(proc(?:edure)?|view|trigger|function)\s+` +
	`((?:\[[^\]]+\]|"[^"]+"|[\w@#$]+)(?:\s*\.\s*(?:\[[^\]]+\]|"[^"]+"|[\w@#$]+))*)`)

// normaliseModule makes sys.sql_modules' text of a module comparable the
// way PostgreSQL's catalog makes a definition comparable (pg_get_functiondef
// rebuilds the header and drops what surrounds the body), so that only a
// change to the module itself changes the hash `migrate status` compares:
//   - line ends are LF and lines carry no trailing blanks (a file saved on
//     Windows, an editor that trims);
//   - the comments in front of the header are dropped (they belong to the
//     file, as the header comment of a PostgreSQL file does);
//   - the header reads CREATE <kind> schema.name, whether the module was
//     created with CREATE, CREATE OR ALTER or ALTER (SSMS's "Modify"
//     scripts an ALTER with bracketed names), with the name unbracketed
//     and in lower case (identifiers compare case-insensitively).
func normaliseModule(def string) string {
	def = strings.ReplaceAll(def, "\r\n", "\n")
	def = strings.ReplaceAll(def, "\r", "\n")
	if m := moduleHeaderRe.FindStringSubmatchIndex(def); m != nil {
		kind := strings.ToUpper(def[m[2]:m[3]])
		if kind == "PROC" {
			kind = "PROCEDURE"
		}
		def = "CREATE " + kind + " " + normaliseName(def[m[4]:m[5]]) + def[m[1]:]
	}
	lines := strings.Split(def, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// normaliseName turns [relay] . [push] or "relay".push into relay.push.
func normaliseName(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '[' && p[len(p)-1] == ']' || p[0] == '"' && p[len(p)-1] == '"') {
			p = p[1 : len(p)-1]
		}
		parts[i] = strings.ToLower(p)
	}
	return strings.Join(parts, ".")
}
