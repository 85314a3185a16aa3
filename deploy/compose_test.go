package deploy_test

import (
	"bufio"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"yoyaku/config"
	"yoyaku/contract"
	"yoyaku/deploy"
)

// The container side of the services yoyaku talks to.
const (
	postgresPort = "5432"
	temporalPort = "7233"
	smtpPort     = "1025"
	binaryPath   = "/usr/local/bin/yoyaku" // the Dockerfile's ENTRYPOINT
)

// yoyakuServices run the yoyaku image and are configured only through config.Vars: the one-shot migrate, and
// the replicas of the production topology (issue 17): two API replicas behind nginx and two workers.
var (
	apiReplicas    = []string{"api-1", "api-2"}
	workerReplicas = []string{"worker-1", "worker-2"}
	yoyakuServices = append(append([]string{"migrate"}, apiReplicas...), workerReplicas...)
)

// requiredHostEnv are the variables compose requires from the host (${VAR:?message}), set here as a host would.
var requiredHostEnv = map[string]string{"YOYAKU_SESSION_KEY": strings.Repeat("ab", 32)}

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string `yaml:"image"`
	Build       any    `yaml:"build"`       // "." or {context, dockerfile}
	Entrypoint  any    `yaml:"entrypoint"`  // string or list
	Command     any    `yaml:"command"`     // string or list
	Environment any    `yaml:"environment"` // map or list of NAME=value
	Ports       []any  `yaml:"ports"`       // "[ip:]host:container" or {target, published}
	DependsOn   any    `yaml:"depends_on"`  // list or {name: {condition}}
	Volumes     []any  `yaml:"volumes"`
	Healthcheck *struct {
		Test any `yaml:"test"`
	} `yaml:"healthcheck"`
}

// root is the repository root: the test runs in deploy/.
const root = ".."

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

func svc(t *testing.T, c composeFile, name string) service {
	t.Helper()
	s, ok := c.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no %q service", name)
	}
	return s
}

