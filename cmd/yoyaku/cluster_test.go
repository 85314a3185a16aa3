package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yoyaku/contract"
	"yoyaku/deploy"
	"yoyaku/internal/apiclient"
	"yoyaku/internal/devstack"
	"yoyaku/internal/testenv"
)

// TestClusterTopology is issue 17's cluster mode end to end: the production topology (the Temporal server
// built from its Go module on PostgreSQL, with the configuration files docker-compose.yml mounts; two API
// replicas behind nginx; two workers) comes up on free ports and serves, through nginx, a hold's whole life
// (placed, checked in, ready mail in Mailpit, checked out), a series hold and a hot title; then one worker
// and one API replica are restarted (SIGTERM) while four clients place holds, and not one request fails;
// then the other worker and API replica are SIGKILLed under the same load, and the clients' retries lose
// and double nothing; every hold placed is approved and `yoyaku check` finds nothing.
func TestClusterTopology(t *testing.T) {
	bin := buildYoyaku(t, clusterBins...)
	if _, err := devstack.NginxBin(); err != nil {
		t.Fatalf("%v (make test installs it: `make nginx`)", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var logs testenv.LockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	st, took := startTestCluster(t, ctx, log, bin)
	defer st.stop(log)
	defer func() {
		if t.Failed() {
			stackLog, _ := os.ReadFile(filepath.Join(st.o.Dir, "stack.log"))
			t.Logf("yoyaku log:\n%s\nstack log (last 30000 bytes):\n%s", logs.String(), tail(stackLog, 30000))
		}
	}()
	t.Logf("cluster ready in %s", took.Round(100*time.Millisecond))

	checkClusterShape(t, st, bin)
	c := newClusterClient(t, ctx, st)

	t.Run("lifecycle", c.lifecycle)
	t.Run("web UI", func(t *testing.T) { c.webUI(t, st) })
	t.Run("series", c.series)
	t.Run("hot title", c.hotTitle)
	t.Run("restarts under load", func(t *testing.T) { c.restartsUnderLoad(t, st) })
	t.Run("kills under load", func(t *testing.T) { c.killsUnderLoad(t, st) })
	if t.Failed() {
		return
	}
	// Both replicas served placements: nginx spreads the load, not only fails over.
	stackLog, err := os.ReadFile(filepath.Join(st.o.Dir, "stack.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range clusterAPIs {
		if !logHas(stackLog, "["+api+"] ", "method=POST path=/api/v1/holds status=200") {
			t.Errorf("%s placed no hold: nginx did not send it any", api)
		}
	}
	code, out := yoyakuRun(t, bin, "", []string{
		"YOYAKU_DATABASE_URL=" + st.databaseURL,
		fmt.Sprintf("YOYAKU_TEMPORAL_ADDRESS=127.0.0.1:%d", st.o.TemporalPort),
	}, "check", "--settle", "5s", "--wait", "90s", "--mailpit", fmt.Sprintf("http://127.0.0.1:%d", st.o.MailUIPort))
	if code != 0 {
		t.Fatalf("yoyaku check exited %d:\n%s", code, out)
	}
}

// startTestCluster starts the cluster topology from the built binary on free ports (Temporal's below 32768).
func startTestCluster(t *testing.T, ctx context.Context, log *slog.Logger, bin string) (*runningStack, time.Duration) {
	t.Helper()
	o, err := privateStackOptions(true)
	if err != nil {
		t.Fatal(err)
	}
	o.Dir = t.TempDir()
	o.BinDir, o.Self = filepath.Dir(bin), bin
	logFile, err := os.Create(filepath.Join(o.Dir, "stack.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logFile.Close() })
	o.Out = logFile
	start := time.Now()
	st, err := startStack(ctx, log, o)
	if err != nil {
		stackLog, _ := os.ReadFile(filepath.Join(o.Dir, "stack.log"))
		t.Fatalf("the cluster did not start: %v\n%s", err, tail(stackLog, 20000))
	}
	return st, time.Since(start)
}

// checkClusterShape checks what runs: every service of the topology, the Temporal server's and nginx's
// configuration being the repository's deploy/ files (what compose mounts), yoyaku's search attributes
// registered so that the temporal CLI lists them, and each replica answering on its own address.
func checkClusterShape(t *testing.T, st *runningStack, bin string) {
	t.Helper()
	var names []string
	for _, p := range st.procs {
		names = append(names, p.Name)
	}
	want := []string{"postgres", "temporal-server", "temporal-ui", "mailpit", "worker-1", "worker-2", "api-1", "api-2", "nginx"}
	if !slices.Equal(names, want) {
		t.Errorf("services %v, want %v", names, want)
	}
	for _, p := range st.o.Cluster.TemporalPorts.All() {
		if p > devstack.MaxTemporalPort {
			t.Errorf("Temporal port %d is above %d", p, devstack.MaxTemporalPort)
		}
	}
	// The files the cluster runs with are deploy/'s, byte for byte.
	repoDeploy := filepath.Join(testenv.Root(t), "deploy")
	err := fs.WalkDir(deploy.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		used, err := os.ReadFile(filepath.Join(st.deployDir, path))
		if err != nil {
			return err
		}
		repo, err := os.ReadFile(filepath.Join(repoDeploy, path))
		if err != nil {
			return err
		}
		if !bytes.Equal(used, repo) {
			t.Errorf("the cluster ran with a %s that is not deploy/%s", path, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile(filepath.Join(repoDeploy, deploy.NginxTemplate))
	if err != nil {
		t.Fatal(err)
	}
	wantSite, err := devstack.RenderNginx(string(tmpl), devstack.NginxVars(st.o.HTTPAddr, st.o.Cluster.APIAddrs))
	if err != nil {
		t.Fatal(err)
	}
	if site, err := os.ReadFile(filepath.Join(st.o.Dir, "nginx", "yoyaku.conf")); err != nil || string(site) != wantSite {
		t.Errorf("nginx runs a site that is not deploy/%s rendered (err %v)", deploy.NginxTemplate, err)
	}
	// The temporal CLI works against the server: it lists every search attribute the workflows set.
	code, out := yoyakuRunTool(t, filepath.Join(filepath.Dir(bin), "temporal"), "operator", "search-attribute", "list",
		"--address", fmt.Sprintf("127.0.0.1:%d", st.o.TemporalPort))
	if code != 0 {
		t.Fatalf("temporal operator search-attribute list: exit %d\n%s", code, out)
	}
	for _, name := range contract.SearchAttributeNames() {
		if !strings.Contains(out, name) || !strings.Contains(out[strings.Index(out, name):], contract.SearchAttributeType(name)) {
			t.Errorf("search attribute %s (%s) is not registered:\n%s", name, contract.SearchAttributeType(name), out)
		}
	}
	for _, u := range []string{
		"http://" + st.o.HTTPAddr + "/healthz",
		"http://" + st.o.Cluster.APIAddrs[0] + "/healthz", "http://" + st.o.Cluster.APIAddrs[1] + "/healthz",
		"http://" + st.o.Cluster.WorkerMetricsAddrs[0] + "/metrics", "http://" + st.o.Cluster.WorkerMetricsAddrs[1] + "/metrics",
		"http://" + st.o.Cluster.APIMetricsAddrs[0] + "/metrics", "http://" + st.o.Cluster.APIMetricsAddrs[1] + "/metrics",
	} {
		if code := get(t.Context(), u, nil); code != 200 {
			t.Errorf("GET %s = %d, want 200", u, code)
		}
	}
}

// clusterClient drives the cluster through nginx as staff and patrons do.
type clusterClient struct {
	ctx    context.Context
	api    *apiclient.Client
	mail   *apiclient.MailpitClient
	staff  string
	libs   []string
	lender *clusterPatron // borrows the copies that holds then wait for
	seq    atomic.Int64   // titles and barcodes
	cards  atomic.Int64   // patrons
	run    string
}

type clusterPatron struct{ card, email, token string }

const clusterPassword = "cluster-pass-1"

func newClusterClient(t *testing.T, ctx context.Context, st *runningStack) *clusterClient {
	t.Helper()
	c := &clusterClient{ctx: ctx, api: apiclient.New("http://" + st.o.HTTPAddr),
		mail: apiclient.NewMailpitClient(fmt.Sprintf("http://127.0.0.1:%d", st.o.MailUIPort)),
		run:  fmt.Sprintf("%04d", time.Now().UnixNano()%10000)}
	var err error
	if c.staff, err = c.api.StaffLogin(ctx, "staff", "staff-demo"); err != nil {
		t.Fatal(err)
	}
	if c.libs, err = c.api.Libraries(ctx); err != nil || len(c.libs) < 2 {
		t.Fatalf("libraries %v: %v", c.libs, err)
	}
	c.lender = c.patron(t, false)
	return c
}

func (c *clusterClient) patron(t *testing.T, withEmail bool) *clusterPatron {
	t.Helper()
	n := c.cards.Add(1)
	p := &clusterPatron{card: fmt.Sprintf("8%s%03d", c.run[:3], n)}
	var emails []string
	if withEmail {
		p.email = fmt.Sprintf("c%s-p%04d@cluster.example.jp", c.run, n)
		emails = []string{p.email}
	}
	if n >= 1000 {
		t.Fatalf("more than 999 patrons: card numbers would repeat")
	}
	if err := c.api.CreatePatron(c.ctx, c.staff, p.card, fmt.Sprintf("クラスタ 利用者%03d", n), clusterPassword, emails); err != nil {
		t.Fatal(err)
	}
	var err error
	if p.token, err = c.api.PatronLogin(c.ctx, p.card, clusterPassword); err != nil {
		t.Fatal(err)
	}
	return p
}

// titleOnLoan adds a title (a series volume when series is not empty) with one copy at branch, lent to the
// lender so that holds on it wait for its return; it returns the title's ID and the copy's barcode.
func (c *clusterClient) titleOnLoan(t *testing.T, branch, series string, volume int) (string, string) {
	t.Helper()
	n := c.seq.Add(1)
	body := map[string]any{"title": fmt.Sprintf("クラスタ資料 %s-%04d", c.run, n), "author": "クラスタ 著者", "format": "book"}
	if series != "" {
		body["series"] = map[string]any{"name": series, "volume": volume}
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := c.api.Do(c.ctx, "POST", "/api/v1/staff/titles", c.staff, body, &created); err != nil {
		t.Fatal(err)
	}
	barcode := fmt.Sprintf("CL-%s-%04d", c.run, n)
	if _, err := c.api.CreateCopy(c.ctx, c.staff, created.ID, barcode, branch); err != nil {
		t.Fatal(err)
	}
	if _, err := c.api.Checkout(c.ctx, c.staff, barcode, c.lender.card, branch); err != nil {
		t.Fatal(err)
	}
	return created.ID, barcode
}

func (c *clusterClient) waitStatus(t *testing.T, p *clusterPatron, id, status string) apiclient.Hold {
	t.Helper()
	var last apiclient.Hold
	var err error
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if last, err = c.api.GetHold(c.ctx, p.token, id); err == nil && last.Status == status {
			return last
		}
	}
	t.Fatalf("hold %s is %q after 45 s (err %v), want %s", id, last.Status, err, status)
	return last
}

// waitQueued waits until hold id is queued for a copy: awaiting_return when its position is within the
// copies, waiting behind them otherwise.
func (c *clusterClient) waitQueued(t *testing.T, p *clusterPatron, id string) apiclient.Hold {
	t.Helper()
	var last apiclient.Hold
	var err error
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		last, err = c.api.GetHold(c.ctx, p.token, id)
		if err == nil && (last.Status == "awaiting_return" || last.Status == "waiting") && last.Position != nil {
			return last
		}
	}
	t.Fatalf("hold %s is %q (position %v) after 45 s (err %v), want queued", id, last.Status, last.Position, err)
	return last
}

func (c *clusterClient) checkin(t *testing.T, barcode, branch string) apiclient.Routing {
	t.Helper()
	var r apiclient.Routing
	if err := c.api.Checkin(c.ctx, c.staff, barcode, branch, fmt.Sprintf("cluster-%s-%s", c.run, barcode), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// lifecycle: placed while the only copy is on loan, checked in at the pickup library (hold shelf), the
// ready mail in Mailpit, checked out to the patron.
func (c *clusterClient) lifecycle(t *testing.T) {
	branch := c.libs[0]
	title, barcode := c.titleOnLoan(t, branch, "", 0)
	p := c.patron(t, true)
	id, err := c.api.PlaceHold(c.ctx, p.token, title, branch)
	if err != nil {
		t.Fatal(err)
	}
	c.waitStatus(t, p, id, "awaiting_return")
	if r := c.checkin(t, barcode, branch); r.Action != "hold_shelf" || r.HoldID == nil || *r.HoldID != id {
		t.Fatalf("check-in routed %+v, want the hold shelf for %s", r, id)
	}
	c.waitStatus(t, p, id, "ready")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(300 * time.Millisecond) {
		msgs, err := c.mail.Search(c.ctx, `to:"`+p.email+`"`)
		if err == nil && len(msgs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ready mail to %s: %d messages after a minute (err %v), want 1", p.email, len(msgs), err)
		}
	}
	loan, err := c.api.Checkout(c.ctx, c.staff, barcode, p.card, branch)
	if err != nil {
		t.Fatal(err)
	}
	if loan.HoldID == nil || *loan.HoldID != id {
		t.Fatalf("checkout fulfilled hold %v, want %s", loan.HoldID, id)
	}
}

// series: two volumes on loan; volume 1 waits for its return, volume 2 is 準備中 until volume 1 is ready.
// webUI: the Temporal Web UI server (deploy/temporal/ui.yaml) serves its page and, through its API, lists
// the hold workflows the lifecycle ran on the Temporal server.
func (c *clusterClient) webUI(t *testing.T, st *runningStack) {
	base := fmt.Sprintf("http://127.0.0.1:%d", st.o.TemporalUIPort)
	if code, page := httpGet(t, base+"/"); code != http.StatusOK || !strings.Contains(strings.ToLower(page), "<html") {
		t.Fatalf("GET / answered %d, not the UI's page: %.300s", code, page)
	}
	type execution struct {
		Execution struct {
			WorkflowID string `json:"workflowId"`
		} `json:"execution"`
	}
	var list struct {
		Executions []execution `json:"executions"`
	}
	if err := apiclient.New(base).Do(c.ctx, http.MethodGet, "/api/v1/namespaces/default/workflows", "", nil, &list); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(list.Executions, func(e execution) bool { return strings.HasPrefix(e.Execution.WorkflowID, "hold-") }) {
		t.Fatalf("the UI lists no hold workflow: %+v", list.Executions)
	}
}

func (c *clusterClient) series(t *testing.T) {
	branch := c.libs[1]
	name := "クラスタ叢書 " + c.run
	v1, b1 := c.titleOnLoan(t, branch, name, 1)
	v2, _ := c.titleOnLoan(t, branch, name, 2)
	p := c.patron(t, false)
	r, err := c.api.Place(c.ctx, p.token, []string{v1, v2}, branch, "series")
	if err != nil || len(r.Placed) != 2 {
		t.Fatalf("series placement %+v: %v", r, err)
	}
	h1, h2 := r.Placed[0].HoldID, r.Placed[1].HoldID
	c.waitStatus(t, p, h1, "awaiting_return")
	c.waitStatus(t, p, h2, "preparing")
	c.checkin(t, b1, branch)
	c.waitStatus(t, p, h1, "ready")
	c.waitStatus(t, p, h2, "awaiting_return")
}

// hotTitle: six patrons hold one copy at once; they get positions 1..6, and the copy's return makes the
// first one's hold ready.
func (c *clusterClient) hotTitle(t *testing.T) {
	const n = 6
	branch := c.libs[0]
	title, barcode := c.titleOnLoan(t, branch, "", 0)
	patrons := make([]*clusterPatron, n)
	for i := range patrons {
		patrons[i] = c.patron(t, false)
	}
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, p := range patrons {
		wg.Go(func() { ids[i], errs[i] = c.api.PlaceHold(c.ctx, p.token, title, branch) })
	}
	wg.Wait()
	first := -1
	var positions []int
	for i, p := range patrons {
		if errs[i] != nil {
			t.Fatalf("placement %d: %v", i, errs[i])
		}
		h := c.waitQueued(t, p, ids[i])
		positions = append(positions, *h.Position)
		if *h.Position == 1 {
			first = i
		}
	}
	slices.Sort(positions)
	if !slices.Equal(positions, []int{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("positions %v, want 1..%d", positions, n)
	}
	if r := c.checkin(t, barcode, branch); r.HoldID == nil || *r.HoldID != ids[first] {
		t.Fatalf("the returned copy went to %v, want the first in the queue %s", r.HoldID, ids[first])
	}
	c.waitStatus(t, patrons[first], ids[first], "ready")
}

// restartsUnderLoad: four clients place holds through nginx while worker-1 and then api-1 are stopped with
// SIGTERM, left down for 3 s (the other replica carries the load) and started again; no request may fail,
// and every hold placed is approved.
func (c *clusterClient) restartsUnderLoad(t *testing.T, st *runningStack) {
	r := c.underLoad(t, st, false, func(name string) error { return st.restartAfter(c.ctx, name, false, 3*time.Second) }, "worker-1", "api-1")
	t.Logf("%d holds placed under the restarts, %d requests failed", len(r.holds), len(r.failures))
	if len(r.failures) > 0 {
		t.Errorf("%d requests failed during the restarts, want none; first: %s", len(r.failures), r.failures[0])
	}
	c.checkPlaced(t, r)
}

// killsUnderLoad: the same with worker-2 and api-2 SIGKILLed (2 s down each). A request in flight on the
// killed API replica may fail; the client then retries it, and a retry of a placement that had gone through
// is answered already_held. Nothing is lost (every placement the clients saw succeed or already held is
// there and approved) and nothing is doubled (one hold per patron and title, and no hold the clients do not
// know of).
func (c *clusterClient) killsUnderLoad(t *testing.T, st *runningStack) {
	r := c.underLoad(t, st, true, func(name string) error { return st.restartAfter(c.ctx, name, true, 2*time.Second) }, "worker-2", "api-2")
	t.Logf("%d holds placed under the kills, %d requests retried, %d already held on retry, %d gave up", len(r.holds), r.retried, r.alreadyHeld, len(r.failures))
	if len(r.failures) > 0 {
		t.Errorf("%d placements failed even after retries; first: %s", len(r.failures), r.failures[0])
	}
	c.checkPlaced(t, r)
}

type placedHold struct {
	p       *clusterPatron
	titleID string
	id      string // "" when a retry was answered already_held: the first attempt placed it
}

type loadResult struct {
	patrons              []*clusterPatron
	holds                []placedHold
	failures             []string
	retried, alreadyHeld int
}

// underLoad runs four placing clients (about 16 placements a second in all, on titles on loan so that the
// holds queue) while fault is applied to each of names in turn, 2 s apart. With retry, a placement that got
// no answer or a 502/503/504 is sent again (up to 10 times).
func (c *clusterClient) underLoad(t *testing.T, st *runningStack, retry bool, fault func(string) error, names ...string) loadResult {
	t.Helper()
	const clients, patronsEach, titles = 4, 8, 10 // 320 placements at most: more than a phase places
	branch := c.libs[0]
	var titleIDs []string
	for range titles {
		id, _ := c.titleOnLoan(t, branch, "", 0)
		titleIDs = append(titleIDs, id)
	}
	var (
		mu   sync.Mutex
		r    loadResult
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	for range clients {
		ps := make([]*clusterPatron, patronsEach)
		for i := range ps {
			ps[i] = c.patron(t, false)
		}
		r.patrons = append(r.patrons, ps...)
		wg.Go(func() {
			// Each patron holds each title once: patronsEach × titles placements at most per client.
			for j := 0; j < titles && !stop.Load(); j++ {
				for _, p := range ps {
					if stop.Load() {
						return
					}
					h, retries, err := c.place(p, titleIDs[j], branch, retry)
					mu.Lock()
					r.retried += retries
					switch {
					case err != nil:
						r.failures = append(r.failures, err.Error())
					case h.id == "":
						r.alreadyHeld++
						r.holds = append(r.holds, h)
					default:
						r.holds = append(r.holds, h)
					}
					mu.Unlock()
					time.Sleep(250 * time.Millisecond) // about 16 placements a second in all: the clients last through the faults
				}
			}
		})
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(r.holds)
	}
	time.Sleep(2 * time.Second)
	for _, name := range names {
		before, t0 := count(), time.Now()
		if err := fault(name); err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s down and started again in %s; %d holds placed meanwhile", name, time.Since(t0).Round(100*time.Millisecond), count()-before)
		time.Sleep(2 * time.Second)
	}
	stop.Store(true)
	wg.Wait()
	if len(r.holds) >= clients*patronsEach*titles {
		t.Errorf("the clients ran out of placements before the faults ended")
	}
	if len(r.holds) < 20 {
		t.Errorf("only %d holds placed: the load was too light to show anything", len(r.holds))
	}
	return r
}

// place places p's hold on title; with retry, a request without an answer or with a 502/503/504 is sent
// again, and already_held on a retry means the first attempt placed it.
func (c *clusterClient) place(p *clusterPatron, titleID, branch string, retry bool) (placedHold, int, error) {
	h := placedHold{p: p, titleID: titleID}
	for attempt := 0; ; attempt++ {
		res, err := c.api.Place(c.ctx, p.token, []string{titleID}, branch, "normal")
		if err == nil && len(res.Placed) == 1 {
			h.id = res.Placed[0].HoldID
			return h, attempt, nil
		}
		if err == nil && attempt > 0 && len(res.Rejected) == 1 && res.Rejected[0].Reason == "already_held" {
			return h, attempt, nil
		}
		if err == nil {
			return h, attempt, fmt.Errorf("title %s rejected: %+v", titleID, res.Rejected)
		}
		if st := apiclient.Status(err); !retry || attempt >= 10 || (st != 0 && st != 502 && st != 503 && st != 504) {
			return h, attempt, err
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// checkPlaced checks that every hold the clients placed is queued (approved), and that the patrons hold
// nothing else: one hold per title, none the clients did not place.
func (c *clusterClient) checkPlaced(t *testing.T, r loadResult) {
	t.Helper()
	want := map[string]map[string]bool{} // card → titles
	for _, h := range r.holds {
		if want[h.p.card] == nil {
			want[h.p.card] = map[string]bool{}
		}
		want[h.p.card][h.titleID] = true
		if h.id != "" {
			c.waitQueued(t, h.p, h.id)
		}
	}
	for _, p := range r.patrons {
		holds, err := c.api.ListHolds(c.ctx, p.token)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, h := range holds {
			got[h.TitleID]++
			if !h.Approved() {
				t.Errorf("patron %s: hold %s is still %s", p.card, h.ID, h.Status)
			}
		}
		for title, n := range got {
			if n != 1 || !want[p.card][title] {
				t.Errorf("patron %s holds title %s %d times (placed by the client: %v)", p.card, title, n, want[p.card][title])
			}
		}
		if len(got) != len(want[p.card]) {
			t.Errorf("patron %s holds %d titles, the client placed %d", p.card, len(got), len(want[p.card]))
		}
	}
}

// yoyakuRunTool runs another binary and returns its exit code and combined output.
func yoyakuRunTool(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	return yoyakuRun(t, bin, "", nil, args...)
}

// logHas reports whether some line of log starts with prefix and contains part.
func logHas(log []byte, prefix, part string) bool {
	for _, l := range strings.Split(string(log), "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, part) {
			return true
		}
	}
	return false
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
