// Command dbrelay installs dbrelay's objects in a database, pushes messages
// and runs the listener that delivers them. It is thin: each command parses
// its flags, builds a config and calls a package.
//
// Exit codes: 0 success, 1 an error (one line saying what to do), 2 a usage
// error (a bad flag or argument).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	dbrelay "github.com/dbrelay/dbrelay"
	"github.com/dbrelay/dbrelay/dialect"
	_ "github.com/dbrelay/dbrelay/dialect/postgres"  // registers postgres://, pg:
	_ "github.com/dbrelay/dbrelay/dialect/sqlserver" // registers sqlserver://, ms:
	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp()
	app.Writer, app.ErrWriter = stdout, stderr
	var unknown string
	app.CommandNotFound = func(_ *cli.Context, name string) { unknown = name }
	err := app.RunContext(ctx, args)
	if unknown != "" {
		err = usagef("no command %q", unknown)
	}
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "dbrelay: %v (see 'dbrelay --help')\n", err)
		return 2
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := strings.TrimSpace(err.Error()); msg != "" {
			fmt.Fprintln(stderr, "dbrelay:", msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintln(stderr, "dbrelay:", oneLine(err.Error()))
	return 1
}

func newApp() *cli.App {
	return &cli.App{
		Name:                 "dbrelay",
		Usage:                "deliver messages written inside database transactions (PostgreSQL, SQL Server)",
		Version:              dbrelay.Version,
		EnableBashCompletion: true,
		HideVersion:          true,
		OnUsageError:         onUsageError,
		// run prints errors and picks the exit code; urfave/cli's own
		// handler would print them too and call os.Exit.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			migrateCommand(),
			pushCommand(),
			listenCommand(),
			statusCommand(),
			retryCommand(),
			demoCommand(),
			versionCommand(),
		},
	}
}

// usageError marks a bad flag or argument: exit code 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func onUsageError(_ *cli.Context, err error, _ bool) error { return usageError{err} }

// databaseFlag is --database-url, on every command that needs a database.
func databaseFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "database-url",
		Aliases: []string{"d"},
		EnvVars: []string{"DATABASE_URL"},
		Usage:   "database to use: postgres://user:password@host:5432/db, pg:…, sqlserver://user:password@host:1433?database=db, ms:…",
	}
}

// connect opens the database named by --database-url and checks that it
// answers within 15 s.
func connect(c *cli.Context) (*dialect.Conn, error) {
	if c.String("database-url") == "" {
		return nil, usagef("no database: pass --database-url or set DATABASE_URL (postgres://user:password@host:5432/db or sqlserver://user:password@host:1433?database=db)")
	}
	conn, err := dialect.Open(c.String("database-url"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(c.Context, 15*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// oneLine folds a multi-line error into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version of dbrelay and of the schema it installs",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "dbrelay %s\n", dbrelay.Version)
			for _, name := range dialect.Names() {
				d, _ := dialect.Lookup(name)
				if v, err := latestVersion(d); err == nil {
					fmt.Fprintf(c.App.Writer, "%s schema version %d\n", name, v)
				}
			}
			return nil
		},
	}
}
