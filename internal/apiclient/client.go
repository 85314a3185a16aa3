// Package apiclient speaks yoyaku's HTTP API (api/README.md) as patrons' and staff clients do, and reads Mailpit's.
// It is shared by the drivers that exercise a running stack from outside (yoyaku bench, the chaos tests), so
// that each of them does not grow its own copy of the same requests.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NewHTTPClient keeps enough idle connections for every concurrent client, as a browser population or a
// load balancer would: without it each request beyond the second would open a new TCP connection.
func NewHTTPClient() *http.Client {
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

// Client speaks yoyaku's HTTP API. Base is the API's base URL without a trailing slash (paths start with
// /api/v1); HC may be shared with other clients (a MailpitClient) to share its connections.
type Client struct {
	Base string
	HC   *http.Client
}

// New returns a client of the API at base with its own NewHTTPClient.
func New(base string) *Client {
	return &Client{Base: strings.TrimRight(base, "/"), HC: NewHTTPClient()}
}

// StatusError is an answer with a status outside 2xx; Body is the answer as received (the OpenAPI document's error JSON).
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

// Status returns the HTTP status of err's StatusError, or 0 when err is nil or not an answer (a transport
// error, a timeout), so that callers can tell "the server said no" from "the server did not answer".
func Status(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// HasCode reports whether err is an API error answer with that code (the OpenAPI document's error.code).
func HasCode(err error, code string) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	return json.Unmarshal([]byte(se.Body), &body) == nil && body.Error.Code == code
}

// Do sends body (when not nil) as JSON with the bearer token (when not empty) and decodes a 2xx answer into
// out (when not nil); any other status is a *StatusError.
func (c *Client) Do(ctx context.Context, method, path, token string, body, out any) error {
	return c.DoWithHeader(ctx, method, path, token, nil, body, out)
}

// DoWithHeader is Do with extra request header fields (X-Request-ID, Accept-Language, …).
func (c *Client) DoWithHeader(ctx context.Context, method, path, token string, header map[string]string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, r)
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
	resp, raw, err := c.send(req, path)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: string(raw)}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: %w: %s", method, path, err, raw)
		}
	}
	return nil
}

// send sends req (to path below Base) and reads the whole answer, whatever its status: a request that got no
// answer is the transport's error, an answer that could not be read an error naming the request.
func (c *Client) send(req *http.Request, path string) (*http.Response, []byte, error) {
	resp, err := c.HC.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, path, err)
	}
	return resp, raw, nil
}

// Hold is the part of the OpenAPI document's Hold that the drivers read.
type Hold struct {
	ID             string  `json:"id"`
	TitleID        string  `json:"title_id"`
	Status         string  `json:"status"`
	Position       *int    `json:"position"` // queue position while queued, else nil
	PlacedAt       string  `json:"placed_at"`
	PickupBranch   string  `json:"pickup_branch"`
	PickupDeadline *string `json:"pickup_deadline"` // YYYY-MM-DD once the patron was contacted
	SuspendedUntil *string `json:"suspended_until"` // 休止中: the day it is active again
	GroupID        *string `json:"group_id"`        // the any-of group (いずれか予約) it is a member of, else nil
	// What the patron may do with it now: 休止, 順位の繰下げ, 取置延長.
	CanSuspend bool `json:"can_suspend"`
	CanDefer   bool `json:"can_defer"`
	Extendable bool `json:"extendable"`
}

// Approved reports whether a hold has left 予約申込 (requested): its workflow has taken it up.
func (h Hold) Approved() bool { return h.Status != "" && h.Status != "requested" }

// PlaceResult is the answer of POST /api/v1/holds.
type PlaceResult struct {
	Placed []struct {
		HoldID  string  `json:"hold_id"`
		TitleID string  `json:"title_id"`
		Status  string  `json:"status"`
		GroupID *string `json:"group_id"` // mode any: the group the hold is a member of
	} `json:"placed"`
	Rejected []struct {
		TitleID string `json:"title_id"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"rejected"`
}

// Place places holds on titles in one request (mode "normal" or "series"); rejected titles are in the
// result, not an error.
func (c *Client) Place(ctx context.Context, token string, titleIDs []string, pickup, mode string) (PlaceResult, error) {
	var r PlaceResult
	err := c.Do(ctx, http.MethodPost, "/api/v1/holds", token,
		map[string]any{"title_ids": titleIDs, "pickup_branch": pickup, "mode": mode}, &r)
	return r, err
}

// PlaceHold places one normal hold on one title (one request per title) and returns its ID; a rejection is
// an error.
func (c *Client) PlaceHold(ctx context.Context, token, titleID, pickup string) (string, error) {
	r, err := c.Place(ctx, token, []string{titleID}, pickup, "normal")
	if err != nil {
		return "", err
	}
	if len(r.Placed) != 1 {
		return "", fmt.Errorf("placing title %s: rejected %+v", titleID, r.Rejected)
	}
	return r.Placed[0].HoldID, nil
}

// GetHold reads one of the patron's holds.
func (c *Client) GetHold(ctx context.Context, token, id string) (Hold, error) {
	var h Hold
	err := c.Do(ctx, http.MethodGet, "/api/v1/holds/"+url.PathEscape(id), token, nil, &h)
	return h, err
}

// ListHolds lists the patron's holds (active ones and those cancelled in the last 7 days).
func (c *Client) ListHolds(ctx context.Context, token string) ([]Hold, error) {
	var l struct {
		Holds []Hold `json:"holds"`
	}
	err := c.Do(ctx, http.MethodGet, "/api/v1/holds", token, nil, &l)
	return l.Holds, err
}

// Routing is the OpenAPI document's Routing: where a scanned copy goes next.
type Routing struct {
	Action   string  `json:"action"` // hold_shelf, transit or reshelve
	HoldID   *string `json:"hold_id"`
	ToBranch *string `json:"to_branch"`
}

// Scan posts a staff scan (checkin, pull, receive, missing) of a copy at a branch and decodes the answer
// into out (when not nil).
func (c *Client) Scan(ctx context.Context, staff, kind, barcode, branch string, out any) error {
	return c.Do(ctx, http.MethodPost, "/api/v1/staff/"+kind, staff, map[string]string{"barcode": barcode, "branch": branch}, out)
}

// Checkin posts a check-in scan with its request ID (X-Request-ID, the scan's idempotency key, which also
// names its check-in workflow), so that a retried scan is the same scan.
func (c *Client) Checkin(ctx context.Context, staff, barcode, branch, requestID string, out any) error {
	return c.DoWithHeader(ctx, http.MethodPost, "/api/v1/staff/checkin", staff, map[string]string{"X-Request-ID": requestID},
		map[string]string{"barcode": barcode, "branch": branch}, out)
}
