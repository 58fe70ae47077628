package sqlserver

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/golang-migrate/migrate/v4/database"
	mssql "github.com/microsoft/go-mssqldb"
)

// Error numbers dbrelay's objects raise with THROW (50000–50099 are
// reserved for them; docs/sqlserver.md lists them).
const (
	firstRelayError = 50000
	lastRelayError  = 50099
)

// hintSep separates a THROW message's problem from what to do about it:
// "relay.push: title is NULL. Hint: Pass a title; …".
const hintSep = ". Hint: "

// Explain adds what to do to the errors users meet most, keeping the
// driver's error wrapped.
func (d Dialect) Explain(err error) error {
	if err == nil {
		return nil
	}
	var ae *dialect.ArgumentError
	var ex *dialect.Explained
	if errors.As(err, &ae) || errors.As(err, &ex) {
		return err // already explained
	}
	// golang-migrate's error carries the whole migration file and does not
	// unwrap: explain its cause and say where in the file it failed.
	var me database.Error
	if errors.As(err, &me) && me.OrigErr != nil {
		inner := d.Explain(me.OrigErr)
		return &dialect.Explained{Msg: fmt.Sprintf("%v (line %d of the migration)", inner, me.Line), Err: inner}
	}
	var se mssql.Error
	if errors.As(err, &se) {
		return explainServerError(se)
	}
	var opErr *net.OpError
	var netErr net.Error
	switch {
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &dialect.Explained{Msg: err.Error() + ": is SQL Server running there with TCP/IP enabled, and are the host and port in the URL right? (default port 1433; a named instance needs its own port, or the SQL Server Browser service)", Err: err}
	case errors.As(err, &netErr) && netErr.Timeout():
		return &dialect.Explained{Msg: err.Error() + ": the server did not answer in time; check the host, the port and any firewall", Err: err}
	case strings.Contains(err.Error(), "x509:") || strings.Contains(err.Error(), "TLS Handshake failed"):
		return &dialect.Explained{Msg: err.Error() + ": the server's TLS certificate is not trusted here; install its CA certificate, or (test servers only) add TrustServerCertificate=true to the URL", Err: err}
	}
	return err
}

// explainServerError rewrites a server error. e.All lists every error of
// the batch in order; a relay object's own THROW comes first and may be
// followed by others that only report its consequences (266, 3609), so
// the first one that matters is explained.
func explainServerError(e mssql.Error) error {
	all := e.All
	if len(all) == 0 {
		all = []mssql.Error{e}
	}
	// The outcome hook first: it is the integrator's code, whatever number
	// it raises. (The listener runs it through relay.run_hooks, which
	// records its errors; this is for a hook called some other way.)
	for _, x := range all {
		if p := procName(x); p == "on_outcome" || p == "message_outcome" {
			return explained(e, x, "relay.on_outcome, the outcome hook, failed; fix it (it is yours: the listener's failed calls are listed in relay_api.hook_failures and retried)")
		}
	}
	for _, x := range all {
		if x.Number >= firstRelayError && x.Number <= lastRelayError {
			msg, hint := splitHint(x.Message)
			return &dialect.ArgumentError{Code: fmt.Sprintf("error %d", x.Number), Message: msg, Hint: hint, Err: e}
		}
	}
	for _, x := range all {
		if todo := whatToDo(x); todo != "" {
			return explained(e, x, todo)
		}
	}
	return explained(e, all[0], "")
}

// whatToDo is the advice for one server error number, or "".
func whatToDo(x mssql.Error) string {
	msg := strings.ToLower(x.Message)
	switch x.Number {
	case 18456:
		return "login failed: check the user and password in the URL; the server must allow SQL Server authentication (mixed mode)"
	case 4060:
		return "cannot open the database named in the URL: create it first (CREATE DATABASE ...), fix ?database= in the URL, or give the login a user in that database"
	case 208:
		switch {
		case strings.Contains(msg, "openjson"):
			return "OPENJSON is not available: " + compatibilityAdvice
		case strings.Contains(msg, "relay"):
			return "dbrelay's tables are not installed; run 'dbrelay migrate up'"
		}
	case 2812:
		if strings.Contains(msg, "relay.") {
			return "dbrelay's procedures are not installed; run 'dbrelay migrate up'"
		}
	case 229, 230, 262, 297, 300, 916:
		return "the URL's login lacks a permission dbrelay needs; docs/sqlserver.md (Permissions) has the script granting exactly those"
	case 1205:
		return "the statement was chosen as a deadlock victim: a transient error; the listener retries on its own, run a command again"
	case 1222:
		return "a lock request timed out: a transient error; try again, and look for a long transaction holding relay's rows"
	case 1934:
		return "this session runs with SET options (QUOTED_IDENTIFIER, ANSI_NULLS, ANSI_WARNINGS, ANSI_PADDING, ARITHABORT, CONCAT_NULL_YIELDS_NULL on; NUMERIC_ROUNDABORT off) that a filtered index, indexed view or indexed computed column requires; dbrelay creates none, so look for one added to relay's tables, or connect with those options on (sqlcmd -I)"
	case 334:
		return "this is a bug in dbrelay (an OUTPUT clause without INTO on a table with triggers); please report it with this message"
	case 547:
		if strings.Contains(msg, "message_channel_fkey") {
			return "the message's channel is not in relay.channel: register it first (INSERT INTO relay.channel (code, kind, target) VALUES (...)) or use relay.enqueue, which says so"
		}
		return "a constraint of dbrelay's tables rejected the row; its name says which"
	case 515:
		return "a required column was NULL; pass a value"
	case 2628, 8152:
		return "a value is longer than its column allows (docs/sqlserver.md lists the lengths)"
	case 40501, 40613, 49918, 49919, 49920:
		return "Azure SQL Database is busy or not available right now: a transient error; try again in a moment"
	}
	return ""
}

// explained formats a server error as "message (error N, in proc): what to do".
func explained(e, x mssql.Error, todo string) error {
	msg := x.Message + fmt.Sprintf(" (error %d", x.Number)
	if x.ProcName != "" {
		msg += fmt.Sprintf(", in %s line %d", x.ProcName, x.LineNo)
	}
	msg += ")"
	if todo != "" {
		msg += ": " + todo
	}
	return &dialect.Explained{Msg: msg, Err: e}
}

// procName is the unqualified, lower-case name of the module that raised x.
func procName(x mssql.Error) string {
	p := strings.ToLower(x.ProcName)
	if i := strings.LastIndex(p, "."); i >= 0 {
		p = p[i+1:]
	}
	return strings.Trim(p, "[]")
}

// splitHint splits "problem. Hint: what to do" in two; a message without
// the separator is all problem.
func splitHint(message string) (msg, hint string) {
	if i := strings.Index(message, hintSep); i >= 0 {
		return message[:i], message[i+len(hintSep):]
	}
	return message, ""
}
