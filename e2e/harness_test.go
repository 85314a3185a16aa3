package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"yoyaku/activities"
	"yoyaku/api"
	"yoyaku/auth"
	"yoyaku/config"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/internal/apiclient"
	"yoyaku/internal/check"
	"yoyaku/internal/seed"
	"yoyaku/internal/temporalx"
	"yoyaku/internal/testenv"
	"yoyaku/mailer"
	"yoyaku/store"
	"yoyaku/worker"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// stack is one test's yoyaku: its own database, task queue, worker and HTTP API, on the test binary's
// PostgreSQL, Temporal dev server and Mailpit.
type stack struct {
	t     *testing.T
	db    *sqlx.DB
	tc    client.Client
	mail  testenv.Mail
	cfg   config.Config
	url   string
	staff string // staff token
	loc   *time.Location

	acts       *activities.Activities // the worker's, for a worker started again (restartWorker)
	stopWorker func()                 // stops the running worker
}

var taskQueues atomic.Int64

// testWriter sends the API's log lines to the test's log, shown when the test fails.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func newStack(t *testing.T, env map[string]string) *stack {
	t.Helper()
	return newStackOpts(t, env, stackOpts{})
}

// stackOpts changes how a stack is built.
type stackOpts struct {
	// workerDB returns the database URL the worker uses instead of the API's (called after the demo data
	// is loaded, with the API's URL and connection).
	workerDB func(dbURL string, db *sqlx.DB) string
	// killableWorker: the worker has no graceful stop, so killWorker abandons its activities in flight, as a
	// killed process does.
	killableWorker bool
}

func newStackOpts(t *testing.T, env map[string]string, o stackOpts) *stack {
	t.Helper()
	ctx := t.Context()
	dbURL := testenv.DatabaseURL(t)
	db, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := seed.Demo(ctx, db); err != nil {
		t.Fatal(err)
	}
	mail := testenv.Mailpit(t)
	vars := map[string]string{
		"YOYAKU_SMTP_HOST":           mail.SMTPHost,
		"YOYAKU_SMTP_PORT":           strconv.Itoa(mail.SMTPPort),
		"YOYAKU_TEMPORAL_TASK_QUEUE": fmt.Sprintf("e2e-%d-%d", os.Getpid(), taskQueues.Add(1)),
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.LoadFrom(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	tc := testenv.Temporal(t)
	workerDB := db
	if o.workerDB != nil {
		if workerDB, err = sqlx.Open("postgres", o.workerDB(dbURL, db)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = workerDB.Close() })
	}
	acts := &activities.Activities{DB: workerDB, Cfg: cfg, Mailer: mailer.New(cfg.SMTP), Temporal: tc}
	w := worker.New(tc, acts)
	if o.killableWorker {
		w = sdkworker.New(tc, cfg.TaskQueue, sdkworker.Options{}) // no stop timeout
		worker.Register(w, acts)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	metrics, err := temporalx.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	apiLog := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	approvals, err := store.WatchApprovals(db, dbURL, apiLog) // as `yoyaku api` does: placements wait for approval
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = approvals.Close() })
	srv := &api.Server{DB: db, Temporal: tc, Cfg: cfg, Log: apiLog, Metrics: metrics, Approvals: approvals}
	hs := httptest.NewServer(srv.Router())
	t.Cleanup(hs.Close)
	s := &stack{t: t, db: db, tc: tc, mail: mail, cfg: cfg, url: hs.URL, loc: cfg.Location, acts: acts, stopWorker: w.Stop}
	t.Cleanup(func() { s.stopWorker() }) // the worker running then
	var login struct{ Token string }
	s.mustDo("POST", "/api/v1/staff/session", "", map[string]string{"login": "staff", "password": "staff-demo"}, 200, &login)
	s.staff = login.Token
	t.Cleanup(s.checkHistories)  // runs before the worker stops and the API closes
	t.Cleanup(s.checkInvariants) // runs first: the scenario's last changes settle while the worker still runs
	return s
}

