package check

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// mailpitPage is one page of Mailpit's message list (GET /api/v1/messages).
type mailpitPage struct {
	Total    int `json:"total"`
	Messages []struct {
		ID        string `json:"ID"` // Mailpit's own: a message read twice while pages shift is counted once
		MessageID string `json:"MessageID"`
		To        []struct {
			Address string `json:"Address"`
		} `json:"To"`
	} `json:"messages"`
}

// mailpitMessages reads every message Mailpit holds and counts them by Message-ID (without <>) and address:
// a retry that mails only the addresses not mailed yet reuses the Message-ID without duplicating anything.
func mailpitMessages(ctx context.Context, base string) (map[[2]string]int, error) {
	hc := &http.Client{Timeout: 30 * time.Second}
	out := map[[2]string]int{}
	seen := map[string]bool{}
	const limit = 1000
	for start := 0; ; start += limit {
		u := strings.TrimRight(base, "/") + "/api/v1/messages?" + url.Values{"start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(limit)}}.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		var page mailpitPage
		err = json.NewDecoder(resp.Body).Decode(&page)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", u, err)
		}
		for _, m := range page.Messages {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			for _, a := range m.To {
				out[[2]string{strings.Trim(m.MessageID, "<>"), strings.ToLower(a.Address)}]++
			}
		}
		if len(page.Messages) < limit || start+limit >= page.Total {
			return out, nil
		}
	}
}

// mailpitMatch: every ready mail the database says was accepted is in Mailpit exactly once, addressed to
// every address it was recorded for. Only this database's messages are looked at (tests share a Mailpit).
func mailpitMatch(ctx context.Context, db *sqlx.DB, base string, settle float64, r *Report) error {
	var rows []struct {
		Hold      int64  `db:"hold_id"`
		MessageID string `db:"message_id"`
		Address   string `db:"address"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT hold_id, message_id, address FROM notifications
		WHERE channel = 'email' AND sent_at IS NOT NULL AND message_id IS NOT NULL AND sent_at < now() - make_interval(secs => $1)
		ORDER BY hold_id, message_id, address`, settle); err != nil {
		return fmt.Errorf("sent mail: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	msgs, err := mailpitMessages(ctx, base)
	if err != nil {
		return err
	}
	for _, n := range rows {
		id := strings.Trim(n.MessageID, "<>")
		switch copies := msgs[[2]string{id, strings.ToLower(n.Address)}]; {
		case copies > 1:
			r.add(Violation{Rule: RuleMailDuplicate, Holds: []int64{n.Hold}, Detail: fmt.Sprintf("Mailpit holds message %s to one address %d times", id, copies)})
		case copies == 0:
			r.add(Violation{Rule: RuleMailLost, Holds: []int64{n.Hold}, Detail: fmt.Sprintf("message %s to one chosen address was marked sent but Mailpit does not have it", id)})
		}
	}
	return nil
}
