package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/mailer"
	"yoyaku/store"
)

// Redate moves a ready hold's pickup deadline for an emergency closing of its pickup branch (臨時休館): the
// old deadline plus the days the closing took away, moved to the next open day. It is a transition of its
// own (ready to ready) whose outcome carries the new expiry, so the workflow re-arms its timer, as 取置延長
// does. A hold the closing re-dated already, one no longer ready, or one that became ready again after the
// closing was recorded (its deadline counts the closed days already) changes nothing. The new deadline is a
// date: a hold under the demos' pickup window expires at the end of that day from then on.
func (a *Activities) Redate(ctx context.Context, in contract.RedateInput) (contract.Outcome, error) {
	return a.step(ctx, in.Step, "redate", "system", func(tx *sqlx.Tx, h store.HoldRow, out *contract.Outcome) (domain.Status, error) {
		if h.Status != domain.StatusReady {
			return "", nil
		}
		r, listed, err := store.LockClosureHold(ctx, tx, in.ClosureID, h.ID)
		if err != nil || !listed || r.Redated || r.Fresh {
			return "", err
		}
		deadline, ok, err := store.PickupDeadlineOf(ctx, tx, h.ID)
		if err != nil || !ok {
			return "", err
		}
		cal, err := store.CalendarOf(ctx, tx, h.Pickup)
		if err != nil {
			return "", err
		}
		nd := r.Closure.Redate(domain.CalendarDate(deadline), cal)
		if err := store.MarkRedated(ctx, tx, in.ClosureID, h.ID, nd.Time()); err != nil {
			return "", err
		}
		out.Contact = &contract.NotifyResult{Contacted: true, ExpiresAt: nd.EndIn(a.Cfg.Location), Deadline: nd.String()}
		return domain.StatusReady, nil
	})
}

// ClosureHolds lists the holds an emergency closing is to re-date (taken when it was recorded).
func (a *Activities) ClosureHolds(ctx context.Context, closureID int64) ([]int64, error) {
	return store.ClosureHolds(ctx, a.DB, closureID)
}

// RedateHolds asks each hold workflow of a batch to re-date its hold (the redate Update) and waits for each
// answer. Progress is heartbeaten, so that a retry after a worker died goes on from the hold it stopped at;
// the Update is idempotent anyway (the closing's list marks a hold re-dated in the transaction that moves
// it). A hold whose workflow has ended or that refuses (no longer ready) is skipped.
func (a *Activities) RedateHolds(ctx context.Context, in contract.RedateBatch) (contract.RedateBatchResult, error) {
	start := 0
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &start); err != nil {
			start = 0
		}
	}
	for i := start; i < len(in.HoldIDs); i++ {
		if err := a.redateOne(ctx, in.ClosureID, in.HoldIDs[i]); err != nil {
			return contract.RedateBatchResult{}, err
		}
		activity.RecordHeartbeat(ctx, i+1)
	}
	n, err := store.CountRedated(ctx, a.DB, in.ClosureID, in.HoldIDs)
	return contract.RedateBatchResult{Redated: n}, err
}

func (a *Activities) redateOne(ctx context.Context, closureID, holdID int64) error {
	h, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: contract.HoldWorkflowID(holdID), UpdateName: contract.UpdateRedate,
		UpdateID: fmt.Sprintf("redate-%d", closureID), Args: []any{contract.RedateRequest{ClosureID: closureID}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil // the hold has closed since: nothing to re-date
	}
	if err == nil {
		err = h.Get(ctx, nil)
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		// a refusal (no longer ready) or a failed transition, for good: the hold keeps its deadline
		activity.GetLogger(ctx).Warn("hold not re-dated", "hold", holdID, "closure", closureID, "error", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("re-date hold %d for closure %d: %w", holdID, closureID, err)
	}
	return nil
}

// MailClosure mails each patron whose holds the closing re-dated their new deadlines, once: one mail per
// patron, to their chosen addresses, marked sent right after the server accepted it (a worker killed in
// between is the one way to mail twice, as for the ready mail). Patrons with no address to mail (phone
// contact) are left to staff, who see the new deadlines on the hold shelf list. Returns how many were mailed.
func (a *Activities) MailClosure(ctx context.Context, closureID int64) (int, error) {
	c, err := store.ReadClosure(ctx, a.DB, closureID)
	if err != nil {
		return 0, err
	}
	patrons, err := store.ClosurePatrons(ctx, a.DB, closureID)
	if err != nil {
		return 0, err
	}
	mailed := 0
	for _, p := range patrons {
		sent, err := a.mailClosureTo(ctx, c, p)
		if err != nil {
			return mailed, err
		}
		if sent {
			mailed++
		}
		activity.RecordHeartbeat(ctx, p)
	}
	return mailed, nil
}

func (a *Activities) mailClosureTo(ctx context.Context, c store.Closure, patron int64) (bool, error) {
	addrs, err := store.NotifyAddresses(ctx, a.DB, patron)
	if err != nil || len(addrs) == 0 {
		return false, err
	}
	notices, err := store.ClosureNotices(ctx, a.DB, c.ID, patron)
	if err != nil || len(notices) == 0 {
		return false, err
	}
	names, err := store.ClosureMailOf(ctx, a.DB, c.ID, patron)
	if err != nil {
		return false, err
	}
	d := mailer.ClosureData{PatronName: names.PatronName, PickupBranch: names.BranchName,
		From: domain.CalendarDate(c.From).Time(), To: domain.CalendarDate(c.To).Time(), StatusURL: a.Cfg.PublicURL + "/holds"}
	for _, n := range notices {
		d.Holds = append(d.Holds, mailer.ClosureHold{Title: n.Title, Deadline: domain.CalendarDate(n.Deadline).Time()})
	}
	subject, text, err := mailer.RenderClosure(d)
	if err != nil {
		return false, fmt.Errorf("closure %d mail to patron %d: %w", c.ID, patron, err)
	}
	msg := mailer.Message{To: addrs, Subject: subject, Text: text,
		MessageID: a.Mailer.MessageID(fmt.Sprintf("closure-%d.patron-%d", c.ID, patron)),
		Headers:   map[string]string{"X-Yoyaku-Closure": fmt.Sprint(c.ID)}}
	if err := a.Mailer.Send(ctx, msg); err != nil {
		return false, fmt.Errorf("closure %d mail to patron %d: %w", c.ID, patron, err)
	}
	return true, store.MarkClosureMailed(ctx, a.DB, c.ID, patron)
}

// CompleteClosure records that the closing's workflow finished its work.
func (a *Activities) CompleteClosure(ctx context.Context, closureID int64) error {
	return store.CompleteClosure(ctx, a.DB, closureID)
}
