// Package schematest builds SQL trees for tests that simulate an upgrade:
// what a newer dbrelay binary would carry (schema.Migrator.Shipped).
package schematest

import (
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
