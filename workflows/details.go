package workflows

import (
	"strconv"
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

// holdDetails is the current-details text of a hold in state st, as of at. (Built with strings.Builder and
// strconv: workflowcheck counts fmt's printing as non-deterministic.)
func holdDetails(st contract.HoldState, at string) string {
	var b strings.Builder
	label := domain.Label(domain.Shown(st.Status, st.Position), "")
	if label == "" {
		label = string(st.Status)
	}
	line := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
		b.WriteString("\n")
	}
	line("**", label, "** (", string(st.Status), ") since ", at)
	line()
	line("- waiting for: ", waitsFor(st))
	if st.Position > 0 {
		line("- queue position: ", strconv.Itoa(st.Position), " (as of this transition)")
	}
	if st.Deadline != "" {
		ext := ""
		if st.Extended {
			ext = " (extended once)"
		}
		line("- pickup deadline: ", st.Deadline, ext)
	}
	if st.SuspendedUntil != "" {
		line("- suspended until: ", st.SuspendedUntil)
	}
	if st.Barcode != "" {
		line("- copy: ", st.Barcode, " at ", st.CopyBranch)
	}
	b.WriteString("- hold " + strconv.FormatInt(st.HoldID, 10) + " · title " + strconv.FormatInt(st.TitleID, 10) +
		" · pickup " + st.Pickup + " · " + st.Origin + " · transition " + strconv.Itoa(st.Transition))
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
