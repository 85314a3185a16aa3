package library

// Registering titles, patrons and phone numbers (staff). Every refusal has a code; the inserts are the
// store's.

import (
	"context"
	"database/sql"
	"errors"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"

	"yoyaku/auth"
	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/store"
)

const (
	catalogueTimeout   = 5 * time.Second
	maxTitleChars      = 500
	maxNameChars       = 200
	maxURLChars        = 2048
	maxVolume          = 1_000_000
	maxEmailsPerPatron = 2
	// MaxEmailBytes is the longest address patron_emails.address takes.
	MaxEmailBytes = 254
)

// uniqueCodes maps the unique constraints a staff request can violate to the 409 code it answers.
var uniqueCodes = map[string]domain.Code{
	"titles_series_id_volume_key": CodeDuplicateVolume,
	"patrons_card_number_key":     CodeCardNumberTaken,
}

// Title is a title as staff describe it.
type Title struct {
	Title, TitleReading, Author, AuthorReading, Publisher string
	Year                                                  *int
	ISBN                                                  string
	Format                                                string
	Series                                                *Volume // nil for none
	ReferenceOnly                                         bool
	URL                                                   string
}

// Volume places a title in a series by the series' name.
type Volume struct {
	Name   string
	Volume *int
}

// CreateTitle registers a title and returns its ID.
func (s *Service) CreateTitle(ctx context.Context, r Title) (int64, error) {
	t, code := r.check()
	if code != "" {
		return 0, refuse(code)
	}
	ctx, cancel := context.WithTimeout(ctx, catalogueTimeout)
	defer cancel()
	id, err := store.InsertTitle(ctx, s.DB, t)
	return id, registrationError(err)
}

// check checks the request and normalises it; code is "" when it is valid.
func (r Title) check() (t store.NewTitle, code domain.Code) {
	var ok bool
	if t.Title, ok = cleanText(r.Title); !ok || t.Title == "" || utf8.RuneCountInString(t.Title) > maxTitleChars {
		return t, CodeInvalidTitle
	}
	for _, f := range []struct {
		dst *string
		src string
	}{{&t.TitleReading, r.TitleReading}, {&t.Author, r.Author}, {&t.AuthorReading, r.AuthorReading}, {&t.Publisher, r.Publisher}} {
		if *f.dst, ok = cleanText(f.src); !ok {
			return t, contract.ErrBadRequest // control characters; PostgreSQL cannot store a NUL at all
		}
	}
	t.ReferenceOnly = r.ReferenceOnly

	t.Format = domain.Format(strings.ToLower(strings.TrimSpace(r.Format)))
	if !t.Format.Valid() {
		return t, CodeInvalidFormat
	}
	u := strings.TrimSpace(r.URL)
	switch {
	case t.Format == domain.FormatEText && !validURL(u):
		return t, CodeInvalidURL
	case t.Format != domain.FormatEText && u != "":
		return t, CodeInvalidURL
	case u != "":
		t.URL = sql.NullString{String: u, Valid: true}
	}
	if r.ISBN != "" {
		isbn, ok := domain.NormalizeISBN(r.ISBN)
		if !ok {
			return t, CodeInvalidISBN
		}
		t.ISBN = sql.NullString{String: isbn, Valid: isbn != ""}
	}
	if r.Year != nil {
		if *r.Year < 1 || *r.Year > 9999 {
			return t, CodeInvalidYear
		}
		t.Year = sql.NullInt64{Int64: int64(*r.Year), Valid: true}
	}
	if r.Series != nil {
		name, ok := cleanText(r.Series.Name)
		switch {
		case ok && name == "" && r.Series.Volume == nil: // an empty series object is no series
		case !ok || name == "" || utf8.RuneCountInString(name) > maxTitleChars || r.Series.Volume == nil ||
			*r.Series.Volume < 1 || *r.Series.Volume > maxVolume:
			return t, CodeInvalidSeries
		default:
			t.SeriesName = name
			t.Volume = sql.NullInt64{Int64: int64(*r.Series.Volume), Valid: true}
		}
	}
	return t, ""
}

