package api

// Catalogue search and title detail: GET /api/v1/titles and GET /api/v1/titles/{id}, public (no login).
// Matching, ranking and paging live in store/catalogue.go.

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

const (
	defaultPerPage = 20
	maxPage        = store.SearchCap // no result lies beyond page SearchCap (per_page 1)
)

// TitleSummaryJSON is the OpenAPI document's TitleSummary.
type TitleSummaryJSON struct {
	ID                string           `json:"id"`
	Title             string           `json:"title"`
	TitleReading      string           `json:"title_reading"`
	Author            string           `json:"author"`
	AuthorReading     string           `json:"author_reading"`
	Publisher         string           `json:"publisher"`
	Year              *int64           `json:"year"`
	ISBN              *string          `json:"isbn"`
	Format            string           `json:"format"`
	Series            *TitleSeriesJSON `json:"series"`
	Holdable          bool             `json:"holdable"`
	NotHoldableReason *string          `json:"not_holdable_reason"`
	CopiesTotal       int              `json:"copies_total"`
	CopiesAvailable   int              `json:"copies_available"`
	HoldsQueued       int              `json:"holds_queued"`
}

// TitleSeriesJSON places a title in its series.
type TitleSeriesJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Volume int64  `json:"volume"`
}

// TitleDetailJSON is the OpenAPI document's TitleDetail.
type TitleDetailJSON struct {
	TitleSummaryJSON
	URL    *string    `json:"url"`
	Copies []CopyJSON `json:"copies"`
}

// CopyJSON is one copy in a title's detail.
type CopyJSON struct {
	Barcode       string  `json:"barcode"`
	Branch        string  `json:"branch"`
	BranchName    string  `json:"branch_name"`
	CallNumber    string  `json:"call_number"`    // 請求記号, "" when not recorded
	ShelfLocation string  `json:"shelf_location"` // 配架場所, "" when not recorded
	Status        string  `json:"status"`
	StatusLabel   string  `json:"status_label"`
	DueDate       *string `json:"due_date"`
}

// SearchJSON is the answer of GET /api/v1/titles.
type SearchJSON struct {
	Total       int                `json:"total"`
	TotalCapped bool               `json:"total_capped"`
	Page        int                `json:"page"`
	PerPage     int                `json:"per_page"`
	Titles      []TitleSummaryJSON `json:"titles"`
}

// copyLabels are the Japanese labels of the copy states, as an OPAC shows them.
var copyLabels = map[store.CopyStatus]string{
	store.CopyAvailable:     "貸出可",
	store.CopyReferenceOnly: "禁帯出",
	store.CopyOnLoan:        "貸出中",
	store.CopyInTransit:     "配送中",
	store.CopyOnHoldShelf:   "予約取置中",
	store.CopySetAside:      "確保中",
	store.CopyMissing:       "不明",
}

func titleSummaryJSON(t store.TitleSummary) TitleSummaryJSON {
	j := TitleSummaryJSON{
		ID: httpkit.IDString(t.ID), Title: t.Title, TitleReading: t.TitleReading, Author: t.Author,
		AuthorReading: t.AuthorReading, Publisher: t.Publisher, Format: string(t.Format),
		CopiesTotal: t.CopiesTotal, CopiesAvailable: t.CopiesAvailable, HoldsQueued: t.HoldsQueued,
	}
	if t.Year.Valid {
		y := t.Year.Int64
		j.Year = &y
	}
	if t.ISBN.Valid {
		isbn := t.ISBN.String
		j.ISBN = &isbn
	}
	if t.SeriesID.Valid {
		j.Series = &TitleSeriesJSON{ID: httpkit.IDString(t.SeriesID.Int64), Name: t.SeriesName.String, Volume: t.Volume.Int64}
	}
	if r := t.NotHoldableReason(); r != "" {
		j.NotHoldableReason = &r
	} else {
		j.Holdable = true
	}
	return j
}

// searchTitles is GET /api/v1/titles: q over every field, the detailed fields each over its own, format and
// year filters, and paging. Every malformed or out-of-range parameter is 422 invalid_query.
func (s *Server) searchTitles(c *gin.Context) {
	q := store.SearchQuery{
		Q: c.Query("q"), Title: c.Query("title"), Author: c.Query("author"), Publisher: c.Query("publisher"),
		Series: c.Query("series"), ISBN: c.Query("isbn"), Format: domain.Format(c.Query("format")),
	}
	var ok bool
	if q.Page, ok = intParam(c, "page", 1, 1, maxPage); !ok {
		return
	}
	if q.PerPage, ok = intParam(c, "per_page", defaultPerPage, 1, store.MaxPerPage); !ok {
		return
	}
	if q.Year, ok = intParam(c, "year", 0, 1, 9999); !ok {
		return
	}
	res, err := s.Lib.Search(c.Request.Context(), q)
	if err != nil {
		s.FailErr(c, err)
		return
	}
	out := SearchJSON{Total: res.Total, TotalCapped: res.Capped, Page: q.Page, PerPage: q.PerPage,
		Titles: make([]TitleSummaryJSON, 0, len(res.Titles))}
	for _, t := range res.Titles {
		out.Titles = append(out.Titles, titleSummaryJSON(t))
	}
	c.JSON(http.StatusOK, out)
}

// intParam reads an optional integer query parameter in [lo, hi]; absent or empty gives def. Anything else
// answers 422 invalid_query and returns false.
func intParam(c *gin.Context, name string, def, lo, hi int) (int, bool) {
	raw := c.Query(name)
	if raw == "" {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		httpkit.FailCode(c, library.CodeInvalidQuery)
		return 0, false
	}
	return n, true
}

// getTitle is GET /api/v1/titles/{id}: the title, its copies (withdrawn ones hidden) and its queue.
func (s *Server) getTitle(c *gin.Context) {
	d, err := s.Lib.Title(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.FailErr(c, err)
		return
	}
	out := TitleDetailJSON{TitleSummaryJSON: titleSummaryJSON(d.TitleSummary), Copies: make([]CopyJSON, 0, len(d.Copies))}
	if d.URL.Valid {
		u := d.URL.String
		out.URL = &u
	}
	for _, cp := range d.Copies {
		j := CopyJSON{Barcode: cp.Barcode, Branch: cp.Branch, BranchName: cp.BranchName, CallNumber: cp.CallNumber,
			ShelfLocation: cp.ShelfLocation, Status: string(cp.Status), StatusLabel: copyLabels[cp.Status]}
		if cp.DueDate.Valid {
			j.DueDate = httpkit.DateString(cp.DueDate.Time)
		}
		out.Copies = append(out.Copies, j)
	}
	c.JSON(http.StatusOK, out)
}
