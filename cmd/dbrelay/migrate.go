package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func latestVersion(d dialect.Dialect) (uint, error) { return schema.Latest(d) }

// exitNotClean is `migrate status`'s exit code when the database needs
// `migrate up` (or a newer dbrelay): scripts and CI gate on it.
const exitNotClean = 3

func objectsDirFlag() cli.Flag {
	return &cli.StringFlag{
		Name:  "objects-dir",
		Usage: "take procedures/, views/ and triggers/ files from `DIR` (laid out as 'dbrelay migrate export' writes it) in place of the copies built into dbrelay",
	}
}

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:         "migrate",
		Usage:        "install, inspect, upgrade or remove dbrelay's tables, procedures, views and triggers",
		OnUsageError: onUsageError,
		Subcommands: []*cli.Command{
			{
				Name: "up",
				Usage: "apply every migration, then create missing extension points and restore dbrelay's own objects " +
					"(a customised extension point is never replaced)",
				Flags: append(databaseFlags(), objectsDirFlag(), &cli.StringSliceFlag{
					Name:  "reset",
					Usage: "replace the extension point `OBJECT` (e.g. relay.push) with this dbrelay's default; the definition it replaces is saved in relay.schema_object_history (repeatable)",
				}),
				OnUsageError: onUsageError,
				Action: func(c *cli.Context) error {
					return withMigrator(c, func(m *schema.Migrator) error {
						m.Reset = c.StringSlice("reset")
						return m.Up(c.Context)
					})
				},
			},
			{
				Name:         "down",
				Usage:        "remove every dbrelay object and table, messages included (all or nothing)",
				Flags:        append(databaseFlags(), &cli.BoolFlag{Name: "yes", Usage: "do not ask for confirmation"}),
				OnUsageError: onUsageError,
				Action:       migrateDown,
			},
			{
				Name: "status",
				Usage: "show the migration version and each object's state; exit 0 when up to date, " +
					strconv.Itoa(exitNotClean) + " when 'migrate up' is needed (or a newer dbrelay), 1 on errors",
				Flags:        append(databaseFlags(), objectsDirFlag()),
				OnUsageError: onUsageError,
				Action:       migrateStatus,
			},
			{
				Name:         "diff",
				Usage:        "show the database's version of objects beside this dbrelay's default (every customised or changed one when no OBJECT is named)",
				ArgsUsage:    "[OBJECT…]",
				Flags:        databaseFlags(),
				OnUsageError: onUsageError,
				Action:       migrateDiff,
			},
			{
				Name:         "export",
				Usage:        "write the built-in procedures, views and triggers into DIR for editing",
				ArgsUsage:    "DIR",
				Flags:        []cli.Flag{&cli.StringFlag{Name: "dialect", Value: "postgres", Usage: "postgres or sqlserver"}},
				OnUsageError: onUsageError,
				Action:       migrateExport,
			},
			{
				Name:      "force",
				Usage:     "record VERSION as applied, clean, without running anything (to recover from a failed migration); -1 or none records no version",
				ArgsUsage: "VERSION",
				// -1 would otherwise be taken for an unknown flag: a hidden
				// flag named "1" makes 'migrate force -1' work as printed.
				Flags:        append(databaseFlags(), &cli.BoolFlag{Name: "1", Hidden: true}),
				OnUsageError: forceUsageError,
				Action:       migrateForce,
			},
		},
	}
}

func withMigrator(c *cli.Context, fn func(*schema.Migrator) error) error {
	if c.NArg() > 0 {
		return usagef("unexpected argument %q", c.Args().First())
	}
	return withMigratorArgs(c, fn)
}

func withMigratorArgs(c *cli.Context, fn func(*schema.Migrator) error) error {
	conn, err := connect(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	m := &schema.Migrator{
		Conn:  conn,
		Logf:  func(f string, a ...any) { fmt.Fprintf(c.App.Writer, f+"\n", a...) },
		Warnf: func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, "dbrelay: warning: "+f+"\n", a...) },
	}
	if c.IsSet("objects-dir") {
		dir := c.String("objects-dir")
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return usagef("--objects-dir %s is not a directory", dir)
		}
		m.Objects = os.DirFS(dir)
	}
	return fn(m)
}

func migrateDown(c *cli.Context) error {
	if !c.Bool("yes") {
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return usagef("'migrate down' drops every relay table and the messages in them; pass --yes to confirm")
		}
		fmt.Fprint(c.App.ErrWriter, "This drops every dbrelay table, view, procedure and trigger, and every message. Type 'yes' to go on: ")
		var answer string
		fmt.Fscanln(os.Stdin, &answer)
		if answer != "yes" {
			return cli.Exit("nothing dropped", 1)
		}
	}
	return withMigrator(c, func(m *schema.Migrator) error { return m.Down(c.Context) })
}

