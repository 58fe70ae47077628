package sqlserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/golang-migrate/migrate/v4/database"
	migratess "github.com/golang-migrate/migrate/v4/database/sqlserver"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/batch"
)

// MigrationDriver returns golang-migrate's sqlserver driver with its version
// table in [relay].[schema_migrations], creating schema relay first.
//
// The driver gets a pool of its own, opened from db's DSN: its Close
// closes the *sql.DB it was given, and the caller's pool must outlive it.
// It never needs Drop: `dbrelay migrate down` runs the down files only
// (the driver's Drop would drop every table in the database).
func (d Dialect) MigrationDriver(ctx context.Context, db *sql.DB) (database.Driver, error) {
	dsn, ok := dsnOf(db)
	if !ok {
		return nil, errors.New("sqlserver: MigrationDriver needs a pool opened by dialect.Open")
	}
	if _, err := db.ExecContext(ctx, createRelaySchema); err != nil {
		return nil, fmt.Errorf("create schema relay: %w", d.Explain(err))
	}
	connector, err := mssql.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	own := sql.OpenDB(connector)
	own.SetMaxOpenConns(2) // the driver's own connection, and its Ping
	drv, err := migratess.WithInstance(own, &migratess.Config{
		SchemaName:      migrationsSchema,
		MigrationsTable: migrationsTable,
	})
	if err != nil {
		own.Close()
		return nil, d.Explain(err)
	}
	return drv, nil
}

// AfterDown drops the version table and schema relay, which the down
// migration has to leave while golang-migrate still records versions there.
func (Dialect) AfterDown(ctx context.Context, q dialect.Querier) error {
	_, err := q.ExecContext(ctx, dropVersionTable)
	return err
}

// MigrationVersion reads relay.schema_migrations; a missing table or an
// empty one means not installed.
func (Dialect) MigrationVersion(ctx context.Context, q dialect.Querier) (int, bool, bool, error) {
	var version int64
	var dirty bool
	err := q.QueryRowContext(ctx, readVersion).Scan(&version, &dirty)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, false, nil
	case isInvalidObject(err):
		return 0, false, false, nil
	case err != nil:
		return 0, false, false, err
	}
	return int(version), dirty, true, nil
}

// Batches splits an object file on GO lines, as sqlcmd and SSMS do, with
// go-mssqldb's batch package; blank batches are dropped.
func (Dialect) Batches(file string) ([]string, error) {
	var out []string
	for _, b := range batch.Split(file, "GO") {
		if strings.TrimSpace(b) != "" {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no T-SQL batch in the file")
	}
	return out, nil
}

// BeginObjects starts a transaction holding an exclusive application lock
// (sp_getapplock, owned by the transaction) for its length. SQL Server's
// DDL is transactional, so a failing file undoes all of them.
func (d Dialect) BeginObjects(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	var result int
	if err := tx.QueryRowContext(ctx, lockObjects).Scan(&result); err != nil {
		tx.Rollback()
		return nil, err
	}
	if result < 0 {
		tx.Rollback()
		return nil, fmt.Errorf("could not take the lock dbrelay.objects (sp_getapplock returned %d: %s); another 'dbrelay migrate up' may be running", result, applockResult(result))
	}
	return tx, nil
}

func applockResult(code int) string {
	switch code {
	case -1:
		return "timed out after 10 minutes"
	case -2:
		return "cancelled"
	case -3:
		return "chosen as a deadlock victim"
	}
	return "parameter validation or other call error"
}

// Definition returns sys.sql_modules' text of an object with its SET
// options and, for a trigger, whether it is disabled, normalised as
// PostgreSQL's catalog normalises a definition (see normaliseModule), so
// that what SQL Server tools do to a module's text without changing the
// module does not count as an edit.
func (Dialect) Definition(ctx context.Context, q dialect.Querier, obj dialect.Object) (string, bool, error) {
	def, ok, err := moduleText(ctx, q, obj, objectDefinition)
	return normaliseModule(def), ok, err
}

// DDL returns the module's text as stored, ready to run in sqlcmd: its SET
// options, the text, GO (and DISABLE TRIGGER for a disabled trigger).
func (Dialect) DDL(ctx context.Context, q dialect.Querier, obj dialect.Object) (string, bool, error) {
	return moduleText(ctx, q, obj, objectDDL)
}

func moduleText(ctx context.Context, q dialect.Querier, obj dialect.Object, query string) (string, bool, error) {
	switch obj.Kind {
	case "function", "procedure", "view", "trigger":
	default:
		return "", false, fmt.Errorf("unknown object kind %q", obj.Kind)
	}
	var def sql.NullString
	err := q.QueryRowContext(ctx, query, obj.Name).Scan(&def)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return def.String, def.Valid, nil
}

// RecordObject upserts a row of relay.schema_object (under the applier's
// lock, so UPDATE then INSERT cannot race).
func (Dialect) RecordObject(ctx context.Context, q dialect.Querier, rec dialect.ObjectRecord) error {
	_, err := q.ExecContext(ctx, recordObject, rec.Path, rec.Objects, rec.FileSHA256, rec.DBSHA256, rec.ShippedSHA256)
	return err
}

// SaveReplaced inserts a row into relay.schema_object_history.
func (Dialect) SaveReplaced(ctx context.Context, q dialect.Querier, r dialect.Replaced) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, saveReplaced, r.Path, r.Object, r.Definition, r.Reason).Scan(&id)
	return id, err
}

// RecordedObjects lists relay.schema_object; none when the table is missing.
func (Dialect) RecordedObjects(ctx context.Context, q dialect.Querier) ([]dialect.ObjectRecord, error) {
	rows, err := q.QueryContext(ctx, recordedObjects)
	if isInvalidObject(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return dialect.ScanObjectRecords(rows)
}

// isInvalidObject reports error 208 (invalid object name).
func isInvalidObject(err error) bool {
	var e mssql.Error
	return errors.As(err, &e) && e.Number == 208
}
