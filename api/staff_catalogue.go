package api

// Staff catalogue and patron maintenance: POST /api/v1/staff/titles, POST /api/v1/staff/patrons and
// POST /api/v1/staff/patrons/{card}/phones. Handlers bind and translate; the checks (every refusal a 422
// or 409 with a code, never a 500) and the inserts are the library's (library/catalogue.go).

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
)

// --- titles ---------------------------------------------------------------------------------------------

type staffTitleRequest struct {
	Title         string `json:"title"`
	TitleReading  string `json:"title_reading"`
	Author        string `json:"author"`
	AuthorReading string `json:"author_reading"`
	Publisher     string `json:"publisher"`
	Year          *int   `json:"year"`
	ISBN          string `json:"isbn"`
	Format        string `json:"format"`
	Series        *struct {
		Name   string `json:"name"`
		Volume *int   `json:"volume"`
	} `json:"series"`
	ReferenceOnly bool   `json:"reference_only"`
	URL           string `json:"url"`
}

// staffCreateTitle is POST /api/v1/staff/titles.
func (s *Server) staffCreateTitle(c *gin.Context) {
	bindRun(s, c, http.StatusCreated, func(req staffTitleRequest) (any, error) {
		t := library.Title{Title: req.Title, TitleReading: req.TitleReading, Author: req.Author, AuthorReading: req.AuthorReading,
			Publisher: req.Publisher, Year: req.Year, ISBN: req.ISBN, Format: req.Format, ReferenceOnly: req.ReferenceOnly, URL: req.URL}
		if req.Series != nil {
			t.Series = &library.Volume{Name: req.Series.Name, Volume: req.Series.Volume}
		}
		id, err := s.Lib.CreateTitle(c.Request.Context(), t)
		return gin.H{"id": httpkit.IDString(id)}, err
	})
}

// --- patrons --------------------------------------------------------------------------------------------

type staffPatronRequest struct {
	CardNumber string   `json:"card_number"`
	Name       string   `json:"name"`
	Password   string   `json:"password"`
	Emails     []string `json:"emails"`
	Phones     []string `json:"phones"`
}

type staffPatronResponse struct {
	CardNumber string `json:"card_number"`
	Name       string `json:"name"`
}

// staffCreatePatron is POST /api/v1/staff/patrons.
func (s *Server) staffCreatePatron(c *gin.Context) {
	bindRun(s, c, http.StatusCreated, func(req staffPatronRequest) (any, error) {
		card, name, err := s.Lib.CreatePatron(c.Request.Context(), library.Patron{CardNumber: req.CardNumber, Name: req.Name,
			Password: req.Password, Emails: req.Emails, Phones: req.Phones})
		return staffPatronResponse{CardNumber: card, Name: name}, err
	})
}

// --- phones ---------------------------------------------------------------------------------------------

type staffPhoneRequest struct {
	Phone string `json:"phone"`
}

type staffPhonesResponse struct {
	CardNumber string   `json:"card_number"`
	Phones     []string `json:"phones"`
}

// staffAddPhone is POST /api/v1/staff/patrons/{card}/phones. Registering a number the patron already has
// changes nothing and answers 200 like the first time.
func (s *Server) staffAddPhone(c *gin.Context) {
	bindRun(s, c, http.StatusOK, func(req staffPhoneRequest) (any, error) {
		card, phones, err := s.Lib.AddPhone(c.Request.Context(), c.Param("card"), req.Phone)
		return staffPhonesResponse{CardNumber: card, Phones: phones}, err
	})
}
