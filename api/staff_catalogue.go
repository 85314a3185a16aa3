package api

// Staff catalogue and patron maintenance: POST /api/v1/staff/titles, POST /api/v1/staff/patrons and
// POST /api/v1/staff/patrons/{card}/phones. Handlers bind, validate (every refusal is a 422 with a code,
// never a 500) and call the small SQL helpers at the end of this file; database errors are mapped to HTTP
// once, by dbFail.

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"

	"yoyaku/auth"
	"yoyaku/domain"
)

const (
	catalogueTimeout   = 5 * time.Second
	maxTitleChars      = 500
	maxNameChars       = 200
	maxURLChars        = 2048
	maxVolume          = 1_000_000
	maxEmailsPerPatron = 2
	maxEmailBytes      = 254 // patron_emails.address
)

// uniqueCodes maps the unique constraints a staff request can violate to the 409 code it answers.
var uniqueCodes = map[string]Code{
	"titles_series_id_volume_key": CodeDuplicateVolume,
	"patrons_card_number_key":     CodeCardNumberTaken,
}

// staffCatalogueRoutes mounts the catalogue and patron maintenance endpoints on the staff group.
func (s *Server) staffCatalogueRoutes(staff *gin.RouterGroup) {
	staff.POST("/titles", s.staffCreateTitle)
	staff.POST("/patrons", s.staffCreatePatron)
	staff.POST("/patrons/:card/phones", s.staffAddPhone)
}

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

// newTitle is a validated staffTitleRequest, ready for insertTitle.
type newTitle struct {
	title, titleReading, author, authorReading, publisher string
	year                                                  sql.NullInt64
	isbn                                                  sql.NullString
	format                                                domain.Format
	seriesName                                            string // "" for none
	volume                                                sql.NullInt64
	referenceOnly                                         bool
	url                                                   sql.NullString
}

// staffCreateTitle is POST /api/v1/staff/titles.
func (s *Server) staffCreateTitle(c *gin.Context) {
	var req staffTitleRequest
	if !bindJSON(c, &req) {
		return
	}
	t, code := req.validate()
	if code != "" {
		fail(c, validationStatus(code), code)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), catalogueTimeout)
	defer cancel()
	id, err := insertTitle(ctx, s.DB, t)
	if err != nil {
		s.dbFail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": strconv.FormatInt(id, 10)})
}

// validate checks the request and normalises it; code is "" when it is valid.
func (r *staffTitleRequest) validate() (t newTitle, code Code) {
	var ok bool
	if t.title, ok = cleanText(r.Title); !ok || t.title == "" || utf8.RuneCountInString(t.title) > maxTitleChars {
		return t, CodeInvalidTitle
	}
	for _, f := range []struct {
		dst *string
		src string
	}{{&t.titleReading, r.TitleReading}, {&t.author, r.Author}, {&t.authorReading, r.AuthorReading}, {&t.publisher, r.Publisher}} {
		if *f.dst, ok = cleanText(f.src); !ok {
			return t, CodeBadRequest // control characters; PostgreSQL cannot store a NUL at all
		}
	}
	t.referenceOnly = r.ReferenceOnly

	t.format = domain.Format(strings.ToLower(strings.TrimSpace(r.Format)))
	if !t.format.Valid() {
		return t, CodeInvalidFormat
	}
	u := strings.TrimSpace(r.URL)
	switch {
	case t.format == domain.FormatEText && !validURL(u):
		return t, CodeInvalidURL
	case t.format != domain.FormatEText && u != "":
		return t, CodeInvalidURL
	case u != "":
		t.url = sql.NullString{String: u, Valid: true}
	}
	if r.ISBN != "" {
		isbn, ok := domain.NormalizeISBN(r.ISBN)
		if !ok {
			return t, CodeInvalidISBN
		}
		t.isbn = sql.NullString{String: isbn, Valid: isbn != ""}
	}
	if r.Year != nil {
		if *r.Year < 1 || *r.Year > 9999 {
			return t, CodeInvalidYear
		}
		t.year = sql.NullInt64{Int64: int64(*r.Year), Valid: true}
	}
	if r.Series != nil {
		name, ok := cleanText(r.Series.Name)
		switch {
		case ok && name == "" && r.Series.Volume == nil: // an empty series object is no series
		case !ok || name == "" || utf8.RuneCountInString(name) > maxTitleChars || r.Series.Volume == nil ||
			*r.Series.Volume < 1 || *r.Series.Volume > maxVolume:
			return t, CodeInvalidSeries
		default:
			t.seriesName = name
			t.volume = sql.NullInt64{Int64: int64(*r.Series.Volume), Valid: true}
		}
	}
	return t, ""
}

