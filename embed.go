// Package dbrelay holds the SQL a DBA reads and runs: versioned migrations in
// sql/<dialect>, and the repeatable objects in procedures/, views/ and
// triggers/. They are embedded so the binary carries exactly the files in the
// repository; `dbrelay migrate export DIR` writes them back out for editing.
package dbrelay

import "embed"

// Files is the SQL tree: sql/<dialect>/NNNNNN_name.{up,down}.sql and
// {procedures,views,triggers}/<dialect>/*.sql.
//
//go:embed sql procedures views triggers
var Files embed.FS

// Version is the release of this build; `dbrelay version` prints it.
var Version = "0.1.0-dev"
