// Package contract is yoyaku's whole Temporal contract, in one place for every side: the task queue,
// workflow IDs, search attributes, signal/update/query names, the payloads of workflows, Updates and
// activities, and the refusal codes activities and validators fail with. Workflows, activities, the hold
// service, the HTTP API and check import it; only workflows, the worker and cmd import activities.
// Payloads carry IDs only, never personal data (names, e-mail addresses, phone numbers), and their field
// names are fixed: recorded histories decode them (workflows' TestReplay).
package contract

import (
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"yoyaku/domain"
)

// DefaultTaskQueue is where yoyaku's workflows and activities run unless YOYAKU_TEMPORAL_TASK_QUEUE says
// otherwise. Workflows never name a task queue themselves: children and signals stay on the caller's.
const DefaultTaskQueue = "yoyaku"

// Search attributes operators filter on in the Temporal Web UI: Keywords, and the Datetime of the hold's
// last status change (so "ready for more than 3 days" is a query).
var (
	StatusKey       = temporal.NewSearchAttributeKeyKeyword("YoyakuStatus")
	PickupBranchKey = temporal.NewSearchAttributeKeyKeyword("YoyakuPickupBranch")
	TitleIDKey      = temporal.NewSearchAttributeKeyKeyword("YoyakuTitleID")
	OriginKey       = temporal.NewSearchAttributeKeyKeyword("YoyakuOrigin")
	StatusSinceKey  = temporal.NewSearchAttributeKeyTime("YoyakuStatusSince")
)

// SearchAttributes lists the Keyword keys.
func SearchAttributes() []temporal.SearchAttributeKeyKeyword {
	return []temporal.SearchAttributeKeyKeyword{StatusKey, PickupBranchKey, TitleIDKey, OriginKey}
}

// SearchAttributeNames lists every key to register on the namespace (dev server, test harness,
// docker-compose), Keywords first.
func SearchAttributeNames() []string {
	keys := SearchAttributes()
	names := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		names = append(names, k.GetName())
	}
	return append(names, StatusSinceKey.GetName())
}

// SearchAttributeType is the type a key is registered with, as the temporal CLI names it.
func SearchAttributeType(name string) string {
	if name == StatusSinceKey.GetName() {
		return "Datetime"
	}
	return "Keyword"
}

// RegistrationSet is every key in the form testsuite.DevServerOptions takes.
func RegistrationSet() temporal.SearchAttributes {
	keys := SearchAttributes()
	updates := make([]temporal.SearchAttributeUpdate, 0, len(keys)+1)
	for _, k := range keys {
		updates = append(updates, k.ValueSet(""))
	}
	updates = append(updates, StatusSinceKey.ValueSet(time.Unix(0, 0)))
	return temporal.NewSearchAttributes(updates...)
}

// HoldWorkflowID is the ID of hold id's workflow.
func HoldWorkflowID(id int64) string { return "hold-" + strconv.FormatInt(id, 10) }

// ArchiveScheduleID is the Temporal Schedule that archives old cancelled and fulfilled holds.
const ArchiveScheduleID = "archive-holds"

// CheckinWorkflowID is the ID of the short workflow behind a check-in scan. It comes from the scan's request
// ID, so a retried request finds the same workflow and allocates nothing twice.
func CheckinWorkflowID(requestID string) string { return "checkin-" + requestID }

// HoldSummary and HoldDetails are a hold workflow's static summary and details in the Temporal UI: IDs and
// codes only, never personal data. Its current details (set by the workflow at each transition) say where
// it stands.
func HoldSummary(holdID, titleID int64, pickup, origin string) string {
	title := "a title the library does not own"
	if titleID != 0 {
		title = "title " + strconv.FormatInt(titleID, 10)
	}
	return "hold " + strconv.FormatInt(holdID, 10) + ": " + title + " → " + pickup + " (" + origin + ")"
}

// HoldDetails: see HoldSummary.
func HoldDetails(holdID, titleID int64, pickup, origin string) string {
	return "Hold " + strconv.FormatInt(holdID, 10) + " (yoyaku, holds.id)\n\n" +
		"- title: " + strconv.FormatInt(titleID, 10) + " (0: a counter request for a title the library does not own)\n" +
		"- pickup branch: " + pickup + "\n- placed: " + origin + "\n\n" +
		"Its current details say its status, its queue position, what it waits for and its deadline."
}

