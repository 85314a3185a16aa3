// Package workflows holds yoyaku's Temporal workflows, deterministic code only: one workflow per hold
// (HoldWorkflow), the series hold that runs its volumes as children, the short check-in workflow and the
// archive schedule's workflow. Their names, IDs, signals, Updates, queries and payloads are in package
// contract; every side effect is an activity.
package workflows

import "yoyaku/activities"

// a is how workflows name activities: a nil pointer whose methods the SDK resolves by name, so
// workflow.ExecuteActivity(ctx, a.Allocate, …) is checked by the compiler and never runs the method here.
var a *activities.Activities
