package devstack

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"yoyaku/deploy"
)

// TemporalServerPorts are the ports of the Temporal server's four services. Temporal keeps membership ports
// in a smallint column: every port must stay under 32768.
type TemporalServerPorts struct {
	Frontend, FrontendHTTP, FrontendMembership int
	History, HistoryMembership                 int
	Matching, MatchingMembership               int
	Worker, WorkerMembership                   int
}

// MaxTemporalPort is the highest port the Temporal server can use (membership ports are smallint).
const MaxTemporalPort = 32767

// DefaultTemporalServerPorts are the server's usual ports (those of deploy/temporal/server.yaml's defaults)
// with the frontend on frontend.
func DefaultTemporalServerPorts(frontend int) TemporalServerPorts {
	return TemporalServerPorts{
		Frontend: frontend, FrontendHTTP: 7243, FrontendMembership: 6933,
		History: 7234, HistoryMembership: 6934,
		Matching: 7235, MatchingMembership: 6935,
		Worker: 7239, WorkerMembership: 6939,
	}
}

// FreeTemporalServerPorts picks free loopback ports below 32768 for every service (the kernel's own free
// ports are above it).
func FreeTemporalServerPorts() (TemporalServerPorts, error) {
	var p TemporalServerPorts
	used := map[int]bool{}
	for _, ptr := range p.ptrs() {
		port, err := freePortBelow(MaxTemporalPort, used)
		if err != nil {
			return p, err
		}
		used[port] = true
		*ptr = port
	}
	return p, nil
}

func freePortBelow(maxPort int, used map[int]bool) (int, error) {
	for range 200 {
		port := 20000 + rand.IntN(maxPort-20000+1)
		if !used[port] && PortFree(port) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port between 20000 and %d", maxPort)
}

func (p *TemporalServerPorts) ptrs() []*int {
	return []*int{&p.Frontend, &p.FrontendHTTP, &p.FrontendMembership, &p.History, &p.HistoryMembership,
		&p.Matching, &p.MatchingMembership, &p.Worker, &p.WorkerMembership}
}

// All lists every port.
func (p TemporalServerPorts) All() []int {
	var out []int
	for _, ptr := range p.ptrs() {
		out = append(out, *ptr)
	}
	return out
}

// env gives the ports as deploy/temporal/server.yaml reads them.
func (p TemporalServerPorts) env() []string {
	return []string{
		"TEMPORAL_FRONTEND_PORT=" + strconv.Itoa(p.Frontend),
		"TEMPORAL_FRONTEND_HTTP_PORT=" + strconv.Itoa(p.FrontendHTTP),
		"TEMPORAL_FRONTEND_MEMBERSHIP_PORT=" + strconv.Itoa(p.FrontendMembership),
		"TEMPORAL_HISTORY_PORT=" + strconv.Itoa(p.History),
		"TEMPORAL_HISTORY_MEMBERSHIP_PORT=" + strconv.Itoa(p.HistoryMembership),
		"TEMPORAL_MATCHING_PORT=" + strconv.Itoa(p.Matching),
		"TEMPORAL_MATCHING_MEMBERSHIP_PORT=" + strconv.Itoa(p.MatchingMembership),
		"TEMPORAL_WORKER_PORT=" + strconv.Itoa(p.Worker),
		"TEMPORAL_WORKER_MEMBERSHIP_PORT=" + strconv.Itoa(p.WorkerMembership),
	}
}

// WriteDeployFiles writes the shared deployment files (deploy.Files, the very bytes docker-compose.yml
// mounts) below dir/deploy and returns that directory. Scripts are made executable.
func WriteDeployFiles(dir string) (string, error) {
	root := filepath.Join(dir, "deploy")
	err := fs.WalkDir(deploy.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := deploy.Files.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(path, ".sh") {
			mode = 0o755
		}
		return os.WriteFile(dst, b, mode)
	})
	if err != nil {
		return "", fmt.Errorf("write the deployment files: %w", err)
	}
	return root, nil
}

// TemporalDBUser and TemporalDBPassword are the role deploy/temporal/postgres-init.sql creates.
const (
	TemporalDBUser     = "temporal"
	TemporalDBPassword = "temporal"
)

// CreateTemporalDatabases runs deploy/temporal/postgres-init.sql (the script the compose postgres runs on
// an empty volume) unless its role exists already. Its statements run one by one: CREATE DATABASE cannot
// run inside the transaction a multi-statement query makes.
func (pg *Postgres) CreateTemporalDatabases(ctx context.Context) error {
	db, err := sql.Open("postgres", pg.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, TemporalDBUser).Scan(&exists); err != nil {
		return fmt.Errorf("temporal databases: %w", err)
	}
	if exists {
		return nil
	}
	script, err := deploy.Files.ReadFile(deploy.TemporalPostgresInit)
	if err != nil {
		return err
	}
	for _, stmt := range sqlStatements(string(script)) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("temporal databases: %s: %w", stmt, err)
		}
	}
	return nil
}

