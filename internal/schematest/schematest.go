// Package schematest helps tests of the schema: SQL trees that simulate an
// upgrade (what a newer dbrelay binary would carry, schema.Migrator.Shipped)
// and reading the catalog.
package schematest

import (
	"database/sql"
	"io/fs"
	"testing"
	"testing/fstest"

	dbrelay "github.com/dbrelay/dbrelay"
)

// Tree is the SQL tree embedded in this binary with some files replaced or
// added (path → text).
func Tree(t testing.TB, files map[string]string) fstest.MapFS {
	t.Helper()
	tree := fstest.MapFS{}
	err := fs.WalkDir(dbrelay.Files, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(dbrelay.Files, p)
		tree[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, text := range files {
		tree[p] = &fstest.MapFile{Data: []byte(text)}
	}
	return tree
}

// Lines runs a query of one text column and returns its rows, failing the
// test on any error.
func Lines(t testing.TB, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
