package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/inbound"
	"github.com/urfave/cli/v2"
	"golang.org/x/crypto/bcrypt"
)

func endpointCommand() *cli.Command {
	return &cli.Command{
		Name:  "endpoint",
		Usage: "manage the HTTP endpoints 'dbrelay serve' answers (relay.endpoint)",
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "register an endpoint: a path, the procedure it runs, and how callers authenticate",
				ArgsUsage: "PATH",
				Description: "Flags come before PATH. Examples:\n" +
					"  dbrelay endpoint add --procedure app.on_order --auth basic --caller crm --secret-env DBRELAY_SECRET_CRM /orders\n" +
					"  echo 'pa55word' | dbrelay endpoint add --auth basic --caller oa --secret-stdin /forms\n" +
					"  dbrelay endpoint add --auth webhook --caller peer --secret-env DBRELAY_SECRET_PEER /hooks/peer\n" +
					"The procedure must exist with the endpoint contract's signature (docs/inbound.md).",
				Flags: append(databaseFlags(),
					&cli.StringFlag{Name: "procedure", Value: dialect.DefaultProcedure, Usage: "the function or procedure it runs, as `SCHEMA.NAME`"},
					&cli.StringFlag{Name: "auth", Usage: "basic, bearer, webhook (Standard Webhooks HMAC) or digest"},
					&cli.StringFlag{Name: "caller", Usage: "who calls: the Basic/Digest user name, and the identity the procedure gets"},
					&cli.StringFlag{Name: "secret-env", Usage: "environment variable of serve holding the password, token or whsec_ secret (DBRELAY_SECRET_… or one serve allows)"},
					&cli.StringFlag{Name: "secret-hash", Usage: "bcrypt hash of the password or token (basic and bearer), e.g. from htpasswd -nbB"},
					&cli.BoolFlag{Name: "secret-stdin", Usage: "read the password or token from standard input and store its bcrypt hash (basic and bearer)"},
					&cli.IntFlag{Name: "max-body", Value: inbound.DefaultMaxBody, Usage: "largest body in `BYTES`; larger ones get 413"},
					&cli.IntFlag{Name: "rate", Usage: "most requests per minute (per serve process), in bursts of up to a tenth of it; 0 = no limit"},
					&cli.BoolFlag{Name: "disabled", Usage: "add it disabled"},
				),
				OnUsageError: onUsageError,
				Action:       endpointAdd,
			},
			{
				Name:         "list",
				Usage:        "list the endpoints",
				Flags:        append(databaseFlags(), &cli.BoolFlag{Name: "json", Usage: "print JSON"}),
				OnUsageError: onUsageError,
				Action:       endpointList,
			},
			{
				Name:         "disable",
				Usage:        "refuse an endpoint's requests from now on (404); its rows in relay.inbound stay",
				ArgsUsage:    "PATH...",
				Flags:        databaseFlags(),
				OnUsageError: onUsageError,
				Action:       func(c *cli.Context) error { return endpointEnable(c, false) },
			},
			{
				Name:         "enable",
				Usage:        "serve a disabled endpoint again",
				ArgsUsage:    "PATH...",
				Flags:        databaseFlags(),
				OnUsageError: onUsageError,
				Action:       func(c *cli.Context) error { return endpointEnable(c, true) },
			},
		},
	}
}

