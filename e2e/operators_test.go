package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"yoyaku/internal/testenv"
)

// Test 12: operators find holds in the Temporal UI's visibility store by status, pickup branch and title
// (here through `temporal workflow list --query`, what the UI runs); no history holds personal data (checked
// for every test of this package when its stack is torn down).
func TestOperatorsFindHoldsByStatusBranchAndTitle(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	shelved, _ := s.title("book", copySpec{branch: "kita"})
	ready, waiting := s.newPatron("email2"), s.newPatron("phone")
	readyID := s.placeOne(ready, "chuo", titleID)
	waitingID := s.placeOne(waiting, "minami", titleID)
	pullID := s.placeOne(waiting, "kita", shelved)
	s.waitStatus(waiting, waitingID, "waiting")
	s.waitStatus(waiting, pullID, "awaiting_pull")
	s.scan("checkin", copies[0], "chuo")
	s.waitStatus(ready, readyID, "ready")

	// The README's operator's guide, each query as written there (with this test's title, and a bound a
	// minute from now for "in a status for more than N days").
	bound := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	for query, want := range map[string]string{
		"YoyakuStatus = 'ready' AND YoyakuPickupBranch = 'chuo' AND YoyakuTitleID = '" + titleID + "'":                                                                                 "hold-" + readyID,
		"YoyakuStatus = 'queued' AND YoyakuTitleID = '" + titleID + "'":                                                                                                                "hold-" + waitingID,
		"YoyakuStatus = 'awaiting_pull' AND YoyakuStatusSince < '" + bound + "' AND ExecutionStatus = 'Running' AND YoyakuTitleID = '" + shelved + "'":                                 "hold-" + pullID,
		"YoyakuStatus = 'awaiting_pull' AND YoyakuStatusSince < '" + bound + "' AND ExecutionStatus = 'Running' AND YoyakuPickupBranch = 'kita' AND YoyakuTitleID = '" + shelved + "'": "hold-" + pullID,
		"WorkflowType = 'HoldWorkflow' AND YoyakuTitleID = '" + titleID + "'":                                                                                                          "hold-" + readyID,
		fmt.Sprintf("YoyakuOrigin = 'web' AND YoyakuTitleID = '%s' AND WorkflowType = 'HoldWorkflow'", titleID):                                                                        "hold-" + readyID,
	} {
		if ids := s.listWorkflows(query); !strings.Contains(strings.Join(ids, " "), want) {
			t.Errorf("temporal workflow list --query %q = %v, want %s", query, ids, want)
		}
	}
	out, err := exec.CommandContext(t.Context(), testenv.Bin(t, "temporal"), "workflow", "count", "--address", testenv.TemporalAddress(t),
		"--namespace", "default", "--query", "YoyakuStatus = 'ready' AND YoyakuPickupBranch = 'chuo' AND YoyakuTitleID = '"+titleID+"'").CombinedOutput()
	if f := strings.Fields(string(out)); err != nil || len(f) == 0 || f[len(f)-1] != "1" { // "Total: 1"
		t.Errorf("temporal workflow count: %v\n%s", err, out)
	}
}

// listWorkflows runs the pinned CLI the way an operator would, polling briefly: visibility is eventually
// consistent.
func (s *stack) listWorkflows(query string) []string {
	s.t.Helper()
	bin := testenv.Bin(s.t, "temporal")
	var ids []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		out, err := exec.CommandContext(s.t.Context(), bin, "workflow", "list", "--address", testenv.TemporalAddress(s.t),
			"--namespace", "default", "--query", query, "--output", "json").CombinedOutput()
		if err != nil {
			s.t.Fatalf("temporal workflow list: %v\n%s", err, out)
		}
		var rows []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
		}
		if err := json.Unmarshal(out, &rows); err != nil && len(strings.TrimSpace(string(out))) > 0 {
			s.t.Fatalf("temporal workflow list output: %v\n%s", err, out)
		}
		ids = ids[:0]
		for _, r := range rows {
			ids = append(ids, r.Execution.WorkflowID)
		}
		if len(ids) > 0 || time.Now().After(deadline) {
			return ids
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// histories returns every workflow history of this stack's task queue.
func (s *stack) histories() map[string]*historypb.History {
	s.t.Helper()
	// Also called from t.Cleanup, after the test's own context is done.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := map[string]*historypb.History{}
	var token []byte
	for {
		resp, err := s.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default", Query: fmt.Sprintf("TaskQueue = '%s'", s.cfg.TaskQueue), NextPageToken: token,
		})
		if err != nil {
			s.t.Fatalf("list workflows: %v", err)
		}
		for _, e := range resp.Executions {
			id := e.Execution.WorkflowId
			var events []*historypb.HistoryEvent
			it := s.tc.GetWorkflowHistory(ctx, id, e.Execution.RunId, false, 0)
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					s.t.Fatalf("history of %s: %v", id, err)
				}
				events = append(events, ev)
			}
			out[id] = &historypb.History{Events: events}
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out
		}
	}
}

// checkHistories runs when a stack is torn down: no history may contain a patron's name, e-mail address or
// phone number; with YOYAKU_RECORD_HISTORIES=dir the histories are written there for the replay tests.
func (s *stack) checkHistories() {
	if s.t.Failed() {
		return
	}
	var personal []string
	rows, err := s.db.Query(`SELECT name FROM patrons UNION ALL SELECT address FROM patron_emails UNION ALL SELECT number FROM patron_phones`)
	if err != nil {
		s.t.Fatal(err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			s.t.Fatal(err)
		}
		personal = append(personal, v)
	}
	if err := rows.Err(); err != nil {
		s.t.Fatal(err)
	}
	dir := os.Getenv("YOYAKU_RECORD_HISTORIES")
	hs := s.histories()
	if len(hs) == 0 {
		s.t.Fatalf("no workflow histories found for task queue %s", s.cfg.TaskQueue)
	}
	for id, h := range hs {
		js, err := protojson.Marshal(h)
		if err != nil {
			s.t.Fatal(err)
		}
		text := string(js)
		for _, p := range personal {
			if strings.Contains(text, p) || strings.Contains(text, jsonEscaped(p)) {
				s.t.Errorf("workflow %s's history contains personal data %q", id, p)
			}
		}
		if dir != "" {
			name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(s.t.Name()+"-"+workflowKind(id), "-")
			path := filepath.Join(dir, fmt.Sprintf("%s-%s.json", name, shortID(id)))
			if err := os.WriteFile(path, js, 0o644); err != nil {
				s.t.Fatal(err)
			}
		}
	}
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

func workflowKind(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

// shortID keeps the last digits of an ID so that file names stay stable enough to read.
func shortID(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}
