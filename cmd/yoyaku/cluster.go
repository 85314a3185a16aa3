package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"yoyaku/config"
	"yoyaku/contract"
	"yoyaku/deploy"
	"yoyaku/internal/devstack"
)

// prepareTemporalServer makes what the Temporal server needs before it starts, with the steps and files
// docker-compose.yml uses: Temporal's role and databases (deploy/temporal/postgres-init.sql), then their
// schemas installed or upgraded by temporal-sql-tool (deploy/temporal/schema.sh).
func (st *runningStack) prepareTemporalServer(ctx context.Context, pg *devstack.Postgres, log *slog.Logger) error {
	dir, err := devstack.WriteDeployFiles(st.o.Dir)
	if err != nil {
		return err
	}
	st.deployDir = dir
	if err := pg.CreateTemporalDatabases(ctx); err != nil {
		return err
	}
	t := time.Now()
	err = devstack.RunScript(ctx, st.o.Out, "temporal-schema", filepath.Join(dir, deploy.TemporalSchemaScript), st.o.BinDir, []string{
		"TEMPORAL_DB_HOST=127.0.0.1", "TEMPORAL_DB_PORT=" + strconv.Itoa(st.o.PGPort),
		"TEMPORAL_DB_USER=" + devstack.TemporalDBUser, "TEMPORAL_DB_PASSWORD=" + devstack.TemporalDBPassword,
		"TEMPORAL_SCHEMA_DIR=" + filepath.Join(st.o.BinDir, "temporal-schema"),
	})
	if err != nil {
		return err
	}
	log.Info("temporal schemas current", "took", time.Since(t).Round(100*time.Millisecond))
	return nil
}

// setupTemporalNamespace creates the default namespace and registers yoyaku's search attributes with
// deploy/temporal/setup.sh and the pinned temporal CLI, as compose's temporal-setup service does.
func (st *runningStack) setupTemporalNamespace(ctx context.Context) error {
	return devstack.RunScript(ctx, st.o.Out, "temporal-setup", filepath.Join(st.deployDir, deploy.TemporalSetupScript), st.o.BinDir, []string{
		fmt.Sprintf("TEMPORAL_ADDRESS=127.0.0.1:%d", st.o.TemporalPort),
		"TEMPORAL_NAMESPACE=default",
		"SEARCH_ATTRIBUTES=" + searchAttributesSpec(),
	})
}

// searchAttributesSpec lists the workflows' search attributes as setup.sh's SEARCH_ATTRIBUTES takes them
// (NAME, or NAME=TYPE when not a Keyword).
func searchAttributesSpec() string {
	var out []string
	for _, name := range contract.SearchAttributeNames() {
		if typ := contract.SearchAttributeType(name); typ != "Keyword" {
			name += "=" + typ
		}
		out = append(out, name)
	}
	return strings.Join(out, " ")
}

// startNginx puts nginx in front of the two API replicas, on the stack's API address.
func (st *runningStack) startNginx(ctx context.Context) (*devstack.Proc, error) {
	return devstack.StartNginx(ctx, devstack.NginxOptions{
		Dir: filepath.Join(st.o.Dir, "nginx"), Listen: st.o.HTTPAddr, Upstreams: st.o.Cluster.APIAddrs, Out: st.o.Out,
	})
}

// clusterEnv is what the replicas of the cluster topology share beyond the dev stack's settings: one
// session key (a CSRF token made by one API replica must pass on the other), kept in the state directory
// unless YOYAKU_SESSION_KEY is set, and nginx as the trusted proxy whose X-Forwarded-For names the client.
func clusterEnv(dir string) ([]string, error) {
	env := []string{"YOYAKU_TRUSTED_PROXIES=127.0.0.1"}
	if os.Getenv("YOYAKU_SESSION_KEY") != "" {
		return env, nil
	}
	path := filepath.Join(dir, "session.key")
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("session key: %w", err)
		}
		key = []byte(hex.EncodeToString(b))
		err = os.WriteFile(path, key, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	return append(env, "YOYAKU_SESSION_KEY="+strings.TrimSpace(string(key))), nil
}

