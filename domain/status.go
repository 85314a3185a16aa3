package domain

// Status is the state of a hold as stored in PostgreSQL and in the workflow's search attribute.
type Status string

const (
	StatusRequested       Status = "requested"
	StatusQueued          Status = "queued" // shown as awaiting_return (first in queue) or waiting
	StatusAwaitingPull    Status = "awaiting_pull"
	StatusInvestigating   Status = "investigating"
	StatusOnOrder         Status = "on_order"
	StatusInTransit       Status = "in_transit"
	StatusPreparing       Status = "preparing"
	StatusReady           Status = "ready"
	StatusCancelRequested Status = "cancel_requested"
	StatusCancelled       Status = "cancelled"
	StatusFulfilled       Status = "fulfilled"
	// StatusSuspended: the patron paused a waiting hold until a date (休止). It keeps its placement time, so
	// its place in the queue, but takes no copy and counts in no position meanwhile; it still counts against
	// the limits.
	StatusSuspended Status = "suspended"

	// Shown statuses derived from StatusQueued and the queue position.
	StatusAwaitingReturn Status = "awaiting_return"
	StatusWaiting        Status = "waiting"
)

// CancelReason says why a hold was cancelled.
type CancelReason string

const (
	CancelPatron  CancelReason = "patron"
	CancelExpired CancelReason = "expired"
	CancelStaff   CancelReason = "staff"
	// CancelOtherEdition: the hold was a member of an any-of group (いずれか予約) that another member's copy
	// served.
	CancelOtherEdition CancelReason = "other_edition"
)

// Shown maps a stored status to the status code patrons see: a queued hold is awaiting_return when it is
// first in its title's queue and waiting otherwise.
func Shown(s Status, position int) Status {
	if s != StatusQueued {
		return s
	}
	if position <= 1 {
		return StatusAwaitingReturn
	}
	return StatusWaiting
}

var labels = map[Status]string{
	StatusRequested:       "予約申込",
	StatusAwaitingPull:    "確認待ち",
	StatusAwaitingReturn:  "返却待ち",
	StatusWaiting:         "順番待ち",
	StatusInvestigating:   "調査中",
	StatusInTransit:       "配送中",
	StatusPreparing:       "準備中",
	StatusOnOrder:         "選書中",
	StatusReady:           "利用可能",
	StatusCancelRequested: "取消申込",
	StatusFulfilled:       "貸出済",
	StatusSuspended:       "休止中",
}

// Label is the Japanese label of a shown status, exactly as the library's guide words it. A cancelled hold
// is 本人取消 or 期限切れ (or 取消 when staff cancelled or refused it, 他の版で用意 when another edition of an
// any-of group was provided).
func Label(shown Status, reason CancelReason) string {
	if shown == StatusCancelled {
		switch reason {
		case CancelPatron:
			return "本人取消"
		case CancelExpired:
			return "期限切れ"
		case CancelOtherEdition:
			return "他の版で用意"
		default:
			return "取消"
		}
	}
	return labels[shown]
}

// Open reports whether a hold in status s is still alive (not cancelled and not handed over); an open hold
// counts against the patron's hold limits (取消申込 still counts). store's openHold is the same rule in SQL.
func (s Status) Open() bool { return s != StatusCancelled && s != StatusFulfilled && s != "" }

// PatronMayChange reports whether a patron may change the pickup place of, or cancel, a hold online: only
// holds placed online, and not once the copy is travelling or on the hold shelf (the patron must then
// contact the library).
func PatronMayChange(s Status, origin string) bool {
	if origin != "web" {
		return false
	}
	switch s {
	case StatusRequested, StatusQueued, StatusAwaitingPull, StatusPreparing, StatusInvestigating, StatusOnOrder, StatusSuspended:
		return true
	}
	return false
}