func migrateStatus(c *cli.Context) error {
	return withMigrator(c, func(m *schema.Migrator) error {
		st, err := m.Status(c.Context)
		if err != nil {
			return err
		}
		w := c.App.Writer
		var verdict string
		switch {
		case !st.Installed:
			verdict = "dbrelay is not installed here: run 'dbrelay migrate up'"
			fmt.Fprintf(w, "migrations: not installed (this dbrelay installs version %d)\n", st.Latest)
		case st.Dirty:
			verdict = oneLine(schema.Check(c.Context, m.Conn).Error())
			fmt.Fprintf(w, "migrations: version %d, DIRTY (a migration failed half-way)\n", st.Version)
		case st.Version < st.Latest:
			verdict = "run 'dbrelay migrate up'"
			fmt.Fprintf(w, "migrations: version %d, older than this dbrelay's %d\n", st.Version, st.Latest)
		case st.Version > st.Latest:
			verdict = "the database is newer than this dbrelay: use a newer dbrelay"
			fmt.Fprintf(w, "migrations: version %d, newer than this dbrelay's %d\n", st.Version, st.Latest)
		default:
			fmt.Fprintf(w, "migrations: version %d (up to date)\n", st.Version)
		}
		printObjects(w, st.Objects)
		if st.Clean() {
			return nil
		}
		if verdict == "" {
			verdict = "objects are missing, changed or drifted: run 'dbrelay migrate up' (it never replaces a customised extension point)"
		}
		return cli.Exit("not up to date: "+verdict, exitNotClean)
	})
}

func printObjects(w interface{ Write([]byte) (int, error) }, objs []schema.ObjectStatus) {
	width := 0
	for _, o := range objs {
		width = max(width, len(o.Path))
	}
	for _, ext := range []bool{true, false} {
		if ext {
			fmt.Fprintln(w, "extension points (the integrator's once installed: 'migrate up' never replaces a customised one):")
		} else {
			fmt.Fprintln(w, "dbrelay's own objects ('migrate up' restores them, saving what it replaces):")
		}
		for _, o := range objs {
			if o.ExtensionPoint == ext {
				fmt.Fprintf(w, "  %-*s  %-40s %s\n", width, o.Path, strings.Join(o.States, ", "), o.Objects)
			}
		}
	}
}

func migrateDiff(c *cli.Context) error {
	return withMigratorArgs(c, func(m *schema.Migrator) error {
		diffs, err := m.Diff(c.Context, c.Args().Slice())
		if err != nil {
			return err
		}
		w := c.App.Writer
		if len(diffs) == 0 {
			fmt.Fprintln(w, "nothing differs from this dbrelay's defaults: no customised extension point, no changed or drifted object")
		}
		for _, d := range diffs {
			if d.Unified == "" {
				fmt.Fprintf(w, "%s (%s): the database holds this dbrelay's default\n", d.Objects, strings.Join(d.States, ", "))
				continue
			}
			fmt.Fprint(w, d.Unified)
		}
		return nil
	})
}

func migrateExport(c *cli.Context) error {
	if c.NArg() != 1 {
		return usagef("'migrate export' takes one argument, the directory to write into")
	}
	name := c.String("dialect")
	if _, ok := dialect.Lookup(name); !ok {
		return usagef("--dialect %q: use one of %s", name, strings.Join(dialect.Names(), ", "))
	}
	files, err := schema.Export(name, c.Args().First())
	for _, f := range files {
		fmt.Fprintln(c.App.Writer, f)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "edit these, then apply them with 'dbrelay migrate up --objects-dir %s'\n", c.Args().First())
	return nil
}

var negativeFlagRe = regexp.MustCompile(`flag provided but not defined: -(-?[0-9]+)`)

// forceUsageError explains a negative version other than -1, which the
// flag parser takes for an unknown flag.
func forceUsageError(c *cli.Context, err error, sub bool) error {
	if m := negativeFlagRe.FindStringSubmatch(err.Error()); m != nil {
		return usagef("'migrate force -%s': the version must be a migration version, or -1 (or none) for no version", m[1])
	}
	return onUsageError(c, err, sub)
}

func migrateForce(c *cli.Context) error {
	var arg string
	switch {
	case c.Bool("1") && c.NArg() == 0:
		arg = "-1"
	case !c.Bool("1") && c.NArg() == 1:
		arg = c.Args().First()
	default:
		return usagef("'migrate force' takes one argument, the version to record (-1 or none for no version)")
	}
	if arg == "none" {
		arg = "-1"
	}
	v, err := strconv.Atoi(arg)
	if err != nil || v < -1 {
		return usagef("'migrate force %s': the version must be a migration version, or -1 (or none) for no version", arg)
	}
	conn, err := connect(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := (&schema.Migrator{Conn: conn}).Force(c.Context, v); err != nil {
		return err
	}
	if v < 0 {
		fmt.Fprintln(c.App.Writer, "migrations: recorded no version, clean")
		return nil
	}
	fmt.Fprintf(c.App.Writer, "migrations: recorded version %d, clean\n", v)
	return nil
}
