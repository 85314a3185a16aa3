package contract

// Error types of non-retryable activity failures; the API maps them to its 409/422 codes.
const (
	ErrNotOnPullList    = "not_on_pull_list"
	ErrNotExpectedHere  = "not_expected_here"
	ErrNotChangeable    = "not_changeable"
	ErrNotCancellable   = "not_cancellable"
	ErrHeldForAnother   = "held_for_another_patron"
	ErrNotFound         = "not_found"
	ErrNotAvailable     = "not_available"
	ErrPickupNotAllowed = "pickup_not_allowed"
	ErrStale            = "stale_transition"
)
