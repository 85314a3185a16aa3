// Package library is the library's operations, with no HTTP in them: placing holds (titles one by one, a
// series, existing holds joined into a series), changing a pickup place and cancelling, the staff's scans
// (check-in, pull, missing, receive, checkout), counter holds and requests, registering copies, titles,
// patrons and phone numbers, and the basket. It starts hold workflows, finishes the starts a crash cut
// short (Reconcile) and sends the workflows their Updates (package contract); every statement it needs is
// in package store. An operation that refuses returns an *Error with a domain.Code and changes nothing;
// any other error is a failure of the system. The JSON API, the patron pages and the staff console only
// translate.
package library

import (
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/config"
	"yoyaku/store"
)

// Service runs the library's operations against PostgreSQL and Temporal.
type Service struct {
	DB       *sqlx.DB
	Temporal client.Client
	Cfg      config.Config
	Log      *slog.Logger
	// Approvals, when set, lets a placement wait for its holds' approval (awaitApprovals).
	Approvals *store.ApprovalWatch
}

// temporalTimeout bounds every call the service makes to Temporal.
const temporalTimeout = 15 * time.Second

// limits are the deployment's hold limits.
func (s *Service) limits() store.Limits {
	return store.Limits{Total: s.Cfg.HoldLimitTotal, AV: s.Cfg.HoldLimitAV}
}
