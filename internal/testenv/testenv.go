// Package testenv starts the real services integration tests need — a private PostgreSQL cluster, the
// pinned Temporal dev server and Mailpit — once per test binary, on free ports. A missing service or binary
// fails the test with what to do; it never skips.
package testenv

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // PostgreSQL driver

	"yoyaku/internal/devstack"
	"yoyaku/migrations"
)

var (
	pgOnce sync.Once
	pg     *devstack.Postgres
	pgErr  error
	dbSeq  atomic.Int64
	root   string
	stops  []func()
	stopMu sync.Mutex
)

// Root is the repository root (the directory holding go.mod).
func Root(tb testing.TB) string {
	tb.Helper()
	if root != "" {
		return root
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			root = dir
			return dir
		}
		if dir == filepath.Dir(dir) {
			tb.Fatalf("testenv: go.mod not found above the test's directory")
		}
		dir = filepath.Dir(dir)
	}
}

// Bin is the path of a pinned tool in ./bin; the test fails when it has not been built.
func Bin(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(Root(tb), "bin", name)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("testenv: %s is missing: run `make tools` (make test does it for you)", p)
	}
	return p
}

func workDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "yoyaku-test-")
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	onStop(func() { _ = os.RemoveAll(dir) })
	return dir
}

func onStop(f func()) {
	stopMu.Lock()
	defer stopMu.Unlock()
	stops = append(stops, f)
}

// Main runs the package's tests and then stops every service started for them. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	stopMu.Lock()
	defer stopMu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
	return code
}

func postgres(tb testing.TB) *devstack.Postgres {
	tb.Helper()
	pgOnce.Do(func() {
		dir := workDir(tb)
		port, err := devstack.FreePort()
		if err != nil {
			pgErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pg, pgErr = devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: dir, Port: port, Fast: true, Out: logSink()})
		if pgErr == nil {
			onStop(func() { _ = pg.Stop(10 * time.Second) })
		}
	})
	if pgErr != nil {
		tb.Fatalf("testenv: PostgreSQL could not start: %v", pgErr)
	}
	return pg
}

// DatabaseURL creates a fresh, migrated database in the private cluster and returns its URL.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	p := postgres(tb)
	n := dbSeq.Add(1)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), n)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.CreateDatabase(ctx, name); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	u := p.URL(name)
	db, err := sqlx.Open("postgres", u)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	// Every database of this test binary shares one Temporal server, where workflow IDs such as hold-<id>
	// must not collide: each database numbers its rows from its own range.
	var seqs []string
	if err := db.SelectContext(ctx, &seqs, `SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND data_type = 'bigint'::regtype`); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	for _, seq := range seqs {
		if _, err := db.ExecContext(ctx, fmt.Sprintf(`ALTER SEQUENCE %q RESTART WITH %d`, seq, n*100_000_000+1)); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
	}
	return u
}

// DB returns a connection to a fresh, migrated database, closed when the test ends.
func DB(tb testing.TB) *sqlx.DB {
	tb.Helper()
	db, err := sqlx.Open("postgres", DatabaseURL(tb))
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// logSink is where service logs go: nowhere unless YOYAKU_TEST_SERVICE_LOGS=1.
func logSink() io.Writer {
	if strings.TrimSpace(os.Getenv("YOYAKU_TEST_SERVICE_LOGS")) == "1" {
		return os.Stderr
	}
	return nil
}
