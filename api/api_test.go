package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"gopkg.in/yaml.v3"

	"yoyaku/api"
	"yoyaku/config"
	"yoyaku/httpkit"
	"yoyaku/internal/seed"
	"yoyaku/internal/temporalx"
	"yoyaku/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// newServer builds the API over a fresh seeded database and this binary's Temporal dev server.
func newServer(t *testing.T, db *sqlx.DB) (*api.Server, http.Handler) {
	t.Helper()
	cfg := newServerConfig(t)
	metrics, err := temporalx.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	s := &api.Server{DB: db, Temporal: testenv.Temporal(t), Cfg: cfg, Log: slog.New(slog.DiscardHandler), Metrics: metrics}
	return s, s.Router()
}

// newServerConfig is the default configuration.
func newServerConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func seeded(t *testing.T) *sqlx.DB {
	t.Helper()
	db := testenv.DB(t)
	if _, err := seed.Demo(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func do(t *testing.T, h http.Handler, method, path string, hdr map[string]string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestHealthz(t *testing.T) {
	_, h := newServer(t, testenv.DB(t))
	w := do(t, h, "GET", "/healthz", nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("healthz = %d %s, want 200", w.Code, w.Body)
	}

	// With PostgreSQL unreachable the API must say so.
	dead, err := sqlx.Open("postgres", "postgres://x:y@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	_, h = newServer(t, dead)
	w = do(t, h, "GET", "/healthz", nil, nil)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"postgres":"unreachable"`) {
		t.Fatalf("healthz without postgres = %d %s, want 503 naming postgres", w.Code, w.Body)
	}
	// Any request then says "try again shortly" (503 unavailable, Retry-After), not "internal error": a
	// restarting database is not a bug, and clients (and the chaos run) retry.
	for _, path := range []string{"/api/v1/branches", "/api/v1/holds", "/api/v1/titles?q=a"} {
		w = do(t, h, "GET", path, map[string]string{"Authorization": "Bearer " + strings.Repeat("A", 43)}, nil)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"unavailable"`) || w.Header().Get("Retry-After") == "" {
			t.Errorf("GET %s without postgres = %d %s (Retry-After %q), want 503 unavailable", path, w.Code, w.Body, w.Header().Get("Retry-After"))
		}
	}
}

func TestBranches(t *testing.T) {
	_, h := newServer(t, seeded(t))
	w := do(t, h, "GET", "/api/v1/branches", nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("branches = %d %s", w.Code, w.Body)
	}
	var got struct {
		Branches []struct {
			Code      string `json:"code"`
			Name      string `json:"name"`
			Kind      string `json:"kind"`
			AcceptsAV bool   `json:"accepts_av"`
		} `json:"branches"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	libraries, facilities := 0, 0
	for i, b := range got.Branches {
		switch b.Kind {
		case "library":
			libraries++
			if !b.AcceptsAV {
				t.Errorf("library %s must accept AV", b.Code)
			}
			if facilities > 0 {
				t.Errorf("library %s listed after a facility (position %d)", b.Code, i)
			}
		case "facility":
			facilities++
			if b.AcceptsAV {
				t.Errorf("facility %s must not accept AV", b.Code)
			}
		default:
			t.Errorf("branch %s has kind %q", b.Code, b.Kind)
		}
		if b.Code == "" || b.Name == "" {
			t.Errorf("branch %d lacks code or name: %+v", i, b)
		}
	}
	if libraries != 6 || facilities < 3 {
		t.Fatalf("got %d libraries and %d facilities, want 6 and at least 3", libraries, facilities)
	}
}

func TestErrorsAreJSONInTheClientsLanguage(t *testing.T) {
	_, h := newServer(t, testenv.DB(t))
	tests := []struct {
		name, method, path, lang string
		status                   int
		code, message            string
	}{
		{"unknown path, Japanese", "GET", "/api/v1/nothing-here", "", 404, "not_found", "お探しのものは見つかりません。"},
		{"unknown path, English", "GET", "/api/v1/nothing-here", "en-US,en;q=0.9", 404, "not_found", "Not found."},
		{"wrong method", "DELETE", "/api/v1/branches", "en", 405, "method_not_allowed", "Method not allowed."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, h, tc.method, tc.path, map[string]string{"Accept-Language": tc.lang}, nil)
			var body httpkit.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not the error envelope: %v", w.Body, err)
			}
			if w.Code != tc.status || body.Error.Code != httpkit.Code(tc.code) || body.Error.Message != tc.message {
				t.Fatalf("got %d %+v, want %d %s %q", w.Code, body.Error, tc.status, tc.code, tc.message)
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("security headers missing")
			}
		})
	}
}

func TestOversizedBodyIsRefused(t *testing.T) {
	_, h := newServer(t, testenv.DB(t))
	big := strings.NewReader(strings.Repeat("x", 1<<20))
	w := do(t, h, "POST", "/api/v1/branches", map[string]string{"Content-Type": "application/json"}, big)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "payload_too_large") {
		t.Fatalf("1 MiB body = %d %s, want 413 payload_too_large", w.Code, w.Body)
	}
}

// TestMetricsHaveTheirOwnListener: /metrics is not on the patron listener (Router: 404), only on the
// metrics handler the API serves on YOYAKU_METRICS_ADDR, which counts the patron listener's requests.
func TestMetricsHaveTheirOwnListener(t *testing.T) {
	s, h := newServer(t, testenv.DB(t))
	do(t, h, "GET", "/healthz", nil, nil)
	if w := do(t, h, "GET", "/metrics", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("GET /metrics on the patron listener = %d, want 404", w.Code)
	}
	w := do(t, s.MetricsHandler(), "GET", "/metrics", nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics on the metrics handler = %d, want 200", w.Code)
	}
	for _, want := range []string{`yoyaku_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`yoyaku_http_requests_total{method="GET",route="unmatched",status="404"} 1`, "go_goroutines"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Go's profiles are for operators (and the bench) on the same listener, never on the patrons' one.
	if w := do(t, h, "GET", "/debug/pprof/", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/ on the patron listener = %d, want 404", w.Code)
	}
	if w := do(t, s.MetricsHandler(), "GET", "/debug/pprof/goroutine?debug=1", nil, nil); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), "goroutine profile") {
		t.Errorf("GET /debug/pprof/goroutine on the metrics handler = %d %.100s, want 200 with the profile", w.Code, w.Body.String())
	}
	if w := do(t, s.MetricsHandler(), "GET", "/healthz", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("the metrics handler serves /healthz (%d): it should serve /metrics and the profiles only", w.Code)
	}
}

// healthChecks reads yoyaku_healthz_checks_total: how often /healthz really asked PostgreSQL and Temporal.
func healthChecks(t *testing.T, s *api.Server) int {
	t.Helper()
	w := do(t, s.MetricsHandler(), "GET", "/metrics", nil, nil)
	m := regexp.MustCompile(`(?m)^yoyaku_healthz_checks_total (\d+)$`).FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("/metrics has no yoyaku_healthz_checks_total:\n%s", w.Body)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHealthzSharesOneCheck: 50 concurrent /healthz calls all answer 200 from one check of the dependencies
// (the counter sits in the real check, beside the pings); a call within the second reuses it, and a call
// after the second checks again.
func TestHealthzSharesOneCheck(t *testing.T) {
	s, h := newServer(t, testenv.DB(t))
	before := runtime.NumGoroutine()
	const n = 50
	codes := make([]int, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			codes[i] = do(t, h, "GET", "/healthz", nil, nil).Code
		})
	}
	start.Done()
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("call %d = %d, want 200", i, c)
		}
	}
	if got := healthChecks(t, s); got != 1 {
		t.Fatalf("%d concurrent /healthz calls ran %d dependency checks, want 1", n, got)
	}
	if w := do(t, h, "GET", "/healthz", nil, nil); w.Code != http.StatusOK || healthChecks(t, s) != 1 {
		t.Fatalf("a call within the second = %d and made %d checks in all, want 200 and still 1", w.Code, healthChecks(t, s))
	}
	time.Sleep(1100 * time.Millisecond)
	if w := do(t, h, "GET", "/healthz", nil, nil); w.Code != http.StatusOK || healthChecks(t, s) != 2 {
		t.Fatalf("a call after the second = %d and made %d checks in all, want 200 and 2", w.Code, healthChecks(t, s))
	}
	// No goroutine is left behind by the shared check (a few may still be winding down: allow for them).
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines: %d before the calls, %d after", before, after)
	}
}

