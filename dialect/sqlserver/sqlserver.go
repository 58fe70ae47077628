// Package sqlserver is dbrelay's SQL Server dialect (SQL Server 2016 SP1 or
// newer, and Azure SQL Database), on github.com/microsoft/go-mssqldb. All
// T-SQL dbrelay's Go code sends to SQL Server is in queries.go; the objects
// it calls are in sql/sqlserver, procedures/sqlserver, views/sqlserver and
// triggers/sqlserver.
//
// SQL Server has no LISTEN/NOTIFY, so this dialect does not implement
// dialect.Notifying: listeners poll adaptively (claiming again at once while
// claims come back full, backing off to the poll interval when idle).
package sqlserver

import (
	"database/sql"
	"errors"
	"net/url"
	"runtime"
	"sync"
	"weak"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/internal/tcpopt"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/xo/dburl"
)

// Dialect implements dialect.Dialect and dialect.Opener for SQL Server.
type Dialect struct{}

func init() { dialect.Register("sqlserver", Dialect{}) }

// Name is the directory name of the SQL Server SQL files.
func (Dialect) Name() string { return "sqlserver" }

// appName is what DBAs see as program_name in sys.dm_exec_sessions (and
// sp_who2) for dbrelay's connections, unless the URL names another.
const appName = "dbrelay"

// Connect opens a go-mssqldb pool for a sqlserver:// (or ms:) URL.
func (Dialect) Connect(u *dburl.URL, d *tcpopt.Dialer) (*sql.DB, string, error) {
	if u.Driver != "sqlserver" {
		return nil, "", errors.New("Azure Active Directory authentication (fedauth, azuresql://) is not built into dbrelay; use a SQL login in the URL (sqlserver://user:password@host:1433?database=dbname)")
	}
	dsn, err := withAppName(u.DSN)
	if err != nil {
		return nil, "", err
	}
	connector, err := mssql.NewConnector(dsn)
	if err != nil {
		return nil, "", err
	}
	connector.Dialer = d
	db := sql.OpenDB(dialect.Guard(connector, d))
	remember(db, dsn)
	return db, dsn, nil
}

// withAppName adds "app name=dbrelay" to a sqlserver:// DSN that has none.
func withAppName(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if q.Get("app name") == "" {
		q.Set("app name", appName)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// The DSN of every pool Connect opened, so that MigrationDriver can open a
// pool of its own for golang-migrate (whose Close closes the pool it is
// given). Keyed weakly: an entry goes when its pool is garbage.
var (
	dsnMu sync.Mutex
	dsns  = map[weak.Pointer[sql.DB]]string{}
)

func remember(db *sql.DB, dsn string) {
	key := weak.Make(db)
	dsnMu.Lock()
	dsns[key] = dsn
	dsnMu.Unlock()
	runtime.AddCleanup(db, forget, key)
}

func forget(key weak.Pointer[sql.DB]) {
	dsnMu.Lock()
	delete(dsns, key)
	dsnMu.Unlock()
}

func dsnOf(db *sql.DB) (string, bool) {
	dsnMu.Lock()
	defer dsnMu.Unlock()
	dsn, ok := dsns[weak.Make(db)]
	return dsn, ok
}
