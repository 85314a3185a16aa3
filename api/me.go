package api

// The patron's own record: GET /api/v1/me, PUT /api/v1/me/contact (予約連絡方法, 利用者情報変更) and
// PUT /api/v1/me/emails (the registered addresses).

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

// MeJSON is the answer of GET /api/v1/me.
type MeJSON struct {
	CardNumber string      `json:"card_number"`
	Name       string      `json:"name"`
	Emails     []string    `json:"emails"` // registered addresses, in slot order
	Phones     []string    `json:"phones"` // numbers registered at the library
	Contact    ContactJSON `json:"contact"`
	// RefusedEmails are the registered addresses whose mail server refused the last ready mail to them
	// (このアドレスにメールが届きませんでした), until the address is chosen again or accepts a later mail.
	RefusedEmails []store.MailRefusal `json:"refused_emails"`
}

// ContactJSON is the OpenAPI document's Contact: {"method":"email","emails":[...]}, {"method":"phone","phone":"..."} or
// {"method":"none"} — each method with its own field only.
type ContactJSON struct {
	Method string
	Emails []string
	Phone  string
}

// MarshalJSON writes the fields of the method.
func (c ContactJSON) MarshalJSON() ([]byte, error) {
	switch c.Method {
	case store.ContactEmail:
		emails := c.Emails
		if emails == nil {
			emails = []string{}
		}
		return json.Marshal(struct {
			Method string   `json:"method"`
			Emails []string `json:"emails"`
		}{c.Method, emails})
	case store.ContactPhone:
		return json.Marshal(struct {
			Method string `json:"method"`
			Phone  string `json:"phone"`
		}{c.Method, c.Phone})
	}
	return json.Marshal(struct {
		Method string `json:"method"`
	}{c.Method})
}

func contactJSON(c store.Contact) ContactJSON {
	return ContactJSON{Method: c.Method, Emails: c.Emails, Phone: c.Phone}
}

// getMe is GET /api/v1/me.
func (s *Server) getMe(c *gin.Context) {
	p, err := store.PatronProfile(c.Request.Context(), s.DB, httpkit.PatronID(c))
	if err != nil {
		s.FailStore(c, err)
		return
	}
	me := MeJSON{CardNumber: p.CardNumber, Name: p.Name, Emails: make([]string, len(p.Emails)), Phones: p.Phones,
		Contact: contactJSON(p.Contact), RefusedEmails: []store.MailRefusal{}}
	for i, e := range p.Emails {
		me.Emails[i] = e.Address
		if e.RefusedAt.Valid {
			me.RefusedEmails = append(me.RefusedEmails, store.MailRefusal{Address: e.Address, Reply: e.Refusal.String, At: e.RefusedAt.Time})
		}
	}
	c.JSON(http.StatusOK, me)
}

type contactRequest struct {
	Method string   `json:"method"`
	Emails []string `json:"emails"`
	Phone  string   `json:"phone"`
}

// putContact is PUT /api/v1/me/contact: it chooses how the patron is told a hold is ready (the rules are
// library.SetContact's).
func (s *Server) putContact(c *gin.Context) {
	bindRun(s, c, http.StatusOK, func(req contactRequest) (any, error) {
		got, err := s.Lib.SetContact(c.Request.Context(), httpkit.PatronID(c), library.Contact(req))
		return contactJSON(got), err
	})
}

type emailsRequest struct {
	Emails *[]string `json:"emails"` // required: [] removes every address
}

// EmailsJSON is the answer of PUT /api/v1/me/emails: the registered addresses, in slot order.
type EmailsJSON struct {
	Emails []string `json:"emails"`
}

// putEmails is PUT /api/v1/me/emails: it replaces the registered addresses (the rules are
// library.ReplaceEmails's).
func (s *Server) putEmails(c *gin.Context) {
	bindRun(s, c, http.StatusOK, func(req emailsRequest) (any, error) {
		if req.Emails == nil {
			return nil, &library.Error{Code: library.CodeInvalidRequest}
		}
		got, err := s.Lib.ReplaceEmails(c.Request.Context(), httpkit.PatronID(c), *req.Emails)
		return EmailsJSON{Emails: got}, err
	})
}
