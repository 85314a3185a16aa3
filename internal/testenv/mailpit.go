package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yoyaku/internal/apiclient"
)

// Reading Mailpit's HTTP API (v1) from tests.
//
// Search queries (GET /api/v1/search?query=...) are words separated by spaces, all of which must match;
// double quotes group words and are removed. Prefixed filters: to:, from:, cc:, bcc:, reply-to:,
// addressed: (any of those), subject:, message-id:, tag:, is:read, is:unread, is:tagged, has:attachment,
// has:inline, after:DATE, before:DATE, larger:SIZE, smaller:SIZE; a leading - or ! negates one; any other
// word is looked for in the headers and text. Every filter is a case-insensitive (ASCII) SUBSTRING match
// (SQL LIKE, so '_' matches any one character): to:"a@example.jp" also finds "aa@example.jp" — use
// addresses and Message-IDs unique to the test. message-id: takes the ID with or without <>.

var mailpitHTTP = &http.Client{Timeout: 10 * time.Second}

// MailAddress is one address of a message as Mailpit parsed it (apiclient's, which the drivers read).
type MailAddress = apiclient.MailAddress

// MailMessage is a message as Mailpit's API returns it (GET /api/v1/message/{ID}), decoded: Subject and
// Text are UTF-8, MessageID has no angle brackets.
type MailMessage struct {
	ID        string // Mailpit's database ID, for Message, Headers and Raw
	MessageID string
	From      MailAddress
	To        []MailAddress
	Cc        []MailAddress
	Bcc       []MailAddress
	ReplyTo   []MailAddress
	Subject   string
	Date      time.Time
	Tags      []string
	Username  string // the SMTP AUTH user (Mailpit v1.27.11 records it for AUTH LOGIN, not PLAIN)
	Text      string
	HTML      string
	Size      uint64
}

// ToAddresses returns the bare addresses of To, in header order.
func (m MailMessage) ToAddresses() []string { return apiclient.Addresses(m.To) }

type mailpitList struct {
	MessagesCount int `json:"messages_count"`
	Messages      []struct {
		ID string
	} `json:"messages"`
}

// Messages returns the messages matching a Mailpit search query, newest first, each fetched in full (so
// with Text). An empty query lists every message.
func (m Mail) Messages(tb testing.TB, query string) []MailMessage {
	tb.Helper()
	msgs, err := m.search(query)
	if err != nil {
		tb.Fatalf("testenv: Mailpit: %v", err)
	}
	return msgs
}

func (m Mail) search(query string) ([]MailMessage, error) {
	ids, err := m.searchIDs(query)
	if err != nil {
		return nil, err
	}
	return m.fetch(ids)
}

// searchIDs returns the IDs of the matching messages, newest first, page by page.
func (m Mail) searchIDs(query string) ([]string, error) {
	const page = 200
	var ids []string
	seen := map[string]bool{}
	for start := 0; ; start += page {
		q := url.Values{"start": {fmt.Sprint(start)}, "limit": {fmt.Sprint(page)}}
		path := "/api/v1/messages"
		if strings.TrimSpace(query) != "" {
			path = "/api/v1/search"
			q.Set("query", query)
		}
		var list mailpitList
		if err := m.getJSON(path+"?"+q.Encode(), &list); err != nil {
			return nil, err
		}
		for _, s := range list.Messages {
			if !seen[s.ID] { // a message arriving meanwhile shifts the pages
				seen[s.ID] = true
				ids = append(ids, s.ID)
			}
		}
		if len(list.Messages) < page || start+page >= list.MessagesCount {
			return ids, nil
		}
	}
}

func (m Mail) fetch(ids []string) ([]MailMessage, error) {
	out := make([]MailMessage, 0, len(ids))
	for _, id := range ids {
		var msg MailMessage
		if err := m.getJSON("/api/v1/message/"+url.PathEscape(id), &msg); err != nil {
			return nil, err
		}
		out = append(out, msg)
	}
	return out, nil
}

// Message returns one message by Mailpit's ID ("latest" for the newest).
func (m Mail) Message(tb testing.TB, id string) MailMessage {
	tb.Helper()
	var msg MailMessage
	if err := m.getJSON("/api/v1/message/"+url.PathEscape(id), &msg); err != nil {
		tb.Fatalf("testenv: Mailpit: %v", err)
	}
	return msg
}

// Headers returns the message's header fields as sent (not decoded: a MIME-encoded subject stays encoded).
func (m Mail) Headers(tb testing.TB, id string) map[string][]string {
	tb.Helper()
	var h map[string][]string
	if err := m.getJSON("/api/v1/message/"+url.PathEscape(id)+"/headers", &h); err != nil {
		tb.Fatalf("testenv: Mailpit: %v", err)
	}
	return h
}

// Raw returns the message source as received.
func (m Mail) Raw(tb testing.TB, id string) string {
	tb.Helper()
	b, err := m.do(http.MethodGet, "/api/v1/message/"+url.PathEscape(id)+"/raw", nil)
	if err != nil {
		tb.Fatalf("testenv: Mailpit: %v", err)
	}
	return string(b)
}

// WaitFor polls the search query until at least n messages match, and returns all matching ones (newest
// first). It fails the test when timeout passes first.
func (m Mail) WaitFor(tb testing.TB, query string, n int, timeout time.Duration) []MailMessage {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ids, err := m.searchIDs(query)
		if err == nil && len(ids) >= n {
			msgs, err := m.fetch(ids)
			if err != nil {
				tb.Fatalf("testenv: Mailpit: %v", err)
			}
			return msgs
		}
		if time.Now().After(deadline) {
			if err != nil {
				tb.Fatalf("testenv: Mailpit: waiting %v for %d message(s) matching %q: %v", timeout, n, query, err)
			}
			tb.Fatalf("testenv: Mailpit: %d message(s) matching %q after %v, want %d", len(ids), query, timeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// DeleteAll deletes every message. Mailpit is shared by the whole test binary: call it only where no
// parallel test is waiting for mail.
func (m Mail) DeleteAll(tb testing.TB) {
	tb.Helper()
	if _, err := m.do(http.MethodDelete, "/api/v1/messages", strings.NewReader(`{"IDs":[]}`)); err != nil {
		tb.Fatalf("testenv: Mailpit: %v", err)
	}
}

func (m Mail) getJSON(path string, v any) error {
	b, err := m.do(http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

func (m Mail) do(method, path string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequest(method, m.APIURL+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := mailpitHTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	return b, nil
}
