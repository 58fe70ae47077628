package sqlcheck

import (
	"strings"
	"testing"
	"testing/fstest"

	dbrelay "github.com/dbrelay/dbrelay"
)

func TestTableParity(t *testing.T) {
	report(t, TableParityProblems(dbrelay.Files))
	pg, err := Tables(realFile(t, "sql/postgres/000001_init.up.sql"), PostgreSQL)
	if err != nil || len(pg["relay.message"]) < 20 {
		t.Fatalf("parsed %v, %v: the parse went wrong", pg["relay.message"], err)
	}
	for key := range TableExceptions {
		found := false
		for _, lang := range []struct {
			dir  string
			lang Lang
		}{{"sql/postgres", PostgreSQL}, {"sql/sqlserver", TSQL}} {
			for name, text := range readTree(t, lang.dir) {
				if strings.HasSuffix(name, ".up.sql") {
					tables, _ := Tables(text, lang.lang)
					_, ok := tables[key]
					found = found || ok
				}
			}
		}
		if !found {
			t.Errorf("table exception %s is stale: no migration creates it", key)
		}
	}
}

// The check fails on broken copies of the real migrations.
func TestTableParityCatches(t *testing.T) {
	tree := func(changes map[string]string) fstest.MapFS {
		fsys := fstest.MapFS{}
		for _, dir := range []string{"sql/postgres", "sql/sqlserver"} {
			for name, text := range readTree(t, dir) {
				fsys[name] = &fstest.MapFile{Data: []byte(text)}
			}
		}
		for name, text := range changes {
			if text == "" {
				delete(fsys, name)
				continue
			}
			fsys[name] = &fstest.MapFile{Data: []byte(text)}
		}
		return fsys
	}
	ms6 := realFile(t, "sql/sqlserver/000006_inbound.up.sql")
	pg6 := realFile(t, "sql/postgres/000006_inbound.up.sql")
	for _, c := range []struct {
		name    string
		changes map[string]string
		want    string
	}{
		{"renamed column", map[string]string{"sql/sqlserver/000006_inbound.up.sql": mutate(t, ms6, "    remote_addr     nvarchar(100)", "    remote_address  nvarchar(100)")}, "columns differ"},
		{"dropped column", map[string]string{"sql/postgres/000006_inbound.up.sql": mutate(t, pg6, "    replay_of       bigint,\n", "")}, "columns differ"},
		{"missing table", map[string]string{"sql/sqlserver/000006_inbound.up.sql": mutate(t, ms6, "CREATE TABLE relay.inbound_seen (", "CREATE TABLE relay.inbound_keys (")}, "relay.inbound_seen has no SQL Server twin"},
		{"missing migration", map[string]string{"sql/sqlserver/000006_inbound.up.sql": ""}, "000006_inbound.up.sql exists for one dialect only"},
	} {
		t.Run(c.name, func(t *testing.T) { expect(t, TableParityProblems(tree(c.changes)), c.want) })
	}
}
