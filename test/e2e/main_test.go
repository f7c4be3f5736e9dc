package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bin is the brokerctl binary TestMain builds.
var bin string

func TestMain(m *testing.M) {
	// The tests spend their time waiting on subprocesses, the client's
	// rate limiter and the emulator's timers (about 7 s of CPU for a
	// minute of waiting), so the default -parallel (GOMAXPROCS, 2 on CI)
	// would serialise them for nothing. An explicit -parallel is kept.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "8")
	}
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "brokerctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	bin = filepath.Join(dir, "brokerctl")
	gocmd, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: the go command is not on PATH:", err)
		return 1
	}
	build := exec.Command(gocmd, "build", "-o", bin, "./cmd/brokerctl")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/brokerctl: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// moduleRoot is the directory of the go.mod above this package.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

// emulatorProc is a running "brokerctl emulator serve" process.
type emulatorProc struct {
	URL    string
	KeyID  string
	Secret string
	cmd    *exec.Cmd
	out    *syncBuffer
}

// emulatorKeyID is the key id every test's emulator accepts; the secret is
// random per emulator so that the PII checks can look for it.
const emulatorKeyID = "CKE2ETEST00000000001"

// startEmulator starts an emulator on a free loopback port with extra flags
// (--speed, --faults, ...) and stops it when the test ends.
func startEmulator(t *testing.T, dir string, flags ...string) *emulatorProc {
	t.Helper()
	secret := fmt.Sprintf("e2e-secret-%x", time.Now().UnixNano())
	args := append([]string{"emulator", "serve", "--addr", "127.0.0.1:0", "--key", emulatorKeyID, "--secret", secret,
		// The client paces itself at the API's 1,000/min; the emulator's own
		// limit would make concurrent runs wait for its one-minute window.
		"--rate-limit", "0",
		"--data", filepath.Join(dir, "emulator.json")}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = baseEnv(dir)
	pr, pw := io.Pipe()
	out := &syncBuffer{}
	cmd.Stdout = io.MultiWriter(pw, out)
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	e := &emulatorProc{KeyID: emulatorKeyID, Secret: secret, cmd: cmd, out: out}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("emulator did not stop within 10s of SIGTERM; output:\n%s", out.String())
		}
		pw.Close()
	})
	urlRE := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr) // keep the pipe drained until it closes
	}()
	select {
	case e.URL = <-found:
	case <-time.After(15 * time.Second):
		t.Fatalf("emulator printed no URL within 15s; output:\n%s", out.String())
	}
	return e
}

// baseEnv is a clean environment: no credentials or state from the
// developer's shell or config files.
func baseEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "APCA_") || strings.HasPrefix(k, "BROKERCTL_") || k == "HOME" || k == "XDG_CONFIG_HOME" || k == "NO_COLOR" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"))
}

// result is one finished brokerctl process.
type result struct {
	Args           []string
	Code           int
	Stdout, Stderr string
	Killed         bool
	Elapsed        time.Duration
	Pid            int
}

func (r *result) String() string {
	return fmt.Sprintf("brokerctl %s: exit %d (killed %v) after %s\nstdout:\n%s\nstderr:\n%s",
		strings.Join(r.Args, " "), r.Code, r.Killed, r.Elapsed.Round(time.Millisecond), tail(r.Stdout, 40), tail(r.Stderr, 40))
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines cut)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// runner runs brokerctl against one emulator and records every output, for
// the PII checks.
type runner struct {
	t   *testing.T
	dir string
	em  *emulatorProc

	mu      sync.Mutex
	outputs []*result
}

func newRunner(t *testing.T, dir string, em *emulatorProc) *runner {
	return &runner{t: t, dir: dir, em: em}
}

func (r *runner) env() []string {
	return append(baseEnv(r.dir), "APCA_API_KEY_ID="+r.em.KeyID, "APCA_API_SECRET_KEY="+r.em.Secret, "NO_COLOR=1")
}

// proc is a started brokerctl process.
type proc struct {
	res    *result
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	start  time.Time
	done   chan struct{}
	r      *runner
}

// start starts brokerctl with args and --endpoint of the emulator.
func (r *runner) start(args ...string) *proc {
	r.t.Helper()
	args = append(append([]string{}, args...), "--endpoint", r.em.URL)
	p := &proc{res: &result{Args: args}, done: make(chan struct{}), r: r}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = r.dir
	p.cmd.Env = r.env()
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		r.t.Fatalf("start brokerctl %v: %v", args, err)
	}
	p.res.Pid = p.cmd.Process.Pid
	go func() {
		err := p.cmd.Wait()
		p.res.Elapsed = time.Since(p.start)
		p.res.Stdout, p.res.Stderr = p.stdout.String(), p.stderr.String()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.res.Code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
				p.res.Killed = true
			}
		default:
			p.res.Code = -1
			p.res.Stderr += "\n(wait: " + err.Error() + ")"
		}
		r.mu.Lock()
		r.outputs = append(r.outputs, p.res)
		r.mu.Unlock()
		close(p.done)
	}()
	return p
}

// waitOutput waits until the process's stdout contains s; false when the
// process ends or 30 s pass first.
func (p *proc) waitOutput(s string) bool {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(p.stdout.String(), s) {
			return true
		}
		select {
		case <-p.done:
			return strings.Contains(p.res.Stdout, s)
		case <-time.After(5 * time.Millisecond):
		}
	}
	return false
}

// wait waits for the process, killing it after a minute.
func (p *proc) wait() *result {
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.r.t.Errorf("brokerctl did not finish within a minute and was killed:\n%s", p.res)
	}
	return p.res
}

// killAfter sends SIGKILL after d unless the process ended first.
func (p *proc) killAfter(d time.Duration) *result {
	select {
	case <-p.done:
		return p.res
	case <-time.After(d):
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	return p.res
}

// run runs brokerctl to completion.
func (r *runner) run(args ...string) *result {
	r.t.Helper()
	return r.start(args...).wait()
}

// mustRun runs brokerctl and fails the test unless it exits 0.
func (r *runner) mustRun(args ...string) *result {
	r.t.Helper()
	res := r.run(args...)
	if res.Code != 0 {
		r.t.Fatalf("want exit 0:\n%s", res)
	}
	return res
}

// all returns every recorded output.
func (r *runner) all() []*result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*result(nil), r.outputs...)
}

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ctxTimeout is a context for the test's own API calls.
func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