// validationStatus is the status of a validation refusal: 422, or 400 for text no field could hold.
func validationStatus(code Code) int {
	if code == CodeBadRequest {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// cleanText trims s and reports whether it is free of control characters (tabs and newlines included).
func cleanText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	return s, strings.IndexFunc(s, unicode.IsControl) < 0
}

// validURL reports whether s is an absolute http(s) URL with a host.
func validURL(s string) bool {
	if s == "" || len(s) > maxURLChars || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		// titles.url requires the scheme in lower case.
		(strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"))
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

// newPatron is a validated staffPatronRequest, ready for insertPatron.
type newPatron struct {
	card, name, passwordHash string
	emails, phones           []string
}

// staffCreatePatron is POST /api/v1/staff/patrons.
func (s *Server) staffCreatePatron(c *gin.Context) {
	var req staffPatronRequest
	if !bindJSON(c, &req) {
		return
	}
	p, code := req.validate()
	if code != "" {
		fail(c, http.StatusUnprocessableEntity, code)
		return
	}
	hash, err := auth.HashPassword(req.Password) // slow: outside the transaction
	if err != nil {
		s.internal(c, err)
		return
	}
	p.passwordHash = hash
	ctx, cancel := context.WithTimeout(c.Request.Context(), catalogueTimeout)
	defer cancel()
	if err := insertPatron(ctx, s.DB, p); err != nil {
		s.dbFail(c, err)
		return
	}
	c.JSON(http.StatusCreated, staffPatronResponse{CardNumber: p.card, Name: p.name})
}

// validate checks and normalises the request (but does not hash the password); code is "" when it is valid.
func (r *staffPatronRequest) validate() (p newPatron, code Code) {
	var err error
	if p.card, err = domain.NormalizeCardNumber(r.CardNumber); err != nil {
		return p, CodeInvalidCardNumber
	}
	var ok bool
	if p.name, ok = cleanText(r.Name); !ok || p.name == "" || utf8.RuneCountInString(p.name) > maxNameChars {
		return p, CodeInvalidName
	}
	if len(r.Password) < auth.MinPasswordBytes || len(r.Password) > auth.MaxPasswordBytes {
		return p, CodeInvalidPassword
	}
	if len(r.Emails) > maxEmailsPerPatron {
		return p, CodeTooManyEmails
	}
	for _, e := range r.Emails {
		addr, ok := normalizeEmail(e)
		if !ok {
			return p, CodeInvalidEmail
		}
		if !containsFold(p.emails, addr) { // the same address twice is registered once
			p.emails = append(p.emails, addr)
		}
	}
	for _, ph := range r.Phones {
		number, ok := normalizePhone(ph)
		if !ok {
			return p, CodeInvalidPhone
		}
		p.phones = append(p.phones, number)
	}
	return p, ""
}

// emailPattern is what patron_emails.address allows; net/mail alone also accepts a@localhost and quoted
// local parts with spaces.
var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// normalizeEmail trims s and accepts it only if it is a plain address ("a@example.jp", not
// "Name <a@example.jp>").
func normalizeEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxEmailBytes || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !emailPattern.MatchString(s) {
		return "", false
	}
	return s, true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// phonePattern is what patron_phones.number allows: digits and hyphens, 6 to 20 characters, a digit first.
var phonePattern = regexp.MustCompile(`^[0-9][0-9-]{5,19}$`)

// normalizePhone trims s, folds full-width digits and hyphens to ASCII and checks the result.
func normalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(norm.NFKC.String(strings.TrimSpace(s)))
	if !phonePattern.MatchString(s) {
		return "", false
	}
	return s, true
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
	var req staffPhoneRequest
	if !bindJSON(c, &req) {
		return
	}
	card, err := domain.NormalizeCardNumber(c.Param("card"))
	if err != nil {
		fail(c, http.StatusNotFound, CodeNotFound) // no patron can have it
		return
	}
	number, ok := normalizePhone(req.Phone)
	if !ok {
		fail(c, http.StatusUnprocessableEntity, CodeInvalidPhone)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), catalogueTimeout)
	defer cancel()
	phones, err := addPhone(ctx, s.DB, card, number)
	if err != nil {
		s.dbFail(c, err)
		return
	}
	c.JSON(http.StatusOK, staffPhonesResponse{CardNumber: card, Phones: phones})
}

// --- errors and SQL -------------------------------------------------------------------------------------

// dbFail maps a store error to HTTP: no row is 404 not_found, a unique violation the client caused is 409
// with its code, anything else a logged 500.
func (s *Server) dbFail(c *gin.Context, err error) {
	if errors.Is(err, sql.ErrNoRows) {
		fail(c, http.StatusNotFound, CodeNotFound)
		return
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		if code, ok := uniqueCodes[pqErr.Constraint]; ok {
			fail(c, http.StatusConflict, code)
			return
		}
	}
	s.internal(c, err)
}

// inTx runs f in a transaction, committed if f returns nil.
func inTx(ctx context.Context, db *sqlx.DB, f func(*sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// insertTitle inserts t, finding or creating its series by name, and returns the new title's ID.
func insertTitle(ctx context.Context, db *sqlx.DB, t newTitle) (int64, error) {
	var id int64
	err := inTx(ctx, db, func(tx *sqlx.Tx) error {
		var seriesID sql.NullInt64
		if t.seriesName != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO series (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, t.seriesName); err != nil {
				return err
			}
			if err := tx.GetContext(ctx, &seriesID, `SELECT id FROM series WHERE name = $1`, t.seriesName); err != nil {
				return err
			}
		}
		search := domain.SearchText(t.title, t.titleReading, t.author, t.authorReading, t.publisher, t.seriesName)
		return tx.GetContext(ctx, &id, `
			INSERT INTO titles (title, title_reading, author, author_reading, publisher, year, isbn, format,
			                    series_id, volume, reference_only, url, search_text)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			RETURNING id`,
			t.title, t.titleReading, t.author, t.authorReading, t.publisher, t.year, t.isbn, string(t.format),
			seriesID, t.volume, t.referenceOnly, t.url, search)
	})
	return id, err
}

// insertPatron inserts p with its e-mail addresses (slots 1 and 2, both notified) and phone numbers. The
// contact method is email when an address is given, else none.
func insertPatron(ctx context.Context, db *sqlx.DB, p newPatron) error {
	method := "none"
	if len(p.emails) > 0 {
		method = "email"
	}
	return inTx(ctx, db, func(tx *sqlx.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, `
			INSERT INTO patrons (card_number, name, password_hash, contact_method) VALUES ($1, $2, $3, $4)
			RETURNING id`, p.card, p.name, p.passwordHash, method); err != nil {
			return err
		}
		for i, e := range p.emails {
			if _, err := tx.ExecContext(ctx, `INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, $2, $3, true)`,
				id, i+1, e); err != nil {
				return err
			}
		}
		for _, number := range p.phones {
			if _, err := tx.ExecContext(ctx, `INSERT INTO patron_phones (patron_id, number) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
				id, number); err != nil {
				return err
			}
		}
		return nil
	})
}

// addPhone registers number for the patron with card (a no-op if it is registered already) and returns
// the patron's numbers in registration order; sql.ErrNoRows if there is no such patron.
func addPhone(ctx context.Context, db *sqlx.DB, card, number string) ([]string, error) {
	var phones []string
	err := inTx(ctx, db, func(tx *sqlx.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, `SELECT id FROM patrons WHERE card_number = $1`, card); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO patron_phones (patron_id, number) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			id, number); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &phones, `SELECT number FROM patron_phones WHERE patron_id = $1 ORDER BY id`, id)
	})
	return phones, err
}
