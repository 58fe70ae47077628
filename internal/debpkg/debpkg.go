// Package debpkg installs a Debian package for the test servers dbrelay
// starts itself (PostgreSQL for pgserver, dovecot for imaptest), so that a
// fresh Debian machine needs nothing installed by hand: apt-get install,
// after apt-get update when the package lists are missing, serialised
// across the test binaries that go test runs in parallel.
package debpkg

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// Install runs apt-get install for pkg (without recommended packages,
// keeping existing configuration files), and apt-get update first when
// the install fails (a fresh machine has no package lists). logf receives
// one line per step; nil is silent.
func Install(pkg string, logf func(string, ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("no apt-get to install %s with", pkg)
	}
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = env
		return cmd.CombinedOutput()
	}
	installArgs := []string{"install", "-y", "-q", "--no-install-recommends",
		"-o", "Dpkg::Options::=--force-confold", "-o", "DPkg::Lock::Timeout=300", pkg}
	logf("installing Debian's %s package", pkg)
	out, err := run(installArgs...)
	if err != nil {
		logf("apt-get install %s failed; running apt-get update and trying again", pkg)
		if uout, uerr := run("update", "-q", "-o", "DPkg::Lock::Timeout=300"); uerr != nil {
			return fmt.Errorf("apt-get update failed: %w\n%s", uerr, Tail(uout))
		}
		if out, err = run(installArgs...); err != nil {
			return fmt.Errorf("apt-get install %s failed: %w\n%s", pkg, err, Tail(out))
		}
	}
	return nil
}

// Tail is the last ten lines of a command's output, for an error message.
func Tail(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return strings.Join(lines, "\n")
}

// Lock takes an exclusive lock on a file in the temporary directory
// (created if missing), waiting for it; the returned function releases
// it. Test binaries that may install the same package lock the same name.
func Lock(name string) (func(), error) {
	path := filepath.Join(os.TempDir(), name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
