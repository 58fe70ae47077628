package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dbrelay/dbrelay/listener"
)

// config is one invocation's settings, from the environment variables that
// `make bench` passes through (ROUNDS, N, ONLY, QUICK). Defaults are applied
// in configFromEnv only.
type config struct {
	// Rounds is how many times every workload runs (ROUNDS, default 3; QUICK 1).
	Rounds int
	// N is the number of messages a drain delivers (N, default 50,000; QUICK 10,000).
	N int
	// Only restricts the run to these workload names (ONLY); empty = all.
	Only map[string]bool
	// Quick shortens the run for development (QUICK=1).
	Quick bool

	// HostDuration is how long each host-cost variant runs (20 s; QUICK 5 s).
	HostDuration time.Duration
	// HostConns is how many host connections commit in parallel (8).
	HostConns int
	// LatencyDuration and LatencyRate shape the latency phases (10 s at 200/s).
	LatencyDuration time.Duration
	LatencyRate     int
	// Backlog is how many finished messages (and delivery rows) the backlog
	// drain starts with (1,000,000).
	Backlog int

	// Listener is dbrelay's default configuration, read from the product
	// so that the HTTP ceiling's concurrency, River's MaxWorkers and the
	// polling target follow it if it changes.
	Listener listener.Config
}

func configFromEnv() (config, error) {
	c := config{
		Rounds:          3,
		N:               50000,
		HostDuration:    20 * time.Second,
		HostConns:       8,
		LatencyDuration: 10 * time.Second,
		LatencyRate:     200,
		Backlog:         1000000,
		Listener:        listener.Defaults(),
	}
	switch q := os.Getenv("QUICK"); q {
	case "", "0", "false":
	case "1", "true":
		c.Quick = true
		c.Rounds, c.N, c.HostDuration = 1, 10000, 5*time.Second
	default:
		return c, fmt.Errorf("QUICK=%q: use 1 or leave it unset", q)
	}
	var err error
	if c.Rounds, err = envInt("ROUNDS", c.Rounds, 1, 20); err != nil {
		return c, err
	}
	if c.N, err = envInt("N", c.N, 100, 10000000); err != nil {
		return c, err
	}
	if only := strings.TrimSpace(os.Getenv("ONLY")); only != "" {
		c.Only = map[string]bool{}
		for _, name := range strings.Split(only, ",") {
			name = strings.TrimSpace(name)
			if _, ok := workloadByName(name); !ok {
				return c, fmt.Errorf("ONLY: unknown workload %q; the workloads are %s", name, strings.Join(workloadNames(), ", "))
			}
			c.Only[name] = true
		}
	}
	return c, nil
}

func envInt(name string, def, lo, hi int) (int, error) {
	s := strings.TrimSpace(os.Getenv(name))
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%s=%q: want a whole number from %d to %d", name, s, lo, hi)
	}
	return v, nil
}

// wants reports whether workload name runs in this invocation.
func (c config) wants(name string) bool { return c.Only == nil || c.Only[name] }

// command is how this invocation was asked for, for RESULTS.md.
func (c config) command() string {
	var vars []string
	for _, name := range []string{"QUICK", "ROUNDS", "N", "ONLY"} {
		if v := os.Getenv(name); v != "" {
			vars = append(vars, name+"="+v)
		}
	}
	sort.Strings(vars)
	if len(vars) == 0 {
		return "make bench"
	}
	return "make bench " + strings.Join(vars, " ")
}