// interpolate does what Compose does to a value when the host environment holds only requiredHostEnv:
// ${VAR:-default} and ${VAR-default} give the default, ${VAR:?message} the required value, ${VAR} and $VAR
// give "", and $$ is a literal $.
func interpolate(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		rest := s[i+1:]
		switch {
		case strings.HasPrefix(rest, "$"):
			b.WriteByte('$')
			i++
		case strings.HasPrefix(rest, "{"):
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q", s)
			}
			expr := rest[1:end]
			if name, _, ok := strings.Cut(expr, ":?"); ok {
				v, known := requiredHostEnv[name]
				if !known {
					return "", fmt.Errorf("${%s} is required of the host, and not in requiredHostEnv", expr)
				}
				b.WriteString(v)
			} else if k := strings.Index(expr, ":-"); k >= 0 {
				b.WriteString(expr[k+2:])
			} else if k := strings.Index(expr, "-"); k >= 0 {
				b.WriteString(expr[k+1:])
			} else if strings.ContainsAny(expr, ":?+") {
				return "", fmt.Errorf("unsupported interpolation ${%s} in %q", expr, s)
			}
			i += end + 1
		default:
			m := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`).FindString(rest)
			if m == "" {
				return "", fmt.Errorf("lone $ in %q: write $$ for a literal $", s)
			}
			i += len(m)
		}
	}
	return b.String(), nil
}

// env is a service's environment after interpolation.
func env(t *testing.T, name string, s service) map[string]string {
	t.Helper()
	out := map[string]string{}
	set := func(k string, v any) {
		str := ""
		if v != nil {
			str = fmt.Sprint(v)
		}
		got, err := interpolate(str)
		if err != nil {
			t.Fatalf("%s: environment %s: %v", name, k, err)
		}
		out[k] = got
	}
	switch e := s.Environment.(type) {
	case nil:
	case map[string]any:
		for k, v := range e {
			set(k, v)
		}
	case []any:
		for _, item := range e {
			k, v, _ := strings.Cut(fmt.Sprint(item), "=")
			set(k, v)
		}
	default:
		t.Fatalf("%s: environment has an unexpected form %T", name, e)
	}
	return out
}

// words turns a command or entrypoint (string or list) into its arguments as the container gets them. A
// command must not use Compose variables: a shell variable is written $$VAR.
func words(t *testing.T, name string, v any) []string {
	t.Helper()
	var raw []string
	switch c := v.(type) {
	case nil:
		return nil
	case string:
		raw = strings.Fields(c)
	case []any:
		for _, w := range c {
			raw = append(raw, fmt.Sprint(w))
		}
	default:
		t.Fatalf("%s: unexpected command form %T", name, v)
	}
	out := make([]string, len(raw))
	for i, w := range raw {
		got, err := interpolate(w)
		if err != nil || got != strings.ReplaceAll(w, "$$", "$") {
			t.Fatalf("%s: command word %q uses a Compose variable (write $$ for the shell's $): %v", name, w, err)
		}
		out[i] = got
	}
	return out
}

type portMapping struct{ host, container string }

func ports(t *testing.T, name string, s service) []portMapping {
	t.Helper()
	var out []portMapping
	for _, p := range s.Ports {
		switch p := p.(type) {
		case string:
			spec, _, _ := strings.Cut(p, "/") // drop /tcp
			parts := strings.Split(spec, ":")
			if len(parts) < 2 {
				t.Fatalf("%s: port %q does not publish a host port", name, p)
			}
			out = append(out, portMapping{host: parts[len(parts)-2], container: parts[len(parts)-1]})
		case map[string]any:
			out = append(out, portMapping{host: fmt.Sprint(p["published"]), container: fmt.Sprint(p["target"])})
		default:
			t.Fatalf("%s: unexpected port form %T", name, p)
		}
	}
	return out
}

// hostPort is the host port published for a container port ("" when it is not published).
func hostPort(t *testing.T, name string, s service, container string) string {
	t.Helper()
	for _, p := range ports(t, name, s) {
		if p.container == container {
			return p.host
		}
	}
	return ""
}

func dependsOn(t *testing.T, name string, s service) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch d := s.DependsOn.(type) {
	case nil:
	case []any:
		for _, n := range d {
			out[fmt.Sprint(n)] = "service_started"
		}
	case map[string]any:
		for n, v := range d {
			cond := "service_started"
			if m, ok := v.(map[string]any); ok && m["condition"] != nil {
				cond = fmt.Sprint(m["condition"])
			}
			out[n] = cond
		}
	default:
		t.Fatalf("%s: unexpected depends_on form %T", name, d)
	}
	return out
}

func splitHostPort(t *testing.T, what, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s: %q is not host:port: %v", what, addr, err)
	}
	return h, p
}

func loadConfig(t *testing.T, name string, s service) config.Config {
	t.Helper()
	e := env(t, name, s)
	cfg, err := config.LoadFrom(func(k string) string { return e[k] })
	if err != nil {
		t.Fatalf("%s: config.LoadFrom over its compose environment: %v", name, err)
	}
	return cfg
}

func TestServicesExist(t *testing.T) {
	c := loadCompose(t)
	for _, name := range append([]string{"postgres", "temporal-schema", "temporal", "temporal-setup", "temporal-ui", "mailpit", "migrate", "nginx"}, yoyakuServices...) {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("docker-compose.yml has no %q service", name)
		}
	}
}

func TestImagesArePinned(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		if s.Build != nil {
			continue
		}
		_, tag, ok := strings.Cut(s.Image, ":")
		if s.Image == "" || !ok || tag == "" || tag == "latest" {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
	}
}

func TestYoyakuServicesBuildFromDockerfile(t *testing.T) {
	c := loadCompose(t)
	for _, name := range yoyakuServices {
		t.Run(name, func(t *testing.T) {
			s := svc(t, c, name)
			context, dockerfile := "", "Dockerfile"
			switch b := s.Build.(type) {
			case string:
				context = b
			case map[string]any:
				context = fmt.Sprint(b["context"])
				if d, ok := b["dockerfile"]; ok {
					dockerfile = fmt.Sprint(d)
				}
			default:
				t.Fatalf("build is %v, want the repository's Dockerfile (build: .)", s.Build)
			}
			if got := filepath.Clean(filepath.Join(context, dockerfile)); got != "Dockerfile" {
				t.Errorf("builds %s, want the Dockerfile at the repository root", got)
			}
		})
	}
}

func TestYoyakuServicesRunTheirSubcommand(t *testing.T) {
	c := loadCompose(t)
	for _, tc := range []struct{ service, subcommand string }{{"api-1", "api"}, {"api-2", "api"}, {"worker-1", "worker"}, {"worker-2", "worker"}} {
		t.Run(tc.service, func(t *testing.T) {
			s := svc(t, c, tc.service)
			if s.Entrypoint != nil {
				t.Errorf("entrypoint = %v, want the image's (%s)", s.Entrypoint, binaryPath)
			}
			if got := words(t, tc.service, s.Command); !slices.Equal(got, []string{tc.subcommand}) {
				t.Errorf("command = %q, want [%q]", got, tc.subcommand)
			}
		})
	}
	t.Run("migrate", func(t *testing.T) {
		s := svc(t, c, "migrate")
		entry := words(t, "migrate", s.Entrypoint)
		if len(entry) == 0 || entry[0] != "/bin/sh" {
			t.Fatalf("entrypoint = %q, want a /bin/sh script running migrate then seed", entry)
		}
		script := strings.Join(words(t, "migrate", s.Command), " ")
		runMigrate := strings.Index(script, binaryPath+" migrate")
		runSeed := strings.Index(script, binaryPath+" seed")
		stopsOnFailure := strings.Contains(script, binaryPath+" migrate &&") || slices.Contains(entry, "-ec")
		if runMigrate < 0 || runSeed < runMigrate || !stopsOnFailure {
			t.Errorf("migrate runs %q %q; want `%s migrate`, then, only if it succeeded, `%s seed`", entry, script, binaryPath, binaryPath)
		}
	})
}

func TestYoyakuEnvironmentIsConfigVars(t *testing.T) {
	c := loadCompose(t)
	for _, name := range yoyakuServices {
		t.Run(name, func(t *testing.T) {
			e := env(t, name, svc(t, c, name))
			if len(e) == 0 {
				t.Fatal("no environment")
			}
			for k := range e {
				if !strings.HasPrefix(k, "YOYAKU_") {
					t.Errorf("%s is not a YOYAKU_ variable: yoyaku is configured only through config.Vars", k)
				} else if !config.Known(k) {
					t.Errorf("%s is not in config.Vars", k)
				}
			}
			loadConfig(t, name, svc(t, c, name))
		})
	}
}

func TestListenAddressesMatchPublishedPorts(t *testing.T) {
	c := loadCompose(t)
	for _, tc := range []struct {
		service, variable, hostPort string // hostPort "": not published (the API replicas are reached through nginx)
		addr                        func(config.Config) string
		probed                      bool // the service's healthcheck asks this port
	}{
		{"api-1", "YOYAKU_HTTP_ADDR", "", func(c config.Config) string { return c.HTTPAddr }, true},
		{"api-2", "YOYAKU_HTTP_ADDR", "", func(c config.Config) string { return c.HTTPAddr }, true},
		{"api-1", "YOYAKU_METRICS_ADDR", "9091", func(c config.Config) string { return c.MetricsAddr }, false},
		{"api-2", "YOYAKU_METRICS_ADDR", "9093", func(c config.Config) string { return c.MetricsAddr }, false},
		{"worker-1", "YOYAKU_WORKER_METRICS_ADDR", "9090", func(c config.Config) string { return c.WorkerMetricsAddr }, true},
		{"worker-2", "YOYAKU_WORKER_METRICS_ADDR", "9092", func(c config.Config) string { return c.WorkerMetricsAddr }, true},
	} {
		t.Run(tc.service+"/"+tc.variable, func(t *testing.T) {
			s := svc(t, c, tc.service)
			if _, ok := env(t, tc.service, s)[tc.variable]; !ok {
				t.Errorf("%s is not set: the default listens on loopback, unreachable from outside the container", tc.variable)
			}
			host, port := splitHostPort(t, tc.variable, tc.addr(loadConfig(t, tc.service, s)))
			if host != "0.0.0.0" && host != "" {
				t.Errorf("%s listens on %q: another container or a published port reaches only 0.0.0.0 inside it", tc.variable, host)
			}
			if got := hostPort(t, tc.service, s, port); got != tc.hostPort {
				t.Errorf("container port %s (from %s) is published on host port %q, want %s", port, tc.variable, got, tc.hostPort)
			}
			if s.Healthcheck != nil && tc.probed {
				test := strings.Join(words(t, tc.service, s.Healthcheck.Test), " ")
				if !strings.Contains(test, "/"+port) && !strings.Contains(test, ":"+port) {
					t.Errorf("healthcheck %q does not probe port %s", test, port)
				}
			}
		})
	}
}

// TestAPIMetricsApartFromThePatronPort: the API's metrics listen on a port of their own, published on the
// host's loopback only, never the patron port.
func TestAPIMetricsApartFromThePatronPort(t *testing.T) {
	c := loadCompose(t)
	for _, name := range apiReplicas {
		t.Run(name, func(t *testing.T) { apiMetricsApart(t, c, name) })
	}
}

func apiMetricsApart(t *testing.T, c composeFile, name string) {
	s := svc(t, c, name)
	cfg := loadConfig(t, name, s)
	_, httpPort := splitHostPort(t, "YOYAKU_HTTP_ADDR", cfg.HTTPAddr)
	_, metricsPort := splitHostPort(t, "YOYAKU_METRICS_ADDR", cfg.MetricsAddr)
	if httpPort == metricsPort {
		t.Fatalf("YOYAKU_METRICS_ADDR %s shares the patron port %s", cfg.MetricsAddr, httpPort)
	}
	for _, p := range s.Ports {
		spec, ok := p.(string)
		if !ok {
			t.Fatalf("%s: port %v: want the \"ip:host:container\" form", name, p)
		}
		if strings.HasSuffix(spec, ":"+metricsPort) && !strings.HasPrefix(spec, "127.0.0.1:") {
			t.Errorf("%s publishes its metrics as %q: only on the host's loopback (127.0.0.1:...)", name, spec)
		}
		if strings.HasSuffix(spec, ":"+httpPort) {
			t.Errorf("%s publishes its patron port as %q: patrons reach the replicas through nginx", name, spec)
		}
	}
}

// TestDemoDataOnlyWhenAsked: `docker compose up` loads no demo data (the demo accounts have published
// passwords); the seed step loads it only when the host sets YOYAKU_DEMO=1, which reaches the migrate service
// and no other.
func TestDemoDataOnlyWhenAsked(t *testing.T) {
	c := loadCompose(t)
	for _, name := range yoyakuServices {
		if loadConfig(t, name, svc(t, c, name)).Demo {
			t.Errorf("%s: YOYAKU_DEMO is on by default: a plain `docker compose up` would load the demo accounts", name)
		}
	}
	m := svc(t, c, "migrate")
	raw, ok := m.Environment.(map[string]any)
	if !ok {
		t.Fatalf("migrate: environment is %T, want a map", m.Environment)
	}
	if v := fmt.Sprint(raw["YOYAKU_DEMO"]); !regexp.MustCompile(`^\$\{YOYAKU_DEMO(:?-(0|false)?)?\}$`).MatchString(v) {
		t.Errorf("migrate: YOYAKU_DEMO is %q, want the host's ${YOYAKU_DEMO:-0} (off unless the host sets it)", v)
	}
	for _, name := range append(slices.Clone(apiReplicas), workerReplicas...) {
		if _, set := env(t, name, svc(t, c, name))["YOYAKU_DEMO"]; set {
			t.Errorf("%s sets YOYAKU_DEMO: only the seed step (migrate) reads it", name)
		}
	}
	script := strings.Join(append(words(t, "migrate", m.Entrypoint), words(t, "migrate", m.Command)...), " ")
	if strings.Contains(script, "YOYAKU_DEMO") || strings.Contains(script, "--titles") {
		t.Errorf("migrate's command %q decides about demo data itself: leave it to YOYAKU_DEMO", script)
	}
}

func TestDatabaseURLPointsAtPostgres(t *testing.T) {
	c := loadCompose(t)
	pg := svc(t, c, "postgres")
	pgEnv := env(t, "postgres", pg)
	if !strings.HasPrefix(pg.Image, "postgres:15") {
		t.Errorf("postgres image %q, want postgres:15", pg.Image)
	}
	if got := hostPort(t, "postgres", pg, postgresPort); got != "15432" {
		t.Errorf("postgres is published on host port %q, want 15432 (api/README.md)", got)
	}
	args := strings.Fields(pgEnv["POSTGRES_INITDB_ARGS"])
	if !slices.Contains(args, "--locale=C.UTF-8") || !slices.Contains(args, "UTF8") {
		t.Errorf("POSTGRES_INITDB_ARGS = %q, want --locale=C.UTF-8 -E UTF8 (pg_trgm on Japanese)", pgEnv["POSTGRES_INITDB_ARGS"])
	}
	if pg.Healthcheck == nil {
		t.Error("postgres has no healthcheck: nothing can wait for service_healthy")
	}
	if !slices.ContainsFunc(pg.Volumes, func(v any) bool { return strings.HasSuffix(fmt.Sprint(v), ":/var/lib/postgresql/data") }) {
		t.Error("postgres keeps its data outside a volume")
	}
	for _, name := range yoyakuServices {
		t.Run(name, func(t *testing.T) {
			u, err := url.Parse(loadConfig(t, name, svc(t, c, name)).DatabaseURL)
			if err != nil {
				t.Fatalf("YOYAKU_DATABASE_URL: %v", err)
			}
			pass, _ := u.User.Password()
			for _, f := range []struct{ what, got, want string }{
				{"host", u.Hostname(), "postgres"},
				{"port", u.Port(), postgresPort},
				{"database", strings.TrimPrefix(u.Path, "/"), pgEnv["POSTGRES_DB"]},
				{"user", u.User.Username(), pgEnv["POSTGRES_USER"]},
				{"password", pass, pgEnv["POSTGRES_PASSWORD"]},
			} {
				if f.got != f.want || f.want == "" {
					t.Errorf("YOYAKU_DATABASE_URL %s = %q, want %q (the postgres service)", f.what, f.got, f.want)
				}
			}
			if got := dependsOn(t, name, svc(t, c, name)); name == "migrate" && got["postgres"] != "service_healthy" {
				t.Errorf("migrate depends on postgres with %q, want service_healthy", got["postgres"])
			}
		})
	}
}

func TestTemporal(t *testing.T) {
	c := loadCompose(t)
	tmp := svc(t, c, "temporal")
	tEnv := env(t, "temporal", tmp)
	// The image is the server the Makefile builds for `make cluster`: one version on both sides.
	if want := "temporalio/server:" + strings.TrimPrefix(makefileVar(t, "TEMPORAL_SERVER_VERSION"), "v"); tmp.Image != want {
		t.Errorf("temporal image %q, want %s (the Makefile's TEMPORAL_SERVER_VERSION)", tmp.Image, want)
	}
	for k, want := range map[string]string{"TEMPORAL_DB_HOST": "postgres", "TEMPORAL_DB_PORT": postgresPort, "TEMPORAL_BIND_IP": "0.0.0.0"} {
		if tEnv[k] != want {
			t.Errorf("temporal %s = %q, want %q", k, tEnv[k], want)
		}
	}
	if got := dependsOn(t, "temporal", tmp)["temporal-schema"]; got != "service_completed_successfully" {
		t.Errorf("temporal depends on temporal-schema with %q, want service_completed_successfully", got)
	}
	if got := hostPort(t, "temporal", tmp, temporalPort); got != temporalPort {
		t.Errorf("temporal port %s is published on host port %q, want %s", temporalPort, got, temporalPort)
	}
	// It runs deploy/temporal/server.yaml: the config directory and environment name of its command are the
	// mounted file's.
	cmd := strings.Join(append(words(t, "temporal", tmp.Entrypoint), words(t, "temporal", tmp.Command)...), " ")
	mounted := mountTarget(t, tmp, "./"+filepath.ToSlash(filepath.Join("deploy", deploy.TemporalConfig)))
	if mounted == "" {
		t.Fatalf("temporal does not mount deploy/%s", deploy.TemporalConfig)
	}
	dir, file := filepath.Split(mounted)
	wantArgs := "--config " + strings.TrimSuffix(dir, "/") + " --env " + strings.TrimSuffix(file, ".yaml")
	if !strings.Contains(cmd, "temporal-server") || !strings.Contains(cmd, wantArgs) || !strings.Contains(cmd, " start") {
		t.Errorf("temporal runs %q, want temporal-server with %q ... start", cmd, wantArgs)
	}
	if !strings.Contains(cmd, "TEMPORAL_BROADCAST_ADDRESS=") {
		t.Errorf("temporal runs %q: bound to 0.0.0.0, it must give its services the container's address (TEMPORAL_BROADCAST_ADDRESS)", cmd)
	}

	// Temporal's role and databases come from the init script postgres runs; the schema job and the server
	// use them.
	pg := svc(t, c, "postgres")
	const initDir = "/docker-entrypoint-initdb.d/"
	var initSQL []byte
	for _, v := range pg.Volumes {
		src, dst, _ := strings.Cut(fmt.Sprint(v), ":")
		if strings.HasPrefix(dst, initDir) {
			b, err := os.ReadFile(filepath.Join(root, src))
			if err != nil {
				t.Fatalf("postgres init script: %v", err)
			}
			initSQL = append(initSQL, b...)
		}
	}
	for _, name := range []string{"temporal", "temporal-schema"} {
		e := env(t, name, svc(t, c, name))
		user, pwd := regexp.QuoteMeta(e["TEMPORAL_DB_USER"]), regexp.QuoteMeta(e["TEMPORAL_DB_PASSWORD"])
		if user == "" || !regexp.MustCompile(`(?i)CREATE ROLE `+user+` WITH LOGIN PASSWORD '`+pwd+`'`).Match(initSQL) {
			t.Errorf("%s: no postgres init script creates role %q with password %q", name, e["TEMPORAL_DB_USER"], e["TEMPORAL_DB_PASSWORD"])
		}
		for _, db := range []string{"temporal", "temporal_visibility"} { // server.yaml's and schema.sh's defaults
			if !regexp.MustCompile(`(?i)CREATE DATABASE ` + db + ` OWNER ` + user + `;`).Match(initSQL) {
				t.Errorf("no postgres init script creates database %q owned by %q", db, e["TEMPORAL_DB_USER"])
			}
		}
		if e["TEMPORAL_DB_HOST"] != "postgres" || e["TEMPORAL_DB_PORT"] != postgresPort {
			t.Errorf("%s reaches PostgreSQL at %s:%s, want postgres:%s", name, e["TEMPORAL_DB_HOST"], e["TEMPORAL_DB_PORT"], postgresPort)
		}
	}

	ns := env(t, "temporal-setup", svc(t, c, "temporal-setup"))["TEMPORAL_NAMESPACE"]
	for _, name := range yoyakuServices {
		t.Run(name, func(t *testing.T) {
			cfg := loadConfig(t, name, svc(t, c, name))
			host, port := splitHostPort(t, "YOYAKU_TEMPORAL_ADDRESS", cfg.TemporalAddress)
			if host != "temporal" || port != temporalPort {
				t.Errorf("YOYAKU_TEMPORAL_ADDRESS = %q, want temporal:%s", cfg.TemporalAddress, temporalPort)
			}
			if cfg.TemporalNamespace != ns {
				t.Errorf("namespace %q, but temporal-setup creates %q", cfg.TemporalNamespace, ns)
			}
		})
	}

	t.Run("ui", func(t *testing.T) {
		ui := svc(t, c, "temporal-ui")
		if !strings.HasPrefix(ui.Image, "temporalio/ui:") {
			t.Errorf("temporal-ui image %q", ui.Image)
		}
		if got := env(t, "temporal-ui", ui)["TEMPORAL_ADDRESS"]; got != "temporal:"+temporalPort {
			t.Errorf("temporal-ui TEMPORAL_ADDRESS = %q, want temporal:%s", got, temporalPort)
		}
		if got := hostPort(t, "temporal-ui", ui, "8080"); got != "8233" {
			t.Errorf("temporal-ui port 8080 is published on host port %q, want 8233 (api/README.md)", got)
		}
	})
}

func TestSearchAttributesAreRegistered(t *testing.T) {
	c := loadCompose(t)
	s := svc(t, c, "temporal-setup")
	e := env(t, "temporal-setup", s)
	if !strings.HasPrefix(s.Image, "temporalio/admin-tools:") {
		t.Errorf("temporal-setup image %q, want temporalio/admin-tools", s.Image)
	}
	got := strings.Fields(e["SEARCH_ATTRIBUTES"])
	var want []string
	for _, name := range contract.SearchAttributeNames() {
		if typ := contract.SearchAttributeType(name); typ != "Keyword" {
			name += "=" + typ
		}
		want = append(want, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("temporal-setup registers %q, the workflows use %q (contract.SearchAttributeNames and their types)", got, want)
	}
	if e["TEMPORAL_ADDRESS"] != "temporal:"+temporalPort {
		t.Errorf("temporal-setup TEMPORAL_ADDRESS = %q, want temporal:%s", e["TEMPORAL_ADDRESS"], temporalPort)
	}
	cfg := loadConfig(t, "worker-1", svc(t, c, "worker-1"))
	if e["TEMPORAL_NAMESPACE"] != cfg.TemporalNamespace {
		t.Errorf("temporal-setup registers on namespace %q, the worker uses %q", e["TEMPORAL_NAMESPACE"], cfg.TemporalNamespace)
	}

	if out, err := exec.Command("sh", "-n", setupScript(t, c)).CombinedOutput(); err != nil {
		t.Errorf("sh -n %s: %v\n%s", setupScript(t, c), err, out)
	}

	for _, name := range append(slices.Clone(apiReplicas), workerReplicas...) {
		if got := dependsOn(t, name, svc(t, c, name))["temporal-setup"]; got != "service_completed_successfully" {
			t.Errorf("%s depends on temporal-setup with %q, want service_completed_successfully", name, got)
		}
	}
}

// setupScript is the file temporal-setup runs: its entrypoint is /bin/sh and a script mounted from the repository.
func setupScript(t *testing.T, c composeFile) string {
	t.Helper()
	s := svc(t, c, "temporal-setup")
	entry := words(t, "temporal-setup", s.Entrypoint)
	if len(entry) != 2 || entry[0] != "/bin/sh" {
		t.Fatalf("temporal-setup entrypoint = %q, want [/bin/sh <mounted script>]", entry)
	}
	for _, v := range s.Volumes {
		parts := strings.Split(fmt.Sprint(v), ":")
		if len(parts) >= 2 && parts[1] == entry[1] {
			return filepath.Join(root, parts[0])
		}
	}
	t.Fatalf("temporal-setup runs %s, which no volume mounts", entry[1])
	return ""
}

// fakeTemporal stands in for the temporal CLI of the admin-tools image: it keeps the namespace's search
// attributes in $FAKE_DIR/state ("name type" lines) and the namespace's existence in $FAKE_DIR/namespace,
// insists on the expected address and namespace, fails the first $FAIL_HEALTH health checks, $FAIL_DESCRIBE
// namespace descriptions and $FAIL_CREATE creations, refuses to describe a namespace not created and to
// create one twice, and refuses to create an attribute again (with another type, as the CLI does; with the
// same type, as a strict server would).
const fakeTemporal = `#!/bin/sh
state=$FAKE_DIR/state
count() {
  n=$(cat "$FAKE_DIR/$1" 2>/dev/null || echo 0)
  n=$((n + 1))
  echo "$n" >"$FAKE_DIR/$1"
  echo "$n"
}
sub="$1 $2 $3"
shift 3
name= type= ns= addr= pos=
while [ $# -gt 0 ]; do
  case $1 in
    --name) name=$2; shift ;;
    --type) type=$2; shift ;;
    --namespace | -n) ns=$2; shift ;;
    --address) addr=$2; shift ;;
    *) pos=$1 ;;
  esac
  shift
