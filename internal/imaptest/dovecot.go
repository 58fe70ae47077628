// Package imaptest starts a real IMAP server for tests: Debian's dovecot,
// run by the test itself on 127.0.0.1 from a private configuration in a
// temporary directory, with one test user whose maildir the test delivers
// into, and stopped when the test ends. It installs the dovecot-imapd
// package when dovecot is missing and the test runs as root (as pgserver
// installs PostgreSQL).
package imaptest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a running dovecot.
type Server struct {
	// Addr is the implicit-TLS (imaps) listener, PlainAddr the one that
	// starts in plain text and offers STARTTLS; both on 127.0.0.1.
	Addr, PlainAddr string
	User, Password  string
	// CAFile is the PEM file of the CA that signed the server's
	// certificate (for 127.0.0.1), for a client's trust store.
	CAFile string

	dir      string
	maildir  string // the user's INBOX (maildir++: subfolders are .Name)
	uid, gid int    // owner of the mail files
	cmd      *exec.Cmd
	exited   chan struct{}
	seq      int
}

// Start starts dovecot for t and stops it when t ends. It skips t, loudly,
// only when dovecot is missing and cannot be installed (not root).
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findDovecot(t.Logf)
	if err != nil {
		if os.Geteuid() != 0 {
			t.Skipf("SKIPPED: no IMAP server to test against: %v", err)
		}
		t.Fatal(err)
	}
	var lastErr error
	for try := 0; try < 3; try++ { // a free port may be taken before dovecot binds it
		s, err := start(t, bin)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("imaptest: %v", lastErr)
	return nil
}

func start(t testing.TB, bin string) (*Server, error) {
	// Not t.TempDir: its parents are private to root, and the mail
	// processes run as an unprivileged user that must reach the maildir.
	dir, err := os.MkdirTemp("", "dbrelay-dovecot-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	s := &Server{dir: dir, User: "relay", Password: "imap-pässword-测试", exited: make(chan struct{})}
	if err := s.owner(); err != nil {
		return nil, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	s.PlainAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	s.CAFile = filepath.Join(dir, "ca.pem")
	if err := writeCertificates(dir); err != nil {
		return nil, err
	}
	s.maildir = filepath.Join(dir, "mail", s.User)
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(s.maildir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	if err := chownTree(filepath.Join(dir, "mail"), s.uid, s.gid); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(s.User+":{PLAIN}"+s.Password+"::::::\n"), 0o644); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(conf, []byte(s.config(ports)), 0o644); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "-F", "-c", conf)
	var out bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(s.stop)
	if err := s.waitReady(30 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("dovecot did not start: %v\n%s%s", err, out.String(), s.Log())
	}
	return s, nil
}

// owner picks the user the mail processes run as: nobody when root
// (dovecot refuses uid 0 for mail), this user otherwise.
func (s *Server) owner() error {
	if os.Geteuid() != 0 {
		s.uid, s.gid = os.Getuid(), os.Getgid()
		return nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return fmt.Errorf("look up user nobody (the mail processes' user): %w", err)
	}
	s.uid, _ = strconv.Atoi(u.Uid)
	s.gid, _ = strconv.Atoi(u.Gid)
	return nil
}

// config is dovecot 2.3's configuration: everything under dir, TLS with the
// test CA's certificate, one passwd-file user, maildir storage.
func (s *Server) config(ports []int) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("instance_name = dbrelay-test-%d", ports[0])
	p("base_dir = %s/run", s.dir)
	p("state_dir = %s/state", s.dir)
	p("log_path = %s/dovecot.log", s.dir)
	p("protocols = imap")
	p("listen = 127.0.0.1")
	p("ssl = yes")
	p("ssl_cert = <%s/cert.pem", s.dir)
	p("ssl_key = <%s/key.pem", s.dir)
	p("auth_mechanisms = plain login")
	p("first_valid_uid = 1")
	p("mail_location = maildir:%s/mail/%%u", s.dir)
	if os.Geteuid() != 0 { // dovecot run by an ordinary user: all as that user
		name := strconv.Itoa(os.Getuid())
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		p("default_internal_user = %s", name)
		p("default_login_user = %s", name)
		p("first_valid_uid = %d", os.Getuid())
	}
	p("passdb {\n  driver = passwd-file\n  args = scheme=PLAIN %s/passwd\n}", s.dir)
	p("userdb {\n  driver = static\n  args = uid=%d gid=%d home=%s/mail/%%u\n}", s.uid, s.gid, s.dir)
	p("service imap-login {")
	p("  inet_listener imap {\n    address = 127.0.0.1\n    port = %d\n  }", ports[1])
	p("  inet_listener imaps {\n    address = 127.0.0.1\n    port = %d\n    ssl = yes\n  }", ports[0])
	p("}")
	return b.String()
}

// waitReady waits until the imaps listener greets a TLS client.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	cfg := s.TLSConfig()
	for {
		select {
		case <-s.exited:
			return errors.New("dovecot exited")
		default:
		}
		d := &net.Dialer{Timeout: time.Second}
		conn, err := tls.DialWithDialer(d, "tcp", s.Addr, cfg)
		if err == nil {
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			n, rerr := conn.Read(buf)
			conn.Close()
			if rerr == nil && strings.HasPrefix(string(buf[:n]), "* OK") {
				return nil
			}
			err = rerr
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends dovecot: SIGTERM to the master, which stops its children.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// Log is dovecot's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
	return string(b)
}

// TLSConfig trusts the server's certificate.
func (s *Server) TLSConfig() *tls.Config {
	pool, err := certPool(s.CAFile)
	if err != nil {
		panic(err)
	}
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func chownTree(root string, uid, gid int) error {
	return filepath.Walk(root, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}
