package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/converter"
)

// workflowView is what an operator reads of a workflow in the Temporal UI: its static summary and details,
// and its current details.
type workflowView struct {
	summary, details, current string
}

// operatorView reads a workflow's summary, details (DescribeWorkflow, as the UI does) and current details
// (the __temporal_workflow_metadata query, as the UI does), waiting until the current details contain want.
func (s *stack) operatorView(id, want string) workflowView {
	s.t.Helper()
	var v workflowView
	for deadline := time.Now().Add(15 * time.Second); ; {
		ctx, cancel := context.WithTimeout(s.t.Context(), 10*time.Second)
		d, err := s.tc.DescribeWorkflow(ctx, id, "")
		if err != nil {
			cancel()
			s.t.Fatalf("describe %s: %v", id, err)
		}
		md := d.RawResponse.GetExecutionConfig().GetUserMetadata()
		dc := converter.GetDefaultDataConverter()
		if err := dc.FromPayload(md.GetSummary(), &v.summary); err != nil {
			s.t.Fatalf("%s summary: %v", id, err)
		}
		if err := dc.FromPayload(md.GetDetails(), &v.details); err != nil {
			s.t.Fatalf("%s details: %v", id, err)
		}
		res, err := s.tc.QueryWorkflow(ctx, id, "", "__temporal_workflow_metadata")
		cancel()
		if err != nil {
			s.t.Fatalf("query %s metadata: %v", id, err)
		}
		var meta sdkpb.WorkflowMetadata
		if err := res.Get(&meta); err != nil {
			s.t.Fatalf("%s metadata: %v", id, err)
		}
		v.current = meta.GetCurrentDetails()
		if strings.Contains(v.current, want) || time.Now().After(deadline) {
			return v
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestOperatorsSeeWhatAHoldWaitsFor (issue 16, test 4): every hold workflow carries a static summary and
// details (hold, title, pickup branch, origin) and current details that say its status, its queue position,
// what it waits for and its deadline, in each main status; none of it is personal data.
func TestOperatorsSeeWhatAHoldWaitsFor(t *testing.T) {
	s := newStack(t, nil)
	lent, lentCopies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	shelved, _ := s.title("book", copySpec{branch: "kita"})
	first, second, third := s.newPatron("email"), s.newPatron("email2"), s.newPatron("phone")
	readyID := s.placeOne(first, "chuo", lent)
	waitingID := s.placeOne(second, "chuo", lent)
	suspendedID := s.placeOne(third, "chuo", lent)
	pullID := s.placeOne(second, "chuo", shelved)
	s.waitStatus(third, suspendedID, "waiting")
	s.mustDo("POST", "/api/v1/holds/"+suspendedID+"/suspend", third.token, map[string]string{"until": s.todayPlus(5)}, 200, nil)
	s.waitStatus(second, pullID, "awaiting_pull")

	type want struct {
		id, status string
		has        []string
	}
	cases := []want{
		{waitingID, "waiting", []string{"**順番待ち** (queued)", "queue position: 2 (as of this transition)", "a copy of the title to come back"}},
		{suspendedID, "suspended", []string{"**休止中** (suspended)", "suspended until: " + s.todayPlus(5), "the suspension to end on"}},
		{pullID, "awaiting_pull", []string{"**確認待ち** (awaiting_pull)", "to pull copy", "pull list"}},
	}
	s.scan("checkin", lentCopies[0], "chuo")
	deadline := s.waitDeadline(first, readyID)
	cases = append(cases, want{readyID, "ready", []string{"**利用可能** (ready)", "pickup deadline: " + *deadline.PickupDeadline, "by " + *deadline.PickupDeadline}})
	for _, c := range cases {
		v := s.operatorView("hold-"+c.id, c.has[0])
		wantSummary := "hold " + c.id + ": title "
		if !strings.HasPrefix(v.summary, wantSummary) || !strings.HasSuffix(v.summary, "→ chuo (web)") {
			t.Errorf("hold %s summary %q, want %q… → chuo (web)", c.id, v.summary, wantSummary)
		}
		if !strings.Contains(v.details, "pickup branch: chuo") || !strings.Contains(v.details, "placed: web") {
			t.Errorf("hold %s details %q", c.id, v.details)
		}
		for _, h := range c.has {
			if !strings.Contains(v.current, h) {
				t.Errorf("hold %s (%s) current details lack %q:\n%s", c.id, c.status, h, v.current)
			}
		}
		for _, p := range []patron{first, second, third} {
			for _, personal := range append([]string{p.name, p.card, p.phone}, p.emails...) {
				if personal != "" && strings.Contains(v.summary+v.details+v.current, personal) {
					t.Errorf("hold %s shows operators personal data %q", c.id, personal)
				}
			}
		}
	}
	// The patron picks the copy up: a closed hold says so.
	s.mustDo("POST", "/api/v1/staff/checkout", s.staff, map[string]string{"barcode": lentCopies[0], "card_number": first.card, "branch": "chuo"}, 200, nil)
	if v := s.operatorView("hold-"+readyID, "**貸出済**"); !strings.Contains(v.current, "nothing: the hold is closed") {
		t.Errorf("fulfilled hold's current details:\n%s", v.current)
	}
}