done
[ "$addr" = "$WANT_ADDRESS" ] || { echo "fake temporal: address $addr" >&2; exit 3; }
case $sub in
  "operator cluster health")
    [ "$(count health)" -gt "${FAIL_HEALTH:-0}" ] || { echo "Error: dial tcp: connection refused" >&2; exit 1; }
    echo "temporal.api.workflowservice.v1.WorkflowService: SERVING" ;;
  "operator namespace create")
    [ "$ns" = "$WANT_NAMESPACE" ] || { echo "fake temporal: namespace $ns" >&2; exit 3; }
    [ ! -e "$FAKE_DIR/namespace" ] || { echo "Error: Namespace already exists." >&2; exit 1; }
    count namespace-created >/dev/null
    touch "$FAKE_DIR/namespace" ;;
  "operator namespace describe")
    [ "$pos$ns" = "$WANT_NAMESPACE" ] || { echo "fake temporal: namespace $pos$ns" >&2; exit 3; }
    [ -e "$FAKE_DIR/namespace" ] || { echo "Namespace $pos is not found" >&2; exit 1; }
    [ "$(count describe)" -gt "${FAIL_DESCRIBE:-0}" ] || { echo "Namespace $pos not found" >&2; exit 1; }
    echo "NamespaceInfo.Name $pos" ;;
  "operator search-attribute list")
    [ "$ns" = "$WANT_NAMESPACE" ] || { echo "fake temporal: namespace $ns" >&2; exit 3; }
    echo "  Name  Type"
    cat "$state" ;;
  "operator search-attribute create")
    [ "$ns" = "$WANT_NAMESPACE" ] || { echo "fake temporal: namespace $ns" >&2; exit 3; }
    [ "$(count create)" -gt "${FAIL_CREATE:-0}" ] || { echo "Error: dial tcp: connection refused" >&2; exit 1; }
    existing=
    while read -r n t; do [ "$n" = "$name" ] && existing=$t; done <"$state"
    if [ -n "$existing" ] && [ "$existing" != "$type" ]; then
      echo "Error: search attribute $name already exists and has different type $existing" >&2; exit 1
    fi
    if [ -n "$existing" ]; then
      echo "Error: unable to add search attributes: Search attribute $name already exists." >&2; exit 1
    fi
    echo "$name $type" >>"$state"
    echo "Search attributes have been added" ;;
  *) echo "fake temporal: unexpected command $sub" >&2; exit 3 ;;