// TestLivezWithDependenciesDown: with neither PostgreSQL nor Temporal reachable, /livez still answers 200
// without asking them, while /healthz says 503 naming both (and its result is shared the same way).
func TestLivezWithDependenciesDown(t *testing.T) {
	dead, err := sqlx.Open("postgres", "postgres://x:y@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	metrics, err := temporalx.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	s := &api.Server{DB: dead, Temporal: tc, Cfg: newServerConfig(t), Log: slog.New(slog.DiscardHandler), Metrics: metrics}
	h := s.Router()
	for range 3 {
		w := do(t, h, "GET", "/livez", nil, nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"ok"`) {
			t.Fatalf("/livez with the dependencies down = %d %s, want 200", w.Code, w.Body)
		}
	}
	if got := healthChecks(t, s); got != 0 {
		t.Fatalf("/livez ran %d dependency checks, want none", got)
	}
	for range 2 {
		w := do(t, h, "GET", "/healthz", nil, nil)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"postgres":"unreachable"`) ||
			!strings.Contains(w.Body.String(), `"temporal":"unreachable"`) {
			t.Fatalf("/healthz with the dependencies down = %d %s, want 503 naming both", w.Code, w.Body)
		}
	}
	if got := healthChecks(t, s); got != 1 {
		t.Fatalf("two /healthz calls in a row ran %d dependency checks, want 1 (the second reuses the first)", got)
	}
}

// TestOpenAPICoversTheRouter walks the router and the served document: each route must be documented with
// its method, and each documented operation must exist.
func TestOpenAPICoversTheRouter(t *testing.T) {
	s, h := newServer(t, testenv.DB(t))
	w := do(t, h, "GET", "/api/openapi.yaml", nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("openapi.yaml = %d", w.Code)
	}
	var doc struct {
		OpenAPI string                               `yaml:"openapi"`
		Paths   map[string]map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	routed := map[string]bool{}
	for _, r := range s.Router().Routes() {
		if !strings.HasPrefix(r.Path, "/api/") && r.Path != "/healthz" && r.Path != "/livez" {
			continue // web pages and their static files (package httpkit) are HTML, not part of the JSON API
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		op := strings.ToLower(r.Method) + " " + p
		routed[op] = true
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s is not in openapi.yaml", op)
		}
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m, op := range ops {
			documented = append(documented, m+" "+p)
			if !routed[m+" "+p] {
				t.Errorf("openapi.yaml documents %s %s, which the router does not serve", m, p)
			}
			if _, ok := op["responses"]; !ok {
				t.Errorf("%s %s has no responses", m, p)
			}
		}
	}
	sort.Strings(documented)
	if len(documented) == 0 {
		t.Fatal("openapi.yaml documents nothing")
	}
}