// sqlStatements splits a plain SQL script (no semicolons inside strings or bodies) into its statements,
// without its -- comments.
func sqlStatements(script string) []string {
	var lines []string
	for _, l := range strings.Split(script, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, s := range strings.Split(strings.Join(lines, "\n"), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// RunScript runs one of the shared shell scripts with /bin/sh and env added to this process's environment,
// binDir first on PATH (the temporal CLI and temporal-sql-tool), its output prefixed with name.
func RunScript(ctx context.Context, out io.Writer, name, script, binDir string, env []string) error {
	cmd := exec.CommandContext(ctx, "/bin/sh", script)
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, env...)
	var tail tailWriter
	w := io.MultiWriter(&tail, io.Discard)
	if out != nil {
		w = io.MultiWriter(&tail, prefixWriter(out, name))
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, tail.String())
	}
	return nil
}

// tailWriter keeps the last 2 KiB written, for an error message.
type tailWriter struct{ b []byte }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tailWriter) String() string { return strings.TrimSpace(string(t.b)) }

// TemporalServerOptions configures StartTemporalServer.
type TemporalServerOptions struct {
	Bin       string // temporal-server, built from go.temporal.io/server/cmd/server
	DeployDir string // from WriteDeployFiles
	PGPort    int
	Ports     TemporalServerPorts
	Out       io.Writer
}

// StartTemporalServer runs the Temporal server on PostgreSQL with deploy/temporal/server.yaml, bound to
// loopback, and waits until its frontend answers. The schemas must be in place (deploy/temporal/schema.sh).
func StartTemporalServer(ctx context.Context, o TemporalServerOptions) (*Proc, error) {
	if _, err := os.Stat(o.Bin); err != nil {
		return nil, fmt.Errorf("temporal server not found at %s: run `make tools`", o.Bin)
	}
	for _, p := range o.Ports.All() {
		if p > MaxTemporalPort {
			return nil, fmt.Errorf("temporal server: port %d is above %d (Temporal stores membership ports as smallint)", p, MaxTemporalPort)
		}
		if !PortFree(p) {
			return nil, fmt.Errorf("temporal server: port %d is already in use (is another yoyaku stack running?)", p)
		}
	}
	cfgDir, envName := configEnv(o.DeployDir, deploy.TemporalConfig)
	env := append(os.Environ(), o.Ports.env()...)
	env = append(env,
		"TEMPORAL_DB_HOST=127.0.0.1", "TEMPORAL_DB_PORT="+strconv.Itoa(o.PGPort),
		"TEMPORAL_DB_USER="+TemporalDBUser, "TEMPORAL_DB_PASSWORD="+TemporalDBPassword,
		"TEMPORAL_BIND_IP=127.0.0.1",
		"TEMPORAL_DYNAMIC_CONFIG="+filepath.Join(o.DeployDir, deploy.TemporalDynamicConfig))
	p, err := Start("temporal-server", o.Out, syscall.SIGTERM, nil, env, o.Bin,
		"--root", "/", "--config", cfgDir, "--env", envName, "--allow-no-auth", "start")
	if err != nil {
		return nil, err
	}
	if err := waitTemporal(ctx, p, fmt.Sprintf("127.0.0.1:%d", o.Ports.Frontend), ""); err != nil {
		_ = p.Stop(20 * time.Second)
		return nil, err
	}
	return p, nil
}

// configEnv names the configuration file file (a path in deploy.Files, written below deployDir) as the
// Temporal server and its UI server take it: a directory and an environment whose <env>.yaml it is
// (server.yaml is the environment "server").
func configEnv(deployDir, file string) (dir, env string) {
	return filepath.Join(deployDir, filepath.Dir(file)), strings.TrimSuffix(filepath.Base(file), ".yaml")
}

// TemporalUIOptions configures StartTemporalUI.
type TemporalUIOptions struct {
	Bin       string // temporal-ui, built from github.com/temporalio/ui-server/v2/cmd/server
	DeployDir string // from WriteDeployFiles
	Port      int    // the Web UI's
	Frontend  int    // the Temporal server's frontend port
	Out       io.Writer
}

// StartTemporalUI runs the Temporal Web UI server with deploy/temporal/ui.yaml (the file compose mounts into
// the temporalio/ui image), on loopback, pointed at the Temporal server's frontend, and waits until it
// serves its page.
func StartTemporalUI(ctx context.Context, o TemporalUIOptions) (*Proc, error) {
	if _, err := os.Stat(o.Bin); err != nil {
		return nil, fmt.Errorf("temporal UI server not found at %s: run `make tools`", o.Bin)
	}
	if !PortFree(o.Port) {
		return nil, fmt.Errorf("temporal UI: port %d is already in use (is another yoyaku stack running?)", o.Port)
	}
	env := append(os.Environ(), "TEMPORAL_UI_IP=127.0.0.1", "TEMPORAL_UI_PORT="+strconv.Itoa(o.Port),
		fmt.Sprintf("TEMPORAL_ADDRESS=127.0.0.1:%d", o.Frontend))
	cfgDir, envName := configEnv(o.DeployDir, deploy.TemporalUIConfig)
	p, err := Start("temporal-ui", o.Out, syscall.SIGTERM, nil, env, o.Bin, "--root", "/", "--config", cfgDir, "--env", envName, "start")
	if err != nil {
		return nil, err
	}
	if err := waitTemporal(ctx, p, fmt.Sprintf("127.0.0.1:%d", o.Frontend), fmt.Sprintf("http://127.0.0.1:%d/", o.Port)); err != nil {
		_ = p.Stop(10 * time.Second)
		return nil, fmt.Errorf("temporal UI: %w", err)
	}
	return p, nil
}
