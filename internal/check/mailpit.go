package check

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"yoyaku/internal/apiclient"
	"yoyaku/store"
)

// MailKey is one copy's identity in a mailbox: Message-ID (without <>) and recipient address (lower case).
type MailKey struct{ MessageID, Address string }

// MailpitCopies reads every message Mailpit holds and counts them by Message-ID and address: a retry that
// mails only the addresses not mailed yet reuses the Message-ID without duplicating anything. A message read
// twice while the pages shift (new mail arriving) is counted once. It also returns how many messages it read.
func MailpitCopies(ctx context.Context, base string) (map[MailKey]int, int, error) {
	mp := apiclient.NewMailpitClient(base)
	out, seen := map[MailKey]int{}, map[string]bool{}
	const limit = 500
	for start := 0; ; start += limit {
		msgs, total, err := mp.Messages(ctx, start, limit)
		if err != nil {
			return nil, 0, err
		}
		for _, m := range msgs {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			for _, a := range m.To {
				out[MailKey{strings.Trim(m.MessageID, "<>"), strings.ToLower(a.Address)}]++
			}
		}
		if len(msgs) == 0 || start+limit >= total {
			return out, len(seen), nil
		}
	}
}

// mailpitMatch: every ready mail the database says was accepted is in Mailpit exactly once, addressed to
// every address it was recorded for. Only this database's messages are looked at (tests share a Mailpit).
func mailpitMatch(ctx context.Context, db *sqlx.DB, o Options, r *Report) error {
	rows, err := store.SentMails(ctx, db, o.Settle)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	msgs, _, err := MailpitCopies(ctx, o.Mailpit)
	if err != nil {
		return err
	}
	for _, n := range rows {
		id := strings.Trim(n.MessageID, "<>")
		switch copies := msgs[MailKey{id, strings.ToLower(n.Address)}]; {
		case copies > 1:
			r.add(Violation{Rule: RuleMailDuplicate, Holds: []int64{n.Hold}, Detail: fmt.Sprintf("Mailpit holds message %s to one address %d times", id, copies)})
		case copies == 0:
			r.add(Violation{Rule: RuleMailLost, Holds: []int64{n.Hold}, Detail: fmt.Sprintf("message %s to one chosen address was marked sent but Mailpit does not have it", id)})
		}
	}
	return nil
}
