package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// PGBinDir is where Debian installs the PostgreSQL 15 server binaries.
const PGBinDir = "/usr/lib/postgresql/15/bin"

// Postgres is a private PostgreSQL cluster.
type Postgres struct {
	*Proc
	Port     int
	User     string
	Password string
}

// PostgresOptions configures StartPostgres.
type PostgresOptions struct {
	Dir    string // the cluster lives in Dir/pg; created by initdb when missing
	Port   int
	BinDir string // default PGBinDir
	// Fast turns off durability (fsync) for throwaway test clusters.
	Fast bool
	Out  io.Writer
}

// CheckPostgresBinaries says in one line what to install when the server binaries are missing.
func CheckPostgresBinaries(binDir string) error {
	if binDir == "" {
		binDir = PGBinDir
	}
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			return fmt.Errorf("PostgreSQL 15 server binaries not found in %s: install them with `apt-get install postgresql-15 postgresql-contrib`", binDir)
		}
	}
	return nil
}

// StartPostgres initialises the cluster when needed, starts it on 127.0.0.1:Port and waits until it accepts
// connections. It runs as the postgres user when the caller is root.
func StartPostgres(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	if o.BinDir == "" {
		o.BinDir = PGBinDir
	}
	if err := CheckPostgresBinaries(o.BinDir); err != nil {
		return nil, err
	}
	if !PortFree(o.Port) {
		return nil, fmt.Errorf("postgres: port %d is already in use (is another yoyaku dev running?)", o.Port)
	}
	cred, err := unprivileged()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(o.Dir, "pg")
	pg := &Postgres{Port: o.Port, User: "yoyaku", Password: "yoyaku"}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cred != nil {
		if err := ensureTraversable(o.Dir); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		if err := initdb(ctx, o, dataDir, pg, cred); err != nil {
			return nil, err
		}
	}
	args := []string{"-D", dataDir, "-p", strconv.Itoa(o.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dataDir,
		// 1 GB holds a 1,000,000-title catalogue with its search indexes (about 800 MB): a search reads
		// thousands of rows, and copying them in from the OS cache tripled its time.
		"-c", "max_connections=300", "-c", "shared_buffers=1GB", "-c", "timezone=UTC",
		// Commit times let the bench time an approval by when it became visible (store.ApprovalCommits).
		"-c", "track_commit_timestamp=on"}
	if o.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	// SIGINT is PostgreSQL's "fast shutdown": it disconnects clients instead of waiting for them.
	p, err := Start("postgres", o.Out, syscall.SIGINT, cred, nil, filepath.Join(o.BinDir, "postgres"), args...)
	if err != nil {
		return nil, err
	}
	pg.Proc = p
	if err := pg.waitReady(ctx); err != nil {
		_ = p.Stop(5 * time.Second)
		return nil, err
	}
	return pg, nil
}

func initdb(ctx context.Context, o PostgresOptions, dataDir string, pg *Postgres, cred *syscall.Credential) error {
	pwfile := filepath.Join(o.Dir, ".pgpass-init")
	if err := os.WriteFile(pwfile, []byte(pg.Password+"\n"), 0o644); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	defer os.Remove(pwfile)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dataDir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("initdb: %w", err)
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(o.BinDir, "initdb"), "-D", dataDir, "-U", pg.User,
		"--pwfile="+pwfile, "--auth=scram-sha-256", "--locale=C.UTF-8", "-E", "UTF8")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dataDir) // a half-made cluster would stop every later start
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	return nil
}

// URL is the connection URL of database name.
func (pg *Postgres) URL(name string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(pg.User, pg.Password),
		Host: "127.0.0.1:" + strconv.Itoa(pg.Port), Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

func (pg *Postgres) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	db, err := sql.Open("postgres", pg.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-pg.Done():
			return fmt.Errorf("postgres exited while starting: %v", pg.Err())
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// CreateDatabase creates database name unless it exists.
func (pg *Postgres) CreateDatabase(ctx context.Context, name string) error {
	db, err := sql.Open("postgres", pg.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
