// Package study measures every arm from outside its process: each arm runs
// as its own "crudbench serve" child process, so that its memory figures
// and its latency under load are its own.
package study

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/serve"
)

// Child is a running "crudbench serve" process.
type Child struct {
	Arm    string
	URL    string // base URL, on loopback
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the process's end, once exited is closed
	client *http.Client
}

// Exe is how to run crudbench: the program and any leading arguments; the
// serve command and its flags are appended.
type Exe []string

// DefaultExe returns this program.
func DefaultExe() (Exe, error) {
	p, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this program to run its serve command: %w", err)
	}
	return Exe{p}, nil
}

// startTimeout bounds how long a child may take to provision PostgreSQL,
// seed it and answer its health check.
const startTimeout = 3 * time.Minute

// StartServe starts "crudbench serve" for arm on a free loopback port with
// rows users, and returns once it answers GET /healthz. The child's log
// goes to logw. On Linux the child gets SIGTERM should this process die.
func StartServe(ctx context.Context, exe Exe, arm string, rows int, logw io.Writer) (*Child, error) {
	return StartServeEnv(ctx, exe, arm, rows, nil, logw)
}

// StartServeEnv is StartServe with env ("KEY=value") added to the child's
// environment, for instance CRUDBENCH_POSTGRES naming a shared server.
func StartServeEnv(ctx context.Context, exe Exe, arm string, rows int, env []string, logw io.Writer) (*Child, error) {
	return StartServeArgs(ctx, exe, arm, rows, env, nil, logw)
}

// StartServeArgs is StartServeEnv with extra flags of the serve command.
func StartServeArgs(ctx context.Context, exe Exe, arm string, rows int, env, extra []string, logw io.Writer) (*Child, error) {
	args := append(exe[1:len(exe):len(exe)], "serve", "-arm", arm, "-addr", "127.0.0.1:0", "-rows", strconv.Itoa(rows))
	args = append(args, extra...)
	cmd := exec.Command(exe[0], args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stderr = logw
	cmd.SysProcAttr = childAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("serve %s: %w", arm, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting serve %s: %w", arm, err)
	}
	c := &Child{Arm: arm, cmd: cmd, exited: make(chan struct{}),
		client: &http.Client{Timeout: time.Minute}}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), serve.ReadyPrefix); ok {
				select {
				case ready <- u:
				default:
				}
			}
		}
		c.err = cmd.Wait()
		close(c.exited)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case c.URL = <-ready:
	case <-c.exited:
		return nil, fmt.Errorf("serve %s ended before it was ready: %v", arm, c.err)
	case <-timer.C:
		c.Stop()
		return nil, fmt.Errorf("serve %s not ready after %s", arm, startTimeout)
	case <-ctx.Done():
		c.Stop()
		return nil, fmt.Errorf("starting serve %s: %w", arm, ctx.Err())
	}
	if status, err := c.call(ctx, http.MethodGet, "/healthz", nil); err != nil || status != http.StatusOK {
		c.Stop()
		return nil, fmt.Errorf("serve %s: health check: status %d: %v", arm, status, err)
	}
	return c, nil
}

// Stop sends SIGTERM and waits for the child to drain and remove what it
// started; after a minute it kills it. It returns an error unless the child
// exited with status 0.
func (c *Child) Stop() error {
	c.client.CloseIdleConnections()
	select {
	case <-c.exited:
		return c.err
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stopping serve %s: %w", c.Arm, err)
	}
	select {
	case <-c.exited:
		if c.err != nil {
			return fmt.Errorf("serve %s: %w", c.Arm, c.err)
		}
		return nil
	case <-time.After(time.Minute):
		c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("serve %s did not stop within a minute of SIGTERM: killed", c.Arm)
	}
}

// PID returns the child's process id.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Runtime reads the child's GET /debug/runtime.
func (c *Child) Runtime(ctx context.Context) (serve.Runtime, error) {
	var rt serve.Runtime
	_, err := c.call(ctx, http.MethodGet, "/debug/runtime", &rt)
	return rt, err
}

// ResetPeak resets the child's peak RSS.
func (c *Child) ResetPeak(ctx context.Context) (serve.Runtime, error) {
	var rt serve.Runtime
	_, err := c.call(ctx, http.MethodPost, "/debug/runtime/reset-peak", &rt)
	return rt, err
}

// GC forces a garbage collection in the child, returning memory to the OS,
// and reports its runtime figures afterwards.
func (c *Child) GC(ctx context.Context) (serve.Runtime, error) {
	var rt serve.Runtime
	_, err := c.call(ctx, http.MethodPost, "/debug/runtime/gc", &rt)
	return rt, err
}

// call sends a bodiless request to the child and decodes a 200 answer
// into out, if not nil.
func (c *Child) call(ctx context.Context, method, path string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: reading answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(body)))
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decoding answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// errNoArms is returned for an empty arm list.
var errNoArms = errors.New("no arms to study")

// perArm starts a serve child for each arm in turn, with rows users, runs
// measure on it and stops it, and returns what measure returned for all
// arms. It stops at the first error, which a failed stop is too.
func perArm[T any](ctx context.Context, exe Exe, arms []string, rows int, logw io.Writer, measure func(*Child) ([]T, error)) ([]T, error) {
	if len(arms) == 0 {
		return nil, errNoArms
	}
	var out []T
	for _, arm := range arms {
		child, err := StartServe(ctx, exe, arm, rows, logw)
		if err != nil {
			return out, err
		}
		got, err := measure(child)
		out = append(out, got...)
		if serr := child.Stop(); err == nil {
			err = serr
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
