// Package firestoreemu runs the real Cloud Firestore emulator for tests.
//
// Start launches `gcloud emulators firestore start` on a free 127.0.0.1 port
// and stops it when the test ends; Shared gives every test in one test binary
// the same emulator, because startup takes several seconds. Either way each
// test should work in its own project (Emulator.Project) so tests never see
// each other's documents.
//
// When FIRESTORE_EMULATOR_HOST is set, that emulator is used instead and
// nothing is started; Stop and Restart are then unsupported and skip the test.
//
// When gcloud, java or the emulator component is missing the test fails if
// CI=true (a missing emulator must never turn into a green build) and is
// skipped with a loud message otherwise.
package firestoreemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long one emulator start may take. The JVM is slow
// to start on a loaded two-core machine, so this is generous.
const startTimeout = 120 * time.Second

// Emulator is one running Firestore emulator.
type Emulator struct {
	// Host is host:port, the value FIRESTORE_EMULATOR_HOST would hold.
	Host string

	t        testing.TB // owner; nil for the shared emulator
	external bool       // from FIRESTORE_EMULATOR_HOST: not ours to stop
	shared   bool
	dir      string // exports kept across Stop/Restart

	projects atomic.Int64
	mu       sync.Mutex
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	logs     *tailBuffer
	known    []string // projects handed out, exported on Stop
}

// Start returns an emulator for t alone, stopped when t ends. Use it for
// tests that Stop and Restart the emulator; other tests should use Shared.
func Start(t testing.TB) *Emulator {
	t.Helper()
	if host := os.Getenv("FIRESTORE_EMULATOR_HOST"); host != "" {
		e := &Emulator{Host: host, t: t, external: true}
		if err := waitReady(context.Background(), host, nil); err != nil {
			t.Fatalf("FIRESTORE_EMULATOR_HOST=%s does not answer: %v", host, err)
		}
		if err := warmUp(t.Context(), host); err != nil {
			t.Fatalf("FIRESTORE_EMULATOR_HOST=%s does not serve documents: %v", host, err)
		}
		return e
	}
	requireTools(t)
	e, err := launch(t.TempDir(), t)
	if err != nil {
		t.Fatalf("starting the Firestore emulator: %v", err)
	}
	t.Cleanup(e.kill)
	return e
}

// sharedEmulator is the one emulator per test binary behind Shared. It is
// process-wide state on purpose: starting the emulator costs several
// seconds of JVM startup, and tests isolate themselves by project id, so
// sharing one is both safe and what keeps the suite fast. It is written
// once, under sync.Once, and never changes afterwards. The process is torn
// down by its watchdog when the test binary exits (see launch).
var sharedEmulator struct {
	once sync.Once
	emu  *Emulator
	err  error
	skip string
}

// Shared returns the emulator shared by every test in this test binary,
// starting it on first use. Stop and Restart are not allowed on it.
func Shared(t testing.TB) *Emulator {
	t.Helper()
	if host := os.Getenv("FIRESTORE_EMULATOR_HOST"); host != "" {
		return Start(t)
	}
	requireTools(t)
	s := &sharedEmulator
	s.once.Do(func() {
		dir, err := os.MkdirTemp("", "firestoreemu-shared-")
		if err != nil {
			s.err = err
			return
		}
		s.emu, s.err = launch(dir, nil)
		if s.emu != nil {
			s.emu.shared = true
		}
	})
	if s.err != nil {
		t.Fatalf("starting the shared Firestore emulator: %v", s.err)
	}
	return s.emu
}

// Project returns a project id no other test uses, so documents written
// under it are invisible to every other test on the same emulator.
func (e *Emulator) Project(t testing.TB) string {
	n := e.projects.Add(1)
	name := strings.ToLower(t.Name())
	name = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(name, "-")
	name = strings.Trim(name, "-")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	id := fmt.Sprintf("t%d-%d-%s", os.Getpid(), n, strings.Trim(name, "-"))
	e.mu.Lock()
	e.known = append(e.known, id)
	e.mu.Unlock()
	return id
}

