package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Listener is one `dbrelay listen` child process. Its log (JSON lines) goes
// to a file of the lab's scratch directory; it serves /metrics, /readyz and
// pprof on a private port, which the harness reads.
type Listener struct {
	Name    string
	cmd     *exec.Cmd
	done    chan struct{}
	LogPath string
	http    string // host:port of --http
	client  *http.Client
}

// StartListener runs `dbrelay listen` against url with args added to the
// harness's own (JSON logs, --http on a port the kernel picks, with pprof),
// and waits until its log says where it serves.
func (l *Lab) StartListener(ctx context.Context, name, url string, args ...string) (*Listener, error) {
	p := &Listener{Name: name, done: make(chan struct{}),
		LogPath: filepath.Join(l.Dir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano())),
		client:  &http.Client{Timeout: 5 * time.Second}}
	logf, err := os.Create(p.LogPath)
	if err != nil {
		return nil, err
	}
	all := append([]string{"listen", "--database-url", url, "--log-format", "json", "--http", "127.0.0.1:0", "--pprof"}, args...)
	p.cmd = exec.Command(l.Bin, all...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	// Pdeathsig: a harness that dies leaves no listener behind.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { p.cmd.Wait(); logf.Close(); close(p.done) }()
	err = poll(ctx, time.Minute, 10*time.Millisecond, func() (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("%s exited at start: %s", name, p.Tail(8))
		}
		p.http = p.servingAddr()
		return p.http != "", nil
	})
	if err != nil {
		p.Kill()
		return nil, fmt.Errorf("%s: waiting for its HTTP address: %w", name, err)
	}
	return p, nil
}

// servingAddr finds the address the listener's HTTP server took, in the
// first log line that carries an "addr" (the line saying what it serves).
func (p *Listener) servingAddr() string {
	f, err := os.Open(p.LogPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct{ Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && strings.HasPrefix(line.Addr, "127.0.0.1:") {
			return line.Addr
		}
	}
	return ""
}

// PID is the process id.
func (p *Listener) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Listener) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL and waits for the process to end.
func (p *Listener) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Term sends SIGTERM and waits up to bound for the process to exit. It
// reports how long that took and whether it exited; it does not kill.
func (p *Listener) Term(bound time.Duration) (time.Duration, bool) {
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.waitExit(start, bound)
}

func (p *Listener) waitExit(start time.Time, bound time.Duration) (time.Duration, bool) {
	select {
	case <-p.done:
		return time.Since(start), true
	case <-time.After(time.Until(start.Add(bound))):
		return time.Since(start), false
	}
}

// Stop ends the process gracefully (SIGTERM, bound), then kills it. It
// returns an error when SIGTERM was not honoured within bound.
func (p *Listener) Stop(bound time.Duration) error {
	if p.Exited() {
		return nil
	}
	took, ok := p.Term(bound)
	if ok {
		return nil
	}
	p.Kill()
	return fmt.Errorf("%s ignored SIGTERM for %s and was killed", p.Name, took.Round(time.Second))
}

// get fetches path from the listener's HTTP port: the status code and the
// body; code -1 when nothing answered within the client's timeout.
func (p *Listener) get(ctx context.Context, path string) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.http+path, nil)
	resp, err := p.client.Do(req)
	if err != nil {
		return -1, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// Ready is /readyz's status code (-1: no answer within 5 s).
func (p *Listener) Ready(ctx context.Context) int {
	code, _ := p.get(ctx, "/readyz")
	return code
}

// Goroutines reads the goroutine count from pprof (it needs no database);
// -1 when it cannot.
func (p *Listener) Goroutines(ctx context.Context) int {
	code, body := p.get(ctx, "/debug/pprof/goroutine?debug=1")
	if code != http.StatusOK {
		return -1
	}
	first, _, _ := strings.Cut(body, "\n") // "goroutine profile: total 42"
	n, err := strconv.Atoi(strings.TrimSpace(first[strings.LastIndex(first, " ")+1:]))
	if err != nil {
		return -1
	}
	return n
}

// SentMetric sums dbrelay_messages_sent_total over channels; ok is false
// when /metrics did not answer or has no such series.
func (p *Listener) SentMetric(ctx context.Context) (int, bool) {
	code, body := p.get(ctx, "/metrics")
	if code != http.StatusOK {
		return 0, false
	}
	total, found := 0.0, false
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "dbrelay_messages_sent_total") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err == nil {
			total, found = total+v, true
		}
	}
	return int(total), found
}

// PeakRSS is the process's VmHWM in bytes (0 once it has exited).
func (p *Listener) PeakRSS() int64 { return PeakRSS(p.PID()) }

// PeakRSS is process pid's peak resident set (VmHWM) in bytes; 0 when it
// cannot be read (the process has exited).
func PeakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// LogLines counts the log lines containing s.
func (p *Listener) LogLines(s string) int {
	f, err := os.Open(p.LogPath)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			n++
		}
	}
	return n
}

// Tail is the end of the log, for error messages.
func (p *Listener) Tail(n int) string {
	b, _ := os.ReadFile(p.LogPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return p.LogPath + ":\n  " + strings.Join(lines, "\n  ")
}
