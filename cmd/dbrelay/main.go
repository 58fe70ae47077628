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
	"regexp"
	"strconv"
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
	ctx, stop := signalContext()
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by the first SIGINT or SIGTERM, which asks for
// a graceful shutdown. Then the signals go back to the runtime's default
// action: a second one ends the process at once (a listener's held messages
// are claimed again when their lease ends).
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
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
			serveCommand(),
			endpointCommand(),
			channelCommand(),
			subscriptionCommand(),
			mailInCommand(),
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

func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageError{explainFlagValue(c, err)}
}

var (
	badFlagValue = regexp.MustCompile(`^invalid value "([^"]*)" for flag -([\w-]+): parse error$`)
	badEnvValue  = regexp.MustCompile(`^could not parse "([^"]*)" as duration value from environment variable "(\w+)" for flag ([\w-]+):`)
)

// explainFlagValue rewrites urfave/cli's error for a duration flag given
// without a unit ("parse error") into one that says what to write.
func explainFlagValue(c *cli.Context, err error) error {
	if m := badEnvValue.FindStringSubmatch(err.Error()); m != nil {
		return durationError(fmt.Sprintf("%s=%s (--%s)", m[2], m[1], m[3]), m[1])
	}
	m := badFlagValue.FindStringSubmatch(err.Error())
	if m == nil || c == nil || c.Command == nil {
		return err
	}
	for _, f := range c.Command.Flags {
		if d, ok := f.(*cli.DurationFlag); ok && d.Name == m[2] {
			return durationError(fmt.Sprintf("--%s %s", m[2], m[1]), m[1])
		}
	}
	return err
}

func durationError(given, value string) error {
	if _, err := strconv.ParseFloat(value, 64); err == nil {
		return fmt.Errorf("%s: a duration needs a unit: write %ss (or ms, m, h)", given, value)
	}
	return fmt.Errorf("%s: not a duration; write it like 10s, 500ms, 2m or 1h", given)
}

// databaseFlags are --database-url and --database-url-file, on every
// command that needs a database.
func databaseFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    "database-url",
			Aliases: []string{"d"},
			Usage: "database to use: postgres://user:password@host:5432/db, pg:…, sqlserver://user:password@host:1433?database=db, ms:… " +
				"(default $DATABASE_URL; prefer it or --database-url-file: a command line is visible to every user of the machine)",
		},
		&cli.StringFlag{
			Name:  "database-url-file",
			Usage: "read the database URL from `FILE` (surrounding white space trimmed; default $DATABASE_URL_FILE)",
		},
	}
}

// databaseURL returns the database URL from --database-url or
// --database-url-file, else from DATABASE_URL or DATABASE_URL_FILE (when
// fromEnv): the command line wins over the environment, and naming both a
// URL and a file at the same level is an error. "" means none was given.
func databaseURL(c *cli.Context, fromEnv bool) (string, error) {
	pick := func(url, file, urlName, fileName string) (string, error) {
		switch {
		case url != "" && file != "":
			return "", usagef("both %s and %s are set: keep one", urlName, fileName)
		case file != "":
			b, err := os.ReadFile(file)
			if err != nil {
				return "", usagef("%s: %v", fileName, err)
			}
			u := strings.TrimSpace(string(b))
			if u == "" {
				return "", usagef("%s: %s is empty; write the database URL into it", fileName, file)
			}
			return u, nil
		}
		return url, nil
	}
	u, err := pick(c.String("database-url"), c.String("database-url-file"), "--database-url", "--database-url-file")
	if err != nil || u != "" || !fromEnv {
		return u, err
	}
	return pick(os.Getenv("DATABASE_URL"), os.Getenv("DATABASE_URL_FILE"), "DATABASE_URL", "DATABASE_URL_FILE")
}

// connect opens the database named by --database-url (see databaseURL) and
// checks that it answers within 15 s.
func connect(c *cli.Context) (*dialect.Conn, error) {
	url, err := databaseURL(c, true)
	if err != nil {
		return nil, err
	}
	return connectURL(c, url)
}

func connectURL(c *cli.Context, url string) (*dialect.Conn, error) {
	if url == "" {
		return nil, usagef("no database: set DATABASE_URL, or pass --database-url-file FILE or --database-url (postgres://user:password@host:5432/db or sqlserver://user:password@host:1433?database=db)")
	}
	conn, err := dialect.Open(url)
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
