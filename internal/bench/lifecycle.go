package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"yoyaku/contract"
	"yoyaku/internal/apiclient"
)

// runLifecycle takes one hold through a normal life through the HTTP API — placed for pickup at one library
// while its only copy is on the shelf of another (確認待ち), pulled there (配送中), received at the pickup
// library (利用可能, the ready mail goes out), picked up (checked out to the patron) — waits for its
// workflow to close, and returns the workflow's history as Temporal recorded it.
func runLifecycle(ctx context.Context, api *apiclient.Client, mail *apiclient.MailpitClient, tc client.Client, f *fixtureMaker, fx *fixtures, p *patron, poll time.Duration) (string, []*historypb.HistoryEvent, error) {
	home := fx.libraries[f.rng.IntN(len(fx.libraries))]
	pickup := f.pickOther(fx, home)
	c, err := f.newCopy(ctx, fx.staff, home)
	if err != nil {
		return "", nil, err
	}
	id, err := api.PlaceHold(ctx, p.token, c.titleID, pickup)
	if err != nil {
		return "", nil, err
	}
	if err := waitStatus(ctx, api, p, id, "awaiting_pull", poll); err != nil {
		return "", nil, err
	}
	var r apiclient.Routing
	if err := api.Scan(ctx, fx.staff, "pull", c.barcode, home, &r); err != nil {
		return "", nil, err
	}
	if r.Action != "transit" {
		return "", nil, fmt.Errorf("pull of %s routed %q, want transit", c.barcode, r.Action)
	}
	var rec struct {
		HoldID string `json:"hold_id"`
		Status string `json:"status"`
	}
	if err := api.Scan(ctx, fx.staff, "receive", c.barcode, pickup, &rec); err != nil {
		return "", nil, err
	}
	if rec.HoldID != id || rec.Status != "ready" {
		return "", nil, fmt.Errorf("receive of %s = %+v, want hold %s ready", c.barcode, rec, id)
	}
	// The patron comes when the mail has told them: wait for it, so the history holds the notification.
	for deadline := time.Now().Add(time.Minute); ; {
		msgs, err := mail.Search(ctx, `to:"`+p.email+`"`)
		if err == nil && len(msgs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return "", nil, fmt.Errorf("no ready mail to %s after a minute (%v)", p.email, err)
		}
		time.Sleep(poll)
	}
	// … and the hold shows its pickup deadline (the contact date is recorded once the mail went out).
	for deadline := time.Now().Add(30 * time.Second); ; {
		h, err := api.GetHold(ctx, p.token, id)
		if err != nil {
			return "", nil, err
		}
		if h.PickupDeadline != nil {
			break
		}
		if time.Now().After(deadline) {
			return "", nil, fmt.Errorf("hold %s has no pickup deadline 30 s after its mail", id)
		}
		time.Sleep(poll)
	}
	co, err := api.Checkout(ctx, fx.staff, c.barcode, p.card, pickup)
	if err != nil {
		return "", nil, err
	}
	if co.HoldID == nil || *co.HoldID != id {
		return "", nil, fmt.Errorf("checkout of %s answered hold %v, want %s", c.barcode, co.HoldID, id)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", nil, fmt.Errorf("hold id %q: %w", id, err)
	}
	wid := contract.HoldWorkflowID(n)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := tc.GetWorkflow(wctx, wid, "").Get(wctx, nil); err != nil {
		return "", nil, fmt.Errorf("workflow %s: %w", wid, err)
	}
	events, err := history(ctx, tc, wid)
	return wid, events, err
}

// history reads a workflow's whole history.
func history(ctx context.Context, tc client.Client, wid string) ([]*historypb.HistoryEvent, error) {
	var events []*historypb.HistoryEvent
	it := tc.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", wid, err)
		}
		events = append(events, e)
	}
	return events, nil
}

