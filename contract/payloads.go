package contract

import (
	"time"

	"yoyaku/domain"
)

// HoldState is what a hold workflow knows of its hold: IDs and codes only, never personal data.
type HoldState struct {
	HoldID     int64
	PatronID   int64
	TitleID    int64 // 0 for a counter request for a title the library does not own
	Status     domain.Status
	Transition int
	Pickup     string
	Origin     string // web | counter
	Barcode    string // the copy set aside, travelling or on the hold shelf
	CopyBranch string // where that copy is
	ILL        bool
	SeriesID   int64 // 0 unless the hold is a volume of a series hold
	SeriesSeq  int
	// SuspendedUntil is the day a suspended hold (休止中) is active again, YYYY-MM-DD; "" otherwise.
	SuspendedUntil string `json:",omitempty"`
	Extended       bool   // the pickup deadline was extended (取置延長, once per hold)
	// Position is the hold's place in its title's queue as of this state (0 unless it waits for a copy), and
	// Deadline a ready hold's pickup deadline (YYYY-MM-DD, "" until its patron was told): what operators
	// read in the workflow's current details.
	Position int    `json:",omitempty"`
	Deadline string `json:",omitempty"`
}

// CopyKind says what an assignment of a copy to a hold means.
type CopyKind string

const (
	// CopyAssigned: a free copy on a shelf is set aside; staff must still secure it (awaiting_pull).
	CopyAssigned CopyKind = "assigned"
	// CopySecured: staff hold the copy (a return or a new copy): it goes to the hold shelf or travels.
	CopySecured CopyKind = "secured"
	// CopyArrived: a travelling copy was scanned at its pickup branch.
	CopyArrived CopyKind = "arrived"
)

// Assignment tells a hold's workflow that a copy is now its own. Sent as a durable signal by whoever ran
// the allocation.
type Assignment struct {
	HoldID  int64
	Barcode string
	Branch  string // where the copy is now
	Kind    CopyKind
}

// RoutingAction is what staff do with a scanned copy.
type RoutingAction string

const (
	RouteHoldShelf RoutingAction = "hold_shelf"
	RouteTransit   RoutingAction = "transit"
	RouteReshelve  RoutingAction = "reshelve"
)

// Routing is the answer to a scan (the OpenAPI document's Routing).
type Routing struct {
	Action   RoutingAction
	HoldID   int64  // 0 when no hold is involved
	ToBranch string // "" unless Action is transit
}

// Loan is a copy lent to a patron.
type Loan struct {
	Barcode string
	DueDate string // YYYY-MM-DD
}

// Outcome is the result of one transition of a hold.
type Outcome struct {
	State   HoldState
	Next    *Assignment // a released copy went to this other hold: signal it
	Routing *Routing
	Loan    *Loan
	Contact *NotifyResult // set when a phone call was recorded
	// ResumeAt is when a suspended hold is active again (the start of its SuspendedUntil day in the
	// library's time zone): the workflow's timer. Set by the suspension.
	ResumeAt *time.Time `json:",omitempty"`
}

// Step names the transition the workflow expects to make from the state it knows. A retried activity whose
// transition was already committed finds Transition already passed and returns the recorded outcome.
type Step struct {
	HoldID     int64
	Transition int
}

// CopyInput applies an assignment signal to the hold.
type CopyInput struct {
	Step
	Assignment Assignment
}

// ScanInput is a staff scan of a copy for a hold (pull, missing, receive).
type ScanInput struct {
	Step
	Barcode string
	Branch  string
	StaffID int64
}

// CheckoutInput lends a copy: to the hold's patron (pick-up) or to a walk-in patron who took a copy that
// was set aside on the shelf.
type CheckoutInput struct {
	Step
	Barcode  string
	Branch   string
	PatronID int64
	StaffID  int64
}

// CancelInput requests or approves a cancellation.
type CancelInput struct {
	Step
	Reason domain.CancelReason
	// NoteID is the staff's note (hold_notes) kept as the cancellation's note. Note is the text itself, as
	// Updates sent before hold_notes carried it: still honoured, never sent any more.
	NoteID  int64
	Note    string
	StaffID int64
}

// PickupInput changes the pickup place.
type PickupInput struct {
	Step
	Branch  string
	StaffID int64
}

// StaffInput is a staff decision on a counter hold (order, ILL) or a recorded phone call.
type StaffInput struct {
	Step
	StaffID int64
}

// SuspendInput suspends the hold until Until (YYYY-MM-DD).
type SuspendInput struct {
	Step
	Until string
}

// ResumeInput ends a suspension: its day came (Timer) or the patron resumed the hold.
type ResumeInput struct {
	Step
	Timer bool
}

// CallInput records a phone call and its outcome.
type CallInput struct {
	Step
	Outcome domain.CallOutcome
	StaffID int64
}

// ExtendInput extends a ready hold's pickup deadline (取置延長).
type ExtendInput struct {
	Step
}

// RedateInput moves a ready hold's pickup deadline for emergency closing ClosureID (臨時休館).
type RedateInput struct {
	Step
	ClosureID int64
}

// DeferInput moves the hold behind the next active hold in line (順位の繰下げ).
type DeferInput struct {
	Step
}

// ArrivedInput links a counter request to the title and copy that arrived for it.
type ArrivedInput struct {
	Step
	TitleID int64
	Barcode string
	Branch  string
	StaffID int64
	Shelf
}

// NotifyResult says when the patron counts as contacted, if yet, and when the hold expires.
type NotifyResult struct {
	Skipped   bool      // the hold is no longer ready at this transition: nothing was sent
	Contacted bool      // false: the hold is on the call list (a phone patron, or every address refused the mail) and no call is recorded yet
	ExpiresAt time.Time // set when Contacted
	Deadline  string    `json:",omitempty"` // set when Contacted: the pickup deadline shown to the patron, YYYY-MM-DD
}

// CheckinInput is a returned (or new) copy scanned at a branch.
type CheckinInput struct {
	TitleID int64 // with NewCopy: the title of the new copy
	Barcode string
	Branch  string
	StaffID int64
	NewCopy bool
	Shelf   // with NewCopy: where the new copy stands
}

// Shelf is where a new copy stands in its library: its call number (請求記号) and shelf location (配架場所),
// checked by the library before any workflow sees them. Both are omitted from the JSON when empty, so a
// payload without them (every return, and every one recorded before they existed) is unchanged.
type Shelf struct {
	CallNumber    string `json:",omitempty"`
	ShelfLocation string `json:",omitempty"`
}

// CheckinResult is the routing for the copy and, when a hold got it, the assignment to signal.
type CheckinResult struct {
	Routing Routing
	Next    *Assignment
}

// ConvertInput hands an existing hold's workflow over to a series hold. Inputs recorded before this
// package existed also carry WorkflowID and UpdateName: JSON decoding ignores them, and both follow from
// HoldID (HoldWorkflowID, UpdateConvert).
type ConvertInput struct {
	HoldID int64
}

// ArchiveInput is the input of ArchiveHolds.
type ArchiveInput struct {
	// KeepDays is how long cancelled holds stay listed after cancellation.
	KeepDays int
}

// ArchiveResult says how many holds were archived, and how many expired or revoked tokens and old failed
// logins were deleted.
type ArchiveResult struct {
	Archived            int64
	TokensPurged        int64 `json:",omitempty"`
	LoginFailuresPurged int64 `json:",omitempty"`
}

// NewCopyInput registers a new copy, which is then allocated like a return.
type NewCopyInput struct {
	TitleID int64
	Barcode string
	Branch  string
	StaffID int64
	Shelf
}
