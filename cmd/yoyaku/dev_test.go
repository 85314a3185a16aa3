package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"yoyaku/internal/devstack"
	"yoyaku/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// buildYoyaku builds the yoyaku binary into a temporary directory beside links to the pinned temporal and
// mailpit binaries (and the extra tools named), as `make build` lays them out in ./bin.
func buildYoyaku(t *testing.T, extra ...string) string {
	t.Helper()
	root := testenv.Root(t)
	tools := append([]string{"temporal", "mailpit"}, extra...)
	for _, name := range tools {
		testenv.Bin(t, name)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "yoyaku")
	build := exec.Command("go", "build", "-o", bin, "./cmd/yoyaku")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, name := range tools {
		if err := os.Symlink(filepath.Join(root, "bin", name), filepath.Join(tmp, name)); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

type devPorts struct{ pg, temporal, temporalUI, smtp, mailUI, http, apiMetrics, metrics int }

// TestDevStartsEverythingAndStopsCleanly is the contract of `make dev` in api/README.md: the stack comes up with
// health, Temporal UI, Mailpit UI and 6 libraries; a signal stops every process and frees every port; a
// second run reuses the state directory.
func TestDevStartsEverythingAndStopsCleanly(t *testing.T) {
	bin := buildYoyaku(t)
	devDir := filepath.Join(filepath.Dir(bin), "state")

	var p devPorts
	for _, ptr := range []*int{&p.pg, &p.temporal, &p.temporalUI, &p.smtp, &p.mailUI, &p.http, &p.apiMetrics, &p.metrics} {
		port, err := devstack.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		*ptr = port
	}

	first := runDevOnce(t, bin, devDir, p, syscall.SIGTERM, func(dbURL string) {
		db := sqlx.MustOpen("postgres", dbURL)
		defer db.Close()
		db.MustExec(`INSERT INTO series (name) VALUES ('dev-test marker')`)
	})
	second := runDevOnce(t, bin, devDir, p, syscall.SIGINT, func(dbURL string) {
		db := sqlx.MustOpen("postgres", dbURL)
		defer db.Close()
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM series WHERE name = 'dev-test marker'`); err != nil || n != 1 {
			t.Errorf("the second run did not keep the first run's data: n=%d err=%v", n, err)
		}
	})
	t.Logf("first start %s, second start %s", first, second)
	if second > 30*time.Second {
		t.Errorf("a later start took %s, want under 30 s", second)
	}
}

func runDevOnce(t *testing.T, bin, devDir string, p devPorts, stopSig syscall.Signal, check func(dbURL string)) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.Command(bin, "dev",
		"--pg-port", fmt.Sprint(p.pg), "--temporal-port", fmt.Sprint(p.temporal), "--temporal-ui-port", fmt.Sprint(p.temporalUI),
		"--smtp-port", fmt.Sprint(p.smtp), "--mail-ui-port", fmt.Sprint(p.mailUI))
	cmd.Env = append(os.Environ(),
		"YOYAKU_DEV_DIR="+devDir,
		fmt.Sprintf("YOYAKU_HTTP_ADDR=127.0.0.1:%d", p.http),
		fmt.Sprintf("YOYAKU_METRICS_ADDR=127.0.0.1:%d", p.apiMetrics),
		fmt.Sprintf("YOYAKU_WORKER_METRICS_ADDR=127.0.0.1:%d", p.metrics))
	var out testenv.LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("yoyaku dev output:\n%s", out.String())
		}
	}()

	base := fmt.Sprintf("http://127.0.0.1:%d", p.http)
	if err := waitFor(ctx, exited, base+"/healthz", &out); err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("dev did not become healthy: %v", err)
	}
	took := time.Since(start)
	for _, u := range []string{
		fmt.Sprintf("http://127.0.0.1:%d/", p.temporalUI),
		fmt.Sprintf("http://127.0.0.1:%d/", p.mailUI),
		fmt.Sprintf("http://127.0.0.1:%d/metrics", p.metrics),
		fmt.Sprintf("http://127.0.0.1:%d/metrics", p.apiMetrics),
		base + "/livez",
	} {
		if code := get(ctx, u, nil); code != 200 {
			t.Errorf("GET %s = %d, want 200", u, code)
		}
	}
	if code := get(ctx, base+"/metrics", nil); code != 404 {
		t.Errorf("GET %s/metrics = %d, want 404: the API's metrics have their own listener", base, code)
	}
	if want := fmt.Sprintf("http://127.0.0.1:%d/metrics", p.apiMetrics); !strings.Contains(out.String(), want) {
		t.Errorf("the banner does not give the API's metrics address %s", want)
	}
	if strings.Contains(out.String(), "demo accounts with their published passwords exist") {
		t.Errorf("the API started by dev warned of the demo accounts dev loads on purpose")
	}
	var branches struct {
		Branches []struct{ Kind string } `json:"branches"`
	}
	if code := get(ctx, base+"/api/v1/branches", &branches); code != 200 {
		t.Errorf("branches = %d", code)
	}
	libraries := 0
	for _, b := range branches.Branches {
		if b.Kind == "library" {
			libraries++
		}
	}
	if libraries != 6 {
		t.Errorf("branches lists %d libraries, want 6", libraries)
	}
	if !strings.Contains(out.String(), "1000001") || !strings.Contains(out.String(), "staff-demo") {
		t.Errorf("the demo accounts were not printed")
	}
	check(fmt.Sprintf("postgres://yoyaku:yoyaku@127.0.0.1:%d/yoyaku?sslmode=disable", p.pg))

	// Stop it the way a terminal or a supervisor would, and check that nothing is left behind.
	if err := cmd.Process.Signal(stopSig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("dev exited with %v after %s", err, stopSig)
		}
	case <-time.After(90 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("dev did not stop within 90 s of %s", stopSig)
	}
	for _, port := range []int{p.pg, p.temporal, p.temporalUI, p.smtp, p.mailUI, p.http, p.apiMetrics, p.metrics} {
		if !devstack.PortFree(port) {
			t.Errorf("port %d still in use after dev stopped", port)
		}
	}
	if left := processesMentioning(devDir); len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
	return took
}

// waitFor waits until dev says it is ready and url answers 200.
func waitFor(ctx context.Context, exited <-chan error, url string, out *testenv.LockedBuffer) error {
	for {
		if strings.Contains(out.String(), "yoyaku is running") && get(ctx, url, nil) == 200 {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("dev exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, url string, into any) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if into != nil {
		_ = json.NewDecoder(resp.Body).Decode(into)
	}
	return resp.StatusCode
}

// processesMentioning lists live processes whose command line or environment names dir: every process
// `yoyaku dev` starts does (data directories, database files, YOYAKU_DEV_DIR).
func processesMentioning(dir string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid := e.Name()
		if pid[0] < '0' || pid[0] > '9' {
			continue
		}
		for _, f := range []string{"cmdline", "environ"} {
			b, err := os.ReadFile(filepath.Join("/proc", pid, f))
			if err == nil && bytes.Contains(b, []byte(dir)) {
				cmdline, _ := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
				found = append(found, pid+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
				break
			}
		}
	}
	return found
}
