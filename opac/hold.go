package opac

// 予約状況's explanations (the guide's 状態表示/説明 table, per row and on the page; why a button is absent;
// the guide's notices) and the page of one hold, GET /holds/{id}: its details and its timeline, read from
// the hold's event log.

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/store"
)

// holdExplained is what a row of 予約状況 (and the hold page) says about its hold besides the data: text keys,
// translated by the templates.
type holdExplained struct {
	Ready      bool   // on the hold shelf: listed first and highlighted
	ExplainKey string // the guide's explanation of the status
	ReasonKey  string // for a cancelled hold: 本人取消 or 期限切れ explained
	WhyKey     string // why there is no 予約内容変更 / 予約取消 button; "" when there are buttons or nothing to do
	// ExtendWhyKey says why a ready hold has no 取置期限を延長 button; "" when it has one or is not ready.
	ExtendWhyKey string
	Note         string // what staff told the patron when they cancelled or refused the hold
}

// explainedStatuses are the shown statuses in the guide's order, each with an explain.<status> text.
var explainedStatuses = []domain.Status{domain.StatusRequested, domain.StatusAwaitingPull, domain.StatusAwaitingReturn,
	domain.StatusWaiting, domain.StatusSuspended, domain.StatusInvestigating, domain.StatusInTransit, domain.StatusPreparing, domain.StatusOnOrder,
	domain.StatusReady, domain.StatusCancelRequested, domain.StatusCancelled, domain.StatusFulfilled}

// explainedCancelReasons are the cancel reasons the guide explains (explain.cancelled.<reason>).
var explainedCancelReasons = []domain.CancelReason{domain.CancelPatron, domain.CancelExpired, domain.CancelOtherEdition}

func explainHold(h store.HoldView, j httpkit.HoldJSON) holdExplained {
	shown := domain.Status(j.Status)
	e := holdExplained{Ready: shown == domain.StatusReady}
	if e.Ready && !j.Extendable {
		switch {
		case h.Extended:
			e.ExtendWhyKey = "holds.extend.why.extended"
		case !h.PickupDeadline.Valid:
			e.ExtendWhyKey = "holds.extend.why.not_contacted"
		case h.OthersWaiting:
			e.ExtendWhyKey = "holds.extend.why.others"
		}
	}
	if j.CancelNote != nil {
		e.Note = *j.CancelNote
	}
	if _, ok := holdTexts["explain."+string(shown)]; ok {
		e.ExplainKey = "explain." + string(shown)
	}
	if shown == domain.StatusCancelled {
		if k := "explain.cancelled." + h.CancelReason.String; holdTexts[k] != [2]string{} {
			e.ReasonKey = k
		}
	}
	if !j.CanChangePickup && !j.CanCancel && shown.Open() {
		switch {
		case shown == domain.StatusReady:
			e.WhyKey = "holds.why.ready"
		case shown == domain.StatusInTransit:
			e.WhyKey = "holds.why.in_transit"
		case shown == domain.StatusCancelRequested:
			e.WhyKey = "holds.why.cancel_requested"
		case h.Origin == "counter":
			e.WhyKey = "holds.why.counter"
		}
	}
	return e
}

// readyFirst puts the holds waiting on the hold shelf first, keeping the order otherwise (oldest first).
func readyFirst(rows []patronHold) {
	slices.SortStableFunc(rows, func(a, b patronHold) int {
		switch {
		case a.Ready == b.Ready:
			return 0
		case a.Ready:
			return -1
		}
		return 1
	})
}

// explainLine is one line of the 状態表示/説明 list.
type explainLine struct {
	Code, Label, Key string
	Sub              []explainLine
}

// explainList is the guide's 状態表示/説明 table in lang.
func explainList(lang string) []explainLine {
	var out []explainLine
	for _, st := range explainedStatuses {
		l := explainLine{Code: string(st), Label: patronStatusLabel(lang, st, ""), Key: "explain." + string(st)}
		if st == domain.StatusCancelled {
			for _, r := range explainedCancelReasons {
				l.Sub = append(l.Sub, explainLine{Code: string(r), Label: patronStatusLabel(lang, st, r), Key: "explain.cancelled." + string(r)})
			}
		}
		out = append(out, l)
	}
	return out
}

