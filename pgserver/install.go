package pgserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/dbrelay/dbrelay/internal/debpkg"
)

// FindBinaries returns the directory holding initdb and postgres: $PG_BINDIR
// when set, else the newest /usr/lib/postgresql/N/bin (Debian's layout), else
// the directory of initdb on $PATH. When none is found it installs Debian's
// postgresql package, unless opts.NoInstall is set or this is not root.
func FindBinaries(opts Options) (string, error) {
	if dir := os.Getenv("PG_BINDIR"); dir != "" {
		if hasServer(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("pgserver: PG_BINDIR=%s has no initdb and postgres; point it at PostgreSQL's bin directory or unset it", dir)
	}
	if dir := findInstalled(); dir != "" {
		return dir, nil
	}
	if opts.NoInstall {
		return "", errors.New("pgserver: no PostgreSQL server binaries found; install them (apt-get install postgresql) or set PG_BINDIR")
	}
	if os.Geteuid() != 0 {
		return "", errors.New("pgserver: no PostgreSQL server binaries found and not root, so they cannot be installed here; run 'sudo apt-get install postgresql' or set PG_BINDIR to a PostgreSQL bin directory")
	}
	// go test runs packages in parallel, and each may get here at once:
	// one installs, the others wait and find the binaries.
	unlock, err := debpkg.Lock("dbrelay-pgserver-install.lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if dir := findInstalled(); dir != "" {
		return dir, nil
	}
	if err := installDebianPackage(opts); err != nil {
		return "", err
	}
	if dir := findInstalled(); dir != "" {
		return dir, nil
	}
	return "", errors.New("pgserver: installed the postgresql package but still found no initdb under /usr/lib/postgresql; set PG_BINDIR")
}

func findInstalled() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if hasServer(d) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if d := filepath.Dir(p); hasServer(d) {
			return d
		}
	}
	return ""
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

// createclusterConf stops Debian's postgresql-common from creating (and
// starting) a "main" cluster on port 5432 when the package is installed: we
// only want the binaries, and on a machine that already runs a server on
// 5432 the package's own cluster would fail to start.
const createclusterConf = "/etc/postgresql-common/createcluster.conf"

func installDebianPackage(opts Options) error {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New("pgserver: no PostgreSQL server binaries found and no apt-get to install them; install PostgreSQL 14 or newer and set PG_BINDIR to its bin directory")
	}
	if _, err := os.Stat(createclusterConf); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(createclusterConf), 0o755); err == nil {
			os.WriteFile(createclusterConf, []byte("# written by dbrelay's pgserver: install binaries only, no main cluster\ncreate_main_cluster = false\n"), 0o644)
		}
	}
	logf("pgserver: no PostgreSQL binaries found")
	if err := debpkg.Install("postgresql", func(f string, a ...any) { logf("pgserver: "+f, a...) }); err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	return nil
}