// Patron is a patron as staff register them.
type Patron struct {
	CardNumber, Name, Password string
	Emails, Phones             []string
}

// CreatePatron registers a patron and returns the card number and name as registered.
func (s *Service) CreatePatron(ctx context.Context, r Patron) (card, name string, err error) {
	p, code := r.check()
	if code != "" {
		return "", "", refuse(code)
	}
	if p.PasswordHash, err = auth.HashPassword(r.Password); err != nil { // slow: outside the transaction
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(ctx, catalogueTimeout)
	defer cancel()
	if _, err := store.InsertPatron(ctx, s.DB, p); err != nil {
		return "", "", registrationError(err)
	}
	return p.Card, p.Name, nil
}

// check checks and normalises the request (but does not hash the password); code is "" when it is valid.
func (r Patron) check() (p store.NewPatron, code domain.Code) {
	var err error
	if p.Card, err = domain.NormalizeCardNumber(r.CardNumber); err != nil {
		return p, CodeInvalidCardNumber
	}
	var ok bool
	if p.Name, ok = cleanText(r.Name); !ok || p.Name == "" || utf8.RuneCountInString(p.Name) > maxNameChars {
		return p, CodeInvalidName
	}
	if len(r.Password) < auth.MinPasswordBytes || len(r.Password) > auth.MaxPasswordBytes {
		return p, CodeInvalidPassword
	}
	if len(r.Emails) > maxEmailsPerPatron {
		return p, CodeTooManyEmails
	}
	for _, e := range r.Emails {
		addr, ok := NormalizeEmail(e)
		if !ok {
			return p, CodeInvalidEmail
		}
		if !containsFold(p.Emails, addr) { // the same address twice is registered once
			p.Emails = append(p.Emails, addr)
		}
	}
	for _, ph := range r.Phones {
		number, ok := NormalizePhone(ph)
		if !ok {
			return p, CodeInvalidPhone
		}
		p.Phones = append(p.Phones, number)
	}
	return p, ""
}

// AddPhone registers a phone number for the patron with the card (a number the patron already has changes
// nothing) and returns the patron's card number and numbers in registration order.
func (s *Service) AddPhone(ctx context.Context, rawCard, phone string) (string, []string, error) {
	card, err := domain.NormalizeCardNumber(rawCard)
	if err != nil {
		return "", nil, refuse(contract.ErrNotFound) // no patron can have it
	}
	number, ok := NormalizePhone(phone)
	if !ok {
		return "", nil, refuse(CodeInvalidPhone)
	}
	ctx, cancel := context.WithTimeout(ctx, catalogueTimeout)
	defer cancel()
	phones, err := store.AddPhone(ctx, s.DB, card, number)
	return card, phones, registrationError(err)
}

// registrationError classifies an error of a registration: no row is not found, a unique violation the
// request caused is refused with its code, anything else is a failure.
func registrationError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return refuse(contract.ErrNotFound)
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		if code, ok := uniqueCodes[pqErr.Constraint]; ok {
			return refuse(code)
		}
	}
	return err
}

// cleanText trims s and reports whether it is storable text free of control characters (tabs and newlines
// included).
func cleanText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	return s, storable(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// storable reports whether PostgreSQL can store s as text: valid UTF-8 without NUL. Free text that fails
// is refused, never sent to the database to fail there.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

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

// emailPattern is what patron_emails.address allows; net/mail alone also accepts a@localhost and quoted
// local parts with spaces.
var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// NormalizeEmail trims s and accepts it only if it is a plain address ("a@example.jp", not
// "Name <a@example.jp>").
func NormalizeEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxEmailBytes || strings.IndexFunc(s, unicode.IsControl) >= 0 {
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

// NormalizePhone trims s, folds full-width digits and hyphens to ASCII and checks the result.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(norm.NFKC.String(strings.TrimSpace(s)))
	if !phonePattern.MatchString(s) {
		return "", false
	}
	return s, true
}
