package sqlcheck

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	pgRoutineRe = regexp.MustCompile(`(?is)\bCREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+(` + namePat + `)\s*\(`)
	msRoutineRe = regexp.MustCompile(`(?is)\bCREATE\s+(?:OR\s+ALTER\s+)?(FUNCTION|PROCEDURE|PROC)\s+(` + namePat + `)`)
	grantRe     = regexp.MustCompile(`(?is)\bGRANT\s+(.+?)\s+ON\s+(.+?)\s+TO\s+([^;]+);`)
)

// RevokeProblems checks that an object file revokes every function and
// procedure it creates from PUBLIC, so that each is executable only by the
// roles granted it (docs/postgres-roles.sql, docs/sqlserver-roles.sql):
// on PostgreSQL `REVOKE ALL ON FUNCTION|PROCEDURE|ROUTINE name(…) FROM
// PUBLIC`, on SQL Server `REVOKE EXECUTE ON OBJECT::name FROM public`
// (through sp_executesql: sqlfluff cannot parse REVOKE). PostgreSQL grants
// EXECUTE to PUBLIC by default; SQL Server does not, but a grant someone
// made must not survive an upgrade either.
func RevokeProblems(name, text string, d Lang) []string {
	var problems []string
	re := pgRoutineRe
	if d == TSQL {
		re = msRoutineRe
	}
	code := Strip(text, d, false) // keep strings: sp_executesql's statement is one
	for _, m := range re.FindAllStringSubmatch(code, -1) {
		routine := squeeze(m[2])
		var want *regexp.Regexp
		if d == TSQL {
			want = regexp.MustCompile(`(?is)\bREVOKE\s+EXECUTE\s+ON\s+OBJECT\s*::\s*` + regexp.QuoteMeta(routine) + `\s+FROM\s+public\b`)
		} else {
			want = regexp.MustCompile(`(?is)\bREVOKE\s+ALL\s+ON\s+(?:FUNCTION|PROCEDURE|ROUTINE)\s+` + regexp.QuoteMeta(routine) + `\s*\([^)]*\)\s+FROM\s+PUBLIC\b`)
		}
		if !want.MatchString(code) {
			problems = append(problems, fmt.Sprintf("%s: %s %s is not revoked from PUBLIC in its file; add the REVOKE and grant it to the role that needs it", name, strings.ToLower(m[1]), routine))
		}
	}
	return problems
}

// Grant is one GRANT of a roles script.
type Grant struct {
	Privileges, Object string
	Roles              []string
}

// Grants lists the GRANT statements of a roles script (comments ignored).
func Grants(text string, d Lang) []Grant {
	var out []Grant
	for _, m := range grantRe.FindAllStringSubmatch(Strip(text, d, true), -1) {
		g := Grant{Privileges: strings.Join(strings.Fields(strings.ToUpper(m[1])), " "), Object: grantObject(m[2])}
		for _, r := range strings.Split(m[3], ",") {
			g.Roles = append(g.Roles, strings.ToLower(strings.TrimSpace(r)))
		}
		out = append(out, g)
	}
	return out
}

var (
	pgRoutineObjectRe = regexp.MustCompile(`(?is)^(?:FUNCTION|PROCEDURE|ROUTINE)\s+(\S+?)\s*\(.*\)$`)
	pgAllTablesRe     = regexp.MustCompile(`(?is)^ALL\s+TABLES\s+IN\s+SCHEMA\s+(\S+)$`)
	pgSchemaRe        = regexp.MustCompile(`(?is)^SCHEMA\s+(.+)$`)
	pgTableRe         = regexp.MustCompile(`(?is)^(?:TABLE\s+)?(\S+(?:\s*,\s*\S+)*)$`)
)

// grantObject writes what a GRANT is on the same way for both dialects:
// relay.push (OBJECT::relay.push, PROCEDURE relay.push(text, …)),
// SCHEMA::relay_api (ALL TABLES IN SCHEMA relay_api, SCHEMA relay_api),
// relay.channel.
func grantObject(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	switch {
	case strings.HasPrefix(strings.ToUpper(s), "OBJECT::"):
		return strings.TrimSpace(s[len("OBJECT::"):])
	case strings.HasPrefix(strings.ToUpper(s), "SCHEMA::"):
		return "SCHEMA::" + strings.TrimSpace(s[len("SCHEMA::"):])
	}
	if m := pgRoutineObjectRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	if m := pgAllTablesRe.FindStringSubmatch(s); m != nil {
		return "SCHEMA::" + m[1]
	}
	if m := pgSchemaRe.FindStringSubmatch(s); m != nil {
		return "SCHEMA::" + strings.ReplaceAll(m[1], " ", "")
	}
	if m := pgTableRe.FindStringSubmatch(s); m != nil {
		return strings.ReplaceAll(m[1], " ", "")
	}
	return s
}

// HostGrantProblems checks what a roles script grants: nothing to public,
// and to the host and reader roles nothing but the stable views and (host
// only) EXECUTE on relay.push, relay.enqueue, relay.raise (which, like
// push, routes by tables the host cannot read) and relay.mark_read (which
// marks the host's inbox messages read, nothing else); in particular no
// privilege on relay.channel, relay.recipient, relay.settings or
// relay.message, which hold targets, secret names and addresses, and
// whose outcomes a host must not forge.
func HostGrantProblems(name string, grants []Grant, host, reader string) []string {
	var problems []string
	allowed := map[string]map[string]bool{
		host: {"EXECUTE relay.push": true, "EXECUTE relay.enqueue": true, "EXECUTE relay.raise": true,
			"EXECUTE relay.mark_read": true, "SELECT SCHEMA::relay_api": true,
			"USAGE SCHEMA::relay_api": true, "USAGE SCHEMA::relay": true},
		reader: {"SELECT SCHEMA::relay_api": true, "USAGE SCHEMA::relay_api": true},
	}
	for _, g := range grants {
		for _, r := range g.Roles {
			if r == "public" {
				problems = append(problems, fmt.Sprintf("%s: GRANT %s ON %s TO public: grant roles, never public", name, g.Privileges, g.Object))
			}
			ok, checked := allowed[r]
			if !checked {
				continue
			}
			if !ok[g.Privileges+" "+g.Object] {
				problems = append(problems, fmt.Sprintf("%s: GRANT %s ON %s TO %s: that role may only push, raise and read relay_api", name, g.Privileges, g.Object, r))
			}
		}
	}
	return problems
}