// GroupSummary is a parent workflow's static summary (a series hold, an any-of group) in the Temporal UI.
func GroupSummary(kind string, id int64, members []Volume) string {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = strconv.FormatInt(m.HoldID, 10)
	}
	return kind + " " + strconv.FormatInt(id, 10) + ": holds " + strings.Join(ids, ", ")
}

// HoldInput starts a HoldWorkflow. IDs and settings only.
type HoldInput struct {
	HoldID int64
	// Resume: the hold existed before this run (a normal hold converted into a volume of a series): its
	// state is loaded, not approved.
	Resume bool
	// CancelApprovalDelay is how long a cancellation request (取消申込) waits before it is approved
	// (本人取消). Zero approves at once.
	CancelApprovalDelay time.Duration
}

// HoldResult is how a hold's run ended.
type HoldResult struct {
	Status domain.Status
	// Converted: the run ended to hand the hold over to a series hold, which runs it on as a child.
	Converted bool
}

// SeriesWorkflowID is the ID of a series hold's workflow, the parent of its volumes' hold workflows.
func SeriesWorkflowID(id int64) string { return "series-" + strconv.FormatInt(id, 10) }

// SeriesInput starts a SeriesHoldWorkflow: its volumes' holds in reading order.
type SeriesInput struct {
	SeriesID int64
	Volumes  []Volume // in reading order
	// Convert: the holds exist with running workflows that must hand over first (POST /api/v1/series).
	Convert             bool
	CancelApprovalDelay time.Duration
}

// Volume is one hold of a series hold (IDs and codes only, for the child's search attributes).
type Volume struct {
	HoldID  int64
	TitleID int64
	Pickup  string
}

// SeriesResult says how the volumes ended.
type SeriesResult struct {
	Statuses []domain.Status
}

// GroupWorkflowID is the ID of an any-of group's workflow (いずれか予約), the parent of its members' hold
// workflows.
func GroupWorkflowID(id int64) string { return "group-" + strconv.FormatInt(id, 10) }

// GroupInput starts a GroupHoldWorkflow: its members' holds, one per title.
type GroupInput struct {
	GroupID             int64
	Members             []Volume
	CancelApprovalDelay time.Duration
}

// GroupResult says how the members ended.
type GroupResult struct {
	Statuses []domain.Status
}

// SignalOtherEdition (no payload) tells a member of an any-of group that the group was served by another
// member: it ends as other_edition (他の版で用意) unless it holds a copy (it was the one served).
const SignalOtherEdition = "other-edition"

// Signals between a parent (a series hold, an any-of group) and its holds.
const (
	// SignalVolume (VolumeProgress) tells the parent that one of its holds changed status.
	SignalVolume = "volume"
	// SignalProceed (no payload) asks a 準備中 volume to check whether it may go on.
	SignalProceed = "proceed"
)

// VolumeProgress is a volume's new status.
type VolumeProgress struct {
	HoldID int64
	Status domain.Status
}

// UpdateConvert asks a running hold workflow to end its run so that a series hold can run it on.
const UpdateConvert = "convert"

// Signals of the hold workflow.
const (
	// SignalCopy carries an activities.Assignment: allocation gave this hold a copy.
	SignalCopy = "copy"
)

