package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

func pushCommand() *cli.Command {
	return &cli.Command{
		Name:  "push",
		Usage: "call relay.push(sender, receivers, title, context) and print the new message ids",
		Flags: append(databaseFlags(),
			&cli.StringFlag{Name: "sender", Value: "dbrelay", Usage: "who the message is from"},
			&cli.StringFlag{Name: "receivers", Usage: "receiver names separated by , or ;"},
			&cli.StringFlag{Name: "title", Usage: "the message's title"},
			&cli.StringFlag{Name: "context", Usage: "the message's text; '-' reads it from standard input"},
		),
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unexpected argument %q", c.Args().First())
			}
			for _, name := range []string{"receivers", "title"} {
				if !c.IsSet(name) {
					return usagef("'push' needs --%s", name)
				}
			}
			text := c.String("context")
			if text == "-" {
				b, err := io.ReadAll(os.Stdin)
				if err != nil {
					return err
				}
				text = string(b)
			}
			conn, err := connect(c)
			if err != nil {
				return err
			}
			defer conn.Close()
			ids, err := conn.Dialect.Push(c.Context, conn.DB, c.String("sender"), c.String("receivers"), c.String("title"), text)
			if err != nil {
				return err
			}
			for _, id := range ids {
				fmt.Fprintln(c.App.Writer, id)
			}
			return nil
		},
	}
}
