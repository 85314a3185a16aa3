package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"gopkg.in/yaml.v3"

	"yoyaku/api"
	"yoyaku/config"
	"yoyaku/seed"
	"yoyaku/temporalx"
	"yoyaku/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// newServer builds the API over a fresh seeded database and this binary's Temporal dev server.
func newServer(t *testing.T, db *sqlx.DB) (*api.Server, http.Handler) {
	t.Helper()
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := temporalx.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	s := &api.Server{DB: db, Temporal: testenv.Temporal(t), Cfg: cfg, Log: slog.New(slog.DiscardHandler), Metrics: metrics}
	return s, s.Router()
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
			var body api.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not the error envelope: %v", w.Body, err)
			}
			if w.Code != tc.status || body.Error.Code != api.Code(tc.code) || body.Error.Message != tc.message {
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

func TestMetrics(t *testing.T) {
	_, h := newServer(t, testenv.DB(t))
	do(t, h, "GET", "/healthz", nil, nil)
	w := do(t, h, "GET", "/metrics", nil, nil)
	for _, want := range []string{`yoyaku_http_requests_total{method="GET",route="/healthz",status="200"} 1`, "go_goroutines"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
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
		if !strings.HasPrefix(r.Path, "/api/") && r.Path != "/healthz" && r.Path != "/metrics" {
			continue // web pages and their static files (web.go) are HTML, not part of the JSON API
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
