package library

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// Codes of the library's own refusals. The workflows' refusals (contract.Err*) reach callers unchanged.
const (
	CodeUnavailable       domain.Code = "unavailable" // a dependency is down: nothing was done, try again
	CodeUnknownBranch     domain.Code = "unknown_branch"
	CodeHoldLimitExceeded domain.Code = "hold_limit_exceeded"
	CodeNotHoldable       domain.Code = "not_holdable"
	CodeAlreadyHeld                   = contract.ErrAlreadyHeld
	CodeInvalidRequest    domain.Code = "invalid_request"
	CodeInvalidSeries     domain.Code = "invalid_series"
	CodeInvalidBarcode    domain.Code = "invalid_barcode"
	CodeInvalidCardNumber domain.Code = "invalid_card_number"
	CodeBasketFull        domain.Code = "basket_full"
	CodeInvalidOutcome    domain.Code = "invalid_outcome" // a phone call's outcome that is not reached, voicemail or no_answer

	// Registering titles and patrons.
	CodeInvalidTitle    domain.Code = "invalid_title"
	CodeInvalidFormat   domain.Code = "invalid_format"
	CodeInvalidISBN     domain.Code = "invalid_isbn"
	CodeInvalidURL      domain.Code = "invalid_url"
	CodeInvalidYear     domain.Code = "invalid_year"
	CodeDuplicateVolume domain.Code = "duplicate_volume"
	CodeInvalidName     domain.Code = "invalid_name"
	CodeInvalidPassword domain.Code = "invalid_password"
	CodeInvalidEmail    domain.Code = "invalid_email"
	CodeTooManyEmails   domain.Code = "too_many_emails"
	CodeInvalidPhone    domain.Code = "invalid_phone"
	CodeCardNumberTaken domain.Code = "card_number_taken"

	// Registering copies: a call number (請求記号) or shelf location (配架場所) too long or with control
	// characters.
	CodeInvalidCallNumber domain.Code = "invalid_call_number"
	CodeInvalidShelf      domain.Code = "invalid_shelf"

	// CodeOwnedTitle: a counter request for a title the library owns and can lend (Error.TitleID names it):
	// a normal hold on that title is what the patron needs.
	CodeOwnedTitle domain.Code = "owned_title"
)

// Error is an operation that did not happen: a refusal (Err nil), or CodeUnavailable with the failure of
// the dependency behind it (Err, to log).
type Error struct {
	Code    domain.Code
	Err     error
	TitleID int64 // the title a refusal is about, when it names one (owned_title)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Err.Error()
	}
	return string(e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// refuse is a refusal with its code.
func refuse(code domain.Code) error { return &Error{Code: code} }

// unavailable is a dependency that failed or timed out: nothing was done, the caller may try again.
func unavailable(err error) error { return &Error{Code: CodeUnavailable, Err: err} }

// RefusedTitle is the title a refusal names (owned_title), 0 for none.
func RefusedTitle(err error) int64 {
	var e *Error
	if errors.As(err, &e) && e.Err == nil {
		return e.TitleID
	}
	return 0
}

// Refused reports err's refusal code ("" for a failure of the system or no error).
func Refused(err error) domain.Code {
	var e *Error
	if errors.As(err, &e) && e.Err == nil {
		return e.Code
	}
	return ""
}

// refusals are the workflows' refusal codes passed on to callers as they are.
var refusals = map[domain.Code]bool{
	contract.ErrNotOnPullList: true, contract.ErrNotExpectedHere: true, contract.ErrNotChangeable: true,
	contract.ErrNotCancellable: true, contract.ErrHeldForAnother: true, contract.ErrNotAvailable: true,
	contract.ErrStale: true, contract.ErrNotFound: true, contract.ErrPickupNotAllowed: true,
	contract.ErrBarcodeTaken: true, contract.ErrBadRequest: true, contract.ErrNotOnCallList: true,
	contract.ErrAlreadyHeld: true, contract.ErrNotSuspendable: true, contract.ErrNotSuspended: true, contract.ErrInvalidDate: true,
	contract.ErrNotReady: true, contract.ErrAlreadyExtended: true, contract.ErrOthersWaiting: true, // 取置延長
	contract.ErrNotDeferrable: true, contract.ErrNobodyBehind: true, // 順位の繰下げ
}

// fromWorkflow classifies an error of a workflow call: a refusal keeps its code; a missing workflow is
// not found; a timeout, or a step that failed on a retryable error, is unavailable; anything else is a
// failure of the system.
func fromWorkflow(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if code := domain.Code(appErr.Type()); refusals[code] {
			return refuse(code)
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return refuse(contract.ErrNotFound)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return unavailable(fmt.Errorf("workflow call timed out: %w", err))
	}
	// A workflow or Update that failed on a retryable error (a transition that timed out, a database that
	// refused connections) did nothing: the client may try again once the dependency is back. (A local
	// activity's failure reaches here as the retryable ApplicationError it returned, not as an ActivityError,
	// so this cannot be narrowed to activity failures; refusals with a code were answered above.)
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) || (appErr != nil && !appErr.NonRetryable()) {
		return unavailable(fmt.Errorf("workflow step failed on a dependency: %w", err))
	}
	return err
}

// FromStore classifies an error of the store: its refusals get their codes, anything else is a failure.
func FromStore(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoSuchHold), errors.Is(err, store.ErrNoSuchPatron), errors.Is(err, store.ErrNoSuchCopy),
		errors.Is(err, store.ErrTitleNotFound):
		return refuse(contract.ErrNotFound)
	case errors.Is(err, store.ErrUnknownBranch):
		return refuse(CodeUnknownBranch)
	case errors.Is(err, store.ErrPickupNotAllowed):
		return refuse(contract.ErrPickupNotAllowed)
	case errors.Is(err, store.ErrNotLendable):
		return refuse(contract.ErrNotAvailable)
	}
	return err
}

// placementCode is the refusal code of a title that could not be placed, "" for none.
func placementCode(err error) domain.Code {
	switch {
	case errors.Is(err, store.ErrLimitExceeded):
		return CodeHoldLimitExceeded
	case errors.Is(err, store.ErrPickupNotAllowed):
		return contract.ErrPickupNotAllowed
	case errors.Is(err, store.ErrNotHoldable):
		return CodeNotHoldable
	case errors.Is(err, store.ErrAlreadyHeld):
		return CodeAlreadyHeld
	case errors.Is(err, store.ErrTitleNotFound):
		return contract.ErrNotFound
	case errors.Is(err, store.ErrUnknownBranch):
		return CodeUnknownBranch
	}
	return ""
}
