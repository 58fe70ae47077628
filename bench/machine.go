package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// machine describes where and with what a run happened, for RESULTS.md:
// absolute numbers from a shared 2-core machine mean little without it.
type machine struct {
	Cores    int
	CPUModel string
	MemGiB   float64
	Postgres string
	Go       string
	River    string
	Pgx      string
	Dbrelay  string
}

func describeMachine(ctx context.Context, l *lab) machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), CPUModel: "unknown"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				m.MemGiB = kb / (1 << 20)
			}
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			switch dep.Path {
			case "github.com/riverqueue/river":
				m.River = dep.Version
			case "github.com/jackc/pgx/v5":
				m.Pgx = dep.Version
			}
		}
	}
	if d, err := l.freshDB(ctx, "version"); err == nil {
		d.pool.QueryRow(ctx, `SELECT version()`).Scan(&m.Postgres)
		l.drop(ctx, d)
	}
	m.Dbrelay = gitDescribe(ctx, l.repo)
	return m
}

// gitDescribe is the product's short commit and whether the tree differs
// from it (the lead edits while the bench runs). Both commands only read:
// GIT_OPTIONAL_LOCKS=0 keeps git status from refreshing the index.
func gitDescribe(ctx context.Context, dir string) string {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	head, err := git("rev-parse", "--short", "HEAD")
	if err != nil {
		return "unknown (not a git checkout)"
	}
	if st, err := git("status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
		return fmt.Sprintf("%s with uncommitted changes", head)
	}
	return head
}
