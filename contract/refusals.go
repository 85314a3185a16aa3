package contract

import "yoyaku/domain"

// Refusals of workflows (Update validators) and activities: the Type of their non-retryable
// ApplicationError. The library passes them on to clients as they are.
const (
	ErrNotOnPullList    domain.Code = "not_on_pull_list"
	ErrNotExpectedHere  domain.Code = "not_expected_here"
	ErrNotChangeable    domain.Code = "not_changeable"
	ErrNotCancellable   domain.Code = "not_cancellable"
	ErrHeldForAnother   domain.Code = "held_for_another_patron"
	ErrNotFound         domain.Code = "not_found"
	ErrNotAvailable     domain.Code = "not_available"
	ErrPickupNotAllowed domain.Code = "pickup_not_allowed"
	ErrStale            domain.Code = "stale_transition"
	ErrBarcodeTaken     domain.Code = "barcode_taken"
	ErrBadRequest       domain.Code = "bad_request" // an Update whose payload no client sends (an unknown reason)
	ErrNotOnCallList    domain.Code = "not_on_call_list"
	// ErrAlreadyHeld: a counter request linked to a title its patron already holds (one open hold per
	// patron and title); the same code as a placement's already_held.
	ErrAlreadyHeld domain.Code = "already_held"
	// Suspensions (休止): only a waiting hold (返却待ち/順番待ち) can be suspended, only a suspended one resumed,
	// and the date must be after today and at most 90 days ahead.
	ErrNotSuspendable domain.Code = "not_suspendable"
	ErrNotSuspended   domain.Code = "not_suspended"
	ErrInvalidDate    domain.Code = "invalid_date"

	// 取置延長's refusals: the hold is not on the hold shelf, was extended once already, or others wait for
	// its title.
	ErrNotReady        domain.Code = "not_ready"
	ErrAlreadyExtended domain.Code = "already_extended"
	ErrOthersWaiting   domain.Code = "others_waiting"

	// 順位の繰下げ's refusals: the hold is not waiting, set aside (確認待ち) or on the hold shelf, or no active
	// hold waits behind it.
	ErrNotDeferrable domain.Code = "not_deferrable"
	ErrNobodyBehind  domain.Code = "nobody_behind"
)
