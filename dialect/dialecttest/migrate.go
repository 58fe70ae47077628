package dialecttest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	dbrelay "github.com/dbrelay/dbrelay"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/schema"
)

// What the extension point tests use to migrate, edit and upgrade a
// database the way a DBA and an integrator would.

// output collects what a Migrator logs and warns.
type output struct {
	mu           sync.Mutex
	logs, warned []string
}

func (o *output) logf(f string, a ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.logs = append(o.logs, fmt.Sprintf(f, a...))
}

func (o *output) warnf(f string, a ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.warned = append(o.warned, fmt.Sprintf(f, a...))
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.logs, "\n") + "\nwarnings:\n" + strings.Join(o.warned, "\n")
}

// migrator is a Migrator on d that records its output in out.
func (d *db) migrator(out *output) *schema.Migrator {
	return &schema.Migrator{Conn: d.Conn, Logf: out.logf, Warnf: out.warnf}
}

func (d *db) up(m *schema.Migrator) {
	d.t.Helper()
	if err := m.Up(context.Background()); err != nil {
		d.t.Fatalf("migrate up: %v", err)
	}
}

// states maps each object file to its states in `migrate status`.
func (d *db) states(m *schema.Migrator) map[string]string {
	d.t.Helper()
	st, err := m.Status(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range st.Objects {
		out[path.Base(o.Path)] = strings.Join(o.States, ", ")
	}
	return out
}

// execFile runs an object file as `migrate up` would, batch by batch: what a
// DBA does in the database's own editor.
func (d *db) execFile(text string) {
	d.t.Helper()
	batches, err := d.Dialect.Batches(text)
	if err != nil {
		d.t.Fatal(err)
	}
	for _, b := range batches {
		if _, err := d.DB.Exec(b); err != nil {
			d.t.Fatalf("%v\n%s", d.Dialect.Explain(err), b)
		}
	}
}

// ddl is the database's definition of an object.
func (d *db) ddl(kind, name string) string {
	d.t.Helper()
	def, ok, err := d.Dialect.DDL(context.Background(), d.DB, dialect.Object{Kind: kind, Name: name})
	if err != nil || !ok {
		d.t.Fatalf("definition of %s: %v (exists: %v)", name, err, ok)
	}
	return def
}

// shipped is the embedded object file of this dialect in dir, by name.
func (d *db) shipped(dir, name string) (string, string) {
	d.t.Helper()
	p := path.Join(dir, d.Dialect.Name(), name)
	b, err := fs.ReadFile(dbrelay.Files, p)
	if err != nil {
		d.t.Fatal(err)
	}
	return p, string(b)
}

// withLine inserts line into a routine's body, after its first line that
// is BEGIN alone.
func withLine(t *testing.T, text, line string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "BEGIN" {
			return strings.Join(slices.Insert(lines, i+1, line), "\n")
		}
	}
	t.Fatalf("no BEGIN line in\n%s", text)
	return ""
}

// objectsDir writes an objects directory holding files (path → text).
func objectsDir(t *testing.T, files map[string]string) fs.FS {
	t.Helper()
	dir := t.TempDir()
	for p, text := range files {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return os.DirFS(dir)
}

// setUpHost gives d the host's table and an internal default channel.
func (d *db) setUpHost() {
	d.t.Helper()
	d.exec(d.h.SQL("host table"))
	d.channel("inbox", "internal", "")
	d.setDefault("inbox")
}

// customPushRuns pushes and checks that the customised body wrote into the
// host's table, and that the default behaviour still inserted the message.
func (d *db) customPushRuns(title string) {
	d.t.Helper()
	ids := d.push("s", "r", title, "x")
	if len(ids) != 1 {
		d.t.Fatalf("push enqueued %v", ids)
	}
	if n := d.count(`SELECT COUNT(*) FROM host_log WHERE note = ?`, "custom push: "+title); n != 1 {
		d.t.Fatalf("the customised relay.push did not run: %d rows of host_log for %q", n, title)
	}
}

func (d *db) version() (int, bool) {
	d.t.Helper()
	v, dirty, ok, err := d.Dialect.MigrationVersion(context.Background(), d.DB)
	if err != nil || !ok {
		d.t.Fatalf("version: %v (installed: %v)", err, ok)
	}
	return v, dirty
}
