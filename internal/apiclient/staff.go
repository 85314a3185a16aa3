package apiclient

import (
	"context"
	"fmt"
	"net/http"
)

// The staff operations a driver needs to make its own fixtures (patrons, titles, copies, loans) through the
// API, as a library's staff would, and the logins.

// StaffLogin opens a staff session and returns its token.
func (c *Client) StaffLogin(ctx context.Context, login, password string) (string, error) {
	var r struct {
		Token string `json:"token"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/staff/session", "", map[string]string{"login": login, "password": password}, &r); err != nil {
		return "", fmt.Errorf("staff login: %w", err)
	}
	return r.Token, nil
}

// PatronLogin opens a patron session and returns its token.
func (c *Client) PatronLogin(ctx context.Context, card, password string) (string, error) {
	var r struct {
		Token string `json:"token"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/session", "", map[string]string{"card_number": card, "password": password}, &r); err != nil {
		return "", fmt.Errorf("patron login: %w", err)
	}
	return r.Token, nil
}

// Libraries lists the branch codes of the libraries (kind library: the branches that hold copies and are
// pickup places), in the API's order.
func (c *Client) Libraries(ctx context.Context) ([]string, error) {
	var r struct {
		Branches []struct {
			Code string `json:"code"`
			Kind string `json:"kind"`
		} `json:"branches"`
	}
	if err := c.Do(ctx, http.MethodGet, "/api/v1/branches", "", nil, &r); err != nil {
		return nil, err
	}
	var libs []string
	for _, b := range r.Branches {
		if b.Kind == "library" {
			libs = append(libs, b.Code)
		}
	}
	return libs, nil
}

// CreatePatron registers a patron (no phones) through the staff API; a card number in use is an error with code
// card_number_taken (HasCode), for the caller to pick another.
func (c *Client) CreatePatron(ctx context.Context, staff, card, name, password string, emails []string) error {
	if err := c.Do(ctx, http.MethodPost, "/api/v1/staff/patrons", staff, map[string]any{
		"card_number": card, "name": name, "password": password, "emails": emails, "phones": []string{}}, nil); err != nil {
		return fmt.Errorf("create patron: %w", err)
	}
	return nil
}

// CreateTitle adds a title to the catalogue (format book, magazine, cd, …) and returns its ID.
func (c *Client) CreateTitle(ctx context.Context, staff, title, author, format string) (string, error) {
	var t struct {
		ID string `json:"id"`
	}
	if err := c.Do(ctx, http.MethodPost, "/api/v1/staff/titles", staff, map[string]any{
		"title": title, "author": author, "format": format}, &t); err != nil {
		return "", fmt.Errorf("create title: %w", err)
	}
	return t.ID, nil
}

// CreateCopy adds a copy of a title at branch. A new copy is allocated like a return, so the answer says
// where it goes: reshelve when nobody holds the title.
func (c *Client) CreateCopy(ctx context.Context, staff, titleID, barcode, branch string) (Routing, error) {
	var r Routing
	if err := c.Do(ctx, http.MethodPost, "/api/v1/staff/items", staff,
		map[string]string{"title_id": titleID, "barcode": barcode, "branch": branch}, &r); err != nil {
		return Routing{}, fmt.Errorf("create copy: %w", err)
	}
	return r, nil
}

// Loan is the answer of a checkout: the loan, and the hold it fulfilled (nil when the copy was lent to a
// patron who did not hold it).
type Loan struct {
	Loan struct {
		Barcode string `json:"barcode"`
		DueDate string `json:"due_date"`
	} `json:"loan"`
	HoldID *string `json:"hold_id"`
}

// Checkout lends a copy to a patron at a branch (a hold's pickup, or an ordinary loan).
func (c *Client) Checkout(ctx context.Context, staff, barcode, card, branch string) (Loan, error) {
	var l Loan
	err := c.Do(ctx, http.MethodPost, "/api/v1/staff/checkout", staff,
		map[string]string{"barcode": barcode, "card_number": card, "branch": branch}, &l)
	return l, err
}