// Stop takes the emulator down, as an outage would. Before it does, it
// exports the documents of every project handed out by Project, so that
// Restart can bring them back (the emulator itself keeps data in memory).
func (e *Emulator) Stop() {
	e.requireOwned("Stop")
	e.t.Helper()
	e.mu.Lock()
	projects := append([]string(nil), e.known...)
	e.mu.Unlock()
	for _, p := range projects {
		if err := e.export(p); err != nil {
			e.t.Fatalf("exporting project %s before stopping the emulator: %v", p, err)
		}
	}
	e.kill()
}

// Restart starts the emulator again on the same port after Stop, with the
// data exported by Stop (the emulator can import one project per start; if
// several projects were used, the last one handed out is restored).
func (e *Emulator) Restart() {
	e.requireOwned("Restart")
	e.t.Helper()
	e.mu.Lock()
	if e.cmd != nil {
		e.mu.Unlock()
		e.t.Fatalf("Restart: the emulator at %s is still running; call Stop first", e.Host)
	}
	var importFrom string
	if n := len(e.known); n > 0 {
		if n > 1 {
			e.t.Logf("firestoreemu: %d projects in use; only %s survives the restart", n, e.known[n-1])
		}
		importFrom = latestExport(filepath.Join(e.dir, "exports", e.known[n-1]))
	}
	e.mu.Unlock()
	if err := e.run(importFrom); err != nil {
		e.t.Fatalf("restarting the Firestore emulator on %s: %v", e.Host, err)
	}
}

func (e *Emulator) requireOwned(op string) {
	switch {
	case e.shared:
		panic("firestoreemu: " + op + " on the shared emulator; use Start for tests that stop the emulator")
	case e.external:
		e.t.Helper()
		e.t.Skipf("firestoreemu: %s needs an emulator this test started; FIRESTORE_EMULATOR_HOST=%s is external", op, e.Host)
	}
}

// launch picks a free port and starts the emulator there, trying a few
// ports in case another process grabs the one we picked before the JVM binds it.
func launch(dir string, t testing.TB) (*Emulator, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		e := &Emulator{Host: fmt.Sprintf("127.0.0.1:%d", port), t: t, dir: dir}
		if lastErr = e.run(""); lastErr == nil {
			return e, nil
		}
	}
	return nil, lastErr
}

