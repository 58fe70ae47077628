package main

import (
	"github.com/dbrelay/dbrelay/demo"
	"github.com/urfave/cli/v2"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "show dbrelay end to end on a private PostgreSQL (or --database-url), then clean up",
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:  "database-url",
				Usage: "run against this existing PostgreSQL database instead of a private one (installs dbrelay there with migrate up; the demo delivers only its own channels, named for this run, and removes its rows afterwards)",
			},
			&cli.StringFlag{Name: "database-url-file", Usage: "as --database-url, the URL read from `FILE`"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			// Not from DATABASE_URL: the demo writes into the database it is
			// given, so only a database named on its command line.
			url, err := databaseURL(c, false)
			if err != nil {
				return err
			}
			return demo.Run(c.Context, demo.Options{DatabaseURL: url, Out: c.App.Writer})
		},
	}
}
