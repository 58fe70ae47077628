package sqlserver

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/golang-migrate/migrate/v4/database"
	mssql "github.com/microsoft/go-mssqldb"
)

// These tests need no server: they run in every `go test ./...`.

func TestDialectRegisteredForSQLServerURLs(t *testing.T) {
	for _, raw := range []string{
		"sqlserver://sa:secret@db.example:1433?database=oa",
		"ms://sa:secret@db.example/oa",
		"mssql://sa:secret@db.example:1433/oa",
	} {
		c, err := dialect.Open(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if c.Dialect.Name() != "sqlserver" {
			t.Errorf("%s: dialect %s", raw, c.Dialect.Name())
		}
		if !strings.Contains(c.DSN, "database=oa") || !strings.Contains(c.DSN, "app+name=dbrelay") {
			t.Errorf("%s: DSN %s", raw, c.DSN)
		}
		if _, ok := dsnOf(c.DB); !ok {
			t.Errorf("%s: pool not remembered for MigrationDriver", raw)
		}
		c.Close()
	}
	c, err := dialect.Open("sqlserver://sa:secret@db.example?database=oa&app+name=hr")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if strings.Contains(c.DSN, "dbrelay") {
		t.Errorf("the URL's own app name was replaced: %s", c.DSN)
	}
}

func TestMigrationDriverNeedsOwnPool(t *testing.T) {
	_, err := Dialect{}.MigrationDriver(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "dialect.Open") {
		t.Fatalf("MigrationDriver on an unknown pool = %v", err)
	}
}

func TestBatches(t *testing.T) {
	file := "SET ANSI_NULLS ON;\nSET QUOTED_IDENTIFIER ON;\nGO\n-- header\nCREATE OR ALTER VIEW relay_api.x\nAS\nSELECT N'GO' AS go_text;\nGO\n"
	got, err := Dialect{}.Batches(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "SET ANSI_NULLS ON;") || !strings.Contains(got[1], "CREATE OR ALTER VIEW") || !strings.Contains(got[1], "N'GO'") {
		t.Fatalf("batches = %q", got)
	}
	if _, err := (Dialect{}).Batches("\n\nGO\n  \n"); err == nil {
		t.Fatal("a file of blank batches was accepted")
	}
}

func TestSplitHint(t *testing.T) {
	for _, c := range []struct{ in, msg, hint string }{
		{"relay.push: title is NULL. Hint: Pass a title; an empty string is allowed.", "relay.push: title is NULL", "Pass a title; an empty string is allowed."},
		{`relay.push: receivers: "a. b" has no channel. Hint: Add a row.`, `relay.push: receivers: "a. b" has no channel`, "Add a row."},
		{"something else.", "something else.", ""},
	} {
		if msg, hint := splitHint(c.in); msg != c.msg || hint != c.hint {
			t.Errorf("splitHint(%q) = %q, %q", c.in, msg, hint)
		}
	}
}

func TestExplain(t *testing.T) {
	d := Dialect{}
	relayErr := mssql.Error{Number: 50003, Message: `relay.push: receivers: "nobody" has no channel in relay.recipient and no default channel is set. Hint: Add a row.`, ProcName: "push"}
	noise := mssql.Error{Number: 266, Message: "Transaction count after EXECUTE indicates a mismatching number of BEGIN and COMMIT statements."}
	withNoise := noise
	withNoise.All = []mssql.Error{relayErr, noise}

	var ae *dialect.ArgumentError
	if err := d.Explain(withNoise); !errors.As(err, &ae) || ae.Code != "error 50003" || ae.Hint != "Add a row." || !strings.Contains(ae.Message, "nobody") {
		t.Fatalf("relay THROW followed by error 266 = %#v", err)
	}
	var se mssql.Error
	if !errors.As(d.Explain(withNoise), &se) {
		t.Fatal("the driver's error is not wrapped")
	}
	if err := d.Explain(d.Explain(relayErr)); !errors.As(err, &ae) || ae.Code != "error 50003" {
		t.Fatalf("explaining twice = %v", err)
	}

	for number, want := range map[int32]string{
		18456: "user and password",
		4060:  "database",
		2812:  "migrate up",
		229:   "docs/sqlserver.md",
		1205:  "transient",
		1934:  "QUOTED_IDENTIFIER",
		334:   "bug in dbrelay",
	} {
		msg := "server says no"
		if number == 2812 {
			msg = "Could not find stored procedure 'relay.push'."
		}
		err := d.Explain(mssql.Error{Number: number, Message: msg})
		var ex *dialect.Explained
		if !errors.As(err, &ex) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "server says no") && number != 2812 {
			t.Errorf("error %d: %v, want a mention of %q", number, err, want)
		}
	}
	if err := d.Explain(mssql.Error{Number: 208, Message: "Invalid object name 'relay.message'."}); !strings.Contains(err.Error(), "migrate up") {
		t.Errorf("208 on relay.message: %v", err)
	}
	if err := d.Explain(mssql.Error{Number: 208, Message: "Invalid object name 'OPENJSON'."}); !strings.Contains(err.Error(), "COMPATIBILITY_LEVEL") {
		t.Errorf("208 on OPENJSON: %v", err)
	}
	hook := mssql.Error{Number: 50100, Message: "hook is broken", ProcName: "on_outcome"}
	if err := d.Explain(hook); !strings.Contains(err.Error(), "relay.on_outcome") {
		t.Errorf("hook failure: %v", err)
	}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	if err := d.Explain(dial); !strings.Contains(err.Error(), "1433") {
		t.Errorf("dial error: %v", err)
	}
	mig := database.Error{OrigErr: mssql.Error{Number: 2714, Message: "There is already an object named 'channel' in the database."}, Line: 31, Query: []byte("CREATE TABLE …")}
	if err := d.Explain(mig); !strings.Contains(err.Error(), "line 31") || strings.Contains(err.Error(), "CREATE TABLE") || !errors.As(err, &se) {
		t.Errorf("migration error: %v", err)
	}
	if d.Explain(nil) != nil {
		t.Error("Explain(nil) != nil")
	}
}