// holdsNotices are the page data of 予約状況's explanations: the 状態表示/説明 list, the ready holds, and which
// of the guide's notices apply.
func holdsNotices(rows []patronHold, lang string) gin.H {
	var ready []patronHold
	series, counter := false, false
	for _, r := range rows {
		if r.Ready {
			ready = append(ready, r)
		}
		open := domain.Status(r.Status).Open()
		if open && (r.Series != nil || domain.Status(r.Status) == domain.StatusPreparing) {
			series = true
		}
		if open && r.Origin == "counter" {
			counter = true
		}
	}
	return gin.H{"Explain": explainList(lang), "ReadyHolds": ready, "SeriesNotice": series, "CounterNotice": counter}
}

// --- the hold page ---

// timelineOps are the event log's ops (the activities' step names) the timeline has words for
// (timeline.<op>); any other op is shown as timeline.other with the status it led to.
var timelineOps = []string{"approve", "copy:assigned", "copy:secured", "copy:arrived", "pull", "missing", "receive",
	"order", "ill", "arrived", "contacted", "call:reached", "call:voicemail", "call:no_answer", "cancel_request",
	"cancel:patron", "cancel:expired", "cancel:staff", "cancel:other_edition", "checkout", "pickup", "proceed", "resume", "suspend", "unsuspend",
	"unsuspend:timer", "extend", "defer", "redate"}

// timelineEntry is one line of a hold's timeline.
type timelineEntry struct {
	At     string // date and time in the library's zone, or only the date
	Key    string // what happened: timeline.<op>
	Status string // the status it led to; "" when it did not change
	Call   bool   // a phone call (its outcome is the entry)
	sortAt time.Time
}

// holdTimeline is the hold's history for the patron: placed, then every event of its log, and the contact
// date where it falls. Who acted (staff logins) is not shown.
func holdTimeline(h store.HoldView, evs []store.HoldEvent, lang string, loc *time.Location) []timelineEntry {
	stamp := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	out := []timelineEntry{{At: stamp(h.PlacedAt), Key: "timeline.placed",
		Status: patronStatusLabel(lang, domain.StatusRequested, ""), sortAt: h.PlacedAt}}
	for _, ev := range evs {
		ev.Op = cancelOp(h, ev)
		e := timelineEntry{At: stamp(ev.At), Key: "timeline.other", sortAt: ev.At, Call: strings.HasPrefix(ev.Op, "call:") || ev.Op == "contacted"}
		if slices.Contains(timelineOps, ev.Op) {
			e.Key = "timeline." + ev.Op
		}
		if ev.From.String != string(ev.To) || e.Key == "timeline.other" {
			e.Status = timelineStatus(lang, ev)
		}
		out = append(out, e)
	}
	if h.ContactDate.Valid {
		// The contact date is a date: it goes after the event that made it (the ready copy, or the call), or at
		// the start of its day.
		day := h.ContactDate.Time
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
		at := start
		for _, ev := range evs {
			made := ev.To == domain.StatusReady && (ev.From.String != string(domain.StatusReady) || strings.HasPrefix(ev.Op, "call:") || ev.Op == "contacted")
			if made && !ev.At.Before(at) && ev.At.Before(start.AddDate(0, 0, 1)) {
				at = ev.At.Add(time.Nanosecond)
			}
		}
		out = append(out, timelineEntry{At: day.Format(time.DateOnly), Key: "timeline.contact_date", sortAt: at})
	}
	slices.SortStableFunc(out, func(a, b timelineEntry) int { return a.sortAt.Compare(b.sortAt) })
	return out
}

// cancelOp is the op the timeline shows for ev: a step that ended the hold on its way (an any-of member whose
// group another member's copy decided while it was being approved or queued ends in that step, op approve)
// says why it ended, from the hold's cancel reason; any other event keeps its op.
func cancelOp(h store.HoldView, ev store.HoldEvent) string {
	if ev.To != domain.StatusCancelled || strings.HasPrefix(ev.Op, "cancel") || !h.CancelReason.Valid {
		return ev.Op
	}
	return "cancel:" + h.CancelReason.String
}

