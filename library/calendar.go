package library

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
	"yoyaku/workflows"
)

// Branch calendars (休館日) and emergency closings (臨時休館).

// Codes of calendar refusals.
const (
	CodeInvalidCalendar domain.Code = "invalid_calendar" // a weekday, date or reason that is not valid, or a date twice
	CodeInvalidClosure  domain.Code = "invalid_closure"  // dates not valid, from after to, over already, over a year; or no reason
)

// Weekdays are the names of the weekly closing days, indexed by time.Weekday.
var Weekdays = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

const (
	maxCalendarDays = 1000 // dated days in one calendar
	maxReasonLen    = 100  // characters of a reason
	maxClosureDays  = 366
)

// CalendarDay is a dated day of a calendar: open on a usual closing day, or closed.
type CalendarDay struct {
	Date   string `json:"date"`
	Open   bool   `json:"open"`
	Reason string `json:"reason"`
}

// Calendar is a branch's calendar as the API shows it.
type Calendar struct {
	Branch       string        `json:"branch"`
	WeeklyClosed []string      `json:"weekly_closed"`
	Days         []CalendarDay `json:"days"`
}

// BranchCalendar reads a branch's calendar; an unknown branch is not_found.
func (s *Service) BranchCalendar(ctx context.Context, branch string) (Calendar, error) {
	if err := s.knownBranch(ctx, branch); err != nil {
		return Calendar{}, err
	}
	bc, err := store.ReadCalendar(ctx, s.DB, branch)
	if err != nil {
		return Calendar{}, unavailable(err)
	}
	c := Calendar{Branch: branch, WeeklyClosed: []string{}, Days: []CalendarDay{}}
	for _, w := range bc.Weekly {
		c.WeeklyClosed = append(c.WeeklyClosed, Weekdays[w])
	}
	for _, d := range bc.Days {
		c.Days = append(c.Days, CalendarDay{Date: domain.CalendarDate(d.Day).String(), Open: d.Open, Reason: d.Reason})
	}
	return c, nil
}

// PutBranchCalendar replaces a branch's calendar. Deadlines already set stay (an emergency closing re-dates
// them); deadlines set from now on follow the new calendar.
func (s *Service) PutBranchCalendar(ctx context.Context, branch string, in Calendar) (Calendar, error) {
	if err := s.knownBranch(ctx, branch); err != nil {
		return Calendar{}, err
	}
	bc, err := parseCalendar(in)
	if err != nil {
		return Calendar{}, err
	}
	if err := store.InTx(ctx, s.DB, func(tx *sqlx.Tx) error { return store.PutCalendar(ctx, tx, branch, bc) }); err != nil {
		return Calendar{}, unavailable(err)
	}
	return s.BranchCalendar(ctx, branch)
}

func (s *Service) knownBranch(ctx context.Context, branch string) error {
	ok, err := store.BranchExists(ctx, s.DB, branch)
	switch {
	case err != nil:
		return unavailable(err)
	case !ok:
		return refuse(contract.ErrNotFound)
	}
	return nil
}

func parseCalendar(in Calendar) (store.BranchCalendar, error) {
	var bc store.BranchCalendar
	for _, name := range in.WeeklyClosed {
		w := slices.Index(Weekdays[:], strings.ToLower(strings.TrimSpace(name)))
		if w < 0 || slices.Contains(bc.Weekly, time.Weekday(w)) {
			return bc, refuse(CodeInvalidCalendar)
		}
		bc.Weekly = append(bc.Weekly, time.Weekday(w))
	}
	if len(in.Days) > maxCalendarDays {
		return bc, refuse(CodeInvalidCalendar)
	}
	seen := map[domain.Date]bool{}
	for _, d := range in.Days {
		day, err := domain.ParseDate(strings.TrimSpace(d.Date))
		reason, ok := cleanReason(d.Reason)
		if err != nil || !ok || seen[day] || day.Time().Year() < 2000 || day.Time().Year() > 2999 {
			return bc, refuse(CodeInvalidCalendar)
		}
		seen[day] = true
		bc.Days = append(bc.Days, store.CalendarDay{Day: day.Time(), Open: d.Open, Reason: reason})
	}
	slices.Sort(bc.Weekly)
	return bc, nil
}

// cleanReason trims a reason; false when it is too long or holds control characters.
func cleanReason(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxReasonLen || strings.ContainsFunc(s, unicode.IsControl) {
		return "", false
	}
	return s, true
}

