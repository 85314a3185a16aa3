package workflows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"

	"yoyaku/workflows"
)

// TestReplayRecordedHistories replays real histories, recorded from the end-to-end tests against the dev
// server (YOYAKU_RECORD_HISTORIES=workflows/testdata go test ./e2e/), with the current workflow code. A
// change that would break running holds fails here: guard such changes with workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, f := range files {
		kinds[kindOf(filepath.Base(f))]++
	}
	for _, want := range []string{"hold", "checkin", "series", "group", "archive"} {
		if kinds[want] == 0 {
			t.Fatalf("no recorded %s histories in testdata/ (found %v)", want, kinds)
		}
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.HoldWorkflow)
			r.RegisterWorkflow(workflows.CheckinWorkflow)
			r.RegisterWorkflow(workflows.ArchiveWorkflow)
			r.RegisterWorkflow(workflows.SeriesHoldWorkflow)
			r.RegisterWorkflow(workflows.GroupHoldWorkflow)
			r.RegisterWorkflow(workflows.ClosureWorkflow)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join("testdata", "README.md")); err != nil {
		t.Errorf("testdata/README.md should say how the histories were recorded: %v", err)
	}
}

// kindOf reads the workflow kind recorded in a file name: <Test>-<kind>-<id>.json.
func kindOf(name string) string {
	for _, k := range []string{"hold", "checkin", "series", "group", "closure", "archive"} {
		if strings.Contains(name, "-"+k+"-") {
			return k
		}
	}
	return "other"
}