// clusterBins are what the cluster topology needs in the bin directory beside the dev stack's tools.
var clusterBins = []string{"temporal-server", "temporal-sql-tool", "temporal-schema", "temporal-ui"}

// devClusterOptions lays the replicas out around the addresses of `make dev`: nginx takes the API address
// (YOYAKU_HTTP_ADDR), the API replicas the next two ports on its host; the first API replica and worker keep
// the usual metrics addresses, the second ones take the port two above.
func devClusterOptions(cfg config.Config, temporalPort int) (*clusterOptions, error) {
	c := &clusterOptions{TemporalPorts: devstack.DefaultTemporalServerPorts(temporalPort)}
	for i := range 2 {
		var err error
		if c.APIAddrs[i], err = shiftPort(cfg.HTTPAddr, 1+i); err != nil {
			return nil, fmt.Errorf("YOYAKU_HTTP_ADDR: %w", err)
		}
		if c.APIMetricsAddrs[i], err = shiftPort(cfg.MetricsAddr, 2*i); err != nil {
			return nil, fmt.Errorf("YOYAKU_METRICS_ADDR: %w", err)
		}
		if c.WorkerMetricsAddrs[i], err = shiftPort(cfg.WorkerMetricsAddr, 2*i); err != nil {
			return nil, fmt.Errorf("YOYAKU_WORKER_METRICS_ADDR: %w", err)
		}
	}
	return c, nil
}

func shiftPort(addr string, by int) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("port %q is not a number", port)
	}
	return net.JoinHostPort(host, strconv.Itoa(p+by)), nil
}

// clusterPorts are the ports the cluster's Temporal server and replicas take (preflight checks them free;
// nginx's own, YOYAKU_HTTP_ADDR, is checked with the other settings).
func clusterPorts(c *clusterOptions) []int {
	ports := c.TemporalPorts.All()
	for _, addrs := range [][2]string{c.APIAddrs, c.APIMetricsAddrs, c.WorkerMetricsAddrs} {
		for _, a := range addrs {
			if _, port, err := net.SplitHostPort(a); err == nil {
				if p, err := strconv.Atoi(port); err == nil {
					ports = append(ports, p)
				}
			}
		}
	}
	return ports
}

func printClusterBanner(o stackOptions, dir string, took time.Duration) {
	c := o.Cluster
	fmt.Fprintf(os.Stderr, `
yoyaku is running in the cluster topology (ready in %s). Ctrl-C stops everything.

  API and web pages  http://%s   (nginx; API replicas %s and %s)
  Metrics            API http://%s/metrics, http://%s/metrics   workers http://%s/metrics, http://%s/metrics
  Temporal           127.0.0.1:%d   (Temporal server %s on PostgreSQL)   Web UI http://127.0.0.1:%d
  Mail (Mailpit)     SMTP 127.0.0.1:%d   Web UI http://127.0.0.1:%d
  PostgreSQL         127.0.0.1:%d   (user yoyaku, password yoyaku; databases yoyaku, temporal, temporal_visibility)
  State              %s

Demo accounts (dev only):
`, took.Round(100*time.Millisecond), o.HTTPAddr, c.APIAddrs[0], c.APIAddrs[1], c.APIMetricsAddrs[0], c.APIMetricsAddrs[1],
		c.WorkerMetricsAddrs[0], c.WorkerMetricsAddrs[1], o.TemporalPort, temporalServerVersion, o.TemporalUIPort, o.SMTPPort,
		o.MailUIPort, o.PGPort, dir)
	printDemoAccounts()
}

// temporalServerVersion is the Makefile's TEMPORAL_SERVER_VERSION (the banner only says which it is).
const temporalServerVersion = "v1.29.1"
