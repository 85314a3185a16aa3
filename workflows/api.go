// Package workflows holds yoyaku's Temporal workflows: deterministic code only. This file is the package's
// whole Temporal contract: task queue, workflow IDs, search attributes, signal/update/query names and payloads.
// Payloads carry IDs only, never personal data (names, e-mail addresses, phone numbers).
package workflows

import (
	"strconv"

	"go.temporal.io/sdk/temporal"
)

// TaskQueue is where every yoyaku workflow and activity runs.
const TaskQueue = "yoyaku"

// Search attributes operators filter on in the Temporal Web UI. All are Keyword.
var (
	StatusKey       = temporal.NewSearchAttributeKeyKeyword("YoyakuStatus")
	PickupBranchKey = temporal.NewSearchAttributeKeyKeyword("YoyakuPickupBranch")
	TitleIDKey      = temporal.NewSearchAttributeKeyKeyword("YoyakuTitleID")
	OriginKey       = temporal.NewSearchAttributeKeyKeyword("YoyakuOrigin")
)

// SearchAttributes lists the keys to register on the namespace (dev server, test harness, docker-compose).
func SearchAttributes() []temporal.SearchAttributeKeyKeyword {
	return []temporal.SearchAttributeKeyKeyword{StatusKey, PickupBranchKey, TitleIDKey, OriginKey}
}

// SearchAttributeNames is SearchAttributes by name.
func SearchAttributeNames() []string {
	keys := SearchAttributes()
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.GetName()
	}
	return names
}

// RegistrationSet is SearchAttributes in the form testsuite.DevServerOptions takes.
func RegistrationSet() temporal.SearchAttributes {
	keys := SearchAttributes()
	updates := make([]temporal.SearchAttributeUpdate, len(keys))
	for i, k := range keys {
		updates[i] = k.ValueSet("")
	}
	return temporal.NewSearchAttributes(updates...)
}

// HoldWorkflowID is the ID of hold id's workflow.
func HoldWorkflowID(id int64) string { return "hold-" + strconv.FormatInt(id, 10) }

// ArchiveScheduleID is the Temporal Schedule that archives old cancelled and fulfilled holds.
const ArchiveScheduleID = "archive-holds"
