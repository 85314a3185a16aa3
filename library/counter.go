package library

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// CounterHold is a hold taken at the counter (窓口予約) for the patron with a library card: for a title in
// the catalogue (TitleID), or a request for one the library does not own (Request), which is
// investigated (調査中). A request for a title the library owns and can lend is refused (owned_title,
// naming the title).
type CounterHold struct {
	CardNumber string
	TitleID    string
	Pickup     string
	Request    *TitleRequest
}

// TitleRequest describes a title the library does not own, asked for at the counter.
type TitleRequest struct {
	Title  string
	Author string
	ISBN   string
}

// PlaceCounterHold places a counter hold for staff.
func (s *Service) PlaceCounterHold(ctx context.Context, req CounterHold, staff int64) (store.HoldView, error) {
	card, err := domain.NormalizeCardNumber(req.CardNumber)
	if err != nil {
		return store.HoldView{}, refuse(CodeInvalidCardNumber)
	}
	patron, _, err := store.PatronByCard(ctx, s.DB, card)
	if err != nil {
		return store.HoldView{}, FromStore(err)
	}
	p := store.Placement{PatronID: patron, Pickup: strings.TrimSpace(req.Pickup), Origin: "counter", PlacedBy: staff,
		Limits: s.limits()}
	switch {
	case req.TitleID != "" && req.Request == nil:
		id, ok := ParseID(req.TitleID)
		if !ok {
			return store.HoldView{}, refuse(contract.ErrNotFound)
		}
		p.TitleID = id
	case req.TitleID == "" && req.Request != nil && strings.TrimSpace(req.Request.Title) != "" && len(req.Request.Title) <= 500 &&
		len(req.Request.Author) <= 200 && len(req.Request.ISBN) <= 20 &&
		storable(req.Request.Title) && storable(req.Request.Author) && storable(req.Request.ISBN):
		p.Request = &store.Request{Title: strings.TrimSpace(req.Request.Title), Author: strings.TrimSpace(req.Request.Author),
			ISBN: strings.TrimSpace(req.Request.ISBN)}
		// A request for a title the library can lend would hold it twice (the request, then a hold on the
		// copy that "arrives"): staff place a normal hold on that title instead.
		owned, ok, err := store.OwnedTitle(ctx, s.DB, domain.ISBNForms(p.Request.ISBN), p.Request.Title)
		if err != nil {
			return store.HoldView{}, err
		}
		if ok {
			return store.HoldView{}, &Error{Code: CodeOwnedTitle, TitleID: owned}
		}
	default:
		return store.HoldView{}, refuse(CodeInvalidRequest)
	}
	h, code, err := s.place(ctx, p)
	if err != nil {
		return store.HoldView{}, err
	}
	if code != "" {
		return store.HoldView{}, refuse(code)
	}
	return h, nil
}

// maxFound bounds the titles FindTitles answers: the desk picks one, it does not browse.
const maxFound = 20

// FindTitles finds the titles a counter hold may be for, from what the desk has in hand: a whole ISBN (10
// or 13 digits, either form), the barcode of a copy, or keywords (the catalogue search). An empty query
// finds nothing; a query the search refuses is invalid_query.
func (s *Service) FindTitles(ctx context.Context, q string) ([]store.TitleSummary, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	if isbn, ok := domain.NormalizeISBN(q); ok && isbn != "" {
		res, err := s.Search(ctx, store.SearchQuery{ISBN: isbn, Page: 1, PerPage: maxFound})
		if err != nil || len(res.Titles) > 0 {
			return res.Titles, err
		}
	}
	if validBarcode(q) {
		id, err := store.CopyTitle(ctx, s.DB, q)
		switch {
		case err == nil:
			d, err := store.GetTitle(ctx, s.DB, id)
			if err != nil {
				return nil, err
			}
			return []store.TitleSummary{d.TitleSummary}, nil
		case !errors.Is(err, store.ErrNoSuchCopy):
			return nil, err
		}
	}
	res, err := s.Search(ctx, store.SearchQuery{Q: q, Page: 1, PerPage: maxFound})
	return res.Titles, err
}

// OpenRequest reads a counter request that is still being worked on (調査中 or 選書中, no copy yet) by its
// (raw) ID: a hold that does not exist is not_found, any other hold not_changeable.
func (s *Service) OpenRequest(ctx context.Context, rawID string) (store.OpenRequest, error) {
	h, err := s.AnyHold(ctx, rawID)
	if err != nil {
		return store.OpenRequest{}, err
	}
	r, err := store.GetOpenRequest(ctx, s.DB, h.ID)
	if errors.Is(err, store.ErrNoSuchHold) {
		return store.OpenRequest{}, refuse(contract.ErrNotChangeable)
	}
	return r, err
}

// Received is the copy that arrived for a counter request: of an existing title (TitleID), or of a title
// catalogued with it (NewTitle).
type Received struct {
	HoldID   string
	TitleID  string
	NewTitle *Title
	Barcode  string
	Branch   string
	// CallNumber (請求記号) and ShelfLocation (配架場所) of the copy, optional.
	CallNumber, ShelfLocation string
}

// ReceiveRequest serves a counter request with the copy that arrived for it, cataloguing its title first
// when it is new. Whatever can be refused is checked before anything is written (the request, the copy's
// barcode, the new title's record), so a refusal leaves no title behind.
func (s *Service) ReceiveRequest(ctx context.Context, r Received, staff int64) (contract.Routing, error) {
	req, err := s.OpenRequest(ctx, r.HoldID)
	if err != nil {
		return contract.Routing{}, err
	}
	scan, err := s.CheckScan(ctx, Scan{Barcode: r.Barcode, Branch: r.Branch})
	if err != nil {
		return contract.Routing{}, err
	}
	if _, err := CheckShelf(r.CallNumber, r.ShelfLocation); err != nil {
		return contract.Routing{}, err
	}
	taken, err := store.BarcodeTaken(ctx, s.DB, scan.Barcode)
	if err != nil {
		return contract.Routing{}, fmt.Errorf("receive for request %d: %w", req.HoldID, err)
	}
	if taken {
		return contract.Routing{}, refuse(contract.ErrBarcodeTaken)
	}
	titleID := r.TitleID
	if r.NewTitle != nil {
		// An e-text is read online: no copy of it can arrive at the desk.
		if r.NewTitle.Format == string(domain.FormatEText) {
			return contract.Routing{}, refuse(CodeInvalidFormat)
		}
		if _, code := r.NewTitle.check(); code != "" {
			return contract.Routing{}, refuse(code)
		}
		id, err := s.CreateTitle(ctx, *r.NewTitle)
		if err != nil {
			return contract.Routing{}, err
		}
		titleID = strconv.FormatInt(id, 10)
	}
	return s.RegisterCopy(ctx, NewCopy{TitleID: titleID, Barcode: scan.Barcode, Branch: scan.Branch,
		HoldID: strconv.FormatInt(req.HoldID, 10), CallNumber: r.CallNumber, ShelfLocation: r.ShelfLocation}, staff, "")
}