// checkinHistory reads the history of a check-in scan's workflow (closed by the time the scan answered).
func checkinHistory(ctx context.Context, tc client.Client, s *notifySample) (Workflow, error) {
	wid := contract.CheckinWorkflowID("return-" + s.copy.barcode + "-" + s.reqID)
	events, err := history(ctx, tc, wid)
	if err != nil {
		return Workflow{}, err
	}
	w := Workflow{WorkflowID: wid, Events: len(events), Bytes: HistoryBytes(events)}
	w.Categories, _ = Categorize(events)
	w.Actions, w.ActionKind = Actions(events)
	return w, nil
}

func waitStatus(ctx context.Context, api *apiclient.Client, p *patron, id, status string, poll time.Duration) error {
	var last apiclient.Hold
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		h, err := api.GetHold(ctx, p.token, id)
		if err != nil {
			return err
		}
		if h.Status == status {
			return nil
		}
		last = h
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
	return fmt.Errorf("hold %s is %s after 30 s, want %s", id, last.Status, status)
}

// Categorize counts a history's events by kind: workflow tasks, activities, local-activity markers, other
// markers, timers, signals, updates, search-attribute upserts, the execution's own start and end, and other.
// It also returns the count of each event type.
func Categorize(events []*historypb.HistoryEvent) (categories, types map[string]int) {
	categories, types = map[string]int{}, map[string]int{}
	for _, e := range events {
		t := e.GetEventType()
		types[t.String()]++
		categories[category(e)]++
	}
	return categories, types
}

func category(e *historypb.HistoryEvent) string {
	name := e.GetEventType().String() // "WorkflowTaskScheduled", "MarkerRecorded", …
	switch {
	case strings.HasPrefix(name, "WorkflowTask"):
		return "workflow_tasks"
	case strings.HasPrefix(name, "ActivityTask"):
		return "activities"
	case e.GetEventType() == enumspb.EVENT_TYPE_MARKER_RECORDED:
		if e.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
			return "local_activity_markers"
		}
		return "other_markers"
	case strings.HasPrefix(name, "Timer"):
		return "timers"
	case e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
		strings.Contains(name, "External") && strings.Contains(name, "Signal"):
		return "signals"
	case strings.HasPrefix(name, "WorkflowExecutionUpdate"):
		return "updates"
	case e.GetEventType() == enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
		e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
		return "search_attributes"
	case strings.HasPrefix(name, "WorkflowExecution"):
		return "workflow_start_end"
	}
	return "other"
}

// Actions estimates the Temporal Cloud actions a history cost, by Temporal Cloud's published rules as far as a
// history shows them: the start; each timer started; each search-attribute upsert; each signal received; each
// accepted update (rejected ones leave no event); each activity attempt; one for all the local activities of
// one workflow task; each other marker (side effects, versions). Queries leave no event and are not counted.
func Actions(events []*historypb.HistoryEvent) (int, map[string]int) {
	kinds := map[string]int{}
	laTasks := map[int64]bool{}
	for _, e := range events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			kinds["workflow_started"]++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			kinds["timers"]++
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			kinds["search_attribute_upserts"]++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			kinds["signals"]++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			kinds["updates"]++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			kinds["activity_attempts"] += int(max(e.GetActivityTaskStartedEventAttributes().GetAttempt(), 1))
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			a := e.GetMarkerRecordedEventAttributes()
			if a.GetMarkerName() == "LocalActivity" {
				laTasks[a.GetWorkflowTaskCompletedEventId()] = true
			} else {
				kinds["other_markers"]++
			}
		}
	}
	if len(laTasks) > 0 {
		kinds["local_activity_tasks"] = len(laTasks)
	}
	total := 0
	for _, n := range kinds {
		total += n
	}
	return total, kinds
}

// HistoryBytes is the size of a history's events as protobuf, about what the server stores for it.
func HistoryBytes(events []*historypb.HistoryEvent) int {
	n := 0
	for _, e := range events {
		n += proto.Size(e)
	}
	return n
}
