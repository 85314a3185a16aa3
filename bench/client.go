package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// newHTTPClient keeps enough idle connections for every concurrent client, as a browser population or a
// load balancer would: without it each request beyond the second would open a new TCP connection.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

// apiClient speaks yoyaku's HTTP API (API.md) as patrons' and staff clients do.
type apiClient struct {
	base string
	hc   *http.Client
}

// statusError is an answer with an unexpected status.
type statusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

// do sends body as JSON with the bearer token and decodes a 2xx answer into out (when not nil).
func (c *apiClient) do(ctx context.Context, method, path, token string, body, out any) error {
	return c.doWithHeader(ctx, method, path, token, nil, body, out)
}

func (c *apiClient) doWithHeader(ctx context.Context, method, path, token string, header map[string]string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &statusError{Method: method, Path: path, Status: resp.StatusCode, Body: string(raw)}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: %w: %s", method, path, err, raw)
		}
	}
	return nil
}

// hasCode reports whether err is an API error answer with that code.
func hasCode(err error, code string) bool {
	se, ok := err.(*statusError)
	if !ok {
		return false
	}
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	return json.Unmarshal([]byte(se.Body), &body) == nil && body.Error.Code == code
}

// holdView is the part of API.md's Hold the bench reads.
type holdView struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	PickupDeadline *string `json:"pickup_deadline"`
}

// approved reports whether a hold has left 予約申込 (requested).
func (h holdView) approved() bool { return h.Status != "" && h.Status != "requested" }

type placeResult struct {
	Placed []struct {
		HoldID string `json:"hold_id"`
		Status string `json:"status"`
	} `json:"placed"`
	Rejected []struct {
		TitleID string `json:"title_id"`
		Reason  string `json:"reason"`
	} `json:"rejected"`
}

// placeHold places one hold on one title (one request per title, as the tests of the targets require).
func (c *apiClient) placeHold(ctx context.Context, token, titleID, pickup string) (string, error) {
	var r placeResult
	if err := c.do(ctx, http.MethodPost, "/api/v1/holds", token,
		map[string]any{"title_ids": []string{titleID}, "pickup_branch": pickup, "mode": "normal"}, &r); err != nil {
		return "", err
	}
	if len(r.Placed) != 1 {
		return "", fmt.Errorf("placing title %s: rejected %+v", titleID, r.Rejected)
	}
	return r.Placed[0].HoldID, nil
}

func (c *apiClient) getHold(ctx context.Context, token, id string) (holdView, error) {
	var h holdView
	err := c.do(ctx, http.MethodGet, "/api/v1/holds/"+url.PathEscape(id), token, nil, &h)
	return h, err
}

func (c *apiClient) listHolds(ctx context.Context, token string) ([]holdView, error) {
	var l struct {
		Holds []holdView `json:"holds"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/holds", token, nil, &l)
	return l.Holds, err
}

// routing is API.md's Routing.
type routing struct {
	Action string  `json:"action"`
	HoldID *string `json:"hold_id"`
}

// scan posts a staff scan (checkin, pull, receive) of a copy at a branch.
func (c *apiClient) scan(ctx context.Context, staff, kind, barcode, branch string, out any) error {
	return c.do(ctx, http.MethodPost, "/api/v1/staff/"+kind, staff, map[string]string{"barcode": barcode, "branch": branch}, out)
}

// checkin posts a check-in scan with its request ID (X-Request-ID, the scan's idempotency key, which also
// names its check-in workflow).
func (c *apiClient) checkin(ctx context.Context, staff, barcode, branch, requestID string, out any) error {
	return c.doWithHeader(ctx, http.MethodPost, "/api/v1/staff/checkin", staff, map[string]string{"X-Request-ID": requestID},
		map[string]string{"barcode": barcode, "branch": branch}, out)
}

// mailpitClient reads Mailpit's HTTP API (v1).
type mailpitClient struct {
	base string
	hc   *http.Client
}

// mailSummary is one message of a Mailpit search; Created is when Mailpit received it.
type mailSummary struct {
	ID      string    `json:"ID"`
	Created time.Time `json:"Created"`
	Subject string    `json:"Subject"`
}

// search returns the messages matching a Mailpit search query (see testenv/mailpit.go for the syntax).
func (m *mailpitClient) search(ctx context.Context, query string) ([]mailSummary, error) {
	q := url.Values{"query": {query}, "limit": {"50"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.base+"/api/v1/search?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mailpit search %q: %s: %s", query, resp.Status, strings.TrimSpace(string(raw)))
	}
	var list struct {
		Messages []mailSummary `json:"messages"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("mailpit search: %w", err)
	}
	return list.Messages, nil
}