// ClosureRequest is an emergency closing of a branch: from and to (YYYY-MM-DD, both included) and why.
type ClosureRequest struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// Closure is an emergency closing as the API shows it.
type Closure struct {
	ID         int64   `json:"closure_id"`
	Branch     string  `json:"branch"`
	From       string  `json:"from"`
	To         string  `json:"to"`
	Reason     string  `json:"reason"`
	OpenDays   int     `json:"open_days"`    // the days of from–to the branch would have opened: what deadlines move by
	Holds      int     `json:"holds"`        // ready holds to re-date
	Redated    int     `json:"redated"`      // of those, re-dated so far
	Completed  *string `json:"completed_at"` // when its workflow finished, RFC 3339; null while it runs
	WorkflowID string  `json:"workflow_id"`
}

func closureJSON(c store.Closure) Closure {
	out := Closure{ID: c.ID, Branch: c.Branch, From: domain.CalendarDate(c.From).String(), To: domain.CalendarDate(c.To).String(),
		Reason: c.Reason, OpenDays: c.OpenDays, Holds: c.Holds, Redated: c.Redated, WorkflowID: contract.ClosureWorkflowID(c.ID)}
	if c.CompletedAt.Valid {
		t := c.CompletedAt.Time.Format(time.RFC3339)
		out.Completed = &t
	}
	return out
}

// CloseBranch records an emergency closing of branch (the days closed in its calendar, the ready holds to
// re-date) and starts its ClosureWorkflow, which re-dates them and mails their patrons. The closing ends no
// earlier than today (in the library's zone) and lasts at most a year.
func (s *Service) CloseBranch(ctx context.Context, branch string, r ClosureRequest, staffID int64) (Closure, error) {
	if err := s.knownBranch(ctx, branch); err != nil {
		return Closure{}, err
	}
	from, errF := domain.ParseDate(strings.TrimSpace(r.From))
	to, errT := domain.ParseDate(strings.TrimSpace(r.To))
	reason, ok := cleanReason(r.Reason)
	today := domain.DateOf(time.Now(), s.Cfg.Location)
	if errF != nil || errT != nil || !ok || reason == "" || to.Before(from) || to.Before(today) ||
		from.AddDays(maxClosureDays).Before(to) {
		return Closure{}, refuse(CodeInvalidClosure)
	}
	var staff *int64
	if staffID != 0 {
		staff = &staffID
	}
	var id int64
	err := store.InTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		var err error
		id, err = store.RecordClosure(ctx, tx, branch, from, to, reason, staff)
		return err
	})
	if err != nil {
		return Closure{}, unavailable(err)
	}
	if err := s.startClosure(ctx, id); err != nil {
		return Closure{}, unavailable(fmt.Errorf("closure %d recorded, its workflow not started: %w", id, err))
	}
	c, err := store.ReadClosure(ctx, s.DB, id)
	if err != nil {
		return Closure{}, unavailable(err)
	}
	return closureJSON(c), nil
}

// startClosure starts closing id's workflow right after it was recorded; one that is already running
// counts as started.
func (s *Service) startClosure(ctx context.Context, id int64) error {
	ctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	if err := StartClosure(ctx, s.Temporal, s.settings(), id); err != nil && !AlreadyStarted(err) {
		return err
	}
	return nil
}

// StartClosure starts emergency closing id's ClosureWorkflow. Its ID is the closing's, so a second start
// fails with an "already started" error (the reconciler's, for a closing whose start an API crash cut
// short) and nothing runs twice.
func StartClosure(ctx context.Context, tc client.Client, s Settings, id int64) error {
	_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       contract.ClosureWorkflowID(id),
		TaskQueue:                s.TaskQueue,
		StaticSummary:            fmt.Sprintf("emergency closing %d: re-date the ready holds, mail their patrons", id),
		WorkflowIDReusePolicy:    s.reusePolicy(),
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// without it the SDK answers a second start with the running workflow, as if it had started it
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.ClosureWorkflow, contract.ClosureInput{ClosureID: id, BatchSize: s.ClosureBatch, Pause: s.ClosurePause})
	return err
}

// BranchClosures lists a branch's emergency closings, latest first.
func (s *Service) BranchClosures(ctx context.Context, branch string) ([]Closure, error) {
	if err := s.knownBranch(ctx, branch); err != nil {
		return nil, err
	}
	cs, err := store.Closures(ctx, s.DB, branch)
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]Closure, 0, len(cs))
	for _, c := range cs {
		out = append(out, closureJSON(c))
	}
	return out, nil
}