// timelineStatus is the label of the status an event led to. A queued hold's place in the queue then is not
// kept, so both of the guide's words for it are shown.
func timelineStatus(lang string, ev store.HoldEvent) string {
	if ev.To == domain.StatusQueued {
		return patronStatusLabel(lang, domain.StatusAwaitingReturn, "") + " / " + patronStatusLabel(lang, domain.StatusWaiting, "")
	}
	var reason domain.CancelReason
	if r, ok := strings.CutPrefix(ev.Op, "cancel:"); ok {
		reason = domain.CancelReason(r)
	}
	return patronStatusLabel(lang, ev.To, reason)
}

// holdPage is GET /holds/{id}: the patron's own hold, explained, with its timeline. Another patron's hold
// or an unknown ID is the not-found page.
func (s *Pages) holdPage(c *gin.Context) {
	h, row, _, ok := s.patronOwnHold(c)
	if !ok {
		return
	}
	evs, err := store.HoldEvents(c.Request.Context(), s.DB, h.ID)
	if err != nil {
		s.Internal(c, err)
		return
	}
	lang := httpkit.Lang(c)
	hs, rows := []store.HoldView{h}, []patronHold{row}
	est, err := s.Lib.Estimates(c.Request.Context(), hs)
	if err != nil {
		s.Internal(c, err)
		return
	}
	s.withEstimates(lang, hs, rows, est)
	row = rows[0]
	msg := extendMessage(c)
	if m := suspendDone(c); m != nil {
		msg = m
	}
	if m := deferDone(c); m != nil {
		msg = m
	}
	group, err := s.holdGroupOf(c, h)
	if err != nil {
		s.Internal(c, err)
		return
	}
	data := gin.H{"Hold": row, "Timeline": holdTimeline(h, evs, lang, s.Location()),
		"OriginKey": "hold.origin." + cmp.Or(h.Origin, "web"), "Message": msg, "Group": group}
	for k, v := range suspendForm(s.Location()) {
		data[k] = v
	}
	s.Page(c, http.StatusOK, "hold", data)
}

// holdSibling is another member of the hold's any-of group, as the hold page lists it.
type holdSibling struct {
	ID, Title, Label string
}

// holdGroupPart is what the hold page says about the any-of group the hold is a member of.
type holdGroupPart struct {
	Size     int
	Siblings []holdSibling
}

// holdGroupOf reads the other members of h's any-of group; nil when h is in none.
func (s *Pages) holdGroupOf(c *gin.Context, h store.HoldView) (*holdGroupPart, error) {
	if !h.GroupID.Valid {
		return nil, nil
	}
	hs, err := store.GroupHolds(c.Request.Context(), s.DB, h.GroupID.Int64, h.PatronID)
	if err != nil {
		return nil, err
	}
	g := &holdGroupPart{Size: len(hs)}
	for _, m := range hs {
		if m.ID == h.ID {
			continue
		}
		r := patronHoldOf(httpkit.Lang(c), m, nil) // the label as 予約状況 shows it (休止中 with its date, too)
		g.Siblings = append(g.Siblings, holdSibling{ID: r.ID, Title: r.Title, Label: r.Label})
	}
	return g, nil
}

// --- 取置延長 ---

// extendMessage is the message after 取置期限を延長's redirect: done, or the refusal's (?err=).
func extendMessage(c *gin.Context) *patronMessage {
	if c.Query("done") == "extend" {
		return &patronMessage{Text: httpkit.Tr(c, "holds.extend.done")}
	}
	return patronRedirectMessage(c)
}

// extendSubmit is 取置期限を延長 (POST /holds/{id}/extend, from 予約状況 or the hold page): library.Extend, as
// POST /api/v1/holds/{id}/extend, then back to the page it came from (from=hold: the hold page) with the
// outcome, refusals included, in the query.
func (s *Pages) extendSubmit(c *gin.Context) {
	h, err := s.Lib.OwnHold(c.Request.Context(), c.Param("id"), httpkit.PatronID(c))
	if err != nil {
		s.FailErr(c, err)
		return
	}
	back := "/holds"
	if c.PostForm("from") == "hold" {
		back = "/holds/" + httpkit.IDString(h.ID)
	}
	_, err = s.Lib.Extend(c.Request.Context(), h)
	if s.Refused(c, err, func(_ int, code httpkit.Code) {
		httpkit.SeeOther(c, back+"?err="+url.QueryEscape(string(code)))
	}) {
		return
	}
	httpkit.SeeOther(c, back+"?done=extend")
}