// run starts the emulator process on e.Host and waits until it answers.
//
// gcloud is a Python wrapper that starts a shell script that starts java,
// so the emulator is a process group, not a process. It runs in a group of
// its own under a watchdog: a subshell that blocks reading a pipe from this
// test binary and kills the whole group when the pipe closes. Stop kills
// the group directly; if the test binary dies (panic, timeout, Ctrl-C) the
// kernel closes the pipe and the watchdog cleans up, so no JVM is left behind.
func (e *Emulator) run(importFrom string) error {
	args := []string{"emulators", "firestore", "start", "--host-port=" + e.Host, "--quiet"}
	if importFrom != "" {
		args = append(args, "--import-data="+importFrom)
	}
	// Background jobs get /dev/null as stdin, so the pipe goes in as fd 3.
	script := `exec 3<&0; (cat <&3 >/dev/null; kill -KILL 0) & exec "$@" </dev/null 3<&-`
	cmd := exec.Command("bash", append([]string{"-c", script, "firestoreemu", "gcloud"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "CLOUDSDK_CORE_DISABLE_PROMPTS=1")
	cmd.Env = slicesDeleteEnv(cmd.Env, "FIRESTORE_EMULATOR_HOST")
	logs := &tailBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running gcloud: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	e.mu.Lock()
	e.cmd, e.stdin, e.logs = cmd, stdin, logs
	e.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitReady(ctx, e.Host, exited); err != nil {
		e.kill()
		return fmt.Errorf("emulator on %s did not come up: %w\nemulator output:\n%s", e.Host, err, logs.String())
	}
	if err := warmUp(ctx, e.Host); err != nil {
		e.kill()
		return fmt.Errorf("emulator on %s answers but does not serve documents: %w\nemulator output:\n%s", e.Host, err, logs.String())
	}
	return nil
}

// kill ends the emulator's whole process group and waits for the port to
// be released, so Restart can bind it again.
func (e *Emulator) kill() {
	e.mu.Lock()
	cmd, stdin := e.cmd, e.stdin
	e.cmd, e.stdin = nil, nil
	e.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if stdin != nil {
		_ = stdin.Close()
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", e.Host, 200*time.Millisecond)
		if err != nil {
			return
		}
		_ = c.Close()
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReady polls GET http://host/ until the emulator answers 200 "Ok".
func waitReady(ctx context.Context, host string, exited <-chan error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "Ok" {
				return nil
			}
			err = fmt.Errorf("GET / answered %d %q", resp.StatusCode, body)
		}
		last = err
		select {
		case err := <-exited:
			return fmt.Errorf("emulator process exited before answering: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("%w (last attempt: %v)", ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// warmUp reads one document through the REST API. The emulator says "Ok"
// long before it serves data: its first document request takes seconds of
// JVM warm-up, which would otherwise land inside some test's deadline.
func warmUp(ctx context.Context, host string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet,
		"http://"+host+"/v1/projects/firestoreemu-warmup/databases/(default)/documents/warmup/doc", nil)
	req.Header.Set("Authorization", "Bearer owner")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("reading a document answered %d: %s", resp.StatusCode, body)
	}
	return nil
}

// export writes project's documents under e.dir/exports/project using the
// emulator's own export endpoint.
func (e *Emulator) export(project string) error {
	out := filepath.Join(e.dir, "exports", project)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{
		"database":         "projects/" + project + "/databases/(default)",
		"export_directory": out,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		"http://"+e.Host+"/emulator/v1/projects/"+project+":export", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("export answered %d: %s", resp.StatusCode, msg)
	}
	return nil
}

// latestExport finds the newest *.overall_export_metadata under dir.
func latestExport(dir string) string {
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "*.overall_export_metadata"))
	var best string
	var bestT time.Time
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.ModTime().After(bestT) {
			best, bestT = m, fi.ModTime()
		}
	}
	return best
}

// requireTools fails (CI) or skips (elsewhere) when the emulator cannot run here.
func requireTools(t testing.TB) {
	t.Helper()
	var missing []string
	gcloud, err := exec.LookPath("gcloud")
	if err != nil {
		missing = append(missing, "gcloud (Google Cloud SDK)")
	}
	if _, err := exec.LookPath("java"); err != nil {
		missing = append(missing, "java (JRE 17+)")
	}
	if gcloud != "" {
		// gcloud lives in <sdk>/bin; the emulator component in <sdk>/platform.
		if real, err := filepath.EvalSymlinks(gcloud); err == nil {
			comp := filepath.Join(filepath.Dir(filepath.Dir(real)), "platform", "cloud-firestore-emulator")
			if _, err := os.Stat(comp); errors.Is(err, os.ErrNotExist) {
				missing = append(missing, "the cloud-firestore-emulator gcloud component ("+comp+")")
			}
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "FIRESTORE EMULATOR UNAVAILABLE: missing " + strings.Join(missing, ", ") +
		". Install them (gcloud components install cloud-firestore-emulator) or set FIRESTORE_EMULATOR_HOST."
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s CI=true, so this is a failure, not a skip.", msg)
	}
	t.Skipf("\n\n*** %s\n*** THE FIRESTORE TESTS DID NOT RUN. ***\n", msg)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func slicesDeleteEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// tailBuffer keeps the last max bytes of the emulator's output for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
