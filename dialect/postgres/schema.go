package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/golang-migrate/migrate/v4/database"
	migratepg "github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/lib/pq"
)

// MigrationDriver returns golang-migrate's postgres driver on one connection
// of db, with its version table in schema relay. golang-migrate creates that
// table when the driver opens, so the schema has to exist first.
func (Dialect) MigrationDriver(ctx context.Context, db *sql.DB) (database.Driver, error) {
	if _, err := db.ExecContext(ctx, createRelaySchema); err != nil {
		return nil, fmt.Errorf("create schema relay: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// WithConnection, not WithInstance: the driver's Close must not close
	// the caller's pool.
	drv, err := migratepg.WithConnection(ctx, conn, &migratepg.Config{
		MigrationsTable:       migrationsTable,
		MigrationsTableQuoted: true,
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return drv, nil
}

// AfterDown drops the version table and schema relay, which the down
// migration has to leave while golang-migrate still records versions there.
func (Dialect) AfterDown(ctx context.Context, q dialect.Querier) error {
	if _, err := q.ExecContext(ctx, dropVersionTable); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, dropSchemaIfEmpty)
	return err
}

// MigrationVersion reads relay.schema_migrations.
func (Dialect) MigrationVersion(ctx context.Context, q dialect.Querier) (int, bool, bool, error) {
	var version int64
	var dirty bool
	err := q.QueryRowContext(ctx, readVersion).Scan(&version, &dirty)
	var pqErr *pq.Error
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, false, nil
	case errors.As(err, &pqErr) && (pqErr.Code == "42P01" || pqErr.Code == "3F000"):
		return 0, false, false, nil
	case err != nil:
		return 0, false, false, err
	}
	return int(version), dirty, true, nil
}

// Batches returns the whole file: PostgreSQL runs a multi-statement string
// (the simple query protocol) in order, dollar-quoted bodies included.
func (Dialect) Batches(file string) ([]string, error) {
	return []string{file}, nil
}

// BeginObjects starts a transaction holding an advisory lock for its length.
// PostgreSQL's DDL is transactional, so a failing file undoes all of them.
func (Dialect) BeginObjects(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, lockObjects); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// Definition returns the catalog's text for an object: pg_get_functiondef
// for functions and procedures (all overloads), pg_get_viewdef for views,
// pg_get_triggerdef plus its enabled state for triggers.
func (Dialect) Definition(ctx context.Context, q dialect.Querier, obj dialect.Object) (string, bool, error) {
	return catalogText(ctx, q, obj, routineDefinition, viewDefinition, triggerDefinition)
}

// DDL returns pg_get_functiondef (every overload), CREATE OR REPLACE VIEW
// around pg_get_viewdef, or pg_get_triggerdef (and a DISABLE TRIGGER when
// it is disabled).
func (Dialect) DDL(ctx context.Context, q dialect.Querier, obj dialect.Object) (string, bool, error) {
	return catalogText(ctx, q, obj, ddlRoutine, ddlView, ddlTrigger)
}

// catalogText runs the query for obj's kind with its schema and name (a
// trigger: its table and name).
func catalogText(ctx context.Context, q dialect.Querier, obj dialect.Object, routine, view, trigger string) (string, bool, error) {
	var def sql.NullString
	var err error
	switch obj.Kind {
	case "function", "procedure":
		schema, name := splitName(obj.Name)
		err = q.QueryRowContext(ctx, routine, schema, name).Scan(&def)
	case "view":
		schema, name := splitName(obj.Name)
		err = q.QueryRowContext(ctx, view, schema, name).Scan(&def)
	case "trigger":
		_, name := splitName(obj.Name)
		err = q.QueryRowContext(ctx, trigger, obj.Table, name).Scan(&def)
	default:
		return "", false, fmt.Errorf("unknown object kind %q", obj.Kind)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return def.String, def.Valid, nil
}

// splitName splits "relay.push" into schema and name, folding unquoted
// identifiers to lower case as PostgreSQL does.
func splitName(qualified string) (schema, name string) {
	schema, name = "public", qualified
	if i := strings.LastIndex(qualified, "."); i >= 0 {
		schema, name = qualified[:i], qualified[i+1:]
	}
	return fold(schema), fold(name)
}

func fold(ident string) string {
	if len(ident) >= 2 && ident[0] == '"' && ident[len(ident)-1] == '"' {
		return strings.ReplaceAll(ident[1:len(ident)-1], `""`, `"`)
	}
	return strings.ToLower(ident)
}

// RecordObject upserts a row of relay.schema_object.
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
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && (pqErr.Code == "42P01" || pqErr.Code == "3F000") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return dialect.ScanObjectRecords(rows)
}
