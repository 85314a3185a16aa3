package e2e_test

import (
	"strings"
	"testing"
	"time"

	"yoyaku/internal/testenv"
)

// TestBrowserTemporalUIShowsAHold (issue 16): an operator opens a waiting hold's workflow in the Temporal Web
// UI and reads, without the database, what it is: its summary (hold, title, pickup branch) and its current
// details (status, queue position, what it waits for). Screenshot at 1280 px.
func TestBrowserTemporalUIShowsAHold(t *testing.T) {
	s := newStack(t, nil)
	titleID, _ := s.title("book", copySpec{branch: "chuo", onLoan: true})
	first, second := s.newPatron("email"), s.newPatron("email")
	s.placeOne(first, "chuo", titleID)
	id := s.placeOne(second, "minami", titleID)
	s.waitStatus(second, id, "waiting")
	s.operatorView("hold-"+id, "queue position: 2")

	b := newBrowser(t, testenv.TemporalUI(t))
	b.allowProblems() // the Temporal UI's own console messages are not yoyaku's to judge
	b.open("/namespaces/default/workflows/hold-"+id, desktopWidth)
	// The UI keeps summary, details and current details under its "User Metadata" tab (…/<run>/user-metadata).
	var href string
	for end := time.Now().Add(30 * time.Second); href == "" && time.Now().Before(end); {
		href = b.eval(`(() => { const a = [...document.querySelectorAll('a')].find(e => (e.getAttribute('href') || '').endsWith('/user-metadata')); return a ? a.getAttribute('href') : ''; })()`)
		if href == "" {
			time.Sleep(300 * time.Millisecond)
		}
	}
	if href == "" {
		b.screenshot("temporal-ui-hold")
		t.Fatalf("no User Metadata tab on the Temporal UI's page of hold-%s:\n%s", id, b.pageText())
	}
	b.open(href, desktopWidth)
	want := []string{"hold " + id + ": title " + titleID + " → minami (web)", "waiting for:", "queue position: 2"}
	var text string
	for deadline := time.Now().Add(30 * time.Second); ; {
		// The UI renders the Markdown of summaries and details in iframes (srcdoc): read them with the page.
		text = b.pageText() + "\n" + b.eval(`[...document.querySelectorAll('iframe')].map(f => { try { return f.contentDocument.body.innerText; } catch (e) { return ''; } }).join('\n')`)
		missing := ""
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			b.screenshot("temporal-ui-hold")
			t.Fatalf("the Temporal UI's page of hold-%s does not show %q; it reads:\n%s", id, missing, text)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, p := range []patron{first, second} {
		if strings.Contains(text, p.name) || strings.Contains(text, p.card) {
			t.Errorf("the Temporal UI shows patron data of %s", p.card)
		}
	}
	b.screenshot("temporal-ui-hold")
}
