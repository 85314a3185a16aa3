package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MailpitClient reads Mailpit's HTTP API (v1), where the stack's SMTP mail ends up, so that a driver can see
// which notifications went out. It is a Client of another server: Base is Mailpit's base URL without a
// trailing slash, and HC may be the API client's, to share its connections.
type MailpitClient Client

// NewMailpitClient returns a client of the Mailpit at base with its own NewHTTPClient.
func NewMailpitClient(base string) *MailpitClient { return (*MailpitClient)(New(base)) }

// MailAddress is one address of a message as Mailpit parsed it.
type MailAddress struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// MailSummary is one message of a Mailpit list or search: ID is Mailpit's database ID, MessageID the
// Message-ID header without angle brackets, Created when Mailpit received it.
type MailSummary struct {
	ID        string        `json:"ID"`
	MessageID string        `json:"MessageID"`
	To        []MailAddress `json:"To"`
	Subject   string        `json:"Subject"`
	Created   time.Time     `json:"Created"`
}

// ToAddresses returns the bare addresses of To, in header order.
func (m MailSummary) ToAddresses() []string { return Addresses(m.To) }

// Addresses returns the bare addresses of as, in order.
func Addresses(as []MailAddress) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Address
	}
	return out
}

// mailList is a page of GET /api/v1/messages or /api/v1/search.
type mailList struct {
	MessagesCount int           `json:"messages_count"`
	Messages      []MailSummary `json:"messages"`
}

// Search returns up to 50 messages matching a Mailpit search query, newest first (see testenv/mailpit.go for
// the syntax: every filter is a substring match, so use addresses unique to the run).
func (m *MailpitClient) Search(ctx context.Context, query string) ([]MailSummary, error) {
	var list mailList
	if err := m.get(ctx, "/api/v1/search?"+url.Values{"query": {query}, "limit": {"50"}}.Encode(), fmt.Sprintf("search %q", query), &list); err != nil {
		return nil, err
	}
	return list.Messages, nil
}

// Messages returns one page of every message in the mailbox, newest first: limit messages from start, and
// the number of messages in all, for paging through them.
func (m *MailpitClient) Messages(ctx context.Context, start, limit int) ([]MailSummary, int, error) {
	var list mailList
	q := url.Values{"start": {fmt.Sprint(start)}, "limit": {fmt.Sprint(limit)}}
	if err := m.get(ctx, "/api/v1/messages?"+q.Encode(), "messages", &list); err != nil {
		return nil, 0, err
	}
	return list.Messages, list.MessagesCount, nil
}

// get decodes the answer of GET path into v; what names the request in errors.
func (m *MailpitClient) get(ctx context.Context, path, what string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.Base+path, nil)
	if err != nil {
		return err
	}
	resp, raw, err := (*Client)(m).send(req, path)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit %s: %s: %s", what, resp.Status, strings.TrimSpace(string(raw)))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("mailpit %s: %w", what, err)
	}
	return nil
}
