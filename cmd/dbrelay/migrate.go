package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func latestVersion(d dialect.Dialect) (uint, error) { return schema.Latest(d) }

func objectsDirFlag() cli.Flag {
	return &cli.StringFlag{
		Name:  "objects-dir",
		Usage: "apply procedures/, views/ and triggers/ from `DIR` (laid out as 'dbrelay migrate export' writes it) instead of the copies built into dbrelay",
	}
}

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:         "migrate",
		Usage:        "install, inspect, upgrade or remove dbrelay's tables, procedures, views and triggers",
		OnUsageError: onUsageError,
		Subcommands: []*cli.Command{
			{
				Name:         "up",
				Usage:        "apply every migration, then every new, changed or drifted object file",
				Flags:        append(databaseFlags(), objectsDirFlag()),
				OnUsageError: onUsageError,
				Action: func(c *cli.Context) error {
					return withMigrator(c, func(m *schema.Migrator) error { return m.Up(c.Context) })
				},
			},
			{
				Name:         "down",
				Usage:        "remove every dbrelay object and table, messages included",
				Flags:        append(databaseFlags(), &cli.BoolFlag{Name: "yes", Usage: "do not ask for confirmation"}),
				OnUsageError: onUsageError,
				Action:       migrateDown,
			},
			{
				Name:         "status",
				Usage:        "show the migration version and whether each object is applied, changed on disk, missing or drifted",
				Flags:        append(databaseFlags(), objectsDirFlag()),
				OnUsageError: onUsageError,
				Action:       migrateStatus,
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
				Name:         "force",
				Usage:        "record VERSION as applied without running anything (to recover from a failed migration)",
				ArgsUsage:    "VERSION",
				Flags:        databaseFlags(),
				OnUsageError: onUsageError,
				Action:       migrateForce,
			},
		},
	}
}

func withMigrator(c *cli.Context, fn func(*schema.Migrator) error) error {
	if c.NArg() > 0 {
		return usagef("unexpected argument %q", c.Args().First())
	}
	conn, err := connect(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	m := &schema.Migrator{Conn: conn, Logf: func(f string, a ...any) { fmt.Fprintf(c.App.Writer, f+"\n", a...) }}
	if dir := c.String("objects-dir"); dir != "" {
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
		switch {
		case !st.Installed:
			fmt.Fprintf(w, "migrations: not installed (this dbrelay installs version %d): run 'dbrelay migrate up'\n", st.Latest)
		case st.Dirty:
			fmt.Fprintf(w, "migrations: version %d, DIRTY (a migration failed half-way): see 'dbrelay migrate force --help'\n", st.Version)
		case st.Version < st.Latest:
			fmt.Fprintf(w, "migrations: version %d, older than this dbrelay's %d: run 'dbrelay migrate up'\n", st.Version, st.Latest)
		case st.Version > st.Latest:
			fmt.Fprintf(w, "migrations: version %d, newer than this dbrelay's %d: use a newer dbrelay\n", st.Version, st.Latest)
		default:
			fmt.Fprintf(w, "migrations: version %d (up to date)\n", st.Version)
		}
		width := 0
		for _, o := range st.Objects {
			width = max(width, len(o.Path))
		}
		fmt.Fprintln(w, "objects:")
		for _, o := range st.Objects {
			fmt.Fprintf(w, "  %-*s  %-22s %s\n", width, o.Path, strings.Join(o.States, ", "), o.Objects)
		}
		if !st.Clean() {
			fmt.Fprintln(w, "run 'dbrelay migrate up' to apply what is missing, changed or drifted (drifted objects are replaced by their files: export and edit the files to keep a change)")
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

func migrateForce(c *cli.Context) error {
	if c.NArg() != 1 {
		return usagef("'migrate force' takes one argument, the version to record")
	}
	v, err := strconv.Atoi(c.Args().First())
	if err != nil || v < -1 {
		return usagef("'migrate force %s': the version must be a number (-1 for none)", c.Args().First())
	}
	conn, err := connect(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := (&schema.Migrator{Conn: conn}).Force(c.Context, v); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "migrations: recorded version %d, clean\n", v)
	return nil
}
