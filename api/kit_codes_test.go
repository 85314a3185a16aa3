package api

import (
	"net/http"
	"testing"
)

// TestCodeTable checks the code table: every code has an error status and both messages, and the statuses
// the refusals of workflows and activities get (codeStatus) are the table's, so the two can become one.
func TestCodeTable(t *testing.T) {
	for code, m := range codes {
		if m.status < 400 || m.status > 599 || http.StatusText(m.status) == "" {
			t.Errorf("%s: status %d is not an HTTP error status", code, m.status)
		}
		if m.ja == "" || m.en == "" {
			t.Errorf("%s: messages %q, %q", code, m.ja, m.en)
		}
	}
	for code, status := range codeStatus {
		if m, ok := codes[Code(code)]; !ok || m.status != status {
			t.Errorf("codeStatus[%s] = %d, but the code table says %d (known: %v)", code, status, m.status, ok)
		}
	}
	if got := statusOf("no_such_code"); got != http.StatusInternalServerError {
		t.Errorf("statusOf(unknown) = %d, want 500", got)
	}
}
