package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/api"
	"yoyaku/auth"
	"yoyaku/config"
	"yoyaku/internal/devstack"
	"yoyaku/internal/seed"
	"yoyaku/internal/temporalx"
	"yoyaku/internal/testenv"
)

// freeAddr is a loopback address on a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// httpGet answers GET url's status and body (0 when nothing answers).
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startAPI runs `yoyaku api` (runAPI, in this process) on free ports over dbURL until the returned stop is
// called; stop returns runAPI's error. Its log goes to out.
func startAPI(t *testing.T, dbURL string, out *testenv.LockedBuffer) (cfg config.Config, stop func() error) {
	t.Helper()
	env := map[string]string{
		"YOYAKU_HTTP_ADDR":        freeAddr(t),
		"YOYAKU_METRICS_ADDR":     freeAddr(t),
		"YOYAKU_DATABASE_URL":     dbURL,
		"YOYAKU_TEMPORAL_ADDRESS": testenv.TemporalAddress(t),
	}
	cfg, err := config.LoadFrom(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runAPI(ctx, cfg, slog.New(slog.NewTextHandler(out, nil)), nil) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("runAPI did not return within 30 s of its context ending")
		}
	}
	t.Cleanup(func() { _ = stop() })
	for deadline := time.Now().Add(60 * time.Second); ; {
		if code, _ := httpGet(t, "http://"+cfg.HTTPAddr+"/healthz"); code == http.StatusOK {
			return cfg, stop
		}
		select {
		case err := <-done:
			t.Fatalf("the API stopped while starting: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API did not become healthy\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// demoAccountsOnly loads the branches and two of the demo accounts with their published passwords (the
// rest of the demo data is not needed to be warned of).
func demoAccountsOnly(t *testing.T) string {
	t.Helper()
	dbURL := testenv.DatabaseURL(t)
	db := sqlx.MustOpen("postgres", dbURL)
	defer db.Close()
	if _, err := seed.Branches(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	staffHash, err := auth.HashPassword(seed.DemoStaff[0].Password)
	if err != nil {
		t.Fatal(err)
	}
	patronHash, err := auth.HashPassword(seed.DemoPatrons[0].Password)
	if err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO staff_users (login, name, password_hash, branch) VALUES ($1, 'demo', $2, 'chuo')`, seed.DemoStaff[0].Login, staffHash)
	db.MustExec(`INSERT INTO patrons (card_number, name, password_hash) VALUES ($1, 'demo', $2)`, seed.DemoPatrons[0].Login, patronHash)
	return dbURL
}

// TestAPIMetricsListenerAndDemoWarning runs `yoyaku api` (runAPI) over a database with demo accounts: it
// logs an ERROR naming them at start (not when started by `yoyaku dev`), serves /metrics only on
// YOYAKU_METRICS_ADDR (404 on the patron listener), /livez on the patron listener, and closes both
// listeners when it stops.
func TestAPIMetricsListenerAndDemoWarning(t *testing.T) {
	dbURL := demoAccountsOnly(t)
	t.Setenv(devStackEnv, "")
	var out testenv.LockedBuffer
	cfg, stop := startAPI(t, dbURL, &out)

	if code, body := httpGet(t, "http://"+cfg.HTTPAddr+"/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the patron listener %s = %d %.200s, want 404", cfg.HTTPAddr, code, body)
	}
	if code, _ := httpGet(t, "http://"+cfg.HTTPAddr+"/livez"); code != http.StatusOK {
		t.Errorf("GET /livez on the patron listener = %d, want 200", code)
	}
	code, body := httpGet(t, "http://"+cfg.MetricsAddr+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, `yoyaku_http_requests_total{method="GET",route="/healthz",status="200"}`) ||
		!strings.Contains(body, "yoyaku_healthz_checks_total") {
		t.Errorf("GET /metrics on the metrics listener %s = %d, want 200 with the patron listener's request counts:\n%.500s", cfg.MetricsAddr, code, body)
	}
	if code, _ := httpGet(t, "http://"+cfg.MetricsAddr+"/healthz"); code != http.StatusNotFound {
		t.Errorf("GET /healthz on the metrics listener = %d, want 404 (metrics only)", code)
	}

	log := out.String()
	var warning string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, "demo accounts") {
			warning = line
		}
	}
	if warning == "" || !strings.Contains(warning, "staff staff") || !strings.Contains(warning, "patron 1000001") {
		t.Errorf("no ERROR naming the demo accounts staff and 1000001 at start:\n%s", log)
	}

	if err := stop(); err != nil {
		t.Fatalf("runAPI returned %v after its context ended\n%s", err, out.String())
	}
	for _, addr := range []string{cfg.HTTPAddr, cfg.MetricsAddr} {
		if code, _ := httpGet(t, "http://"+addr+"/livez"); code != 0 {
			t.Errorf("%s still answers (%d) after the API stopped", addr, code)
		}
	}
	if !strings.Contains(out.String(), "api shutting down") || !strings.Contains(out.String(), "api metrics shutting down") {
		t.Errorf("the log does not show both listeners shutting down:\n%s", out.String())
	}

	// Started by `yoyaku dev` (startStack sets the marker), the same accounts are expected: no error.
	t.Setenv(devStackEnv, "1")
	var devOut testenv.LockedBuffer
	_, stop = startAPI(t, dbURL, &devOut)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(devOut.String(), "level=ERROR") {
		t.Errorf("the API started by yoyaku dev logged an error:\n%s", devOut.String())
	}
}

// yoyakuRun runs the built binary with args, the given stdin and environment on top of this process's
// (YOYAKU_DEMO and the dev marker removed); it returns the exit code and the combined output.
func yoyakuRun(t *testing.T, bin, stdin string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "YOYAKU_DEMO=") && !strings.HasPrefix(kv, devStackEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil {
		t.Fatalf("yoyaku %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// TestSeedWithoutDemoAndStaffAdd is a production install with the real binary: `yoyaku seed` without
// YOYAKU_DEMO loads the library's branches and no demo data (no account at all), `yoyaku staff add` creates
// the first staff account with the password from standard input, and that login then works. Bad input —
// unknown branch, taken login, empty, short or demo password, a password as an argument — exits non-zero with
// a clear message and creates nothing.
func TestSeedWithoutDemoAndStaffAdd(t *testing.T) {
	bin := buildYoyaku(t)
	dbURL := testenv.DatabaseURL(t)
	env := []string{"YOYAKU_DATABASE_URL=" + dbURL}
	db := sqlx.MustOpen("postgres", dbURL)
	defer db.Close()
	count := func(table string) int {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if code, out := yoyakuRun(t, bin, "", env, "seed"); code != 0 {
		t.Fatalf("yoyaku seed exited %d:\n%s", code, out)
	}
	if b, p, s, ti := count("branches"), count("patrons"), count("staff_users"), count("titles"); b != 9 || p != 0 || s != 0 || ti != 0 {
		t.Fatalf("after `yoyaku seed` without YOYAKU_DEMO: %d branches, %d patrons, %d staff, %d titles; want 9 and no demo data", b, p, s, ti)
	}
	if code, out := yoyakuRun(t, bin, "", env, "seed", "--titles", "50"); code == 0 || !strings.Contains(out, "YOYAKU_DEMO=1") || count("titles") != 0 {
		t.Errorf("`yoyaku seed --titles 50` without YOYAKU_DEMO exited %d with %d titles, want a refusal naming YOYAKU_DEMO=1:\n%s", code, count("titles"), out)
	}

	const password = "correct horse battery"
	if code, out := yoyakuRun(t, bin, password+"\n", env, "staff", "add", "Alice.Sato", "--branch", "kita", "--name", "佐藤 アリス"); code != 0 {
		t.Fatalf("yoyaku staff add exited %d:\n%s", code, out)
	}
	var branch, name string
	if err := db.QueryRow(`SELECT branch, name FROM staff_users WHERE login = 'alice.sato'`).Scan(&branch, &name); err != nil || branch != "kita" || name != "佐藤 アリス" {
		t.Fatalf("staff alice.sato: branch %q name %q (%v), want kita and 佐藤 アリス", branch, name, err)
	}

	// The login works through the API, with this password and no other.
	metrics, err := temporalx.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	h := (&api.Server{DB: db, Cfg: cfg, Log: slog.New(slog.DiscardHandler), Metrics: metrics}).Router()
	login := func(pw string) (int, string) {
		body, _ := json.Marshal(map[string]string{"login": "alice.sato", "password": pw})
		req := httptest.NewRequest(http.MethodPost, "/api/v1/staff/session", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	if code, body := login(password); code != http.StatusOK || !strings.Contains(body, `"token"`) {
		t.Fatalf("staff login with the new password = %d %s, want 200 with a token", code, body)
	}
	if code, _ := login("not the password"); code != http.StatusUnauthorized {
		t.Errorf("staff login with another password = %d, want 401", code)
	}

	for _, tc := range []struct {
		name, stdin, want string
		args              []string
	}{
		{"unknown branch", password + "\n", `unknown branch "nowhere"`, []string{"bob", "--branch", "nowhere"}},
		{"login taken", password + "\n", `login "alice.sato" is taken`, []string{"alice.sato", "--branch", "chuo"}},
		{"empty password", "", "empty password", []string{"bob", "--branch", "chuo"}},
		{"empty line", "\n", "empty password", []string{"bob", "--branch", "chuo"}},
		{"short password", "short\n", "too short", []string{"bob", "--branch", "chuo"}},
		{"demo password", "staff-demo\n", "published demo password", []string{"bob", "--branch", "chuo"}},
		{"password as an argument", "", "flag provided but not defined: -password", []string{"bob", "--branch", "chuo", "--password", password}},
		{"no login", password + "\n", "exactly one LOGIN", []string{"--branch", "chuo"}},
		{"no branch", password + "\n", "--branch CODE is required", []string{"bob"}},
		{"bad login", password + "\n", "lower-case letters", []string{"bob smith", "--branch", "chuo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := yoyakuRun(t, bin, tc.stdin, env, append([]string{"staff", "add"}, tc.args...)...)
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want non-zero with %q:\n%s", code, tc.want, out)
			}
			if n := count("staff_users"); n != 1 {
				t.Errorf("%d staff accounts, want still 1", n)
			}
		})
	}
}
