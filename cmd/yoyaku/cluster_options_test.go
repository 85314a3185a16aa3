package main

import (
	"slices"
	"testing"

	"yoyaku/config"
	"yoyaku/internal/devstack"
)

// TestDevClusterOptions: `yoyaku dev --cluster` keeps the addresses of `make dev` for what users open (nginx
// on the API address, Temporal's frontend on its port) and lays the replicas out beside them; a bad address
// is an error naming its variable.
func TestDevClusterOptions(t *testing.T) {
	cfg := config.Config{HTTPAddr: "127.0.0.1:8080", MetricsAddr: "127.0.0.1:9091", WorkerMetricsAddr: "127.0.0.1:9090"}
	c, err := devClusterOptions(cfg, 7233)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what      string
		got, want [2]string
	}{
		{"API replicas", c.APIAddrs, [2]string{"127.0.0.1:8081", "127.0.0.1:8082"}},
		{"API metrics", c.APIMetricsAddrs, [2]string{"127.0.0.1:9091", "127.0.0.1:9093"}},
		{"worker metrics", c.WorkerMetricsAddrs, [2]string{"127.0.0.1:9090", "127.0.0.1:9092"}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s %v, want %v", tc.what, tc.got, tc.want)
		}
	}
	if c.TemporalPorts != devstack.DefaultTemporalServerPorts(7233) || c.TemporalPorts.Frontend != 7233 {
		t.Errorf("Temporal ports %+v, want the server's defaults with the frontend on 7233", c.TemporalPorts)
	}
	ports := clusterPorts(c)
	for _, p := range []int{7233, 6933, 7234, 7235, 7239, 7243, 8081, 8082, 9090, 9091, 9092, 9093} {
		if !slices.Contains(ports, p) {
			t.Errorf("preflight does not check port %d (checks %v)", p, ports)
		}
	}
	for _, bad := range []config.Config{
		{HTTPAddr: "8080", MetricsAddr: cfg.MetricsAddr, WorkerMetricsAddr: cfg.WorkerMetricsAddr},
		{HTTPAddr: cfg.HTTPAddr, MetricsAddr: "127.0.0.1:metrics", WorkerMetricsAddr: cfg.WorkerMetricsAddr},
	} {
		if _, err := devClusterOptions(bad, 7233); err == nil {
			t.Errorf("addresses %+v accepted", bad)
		}
	}
}

// TestFreeTemporalServerPorts: a private cluster's Temporal ports are free, distinct and below 32768
// (membership ports are smallint in Temporal's schema).
func TestFreeTemporalServerPorts(t *testing.T) {
	p, err := devstack.FreeTemporalServerPorts()
	if err != nil {
		t.Fatal(err)
	}
	all := p.All()
	if len(all) != 9 {
		t.Fatalf("%d ports, want 9", len(all))
	}
	seen := map[int]bool{}
	for _, port := range all {
		if port <= 0 || port > devstack.MaxTemporalPort || seen[port] {
			t.Errorf("port %d in %v: want distinct ports in 1..%d", port, all, devstack.MaxTemporalPort)
		}
		seen[port] = true
	}
}

// TestRenderNginx: the template's variables are replaced as the nginx image's envsubst does (only those
// given; nginx's own $variables stay), and a missing YOYAKU_ variable is an error.
func TestRenderNginx(t *testing.T) {
	out, err := devstack.RenderNginx("listen ${YOYAKU_PROXY_LISTEN}; server ${YOYAKU_API_1}; server ${YOYAKU_API_2}; host $host ${other};",
		devstack.NginxVars("127.0.0.1:8080", [2]string{"127.0.0.1:8081", "127.0.0.1:8082"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := "listen 127.0.0.1:8080; server 127.0.0.1:8081; server 127.0.0.1:8082; host $host ${other};"; out != want {
		t.Errorf("rendered %q, want %q", out, want)
	}
	if _, err := devstack.RenderNginx("server ${YOYAKU_API_3};", devstack.NginxVars("a:1", [2]string{"b:2", "c:3"})); err == nil {
		t.Error("a template variable that is not given was left in silently")
	}
}
