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

	"yoyaku/auth"
	"yoyaku/config"
	"yoyaku/contract"
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

// ArchiveHolds archives cancelled holds older than KeepDays days (and fulfilled ones), then purges the
// expired and revoked tokens and the failed logins older than the throttling window (auth.Purge). The purge
// lives in this activity, which the archive schedule already runs every hour, so that ArchiveWorkflow and
// its recorded histories stay as they are. Both steps are idempotent: a retry repeats them harmlessly.
func (a *Activities) ArchiveHolds(ctx context.Context, in contract.ArchiveInput) (contract.ArchiveResult, error) {
	n, err := store.ArchiveHolds(ctx, a.DB, time.Duration(in.KeepDays)*24*time.Hour)
	if err != nil {
		return contract.ArchiveResult{}, fmt.Errorf("archive holds: %w", err)
	}
	p, err := auth.Purge(ctx, a.DB)
	if err != nil {
		return contract.ArchiveResult{}, fmt.Errorf("archive holds: purge: %w", err)
	}
	return contract.ArchiveResult{Archived: n, TokensPurged: p.Tokens, LoginFailuresPurged: p.LoginFailures}, nil
}
