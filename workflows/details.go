package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
	"yoyaku/domain"
)

// What operators read in the Temporal UI: a hold workflow's current details say, at each transition, its
// status, its place in the queue as of that transition, what it waits for and its deadline; activities and
// timers carry one-line summaries. IDs, codes and dates only: never a name, an address or a phone number.
// (The static summary and details of each workflow are set where it is started: contract.HoldSummary.)

// setDetails records the hold's current details (a value the UI and `temporal workflow describe` read; no
// command, so it is free to change between code versions).
func (w *holdWorkflow) setDetails(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, holdDetails(w.st, workflow.Now(ctx).UTC().Format("2006-01-02 15:04 MST")))
}

// holdDetails is the current-details text of a hold in state st, as of at.
func holdDetails(st contract.HoldState, at string) string {
	var b strings.Builder
	label := domain.Label(domain.Shown(st.Status, st.Position), "")
	if label == "" {
		label = string(st.Status)
	}
	fmt.Fprintf(&b, "**%s** (%s) since %s\n\n", label, st.Status, at)
	fmt.Fprintf(&b, "- waiting for: %s\n", waitsFor(st))
	if st.Position > 0 {
		fmt.Fprintf(&b, "- queue position: %d (as of this transition)\n", st.Position)
	}
	if st.Deadline != "" {
		ext := ""
		if st.Extended {
			ext = " (extended once)"
		}
		fmt.Fprintf(&b, "- pickup deadline: %s%s\n", st.Deadline, ext)
	}
	if st.SuspendedUntil != "" {
		fmt.Fprintf(&b, "- suspended until: %s\n", st.SuspendedUntil)
	}
	if st.Barcode != "" {
		fmt.Fprintf(&b, "- copy: %s at %s\n", st.Barcode, st.CopyBranch)
	}
	fmt.Fprintf(&b, "- hold %d · title %d · pickup %s · %s · transition %d", st.HoldID, st.TitleID, st.Pickup, st.Origin, st.Transition)
	return b.String()
}

// waitsFor says what moves a hold in state st on.
func waitsFor(st contract.HoldState) string {
	switch st.Status {
	case domain.StatusRequested:
		return "approval (the workflow's first transition)"
	case domain.StatusQueued:
		if st.Barcode != "" {
			return "copy " + st.Barcode + " set aside for it to be applied"
		}
		return "a copy of the title to come back (a return, or the holds before it ending)"
	case domain.StatusAwaitingPull:
		return "staff at " + st.CopyBranch + " to pull copy " + st.Barcode + " from the shelf (pull list)"
	case domain.StatusInTransit:
		return "copy " + st.Barcode + " to arrive at " + st.Pickup + " (receive scan)"
	case domain.StatusReady:
		if st.Deadline == "" {
			return "the patron to be told (mail, or a call from the call list at " + st.Pickup + ")"
		}
		return "the patron to pick the copy up at " + st.Pickup + " by " + st.Deadline + " (then it expires)"
	case domain.StatusPreparing:
		return "an earlier volume of its series to be ready or closed"
	case domain.StatusSuspended:
		return "the suspension to end on " + st.SuspendedUntil + " (timer), or the patron to resume it"
	case domain.StatusInvestigating:
		return "staff to order the title, arrange an inter-library loan, or refuse the request"
	case domain.StatusOnOrder:
		return "the ordered or borrowed copy to arrive (staff register it)"
	case domain.StatusCancelRequested:
		return "the cancellation request to be approved"
	case domain.StatusCancelled, domain.StatusFulfilled:
		return "nothing: the hold is closed"
	}
	return "its next event"
}

// summarized is ctx with its local activity's one-line summary for the UI.
func summarized(ctx workflow.Context, summary string) workflow.Context {
	o := workflow.GetLocalActivityOptions(ctx)
	o.Summary = summary
	return workflow.WithLocalActivityOptions(ctx, o)
}
