//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// results collects every run for the table TestMain prints.
var results []Result

func TestMain(m *testing.M) {
	code := m.Run()
	if len(results) > 0 {
		fmt.Printf("\n## make chaos\n\n%s", Table(results))
	}
	os.Exit(code)
}

// TestChaos runs the scenarios CHAOS_ONLY names (comma-separated; all when
// empty) with CHAOS_N messages each (0: each scenario's default). `make
// chaos ONLY=… N=…` sets both.
func TestChaos(t *testing.T) {
	only, n, err := selection()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lab, err := NewLab(ctx, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	failed := false
	defer func() { lab.Close(failed) }()
	for _, s := range Scenarios() {
		if only != nil && !only[s.Name] {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Logf("%s (%s): %s", s.Name, s.Issue, s.About)
			t0 := time.Now()
			res := Execute(ctx, lab, s, n)
			results = append(results, res)
			t.Logf("%s: pushed %d, delivered %d, duplicates %d, lost %d, stuck %d, mismatches %d (%s)",
				s.Name, res.Pushed, res.Delivered, res.Duplicates, res.Lost, res.Stuck, res.Mismatches, time.Since(t0).Round(time.Second))
			for _, note := range res.Notes {
				t.Log(note)
			}
			for _, f := range res.Failures {
				t.Error(f)
			}
			failed = failed || len(res.Failures) > 0
		})
	}
}

func selection() (map[string]bool, int, error) {
	var only map[string]bool
	if s := strings.TrimSpace(os.Getenv("CHAOS_ONLY")); s != "" {
		known := map[string]bool{}
		var names []string
		for _, sc := range Scenarios() {
			known[sc.Name] = true
			names = append(names, sc.Name)
		}
		only = map[string]bool{}
		for _, name := range strings.Split(s, ",") {
			name = strings.TrimSpace(name)
			if !known[name] {
				return nil, 0, fmt.Errorf("CHAOS_ONLY: no scenario %q; the scenarios are %s", name, strings.Join(names, ", "))
			}
			only[name] = true
		}
	}
	n := 0
	if s := strings.TrimSpace(os.Getenv("CHAOS_N")); s != "" {
		v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
		if err != nil || v < 10 || v > 10000000 {
			return nil, 0, fmt.Errorf("CHAOS_N=%q: want a whole number from 10 to 10000000", s)
		}
		n = v
	}
	return only, n, nil
}
