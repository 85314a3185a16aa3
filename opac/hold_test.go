package opac

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"yoyaku/domain"
)

// Every op the timeline knows has its words in Japanese and English, and every op the activities write into
// the event log is one the timeline knows: a new op fails here until it is given words.
// TestTimelineWordsSayWhatHappened: ops that read alike in the code say what happened on the hold page
// (a change of pickup place was once shown as 貸出しました).
func TestTimelineWordsSayWhatHappened(t *testing.T) {
	for op, want := range map[string][2]string{
		"pickup":   {"受取館を変更", "pickup place"},
		"checkout": {"貸出", "Borrowed"},
		"extend":   {"延長", "extended"},
		"suspend":  {"休止", "suspended"},
	} {
		got := PatronTexts["timeline."+op]
		if !strings.Contains(got[0], want[0]) || !strings.Contains(got[1], want[1]) {
			t.Errorf("timeline.%s = %q, want it to say %q / %q", op, got, want[0], want[1])
		}
	}
}

func TestTimelineOpsHaveTexts(t *testing.T) {
	for _, op := range append([]string{"placed", "contact_date", "other"}, timelineOps...) {
		v, ok := PatronTexts["timeline."+op]
		if !ok || strings.TrimSpace(v[0]) == "" || strings.TrimSpace(v[1]) == "" {
			t.Errorf("timeline.%s has no Japanese and English text: %q", op, v)
		}
	}
	files, err := filepath.Glob("../activities/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no activities sources: %v", err)
	}
	step := regexp.MustCompile(`a\.step\(ctx, [^,]+, "([^"]+)"(\+)?`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range step.FindAllStringSubmatch(string(src), -1) {
			found++
			op, prefix := m[1], m[2] == "+"
			known := slices.Contains(timelineOps, op)
			if prefix { // "call:"+outcome, "copy:"+kind, "cancel:"+reason: at least one known
				known = slices.ContainsFunc(timelineOps, func(o string) bool { return strings.HasPrefix(o, op) })
			}
			if !known {
				t.Errorf("%s: op %q (prefix %v) is not in the timeline", f, op, prefix)
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d ops in the activities: the pattern no longer matches", found)
	}
	for _, o := range []domain.CallOutcome{domain.CallReached, domain.CallVoicemail, domain.CallNoAnswer} {
		if !slices.Contains(timelineOps, "call:"+string(o)) {
			t.Errorf("phone outcome %s is not in the timeline", o)
		}
	}
	for _, r := range []domain.CancelReason{domain.CancelPatron, domain.CancelExpired, domain.CancelStaff, domain.CancelOtherEdition} {
		if !slices.Contains(timelineOps, "cancel:"+string(r)) {
			t.Errorf("cancel reason %s is not in the timeline", r)
		}
	}
}

// Every shown status has the guide's explanation in Japanese and English, and a label.
func TestEveryStatusIsExplained(t *testing.T) {
	for _, st := range explainedStatuses {
		v := PatronTexts["explain."+string(st)]
		if v[0] == "" || v[1] == "" {
			t.Errorf("status %s has no explanation: %q", st, v)
		}
		if domain.Label(st, "") == "" && st != domain.StatusCancelled {
			t.Errorf("status %s has no label", st)
		}
	}
	for _, r := range explainedCancelReasons {
		if v := PatronTexts["explain.cancelled."+string(r)]; v[0] == "" || v[1] == "" {
			t.Errorf("cancel reason %s has no explanation", r)
		}
	}
}
