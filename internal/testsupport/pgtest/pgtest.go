// Package pgtest starts throwaway PostgreSQL clusters for tests: initdb into a
// temporary directory, a server on a free 127.0.0.1 port, and cleanup when the
// test (or, for the shared cluster, the test binary) ends.
//
// When PostgreSQL is not installed the test is skipped with a loud message,
// unless CI=true, where it fails: CI must never silently skip integration tests.
//
// Binaries are looked up in $STEWARD_PG_BIN, then /usr/lib/postgresql/15/bin,
// then `pg_config --bindir`, then /usr/lib/postgresql/*/bin (newest first).
//
// Running as root: initdb and postgres refuse to run as root, so the server
// processes run as the unprivileged `postgres` user (or $STEWARD_PG_USER) and
// the data directory is chowned to it.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the bootstrap superuser every cluster is initialised with.
const Superuser = "postgres"

// Cluster is one running (or stopped) PostgreSQL server.
type Cluster struct {
	// URL is a superuser DSN for the "postgres" database.
	URL string
	// Host and Port are where the server listens (127.0.0.1 only).
	Host string
	Port int
	// StatStatements says pg_stat_statements is preloaded (the extension
	// still has to be created in each database that wants the view).
	StatStatements bool

	binDir  string
	dataDir string
	sockDir string
	cred    *syscall.Credential
	logPath string

	mu   sync.Mutex
	proc *exec.Cmd
	done chan struct{}
	dbN  atomic.Int64
}

// Start initialises and starts a fresh cluster owned by t; it is stopped and
// removed when t ends. Use it when a test stops or restarts the server;
// otherwise Shared is faster.
func Start(t testing.TB) *Cluster {
	t.Helper()
	c, cleanup, err := start(t.TempDir())
	if err != nil {
		missingOrFail(t, err)
	}
	t.Cleanup(cleanup)
	return c
}

// errMissing marks "PostgreSQL is not installed" as opposed to a broken start.
var errMissing = errors.New("PostgreSQL binaries not found")

func missingOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errMissing) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: %v (CI=true: PostgreSQL 15 must be installed for integration tests)", err)
		}
		t.Skipf("\n**********************************************************************\n"+
			"* SKIPPING: %v\n* Install PostgreSQL 15 (apt-get install postgresql-15) or set\n"+
			"* STEWARD_PG_BIN to its bin directory to run this integration test.\n"+
			"**********************************************************************", err)
	}
	t.Fatalf("pgtest: %v", err)
}

// shared is the one cluster per test binary that Shared hands out. It is the
// only process-wide state here: a test binary is one process, and starting a
// cluster per test would cost seconds each.
var shared struct {
	once    sync.Once
	c       *Cluster
	cleanup func()
	err     error
	inMain  atomic.Bool
}

// Main runs the tests and then stops the shared cluster. Call it from
// TestMain in packages that use Shared:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	shared.inMain.Store(true)
	code := m.Run()
	if shared.cleanup != nil {
		shared.cleanup()
	}
	return code
}

// Shared returns the cluster shared by every test in this binary (started on
// first use). Tests should each work in their own database (NewDatabase).
// Without pgtest.Main in TestMain it falls back to Start, a cluster per test.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if !shared.inMain.Load() {
		return Start(t)
	}
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "pgtest-shared-")
		if err != nil {
			shared.err = err
			return
		}
		c, cleanup, err := start(dir)
		if err != nil {
			os.RemoveAll(dir)
			shared.err = err
			return
		}
		shared.c = c
		shared.cleanup = func() { cleanup(); os.RemoveAll(dir) }
	})
	if shared.err != nil {
		missingOrFail(t, shared.err)
	}
	return shared.c
}