func TestPushRejectsTruncatedArguments(t *testing.T) {
	_, err := Dialect{}.Push(context.Background(), nil, "s", strings.Repeat("r,", 1001), "t", "x")
	if err == nil || !strings.Contains(err.Error(), "receivers is 2002 characters") {
		t.Fatalf("2002-character receivers: %v", err)
	}
	_, err = Dialect{}.Push(context.Background(), nil, "s", "r", strings.Repeat("\U0001F600", 51), "x")
	if err == nil || !strings.Contains(err.Error(), "title is 102 characters") {
		t.Fatalf("51 emoji (102 UTF-16 units) as a title: %v", err)
	}
}

func TestClaimRejectsLongToken(t *testing.T) {
	q := &queue{}
	if _, _, err := q.Claim(context.Background(), strings.Repeat("x", maxToken+1), 10, time.Second, nil); err == nil || !strings.Contains(err.Error(), "--id") {
		t.Fatalf("long token: %v", err)
	}
}

// The JSON finishBatch reads with OPENJSON … WITH: every path it names is
// present, with the type it declares.
func TestOutcomeJSON(t *testing.T) {
	started := time.Date(2025, 3, 1, 8, 30, 0, 123456789, time.FixedZone("CST", 8*3600))
	b, err := json.Marshal([]outcomeRow{{ID: 7, Token: "l:1", Status: dialect.StatusSent, RetryMS: milliseconds(time.Hour),
		Attempt: 2, StartedAt: started.UTC().Format(datetime2Layout), DurationMS: milliseconds(1500 * time.Millisecond),
		Outcome: channel.Sent.String(), ResponseCode: 200, Error: "", ResponseBody: "ok"}})
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"id", "token", "status", "retry_ms", "released", "attempt", "started_at", "duration_ms", "outcome", "response_code", "error", "response_body"} {
		if _, ok := rows[0][path]; !ok {
			t.Errorf("no %q in %s", path, b)
		}
		if !strings.Contains(finishBatch, "'$."+path+"'") {
			t.Errorf("finishBatch does not read $.%s", path)
		}
	}
	if rows[0]["started_at"] != "2025-03-01T00:30:00.123456" {
		t.Errorf("started_at = %v, want UTC without zone", rows[0]["started_at"])
	}
	if milliseconds(1000*24*time.Hour) != 1<<31-1 || milliseconds(-time.Second) != 0 {
		t.Error("milliseconds does not clamp to DATEADD's int")
	}
}

// The claim's deferrals go to SQL Server as a JSON array its OPENJSON
// reads: codes as given, a delay in whole ms within int range (at least 1),
// an empty reason kept empty (last_error left as it is); none is [].
func TestDeferralsJSON(t *testing.T) {
	if got := deferralsJSON(nil); got != "[]" {
		t.Fatalf("no deferrals: %q, want []", got)
	}
	got := deferralsJSON([]dialect.Deferral{
		{Channel: `a"b`, For: 1500 * time.Millisecond, Reason: "parked"},
		{Channel: "c", For: 0},
		{Channel: "d", For: 1000 * time.Hour},
	})
	want := `[{"code":"a\"b","ms":1500,"reason":"parked"},{"code":"c","ms":1,"reason":""},{"code":"d","ms":2147483647,"reason":""}]`
	if got != want {
		t.Fatalf("deferralsJSON = %s\nwant %s", got, want)
	}
}
