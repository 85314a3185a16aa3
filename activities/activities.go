// Package activities holds every side effect of yoyaku's workflows: PostgreSQL transitions and allocation,
// e-mail, the call list. Activities are methods on Activities; workflows refer to them through a nil
// *Activities, as temporalio/reference-app-orders-go does.
package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/config"
	"yoyaku/mailer"
	"yoyaku/store"
)

// Activities carries the dependencies of the activities.
type Activities struct {
	DB     *sqlx.DB
	Cfg    config.Config
	Mailer *mailer.Mailer
	// Temporal lets the series conversion activity hand running hold workflows over to their series.
	Temporal client.Client
}

// ArchiveHolds archives cancelled holds older than KeepDays days (and fulfilled ones).
func (a *Activities) ArchiveHolds(ctx context.Context, in ArchiveInput) (ArchiveResult, error) {
	n, err := store.ArchiveHolds(ctx, a.DB, time.Duration(in.KeepDays)*24*time.Hour)
	if err != nil {
		return ArchiveResult{}, fmt.Errorf("archive holds: %w", err)
	}
	return ArchiveResult{Archived: n}, nil
}

// ArchiveInput is the input of ArchiveHolds.
type ArchiveInput struct {
	// KeepDays is how long cancelled holds stay listed after cancellation.
	KeepDays int
}

// ArchiveResult says how many holds were archived.
type ArchiveResult struct{ Archived int64 }