// findBin returns the directory holding initdb and postgres.
func findBin() (string, error) {
	var candidates []string
	if d := os.Getenv("STEWARD_PG_BIN"); d != "" {
		candidates = append(candidates, d)
	}
	candidates = append(candidates, "/usr/lib/postgresql/15/bin")
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(globbed)))
	candidates = append(candidates, globbed...)
	for _, d := range candidates {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w (looked in $STEWARD_PG_BIN, /usr/lib/postgresql/15/bin, pg_config --bindir, /usr/lib/postgresql/*/bin)", errMissing)
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// serverCredential says which user the server runs as: nil for the current
// user, or an unprivileged user when we are root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	name := os.Getenv("STEWARD_PG_USER")
	if name == "" {
		name = "postgres"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses root: need an unprivileged user %q to run the server (set STEWARD_PG_USER): %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func start(dir string) (*Cluster, func(), error) {
	bin, err := findBin()
	if err != nil {
		return nil, nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, nil, err
	}
	c := &Cluster{
		Host:    "127.0.0.1",
		binDir:  bin,
		dataDir: filepath.Join(dir, "data"),
		cred:    cred,
		logPath: filepath.Join(dir, "postgres.log"),
	}
	// Socket paths are limited to ~107 bytes, and test temp dirs can be long.
	c.sockDir, err = os.MkdirTemp("", "pgs")
	if err != nil {
		return nil, nil, err
	}
	cleanupSock := func() { os.RemoveAll(c.sockDir) }
	for _, d := range []string{filepath.Dir(dir), dir, c.sockDir} {
		// The server user must be able to traverse into the test's temp dir.
		if err := os.Chmod(d, 0o755); err != nil && d != filepath.Dir(dir) {
			cleanupSock()
			return nil, nil, err
		}
	}
	if err := c.chown(dir); err != nil {
		cleanupSock()
		return nil, nil, err
	}
	if err := c.chown(c.sockDir); err != nil {
		cleanupSock()
		return nil, nil, err
	}
	initdb := c.command(filepath.Join(bin, "initdb"), "-D", c.dataDir, "-U", Superuser,
		"--auth=trust", "--encoding=UTF8", "--locale=C", "-N")
	if out, err := initdb.CombinedOutput(); err != nil {
		cleanupSock()
		return nil, nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	c.StatStatements = hasStatStatements(bin)
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		if c.Port, err = freePort(); err != nil {
			cleanupSock()
			return nil, nil, err
		}
		c.URL = c.DSN("postgres", Superuser)
		if lastErr = c.Start(); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		cleanupSock()
		return nil, nil, lastErr
	}
	return c, func() { c.Stop(); cleanupSock() }, nil
}

func (c *Cluster) chown(dir string) error {
	if c.cred == nil {
		return nil
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(c.cred.Uid), int(c.cred.Gid))
	})
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = []string{"LANG=C", "LC_ALL=C", "PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: c.cred,
		// If the test binary dies, take the server down too (immediate shutdown).
		Pdeathsig: syscall.SIGQUIT,
	}
	return cmd
}

func hasStatStatements(bin string) bool {
	libdir := filepath.Join(filepath.Dir(bin), "lib")
	if out, err := exec.Command(filepath.Join(bin, "pg_config"), "--pkglibdir").Output(); err == nil {
		libdir = strings.TrimSpace(string(out))
	}
	_, err := os.Stat(filepath.Join(libdir, "pg_stat_statements.so"))
	return err == nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DSN is a connection string for user on database db.
func (c *Cluster) DSN(db, user string) string {
	u := url.URL{Scheme: "postgres", User: url.User(user), Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port)),
		Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// Start starts the server (again, after Stop) and waits until it accepts
// connections. The port stays the same.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil {
		return nil
	}
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := []string{"-D", c.dataDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port=" + strconv.Itoa(c.Port),
		"-c", "unix_socket_directories=" + c.sockDir,
		// fsync=off is safe here: an immediate shutdown kills processes, not the
		// OS, so written WAL survives; commits stay synchronous so Stop loses nothing.
		"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=100",
		"-c", "shared_buffers=32MB",
	}
	if c.StatStatements {
		args = append(args, "-c", "shared_preload_libraries=pg_stat_statements",
			"-c", "pg_stat_statements.track=all")
	}
	cmd := c.command(filepath.Join(c.binDir, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("postgres exited during start-up:\n%s", c.logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.URL)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Signal(syscall.SIGQUIT)
			<-done
			return fmt.Errorf("postgres did not accept connections within 30s: %v\n%s", err, c.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.proc, c.done = cmd, done
	return nil
}

// Stop shuts the server down at once, like `pg_ctl stop -m immediate`: open
// connections break, and the next Start runs crash recovery.
func (c *Cluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return
	}
	c.proc.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		c.proc.Process.Kill()
		<-c.done
	}
	c.proc, c.done = nil, nil
}

// Running reports whether the server process is up.
func (c *Cluster) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proc != nil
}

func (c *Cluster) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Database is a database created for one test, dropped when it ends.
type Database struct {
	Cluster *Cluster
	Name    string
	// URL is a superuser DSN for this database.
	URL string
}

// NewDatabase creates an empty database for t (with pg_stat_statements
// created in it when the cluster preloads it). At cleanup the database is
// dropped, and so are roles created while the test ran, because roles are
// cluster-wide: tests sharing a cluster must not create same-named roles in
// parallel.
func (c *Cluster) NewDatabase(t testing.TB) *Database {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), c.dbN.Add(1))
	admin := c.Connect(t, "postgres", Superuser)
	before := map[string]bool{}
	rows, err := admin.Query(ctx, "SELECT rolname FROM pg_roles")
	if err != nil {
		t.Fatalf("pgtest: listing roles: %v", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("pgtest: listing roles: %v", err)
	}
	for _, n := range names {
		before[n] = true
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	db := &Database{Cluster: c, Name: name, URL: c.DSN(name, Superuser)}
	if c.StatStatements {
		conn := c.Connect(t, name, Superuser)
		if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
			t.Fatalf("pgtest: creating pg_stat_statements in %s: %v", name, err)
		}
	}
	t.Cleanup(func() {
		if !c.Running() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, c.URL)
		if err != nil {
			t.Logf("pgtest: dropping %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: dropping %s: %v", name, err)
			return
		}
		rows, err := admin.Query(ctx, "SELECT rolname FROM pg_roles")
		if err != nil {
			return
		}
		after, _ := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, r := range after {
			if before[r] {
				continue
			}
			// Memberships and privileges in other databases would block the
			// drop; this test's database is gone, so DROP OWNED is enough.
			if _, err := admin.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{r}.Sanitize()); err != nil {
				t.Logf("pgtest: dropping role %s: %v", r, err)
			}
		}
	})
	return db
}

// Connect opens a connection as user to database db; closed when t ends.
func (c *Cluster) Connect(t testing.TB, db, user string) *pgx.Conn {
	t.Helper()
	conn, err := c.TryConnect(context.Background(), db, user)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TryConnect opens a connection as user to database db.
func (c *Cluster) TryConnect(ctx context.Context, db, user string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN(db, user))
	if err != nil {
		return nil, fmt.Errorf("connecting to %s as %s: %w", db, user, err)
	}
	return conn, nil
}

// Exec runs statements as the superuser in this database, failing t on error.
func (d *Database) Exec(t testing.TB, sql ...string) {
	t.Helper()
	conn := d.Cluster.Connect(t, d.Name, Superuser)
	for _, s := range sql {
		if _, err := conn.Exec(context.Background(), s); err != nil {
			t.Fatalf("pgtest: %s: %v", s, err)
		}
	}
	conn.Close(context.Background())
}

// CreateLoginRole creates a role that can log in (trust auth: no password).
func (d *Database) CreateLoginRole(t testing.TB, name string) {
	t.Helper()
	d.Exec(t, "CREATE ROLE "+pgx.Identifier{name}.Sanitize()+" LOGIN")
}

// ConnectAs connects to this database as a login role; closed when t ends.
func (d *Database) ConnectAs(t testing.TB, role string) *pgx.Conn {
	t.Helper()
	return d.Cluster.Connect(t, d.Name, role)
}

// DSNAs is a DSN for role on this database.
func (d *Database) DSNAs(role string) string { return d.Cluster.DSN(d.Name, role) }
