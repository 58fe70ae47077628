package imaptest

import (
	"errors"
	"fmt"
	"os"

	"github.com/dbrelay/dbrelay/internal/debpkg"
)

// dovecotBinary is where Debian's dovecot-core puts the master process.
const dovecotBinary = "/usr/sbin/dovecot"

// policyRCD is Debian's hook that lets a package's maintainer scripts
// start services or not (exit 101: do not). Installing dovecot-imapd on a
// machine without one would start a system-wide dovecot on ports 143 and
// 993; the tests want only the binaries.
const policyRCD = "/usr/sbin/policy-rc.d"

// findDovecot returns the dovecot binary: $DOVECOT, else Debian's, installing
// the dovecot-imapd package when it is missing and this process is root.
// The error says what to do when neither works.
func findDovecot(logf func(string, ...any)) (string, error) {
	if p := os.Getenv("DOVECOT"); p != "" {
		if !usable(p) {
			return "", fmt.Errorf("DOVECOT=%s is not an executable; point it at dovecot's master binary or unset it", p)
		}
		return p, nil
	}
	if usable(dovecotBinary) {
		return dovecotBinary, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("dovecot is not installed and this is not root, so it cannot be installed here: run 'sudo apt-get install dovecot-imapd' (or set DOVECOT to a dovecot 2.3 binary)")
	}
	// Test binaries run in parallel: one installs, the others wait here and
	// then find it installed.
	unlock, err := debpkg.Lock("dbrelay-dovecot-install.lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if usable(dovecotBinary) {
		return dovecotBinary, nil
	}
	if _, err := os.Stat(policyRCD); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(policyRCD, []byte("#!/bin/sh\n# written by dbrelay's imaptest while it installs dovecot: start no service\nexit 101\n"), 0o755); err == nil {
			defer os.Remove(policyRCD)
		}
	}
	if err := debpkg.Install("dovecot-imapd", func(f string, a ...any) { logf("imaptest: "+f, a...) }); err != nil {
		return "", fmt.Errorf("dovecot is not installed and installing it failed: %w", err)
	}
	if !usable(dovecotBinary) {
		return "", fmt.Errorf("installed dovecot-imapd, but %s is still missing", dovecotBinary)
	}
	return dovecotBinary, nil
}

func usable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
