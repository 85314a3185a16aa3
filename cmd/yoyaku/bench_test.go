package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yoyaku/internal/bench"
	"yoyaku/internal/devstack"
)

// TestBenchClusterShort is `yoyaku bench --cluster` in a short form: on the production topology, a
// bestseller burst (300 patrons, 5 copies on loan, 16 clients, then every copy returned at once) and a
// rolling restart (worker-1 and api-1 SIGTERMed in turn while 8 clients place 200 holds, 25 a second, then `yoyaku
// check`). Speed is the bench's business (`make bench-cluster`); this test fails on what must never happen:
// a queue out of first-come order, positions other than 1..N, a returned copy to the wrong hold or to two, a
// failed request during the restart, a hold never approved, a check violation; and on a missing profile or
// summary key.
func TestBenchClusterShort(t *testing.T) {
	bin := buildYoyaku(t, clusterBins...)
	if _, err := devstack.NginxBin(); err != nil {
		t.Fatalf("%v (make test installs it: `make nginx`)", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "bench.json")
	cmd := exec.CommandContext(ctx, bin, "bench", "--cluster", "--bin", filepath.Dir(bin), "--out", out,
		"--holds", "60", "--patrons", "40", "--copies", "3", "--lifecycles", "1", "--duration", "3s", "--rate", "5",
		"--titles", "0", "--search-queries", "10",
		"--bestseller", "300", "--bestseller-copies", "5", "--bestseller-clients", "16", "--restart-holds", "200")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("yoyaku bench --cluster: %v\n%s", err, tail([]byte(logs.String()), 20000))
	}
	t.Logf("bench --cluster (short) took %s; last line: %s", time.Since(start).Round(time.Second), lastLine(logs.String()))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	if !rep.Settings.Cluster || len(rep.Placement.Baseline) != 3 {
		t.Errorf("cluster %v with %d baseline runs, want the cluster's three", rep.Settings.Cluster, len(rep.Placement.Baseline))
	}

	bs := rep.Bestseller
	switch {
	case bs == nil:
		t.Fatal("no bestseller in the report")
	case bs.Skipped != "":
		t.Errorf("bestseller skipped: %s", bs.Skipped)
	case bs.Placed != 300 || bs.Errors != 0 || bs.Approve.Samples != 300:
		t.Errorf("bestseller placed %d, %d errors, %d approvals timed; want 300, 0, 300", bs.Placed, bs.Errors, bs.Approve.Samples)
	case bs.Returns.Samples != 5:
		t.Errorf("bestseller returns: %d answered, want 5", bs.Returns.Samples)
	}
	if bs != nil && len(bs.Violations) > 0 {
		t.Errorf("bestseller queue broken: %q", bs.Violations)
	}

	rs := rep.Restart
	switch {
	case rs == nil:
		t.Fatal("no rolling restart in the report")
	case rs.Failed != 0 || rs.NotApproved != 0 || rs.Holds != 200:
		t.Errorf("rolling restart: %d failed, %d not approved, %d placed; want 0, 0, 200", rs.Failed, rs.NotApproved, rs.Holds)
	case len(rs.Restarts) != 2:
		t.Errorf("rolling restart restarted %v, want worker-1 and api-1", rs.Restarts)
	}
	if rs != nil && len(rs.Violations) > 0 {
		t.Errorf("rolling restart: %q", rs.Violations)
	}

	if len(rep.Profiles) != 2 {
		t.Errorf("CPU profiles %v, want api-1's and worker-1's", rep.Profiles)
	}
	for _, p := range rep.Profiles {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v (empty: %v)", p, err, err == nil && fi.Size() == 0)
		}
	}
	if len(rep.Profiles) > 0 {
		_ = os.RemoveAll(filepath.Dir(rep.Profiles[0]))
	}
	line := lastLine(logs.String())
	for _, key := range []string{"ratio=", "search_p95_ms=", "bestseller_per_s=", "bestseller_p99_ms=", "restart_failed=0"} {
		if !strings.Contains(line, key) {
			t.Errorf("last line %q lacks %q", line, key)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
