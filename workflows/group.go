package workflows

import (
	"go.temporal.io/sdk/workflow"

	"yoyaku/contract"
	"yoyaku/domain"
)

// GroupHoldWorkflow is an any-of group (いずれか予約): the parent of its members' hold workflows, one per
// title, which it runs as children. Which member is served is decided in PostgreSQL, when a copy is first
// assigned to one of them (under the group row's lock); the parent's job is to end the others (他の版で用意)
// as soon as a member reports that it was served. It ends when every member has ended.
func GroupHoldWorkflow(ctx workflow.Context, in contract.GroupInput) (contract.GroupResult, error) {
	log := workflow.GetLogger(ctx)
	status := make(map[int64]domain.Status, len(in.Members))
	told := make(map[int64]bool, len(in.Members))
	var winner int64 // the member last seen served
	sel := workflow.NewSelector(ctx)
	open := 0
	// tell signals every other member that may still be open: each ends itself when the group was decided
	// for another member (its activity decides in PostgreSQL), and changes nothing otherwise. Once a member
	// is served, each other member is told once (told).
	tell := func(from int64, isServed bool) {
		for _, m := range in.Members {
			if m.HoldID == from || m.HoldID == winner || told[m.HoldID] || (status[m.HoldID] != "" && !status[m.HoldID].Open()) {
				continue
			}
			told[m.HoldID] = isServed
			err := workflow.SignalExternalWorkflow(ctx, contract.HoldWorkflowID(m.HoldID), "", contract.SignalOtherEdition, nil).Get(ctx, nil)
			if err != nil {
				log.Warn("tell member another edition was provided", "hold", m.HoldID, "error", err)
			}
		}
	}
	// changed takes a member's new status in. A member served ends the others. A member closed without
	// being served may still have decided the group (a copy was assigned to it, then it was cancelled before
	// its workflow took the copy): the others look again, and end if so.
	changed := func(holdID int64, s domain.Status) {
		status[holdID] = s
		switch {
		case served(s):
			winner = holdID
			tell(holdID, true)
		case !s.Open():
			tell(holdID, false)
		}
	}
	for _, m := range in.Members {
		f := workflow.ExecuteChildWorkflow(holdChild(ctx, m), HoldWorkflow, contract.HoldInput{HoldID: m.HoldID, CancelApprovalDelay: in.CancelApprovalDelay})
		open++
		sel.AddFuture(f, func(f workflow.Future) {
			open--
			var res contract.HoldResult
			if err := f.Get(ctx, &res); err != nil {
				log.Error("member ended with an error", "hold", m.HoldID, "error", err)
				res.Status = domain.StatusCancelled
			}
			changed(m.HoldID, res.Status)
		})
	}
	progress := workflow.GetSignalChannel(ctx, contract.SignalVolume)
	sel.AddReceive(progress, func(c workflow.ReceiveChannel, _ bool) {
		var p contract.VolumeProgress
		c.Receive(ctx, &p)
		changed(p.HoldID, p.Status)
	})
	for open > 0 {
		sel.Select(ctx)
	}
	for progress.ReceiveAsync(nil) { // progress of members that have ended changes nothing now
	}
	res := contract.GroupResult{Statuses: make([]domain.Status, len(in.Members))}
	for i, m := range in.Members {
		res.Statuses[i] = status[m.HoldID]
	}
	return res, nil
}

// served reports whether a member in status s was served: a copy set aside for it, on its way, on the hold
// shelf or lent.
func served(s domain.Status) bool {
	switch s {
	case domain.StatusAwaitingPull, domain.StatusInTransit, domain.StatusReady, domain.StatusFulfilled:
		return true
	}
	return false
}