func endpointAdd(c *cli.Context) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	switch {
	case c.NArg() != 1:
		return usagef("endpoint add takes one PATH, e.g. /orders")
	case c.String("auth") == "" || c.String("caller") == "":
		return usagef("endpoint add needs --auth (basic, bearer, webhook or digest) and --caller NAME")
	}
	e := dialect.Endpoint{
		Path: c.Args().First(), Procedure: c.String("procedure"), Auth: c.String("auth"), Caller: c.String("caller"),
		SecretEnv: c.String("secret-env"), SecretHash: c.String("secret-hash"),
		MaxBodyBytes: c.Int("max-body"), RatePerMinute: c.Int("rate"), Enabled: !c.Bool("disabled"),
	}
	if c.Bool("secret-stdin") {
		if e.SecretEnv != "" || e.SecretHash != "" {
			return usagef("--secret-stdin, --secret-env and --secret-hash are alternatives: give one")
		}
		line, err := bufio.NewReader(c.App.Reader).ReadString('\n')
		secret := strings.TrimRight(line, "\r\n")
		if secret == "" {
			return usagef("--secret-stdin: nothing on standard input (%v); pipe the password or token in", err)
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.DefaultCost)
		if err != nil {
			return usagef("--secret-stdin: %v", err)
		}
		e.SecretHash = string(hash)
	}
	if err := inbound.ValidateEndpoint(e); err != nil {
		return usageError{err}
	}
	conn, in, err := connectInbound(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The procedure must exist with the contract, now rather than when
	// serve first reloads.
	stmts, err := in.PrepareInbound(c.Context, conn.DB)
	if err != nil {
		return err
	}
	defer stmts.Close()
	proc, err := stmts.Resolve(c.Context, e.Procedure, nil)
	if err != nil {
		return err
	}
	proc.Close()
	if err := in.AddEndpoint(c.Context, conn.DB, e); err != nil {
		if errors.Is(err, dialect.ErrEndpointExists) {
			return fmt.Errorf("%w; 'dbrelay endpoint list' shows it: disable it, or change the row in relay.endpoint", err)
		}
		return err
	}
	fmt.Fprintf(c.App.Writer, "added %s → %s (%s, caller %s)\n", e.Path, e.Procedure, e.Auth, e.Caller)
	return nil
}

func endpointList(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unexpected argument %q", c.Args().First())
	}
	conn, in, err := connectInbound(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	eps, err := in.Endpoints(c.Context, conn.DB)
	if err != nil {
		return err
	}
	type row struct {
		Path          string `json:"path"`
		Procedure     string `json:"procedure"`
		Auth          string `json:"auth"`
		Caller        string `json:"caller"`
		Secret        string `json:"secret"`
		MaxBodyBytes  int    `json:"max_body_bytes"`
		RatePerMinute int    `json:"rate_per_minute"`
		Enabled       bool   `json:"enabled"`
	}
	rows := make([]row, 0, len(eps))
	for _, e := range eps {
		secret := "bcrypt hash" // never the hash itself
		if e.SecretEnv != "" {
			secret = "env " + e.SecretEnv
		}
		rows = append(rows, row{e.Path, e.Procedure, e.Auth, e.Caller, secret, e.MaxBodyBytes, e.RatePerMinute, e.Enabled})
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(c.App.Writer, "no endpoints; add one with 'dbrelay endpoint add PATH --auth … --caller …'")
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "path\tprocedure\tauth\tcaller\tsecret\tmax body\trate/min\tenabled")
	for _, r := range rows {
		rate := "-"
		if r.RatePerMinute > 0 {
			rate = fmt.Sprint(r.RatePerMinute)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%v\n", r.Path, r.Procedure, r.Auth, r.Caller, r.Secret, r.MaxBodyBytes, rate, r.Enabled)
	}
	return tw.Flush()
}

// connectInbound connects and returns the dialect's inbound side.
func connectInbound(c *cli.Context) (*dialect.Conn, *dialect.Inbound, error) {
	conn, err := connect(c)
	if err != nil {
		return nil, nil, err
	}
	in, err := dialect.InboundOf(conn)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, in, nil
}

// flagsFirst explains flags written after the arguments, which are not
// read as flags.
func flagsFirst(c *cli.Context) error {
	for _, a := range c.Args().Slice()[min(1, c.NArg()):] {
		if strings.HasPrefix(a, "-") {
			return usagef("%s comes after the arguments: put the flags before them (dbrelay endpoint %s --flag … PATH)", a, c.Command.Name)
		}
	}
	return nil
}

func endpointEnable(c *cli.Context, enabled bool) error {
	if err := flagsFirst(c); err != nil {
		return err
	}
	if c.NArg() == 0 {
		return usagef("name at least one PATH")
	}
	conn, in, err := connectInbound(c)
	if err != nil {
		return err
	}
	defer conn.Close()
	return setEnabledEach(c, enabled, "endpoint", func(path string) (bool, error) {
		return in.SetEndpointEnabled(c.Context, conn.DB, path, enabled)
	})
}