// Updates of the hold workflow. Each has a validator that refuses a scan or request that does not fit the
// hold's state, with an ApplicationError whose type is the API's error code.
const (
	UpdatePull         = "pull"          // ScanRequest: staff secured the set-aside copy
	UpdateMissing      = "missing"       // ScanRequest: the set-aside copy is not on the shelf
	UpdateReceive      = "receive"       // ScanRequest: a travelling copy arrived at the pickup branch
	UpdateCheckout     = "checkout"      // CheckoutRequest: the copy is lent (to the hold's patron, or a walk-in)
	UpdateCancel       = "cancel"        // CancelRequest: patron request (取消申込) or staff cancellation/refusal
	UpdateChangePickup = "change-pickup" // PickupRequest
	UpdateContacted    = "contacted"     // StaffRequest: the phone call was made
	UpdateOrder        = "order"         // StaffRequest: the requested title was ordered (選書中)
	UpdateILL          = "ill"           // StaffRequest: an inter-library loan was arranged
	UpdateArrived      = "arrived"       // ArrivedRequest: the ordered or ILL copy arrived
	UpdateCall         = "call"          // CallRequest: a phone call with its outcome (連絡済, 留守電, 不在)
	UpdateSuspend      = "suspend"       // SuspendRequest: the patron pauses a waiting hold until a date (休止)
	UpdateResume       = "resume"        // no payload: the patron ends a suspension before its date (再開)
	UpdateExtend       = "extend"        // ExtendRequest: the patron extends the pickup deadline once (取置延長)
	UpdateDefer        = "defer"         // DeferRequest: the patron lets the next hold in line go first (順位の繰下げ)
	UpdateRedate       = "redate"        // RedateRequest: an emergency closing of the pickup branch moves the deadline (臨時休館)
)

// RedateRequest asks a ready hold to move its pickup deadline for emergency closing ClosureID; a hold the
// closing has already re-dated changes nothing.
type RedateRequest struct {
	ClosureID int64
}

// ClosureWorkflowID is the ID of the workflow that carries out emergency closing id: one per closing.
func ClosureWorkflowID(id int64) string { return "closure-" + strconv.FormatInt(id, 10) }

// ClosureInput starts the workflow of emergency closing ClosureID.
type ClosureInput struct {
	ClosureID int64
	// BatchSize is how many holds one activity re-dates (0: the default); Pause waits between batches
	// (tests kill the worker in the middle of a closing).
	BatchSize int
	Pause     time.Duration
}

// ClosureResult says how many of the listed holds were re-dated and how many patrons were mailed.
type ClosureResult struct {
	Holds, Redated, Mailed int
}

// RedateBatch is one batch of a closing's holds to re-date.
type RedateBatch struct {
	ClosureID int64
	HoldIDs   []int64
}

// RedateBatchResult counts the holds of a batch that were re-dated (now or by an earlier attempt).
type RedateBatchResult struct {
	Redated int
}

// QueryState answers the workflow's activities.HoldState.
const QueryState = "state"

// ScanRequest is a staff scan of a copy at a branch.
type ScanRequest struct {
	Barcode string
	Branch  string
	StaffID int64
}

// CheckoutRequest lends a copy to a patron.
type CheckoutRequest struct {
	Barcode  string
	Branch   string
	PatronID int64
	StaffID  int64
}

// CancelRequest cancels a hold: Reason patron asks (取消申込, approved next), Reason staff cancels at once.
type CancelRequest struct {
	Reason domain.CancelReason
	// NoteID is the staff's note in hold_notes (a refusal's reason): free text stays in PostgreSQL, out of
	// the history. Note carried the text itself before; it is still read from Updates sent then, never sent.
	NoteID  int64
	Note    string
	StaffID int64
}

// PickupRequest changes the pickup place; StaffID 0 means the patron online.
type PickupRequest struct {
	Branch  string
	StaffID int64
}

// StaffRequest is a staff decision that needs no more than who made it.
type StaffRequest struct {
	StaffID int64
}

// CallRequest records a phone call to the patron of a ready hold and its outcome.
type CallRequest struct {
	Outcome domain.CallOutcome
	StaffID int64
}

// SuspendRequest suspends a waiting hold until Until (YYYY-MM-DD), the day it is active again. The library
// checked the date against today; the activity checks it again.
type SuspendRequest struct {
	Until string
}

// ArrivedRequest registers the copy that arrived for a counter request.
type ArrivedRequest struct {
	TitleID int64
	Barcode string
	Branch  string
	StaffID int64
	Shelf
}

// ExtendRequest is a patron's 取置延長 of a ready hold; it carries nothing but its name (the patron is the
// hold's own, checked by the API).
type ExtendRequest struct{}

// DeferRequest is a patron's 順位の繰下げ; like ExtendRequest it carries nothing but its name.
type DeferRequest struct{}

// UpdateResult is the answer of every hold update.
type UpdateResult struct {
	Status  domain.Status
	Routing *Routing
	Loan    *Loan
}