// killWorker stops the stack's worker at once: activities in flight are abandoned (with a killableWorker,
// as when the process is killed), workflows wait for a worker on the task queue. restartWorker starts
// another.
func (s *stack) killWorker() {
	s.stopWorker()
	s.stopWorker = func() {}
}

func (s *stack) restartWorker() {
	w := sdkworker.New(s.tc, s.cfg.TaskQueue, sdkworker.Options{})
	worker.Register(w, s.acts)
	if err := w.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.stopWorker = w.Stop
}

// checkInvariants runs `yoyaku check` over the stack when the scenario ends: whatever the test did, no
// invariant may be broken once the last changes have settled (up to 30 s).
func (s *stack) checkInvariants() {
	if s.t.Failed() {
		return // the failure says more than a check of a scenario cut short
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.t.Context()), 30*time.Second)
	defer cancel()
	o := check.Options{TaskQueue: s.cfg.TaskQueue, Mailpit: s.mail.APIURL,
		Limits:              store.Limits{Total: s.cfg.HoldLimitTotal, AV: s.cfg.HoldLimitAV},
		CancelApprovalDelay: s.cfg.CancelApprovalDelay, TimeZone: s.cfg.Location.String()}
	r, err := check.Until(ctx, s.db, s.tc, o, 500*time.Millisecond)
	if err != nil {
		s.t.Errorf("yoyaku check could not run: %v", err)
		return
	}
	for _, v := range r.Violations {
		s.t.Errorf("yoyaku check: %s", v)
	}
}

// do sends a JSON request and decodes the JSON answer into out (when not nil); it returns the status.
func (s *stack) do(method, path, token string, body, out any) int {
	s.t.Helper()
	return s.doHeader(method, path, token, nil, body, out)
}

