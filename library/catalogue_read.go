package library

import (
	"context"
	"errors"
	"time"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

// CodeInvalidQuery: a search parameter is out of range or malformed (page, per_page, format, year, isbn, a
// field over 200 characters, more than 16 keywords).
const CodeInvalidQuery domain.Code = "invalid_query"

// searchTimeout bounds a catalogue search or the reading of one title.
const searchTimeout = 5 * time.Second

// Search searches the catalogue (蔵書検索).
func (s *Service) Search(ctx context.Context, q store.SearchQuery) (store.SearchResult, error) {
	ctx, cancel := context.WithTimeout(ctx, searchTimeout)
	defer cancel()
	res, err := store.SearchTitles(ctx, s.DB, q)
	if errors.Is(err, store.ErrInvalidQuery) {
		return res, refuse(CodeInvalidQuery)
	}
	return res, err
}

// Title reads a title by its (raw) ID with its copies (withdrawn ones hidden) and its queue.
func (s *Service) Title(ctx context.Context, rawID string) (store.TitleDetail, error) {
	id, ok := ParseID(rawID)
	if !ok {
		return store.TitleDetail{}, refuse(contract.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, searchTimeout)
	defer cancel()
	d, err := store.GetTitle(ctx, s.DB, id)
	if errors.Is(err, store.ErrNoSuchTitle) {
		return d, refuse(contract.ErrNotFound)
	}
	return d, err
}
