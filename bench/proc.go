package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dbrelay/dbrelay/internal/chaos"
)

// child is a process the bench started: the sink, a dbrelay listener, a
// River worker process or the HTTP client. Each runs apart so that /proc
// charges its CPU and memory to it alone. Its stderr and stdout go to a log
// file; stdout lines are also handed to waitLine, which is how children
// announce that they are ready.
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	lines   chan string
	done    chan struct{} // closed when the process has exited
	log     *os.File

	mu   sync.Mutex
	last []string // the last lines of stdout, for error messages
}

// startChild runs bin with args; env entries are added to the
// orchestrator's environment. Pdeathsig kills the child if the orchestrator
// dies without stopping it, so no run leaves processes behind.
func startChild(name, logDir, bin string, env []string, args ...string) (*child, error) {
	logPath := filepath.Join(logDir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano()))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: log file: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, log: logf,
		lines: make(chan string, 16), done: make(chan struct{})}
	go c.readStdout(stdout)
	go func() {
		cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) readStdout(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(c.log, line)
		c.mu.Lock()
		c.last = append(c.last, line)
		if len(c.last) > 10 {
			c.last = c.last[1:]
		}
		c.mu.Unlock()
		select {
		case c.lines <- line:
		default: // nobody waits for this one
		}
	}
}

// pid is the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitLine waits for a stdout line starting with prefix.
func (c *child) waitLine(prefix string, timeout time.Duration) (string, error) {
	deadline := time.After(timeout)
	for {
		select {
		case line := <-c.lines:
			if strings.HasPrefix(line, prefix) {
				return line, nil
			}
		case <-c.done:
			return "", fmt.Errorf("%s exited before saying %q: %s", c.name, prefix, c.tail())
		case <-deadline:
			return "", fmt.Errorf("%s did not say %q within %s (log: %s)", c.name, prefix, timeout, c.logPath)
		}
	}
}

// tail is the end of the child's log, for error messages.
func (c *child) tail() string {
	b, _ := os.ReadFile(c.logPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return fmt.Sprintf("last lines of %s:\n  %s", c.logPath, strings.Join(lines, "\n  "))
}

// peakRSS is the child's peak resident set (VmHWM), in bytes; 0 once it
// has exited.
func (c *child) peakRSS() int64 { return chaos.PeakRSS(c.pid()) }

// stop sends SIGTERM to the child's PID, waits up to grace, then SIGKILLs it.
func (c *child) stop(grace time.Duration) error {
	if c.exited() {
		return nil
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return nil
	case <-time.After(grace):
	}
	c.cmd.Process.Kill()
	<-c.done
	return fmt.Errorf("%s (pid %d) ignored SIGTERM for %s and was killed", c.name, c.pid(), grace)
}
