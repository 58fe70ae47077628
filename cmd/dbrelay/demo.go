package main

import (
	"github.com/dbrelay/dbrelay/demo"
	"github.com/urfave/cli/v2"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "show dbrelay end to end on a private PostgreSQL (or --database-url), then clean up",
		Flags: []cli.Flag{&cli.StringFlag{
			Name:  "database-url",
			Usage: "run against this existing PostgreSQL database instead of a private one (installs dbrelay there; the demo's rows are removed afterwards)",
		}},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			return demo.Run(c.Context, demo.Options{DatabaseURL: c.String("database-url"), Out: c.App.Writer})
		},
	}
}