esac
`

// TestTemporalSetupScript runs the registration script against a fake temporal CLI (and a sleep that does not
// wait), with temporal-setup's own environment.
func TestTemporalSetupScript(t *testing.T) {
	c := loadCompose(t)
	script := setupScript(t, c)
	e := env(t, "temporal-setup", svc(t, c, "temporal-setup"))
	var names []string
	registered := "" // every attribute registered with its type
	for _, entry := range strings.Fields(e["SEARCH_ATTRIBUTES"]) {
		name, typ, ok := strings.Cut(entry, "=")
		if !ok {
			typ = "Keyword"
		}
		names = append(names, name)
		registered += name + " " + typ + "\n"
	}
	for _, tc := range []struct {
		name, state                          string
		noNamespace                          bool // the server has no such namespace yet: the script creates it
		failHealth, failDescribe, failCreate int
		wantErr                              string // in the output of a run that must fail; "" when it must succeed
	}{
		{name: "fresh namespace"},
		{name: "no namespace yet", noNamespace: true},
		{name: "server not up at first", noNamespace: true, failHealth: 4},
		{name: "server never up", failHealth: 1000, wantErr: "does not answer"},
		{name: "run again", state: registered},
		{name: "some already there", state: names[0] + " Keyword\n"},
		{name: "namespace not ready at first", failDescribe: 5},
		{name: "transient create errors", failCreate: 2},
		{name: "namespace never ready", failDescribe: 1000, wantErr: "is not ready"},
		{name: "create keeps failing", failCreate: 1000, wantErr: "connection refused"},
		{name: "attribute of another type", state: names[0] + " Text\n", wantErr: "different type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for file, body := range map[string]string{"temporal": fakeTemporal, "sleep": "#!/bin/sh\nexit 0\n"} {
				if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "state"), []byte(tc.state), 0o644); err != nil {
				t.Fatal(err)
			}
			if !tc.noNamespace {
				if err := os.WriteFile(filepath.Join(dir, "namespace"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("sh", script)
			cmd.Env = []string{
				"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"),
				"FAKE_DIR=" + dir,
				"WANT_ADDRESS=temporal:" + temporalPort,
				"WANT_NAMESPACE=" + loadConfig(t, "worker-1", svc(t, c, "worker-1")).TemporalNamespace,
				"FAIL_HEALTH=" + strconv.Itoa(tc.failHealth),
				"FAIL_DESCRIBE=" + strconv.Itoa(tc.failDescribe),
				"FAIL_CREATE=" + strconv.Itoa(tc.failCreate),
			}
			for k, v := range e {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(string(out), tc.wantErr) {
					t.Errorf("the script ended with %v, want a failure saying %q\n%s", err, tc.wantErr, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("the script failed: %v\n%s", err, out)
			}
			state, err := os.ReadFile(filepath.Join(dir, "state"))
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSpace(string(state)), "\n")
			want := strings.Split(strings.TrimSpace(registered), "\n")
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("registered %q, want %q\n%s", got, want, out)
			}
			created, _ := os.ReadFile(filepath.Join(dir, "namespace-created"))
			if wantCreated := map[bool]string{true: "1", false: ""}[tc.noNamespace]; strings.TrimSpace(string(created)) != wantCreated {
				t.Errorf("namespace created %q times, want %q\n%s", created, wantCreated, out)
			}
		})
	}
}

func TestSMTPPointsAtMailpit(t *testing.T) {
	c := loadCompose(t)
	mp := svc(t, c, "mailpit")
	if mp.Image != "axllent/mailpit:v1.27.11" {
		t.Errorf("mailpit image %q, want axllent/mailpit:v1.27.11", mp.Image)
	}
	for container, host := range map[string]string{smtpPort: "1025", "8025": "8025"} {
		if got := hostPort(t, "mailpit", mp, container); got != host {
			t.Errorf("mailpit port %s is published on host port %q, want %s", container, got, host)
		}
	}
	for _, name := range append(slices.Clone(apiReplicas), workerReplicas...) {
		cfg := loadConfig(t, name, svc(t, c, name))
		if cfg.SMTP.Host != "mailpit" || strconv.Itoa(cfg.SMTP.Port) != smtpPort {
			t.Errorf("%s sends mail to %s:%d, want mailpit:%s", name, cfg.SMTP.Host, cfg.SMTP.Port, smtpPort)
		}
	}
}

func TestDependencies(t *testing.T) {
	c := loadCompose(t)
	for _, tc := range []struct{ service, on, condition string }{
		{"api-1", "migrate", "service_completed_successfully"},
		{"api-2", "migrate", "service_completed_successfully"},
		{"worker-1", "migrate", "service_completed_successfully"},
		{"worker-2", "migrate", "service_completed_successfully"},
		{"api-1", "temporal", "service_started"},
		{"api-2", "temporal", "service_started"},
		{"worker-1", "temporal", "service_started"},
		{"worker-2", "temporal", "service_started"},
		{"nginx", "api-1", "service_started"},
		{"nginx", "api-2", "service_started"},
		{"temporal-schema", "postgres", "service_healthy"},
		{"temporal", "temporal-schema", "service_completed_successfully"},
		{"temporal-setup", "temporal", "service_started"},
		{"temporal-ui", "temporal", "service_started"},
	} {
		if got := dependsOn(t, tc.service, svc(t, c, tc.service))[tc.on]; got != tc.condition {
			t.Errorf("%s depends on %s with %q, want %s", tc.service, tc.on, got, tc.condition)
		}
	}
	for name, s := range c.Services {
		for on := range dependsOn(t, name, s) {
			if _, ok := c.Services[on]; !ok {
				t.Errorf("%s depends on %q, which is not a service", name, on)
			}
		}
	}
}

func TestHostPortsAndMountsAreSound(t *testing.T) {
	c := loadCompose(t)
	seen := map[string]string{}
	for name, s := range c.Services {
		for _, p := range ports(t, name, s) {
			if other, dup := seen[p.host]; dup {
				t.Errorf("host port %s is published by both %s and %s", p.host, other, name)
			}
			seen[p.host] = name
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(fmt.Sprint(v), ":")
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				if _, err := os.Stat(filepath.Join(root, src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s uses volume %q, which is not declared", name, src)
			}
		}
	}
}

func TestTemporalDynamicConfigParses(t *testing.T) {
	c := loadCompose(t)
	tmp := svc(t, c, "temporal")
	path := env(t, "temporal", tmp)["TEMPORAL_DYNAMIC_CONFIG"]
	for _, v := range tmp.Volumes {
		parts := strings.Split(fmt.Sprint(v), ":")
		if len(parts) < 2 || parts[1] != path {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, parts[0]))
		if err != nil {
			t.Fatal(err)
		}
		var dc map[string][]struct {
			Value       any            `yaml:"value"`
			Constraints map[string]any `yaml:"constraints"`
		}
		if err := yaml.Unmarshal(b, &dc); err != nil {
			t.Fatalf("%s: %v", parts[0], err)
		}
		if len(dc) == 0 {
			t.Errorf("%s is empty", parts[0])
		}
		return
	}
	t.Errorf("TEMPORAL_DYNAMIC_CONFIG %q is not mounted into the temporal service", path)
}

// dockerfile is the Dockerfile as instructions, continuation lines joined, comments dropped.
func dockerfile(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	var froms, builds, copies, users, entrypoints []string
	var runtimeEnv []string
	for _, ins := range dockerfile(t) {
		op, args, _ := strings.Cut(ins, " ")
		switch strings.ToUpper(op) {
		case "FROM":
			froms = append(froms, args)
		case "RUN":
			if strings.Contains(args, "go build") {
				builds = append(builds, args)
			}
			if len(froms) == 2 && !(strings.Contains(args, "ca-certificates") && strings.Contains(args, "tzdata")) &&
				strings.Contains(args, "apt-get install") {
				t.Errorf("runtime installs packages without ca-certificates and tzdata: %s", args)
			}
		case "COPY":
			copies = append(copies, args)
		case "USER":
			users = append(users, args)
		case "ENTRYPOINT":
			entrypoints = append(entrypoints, args)
		case "ENV":
			if len(froms) == 2 {
				runtimeEnv = append(runtimeEnv, strings.Fields(args)...)
			}
		}
	}
	if len(froms) != 2 || !strings.HasPrefix(froms[0], "golang:1.26-bookworm ") || froms[1] != "debian:bookworm-slim" {
		t.Errorf("FROM %q, want a golang:1.26-bookworm builder and a debian:bookworm-slim runtime", froms)
	}
	if len(builds) != 1 || !regexp.MustCompile(`go build -trimpath -o /out/yoyaku \./cmd/yoyaku$`).MatchString(builds[0]) {
		t.Errorf("go build steps %q, want one `go build -trimpath -o /out/yoyaku ./cmd/yoyaku`", builds)
	}
	if !slices.ContainsFunc(copies, func(c string) bool {
		return strings.HasPrefix(c, "--from=") && strings.HasSuffix(c, " /out/yoyaku "+binaryPath)
	}) {
		t.Errorf("no COPY puts /out/yoyaku at %s", binaryPath)
	}
	if len(users) == 0 || slices.Contains([]string{"root", "0", "0:0", "root:root"}, users[len(users)-1]) {
		t.Errorf("USER %q: the runtime must not run as root", users)
	}
	if len(entrypoints) != 1 || entrypoints[0] != `["`+binaryPath+`"]` {
		t.Errorf("ENTRYPOINT %v, want [%q]", entrypoints, binaryPath)
	}
	for _, kv := range runtimeEnv {
		if k, _, _ := strings.Cut(kv, "="); !config.Known(k) {
			t.Errorf("the runtime image sets %s, which is not in config.Vars", k)
		}
	}
	mainGo, err := os.ReadFile(filepath.Join(root, "cmd", "yoyaku", "main.go"))
	if err != nil || !strings.Contains(string(mainGo), "package main") {
		t.Errorf("./cmd/yoyaku, which the Dockerfile builds, has no main package (cmd/yoyaku/main.go): %v", err)
	}
}

func TestDockerignoreKeepsWhatTheBuildNeeds(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		p := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "/"), "/")
		switch p {
		case "go.mod", "go.sum", "cmd", "migrations", "seed", "seed/data", "*.go", "**/*.go", "*", "**":
			t.Errorf(".dockerignore excludes %q, which the build needs", p)
		}
	}
}

// makefileVar is the value of a `NAME := value` line of the Makefile.
func makefileVar(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s*:=\s*(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("the Makefile sets no %s", name)
	}
	return string(m[1])
}

// mountTarget is where service s mounts the repository file src ("./deploy/..."), "" when it does not; a
// shared file must be mounted read-only.
func mountTarget(t *testing.T, s service, src string) string {
	t.Helper()
	for _, v := range s.Volumes {
		parts := strings.Split(fmt.Sprint(v), ":")
		if len(parts) >= 2 && filepath.Clean(parts[0]) == filepath.Clean(src) {
			if len(parts) < 3 || parts[2] != "ro" {
				t.Errorf("%s is mounted writable at %s: mount it :ro", src, parts[1])
			}
			return parts[1]
		}
	}
	return ""
}

// TestSharedFilesAreMounted is issue 17's drift check from the compose side: every file `yoyaku dev
// --cluster` runs with (deploy.Files, embedded from this directory) is mounted by some service, and every
// file compose mounts from deploy/ is one of them; cmd/yoyaku's TestClusterTopology checks the other side.
func TestSharedFilesAreMounted(t *testing.T) {
	c := loadCompose(t)
	mountedBy := map[string]string{}
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(fmt.Sprint(v), ":")
			if rel, ok := strings.CutPrefix(filepath.ToSlash(filepath.Clean(src)), "deploy/"); ok {
				mountedBy[rel] = name
				if _, err := fs.Stat(deploy.Files, rel); err != nil {
					t.Errorf("%s mounts deploy/%s, which `yoyaku dev --cluster` does not use (not in deploy.Files)", name, rel)
				}
			}
		}
	}
	err := fs.WalkDir(deploy.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if mountedBy[path] == "" {
			t.Errorf("deploy/%s is used by `yoyaku dev --cluster` but mounted by no compose service", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNginx: nginx publishes the patron port and renders deploy/nginx/yoyaku.conf.template with the two API
// replicas' listen addresses; the rendered site retries a refused connection on the other replica.
func TestNginx(t *testing.T) {
	c := loadCompose(t)
	n := svc(t, c, "nginx")
	if !regexp.MustCompile(`^nginx:1\.\d+\.\d+$`).MatchString(n.Image) {
		t.Errorf("nginx image %q, want nginx pinned to a 1.x.y version", n.Image)
	}
	target := mountTarget(t, n, "./deploy/"+deploy.NginxTemplate)
	if dir, file := filepath.Split(target); dir != "/etc/nginx/templates/" || !strings.HasSuffix(file, ".conf.template") {
		t.Fatalf("nginx mounts the template at %q, want /etc/nginx/templates/NAME.conf.template (the image renders those)", target)
	}
	e := env(t, "nginx", n)
	if got := hostPort(t, "nginx", n, e["YOYAKU_PROXY_LISTEN"]); got != "8080" {
		t.Errorf("nginx listens on %q, published on host port %q, want 8080 (api/README.md)", e["YOYAKU_PROXY_LISTEN"], got)
	}
	for i, name := range apiReplicas {
		_, port := splitHostPort(t, "YOYAKU_HTTP_ADDR", loadConfig(t, name, svc(t, c, name)).HTTPAddr)
		if want, got := name+":"+port, e[fmt.Sprintf("YOYAKU_API_%d", i+1)]; got != want {
			t.Errorf("nginx YOYAKU_API_%d = %q, want %s (the replica's YOYAKU_HTTP_ADDR)", i+1, got, want)
		}
	}
	tmpl, err := deploy.Files.ReadFile(deploy.NginxTemplate)
	if err != nil {
		t.Fatal(err)
	}
	site := string(tmpl)
	for k, v := range e { // envsubst as the image does it: only the variables that are set
		site = strings.ReplaceAll(site, "${"+k+"}", v)
	}
	if left := regexp.MustCompile(`\$\{YOYAKU_[A-Z0-9_]+\}`).FindString(site); left != "" {
		t.Errorf("the nginx template needs %s, which the nginx service does not set", left)
	}
	for _, want := range []string{"server api-1:8080", "server api-2:8080", "listen 8080;", "proxy_next_upstream error timeout", "max_fails="} {
		if !strings.Contains(site, want) {
			t.Errorf("the rendered nginx site lacks %q:\n%s", want, site)
		}
	}
}

// TestTemporalSchemaScript runs deploy/temporal/schema.sh with temporal-schema's environment against a fake
// temporal-sql-tool that records its calls: each database gets its version tables, then every versioned
// step from the image's schema directory; a failing step fails the script.
func TestTemporalSchemaScript(t *testing.T) {
	c := loadCompose(t)
	s := svc(t, c, "temporal-schema")
	if !strings.HasPrefix(s.Image, "temporalio/admin-tools:") {
		t.Errorf("temporal-schema image %q, want temporalio/admin-tools", s.Image)
	}
	entry := words(t, "temporal-schema", s.Entrypoint)
	if len(entry) != 2 || entry[0] != "/bin/sh" {
		t.Fatalf("temporal-schema entrypoint = %q, want [/bin/sh <mounted script>]", entry)
	}
	if got := mountTarget(t, s, "./deploy/"+deploy.TemporalSchemaScript); got != entry[1] {
		t.Fatalf("temporal-schema runs %s, but deploy/%s is mounted at %q", entry[1], deploy.TemporalSchemaScript, got)
	}
	e := env(t, "temporal-schema", s)
	if e["TEMPORAL_SCHEMA_DIR"] != "/etc/temporal/schema/postgresql/v12" {
		t.Errorf("TEMPORAL_SCHEMA_DIR = %q, want the admin-tools image's /etc/temporal/schema/postgresql/v12", e["TEMPORAL_SCHEMA_DIR"])
	}
	const fake = "#!/bin/sh\necho \"$*\" >>\"$FAKE_DIR/calls\"\ncase \"$*\" in *\"$FAIL_ON\"*) [ -n \"$FAIL_ON\" ] && { echo \"fake: failed\" >&2; exit 1; } ;; esac\nexit 0\n"
	for _, tc := range []struct {
		name, failOn string
		wantCalls    int
	}{{"fresh", "", 4}, {"update fails", "temporal_visibility update-schema", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "temporal-sql-tool"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sh", filepath.Join(root, "deploy", deploy.TemporalSchemaScript))
			cmd.Env = []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"), "FAKE_DIR=" + dir, "FAIL_ON=" + tc.failOn}
			for k, v := range e {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			if (err != nil) != (tc.failOn != "") {
				t.Fatalf("the script ended with %v (want failure: %v)\n%s", err, tc.failOn != "", out)
			}
			raw, _ := os.ReadFile(filepath.Join(dir, "calls"))
			calls := strings.Split(strings.TrimSpace(string(raw)), "\n")
			if len(calls) != tc.wantCalls {
				t.Fatalf("%d calls, want %d:\n%s", len(calls), tc.wantCalls, raw)
			}
			conn := fmt.Sprintf("--plugin postgres12 --endpoint %s --port %s --user %s --password %s",
				e["TEMPORAL_DB_HOST"], e["TEMPORAL_DB_PORT"], e["TEMPORAL_DB_USER"], e["TEMPORAL_DB_PASSWORD"])
			want := []string{
				conn + " --database temporal setup-schema -v 0.0",
				conn + " --database temporal update-schema -d " + e["TEMPORAL_SCHEMA_DIR"] + "/temporal/versioned",
				conn + " --database temporal_visibility setup-schema -v 0.0",
				conn + " --database temporal_visibility update-schema -d " + e["TEMPORAL_SCHEMA_DIR"] + "/visibility/versioned",
			}
			if !slices.Equal(calls, want) {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestTemporalServerConfigRenders renders deploy/temporal/server.yaml with the temporal service's environment
// (and the container address the command adds) by the server built for `make cluster` (render-config, the
// server's own template engine and validation): persistence and visibility on the compose PostgreSQL, 4
// history shards, every service on 0.0.0.0 with the usual ports.
func TestTemporalServerConfigRenders(t *testing.T) {
	bin := filepath.Join(root, "bin", "temporal-server")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run `make tools` (make test does it for you)", bin)
	}
	c := loadCompose(t)
	e := env(t, "temporal", svc(t, c, "temporal"))
	cmd := exec.Command(bin, "--root", "/", "--config", mustAbs(t, filepath.Join(root, "deploy", "temporal")), "--env", "server", "render-config")
	cmd.Env = []string{"TEMPORAL_BROADCAST_ADDRESS=172.18.0.5"}
	for k, v := range e {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("render-config: %v\n%s", err, out)
	}
	for _, want := range []string{
		"numhistoryshards: 4", `connectaddr: postgres:5432`, `databasename: temporal_visibility`,
		`pluginname: postgres12`, "grpcport: 7233", `bindonip: 0.0.0.0`, `broadcastaddress: 172.18.0.5`,
		"filepath: " + e["TEMPORAL_DYNAMIC_CONFIG"],
	} {
		if !strings.Contains(strings.ToLower(string(out)), strings.ToLower(want)) {
			t.Errorf("the rendered configuration lacks %q:\n%s", want, out)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
