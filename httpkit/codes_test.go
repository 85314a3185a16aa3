package httpkit

import (
	"net/http"
	"testing"

	"yoyaku/contract"
	"yoyaku/library"
)

// TestCodeTable checks the code table: every code has an error status and both messages, and the statuses
// the refusals of workflows and activities get (codeStatus) are the table's, so the two can become one.
func TestCodeTable(t *testing.T) {
	for code, m := range Codes {
		if m.status < 400 || m.status > 599 || http.StatusText(m.status) == "" {
			t.Errorf("%s: status %d is not an HTTP error status", code, m.status)
		}
		if m.Ja == "" || m.En == "" {
			t.Errorf("%s: messages %q, %q", code, m.Ja, m.En)
		}
	}
	// Every refusal of the workflows and of the library's operations has its status and messages here.
	for _, code := range []Code{contract.ErrNotOnPullList, contract.ErrNotExpectedHere, contract.ErrNotChangeable,
		contract.ErrNotCancellable, contract.ErrHeldForAnother, contract.ErrNotFound, contract.ErrNotAvailable,
		contract.ErrPickupNotAllowed, contract.ErrStale, contract.ErrBarcodeTaken, contract.ErrBadRequest,
		library.CodeUnavailable, library.CodeUnknownBranch, library.CodeHoldLimitExceeded, library.CodeNotHoldable,
		library.CodeAlreadyHeld, library.CodeInvalidRequest, library.CodeInvalidSeries, library.CodeInvalidBarcode,
		library.CodeInvalidCardNumber, library.CodeBasketFull, library.CodeInvalidTitle, library.CodeInvalidFormat,
		library.CodeInvalidISBN, library.CodeInvalidURL, library.CodeInvalidYear, library.CodeDuplicateVolume,
		library.CodeInvalidName, library.CodeInvalidPassword, library.CodeInvalidEmail, library.CodeTooManyEmails,
		library.CodeInvalidPhone, library.CodeCardNumberTaken, library.CodeOwnedTitle, contract.ErrAlreadyHeld,
		library.CodeInvalidCallNumber, library.CodeInvalidShelf, contract.ErrNotSuspendable, contract.ErrNotSuspended,
		contract.ErrInvalidDate,
		contract.ErrNotReady, contract.ErrAlreadyExtended, contract.ErrOthersWaiting,
		contract.ErrNotDeferrable, contract.ErrNobodyBehind, library.CodeInvalidRatio} {
		if _, ok := Codes[code]; !ok {
			t.Errorf("%s has no status or message in the code table", code)
		}
	}
	if got := StatusOf("no_such_code"); got != http.StatusInternalServerError {
		t.Errorf("statusOf(unknown) = %d, want 500", got)
	}
}