func (s *stack) mustDoHeader(method, path, token string, hdr map[string]string, body any, want int, out any) {
	s.t.Helper()
	var raw json.RawMessage
	if got := s.doHeader(method, path, token, hdr, body, &raw); got != want {
		s.t.Fatalf("%s %s = %d %s, want %d", method, path, got, raw, want)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stack) doHeader(method, path, token string, hdr map[string]string, body, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

func (s *stack) mustDo(method, path, token string, body any, want int, out any) {
	s.t.Helper()
	var raw json.RawMessage
	if got := s.do(method, path, token, body, &raw); got != want {
		s.t.Fatalf("%s %s = %d %s, want %d", method, path, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

// errorCode sends a request that must fail with status and code.
func (s *stack) wantError(method, path, token string, body any, status int, code string) {
	s.t.Helper()
	var e httpkit.ErrorBody
	if got := s.do(method, path, token, body, &e); got != status || string(e.Error.Code) != code {
		s.t.Fatalf("%s %s = %d %q, want %d %q", method, path, got, e.Error.Code, status, code)
	}
}

var fixtureSeq atomic.Int64

// copySpec is one copy of a test title: where it is and whether it is on loan.
type copySpec struct {
	branch string
	onLoan bool
}

// title creates a title with copies and returns its ID and the copies' barcodes.
func (s *stack) title(format domain.Format, copies ...copySpec) (string, []string) {
	s.t.Helper()
	ctx := s.t.Context()
	n := fixtureSeq.Add(1)
	name := fmt.Sprintf("試験資料%d %s", n, s.t.Name())
	var id int64
	if err := s.db.GetContext(ctx, &id, `INSERT INTO titles (title, format, search_text) VALUES ($1, $2, $3) RETURNING id`,
		name, format, domain.SearchKey(name)); err != nil {
		s.t.Fatal(err)
	}
	var lender int64
	if err := s.db.GetContext(ctx, &lender, `SELECT id FROM patrons WHERE card_number = '1000100'`); err != nil {
		s.t.Fatal(err)
	}
	var barcodes []string
	for i, c := range copies {
		bc := fmt.Sprintf("T%d-%d-%d", id, n, i)
		status := "on_shelf"
		if c.onLoan {
			status = "on_loan"
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO items (barcode, title_id, home_branch, location_branch, status) VALUES ($1, $2, $3, $3, $4)`,
			bc, id, c.branch, status); err != nil {
			s.t.Fatal(err)
		}
		if c.onLoan {
			if _, err := s.db.ExecContext(ctx, `INSERT INTO loans (barcode, patron_id, branch, due_date) VALUES ($1, $2, $3, now() + interval '7 days')`,
				bc, lender, c.branch); err != nil {
				s.t.Fatal(err)
			}
		}
		barcodes = append(barcodes, bc)
	}
	return strconv.FormatInt(id, 10), barcodes
}

// patron is a test patron, logged in.
type patron struct {
	id     int64
	card   string
	name   string
	emails []string
	phone  string
	token  string
}

var safeName = regexp.MustCompile(`[^a-z0-9]+`)

// newPatron creates a patron with a contact method: "email" (one address), "email2" (two, both chosen),
// "phone" or "none", and logs in.
func (s *stack) newPatron(contact string) patron {
	s.t.Helper()
	ctx := s.t.Context()
	n := fixtureSeq.Add(1)
	var seq int64
	if err := s.db.GetContext(ctx, &seq, `SELECT nextval('patrons_id_seq')`); err != nil {
		s.t.Fatal(err)
	}
	p := patron{card: fmt.Sprintf("%07d", 2000000+seq%7000000), name: fmt.Sprintf("試験 利用者%d", n)}
	local := safeName.ReplaceAllString(strings.ToLower(s.t.Name()), "-")
	hash := testHash(s.t)
	if err := s.db.GetContext(ctx, &p.id, `INSERT INTO patrons (id, card_number, name, password_hash) VALUES ($1, $2, $3, $4) RETURNING id`,
		seq, p.card, p.name, hash); err != nil {
		s.t.Fatal(err)
	}
	switch contact {
	case "email", "email2":
		k := 1
		if contact == "email2" {
			k = 2
		}
		for slot := 1; slot <= k; slot++ {
			addr := fmt.Sprintf("p%d-%d.%s@example.jp", n, slot, local)
			p.emails = append(p.emails, addr)
			if _, err := s.db.ExecContext(ctx, `INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, $2, $3, true)`, p.id, slot, addr); err != nil {
				s.t.Fatal(err)
			}
		}
		s.db.MustExecContext(ctx, `UPDATE patrons SET contact_method = 'email' WHERE id = $1`, p.id)
	case "phone":
		p.phone = fmt.Sprintf("047-%03d-%04d", n%1000, seq%10000)
		var phoneID int64
		if err := s.db.GetContext(ctx, &phoneID, `INSERT INTO patron_phones (patron_id, number) VALUES ($1, $2) RETURNING id`, p.id, p.phone); err != nil {
			s.t.Fatal(err)
		}
		s.db.MustExecContext(ctx, `UPDATE patrons SET contact_method = 'phone', contact_phone_id = $2 WHERE id = $1`, p.id, phoneID)
	}
	var login struct{ Token string }
	s.mustDo("POST", "/api/v1/session", "", map[string]string{"card_number": p.card, "password": "test-pass-1"}, 200, &login)
	p.token = login.Token
	return p
}

var hashOnce atomic.Value

func testHash(t *testing.T) string {
	if h, ok := hashOnce.Load().(string); ok {
		return h
	}
	h, err := auth.HashPassword("test-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	hashOnce.Store(h)
	return h
}

// hold is the OpenAPI document's Hold as tests read it.
type hold struct {
	ID              string  `json:"id"`
	TitleID         *string `json:"title_id"`
	Status          string  `json:"status"`
	StatusLabel     string  `json:"status_label"`
	Position        *int    `json:"position"`
	PickupBranch    string  `json:"pickup_branch"`
	Origin          string  `json:"origin"`
	ContactDate     *string `json:"contact_date"`
	PickupDeadline  *string `json:"pickup_deadline"`
	CancelReason    *string `json:"cancel_reason"`
	CancelNote      *string `json:"cancel_note"`
	CanChangePickup bool    `json:"can_change_pickup"`
	CanCancel       bool    `json:"can_cancel"`
}

// place places holds and returns the result.
func (s *stack) place(p patron, pickup string, titleIDs ...string) apiclient.PlaceResult {
	s.t.Helper()
	var r apiclient.PlaceResult
	s.mustDo("POST", "/api/v1/holds", p.token, map[string]any{"title_ids": titleIDs, "pickup_branch": pickup, "mode": "normal"}, 200, &r)
	return r
}

// placeOne places one hold that must be accepted and returns its ID.
func (s *stack) placeOne(p patron, pickup, titleID string) string {
	s.t.Helper()
	r := s.place(p, pickup, titleID)
	if len(r.Placed) != 1 {
		s.t.Fatalf("placing %s for %s at %s: %+v", titleID, p.card, pickup, r)
	}
	return r.Placed[0].HoldID
}

func (s *stack) getHold(p patron, id string) hold {
	s.t.Helper()
	var h hold
	s.mustDo("GET", "/api/v1/holds/"+id, p.token, nil, 200, &h)
	return h
}

// waitStatus polls the patron's view of a hold until it shows status, and returns it with the time taken.
func (s *stack) waitStatus(p patron, id, status string) (hold, time.Duration) {
	s.t.Helper()
	start := time.Now()
	deadline := start.Add(20 * time.Second)
	for {
		h := s.getHold(p, id)
		if h.Status == status {
			return h, time.Since(start)
		}
		if time.Now().After(deadline) {
			s.dumpHistory("hold-" + id)
			s.t.Fatalf("hold %s is %s (%s), want %s after 20 s", id, h.Status, h.StatusLabel, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// routing is the OpenAPI document's Routing.
type routing struct {
	Action   string  `json:"action"`
	HoldID   *string `json:"hold_id"`
	ToBranch *string `json:"to_branch"`
}

func (s *stack) scan(path, barcode, branch string) routing {
	s.t.Helper()
	var r routing
	s.mustDo("POST", "/api/v1/staff/"+path, s.staff, map[string]string{"barcode": barcode, "branch": branch}, 200, &r)
	return r
}

// waitWorkflowClosed waits until a workflow has completed.
func (s *stack) waitWorkflowClosed(id string) {
	s.t.Helper()
	s.waitWorkflow(id, false)
}

// waitWorkflowRunning waits until a workflow runs.
func (s *stack) waitWorkflowRunning(id string) {
	s.t.Helper()
	s.waitWorkflow(id, true)
}

func (s *stack) waitWorkflow(id string, running bool) {
	s.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		d, err := s.tc.DescribeWorkflow(s.t.Context(), id, "")
		if err == nil && (d.WorkflowExecutionMetadata.Status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING) == running {
			return
		}
		if time.Now().After(deadline) {
			s.dumpHistory(id)
			s.t.Fatalf("workflow %s: running=%v wanted, err %v", id, running, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dumpHistory logs a workflow's events, for diagnosing a failed test.
func (s *stack) dumpHistory(workflowID string) {
	it := s.tc.GetWorkflowHistory(s.t.Context(), workflowID, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			s.t.Logf("history of %s: %v", workflowID, err)
			return
		}
		s.t.Logf("%s %d %s %v", workflowID, e.GetEventId(), e.GetEventType(), e.GetAttributes())
	}
}

func (s *stack) today() string { return domain.DateOf(time.Now(), s.loc).String() }

func (s *stack) todayPlus(days int) string {
	return domain.DateOf(time.Now(), s.loc).AddDays(days).String()
}

// waitCallListed waits until ready hold id is on chuo's call list: a phone patron's hold is listed once its
// ready event's Notify ran, a moment after the hold became ready (the desk's call before that is refused
// with not_on_call_list).
func (s *stack) waitCallListed(id string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var cl struct {
			Calls []struct {
				HoldID string `json:"hold_id"`
			} `json:"calls"`
		}
		s.mustDo("GET", "/api/v1/staff/call-list?branch=chuo", s.staff, nil, 200, &cl)
		for _, c := range cl.Calls {
			if c.HoldID == id {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("hold %s is not on the call list after 30 s", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
