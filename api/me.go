package api

// The patron's own record: GET /api/v1/me and PUT /api/v1/me/contact (予約連絡方法, 利用者情報変更).

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"yoyaku/library"
	"yoyaku/store"
)

// meRoutes mounts the patron's own record on the patron group.
func (s *Server) meRoutes(g *gin.RouterGroup) {
	g.GET("/me", s.getMe)
	g.PUT("/me/contact", s.putContact)
}

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

// ContactJSON is API.md's Contact: {"method":"email","emails":[...]}, {"method":"phone","phone":"..."} or
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
	p, err := store.PatronProfile(c.Request.Context(), s.DB, patronID(c))
	if err != nil {
		s.failStore(c, err)
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

// putContact is PUT /api/v1/me/contact: it chooses how the patron is told a hold is ready.
//
// method email: "emails" lists the 1 or 2 chosen addresses; one that is not registered yet is registered
// (at most 2 in total: 422 too_many_emails). Blank entries are ignored (an empty address field of a form);
// with no address given the addresses chosen before stay chosen, and with none registered either it is 422
// email_required (「該当する E-mail アドレスが存在しません」). method phone: "phone" must be one of the
// numbers registered at the library, however it is written (full-width digits, hyphens), else 422
// unknown_phone. method none. The fields of other methods are ignored. Nothing changes on a refusal.
func (s *Server) putContact(c *gin.Context) {
	var req contactRequest
	if !bindJSON(c, &req) {
		return
	}
	got, oe := s.setContact(c.Request.Context(), patronID(c), req)
	if oe != nil {
		s.failOp(c, oe)
		return
	}
	c.JSON(http.StatusOK, contactJSON(got))
}

// setContact applies a contact request for the patron (PUT /api/v1/me/contact and the 利用者情報変更 page);
// see putContact for the rules. Nothing changes on a refusal.
func (s *Server) setContact(ctx context.Context, patron int64, req contactRequest) (store.Contact, *opError) {
	want, oe := contactWanted(req)
	if oe != nil {
		return store.Contact{}, oe
	}
	got, err := store.SetContact(ctx, s.DB, patron, want)
	switch {
	case errors.Is(err, store.ErrEmailRequired):
		return store.Contact{}, refused(http.StatusUnprocessableEntity, CodeEmailRequired)
	case errors.Is(err, store.ErrTooManyEmails):
		return store.Contact{}, refused(http.StatusUnprocessableEntity, library.CodeTooManyEmails)
	case errors.Is(err, store.ErrUnknownPhone):
		return store.Contact{}, refused(http.StatusUnprocessableEntity, CodeUnknownPhone)
	case errors.Is(err, store.ErrInvalidMethod):
		return store.Contact{}, refused(http.StatusUnprocessableEntity, CodeInvalidContact)
	case err != nil:
		return store.Contact{}, storeError(err)
	}
	return got, nil
}

// contactWanted checks a contact request without the database: the method, and each e-mail address given
// (blank ones dropped). What is registered (addresses, phone numbers) is store.SetContact's to check.
func contactWanted(req contactRequest) (store.Contact, *opError) {
	want := store.Contact{Method: strings.ToLower(strings.TrimSpace(req.Method)), Phone: req.Phone}
	switch want.Method {
	case store.ContactEmail:
		for _, e := range req.Emails {
			if strings.TrimSpace(e) == "" {
				continue
			}
			addr, ok := library.NormalizeEmail(e)
			if !ok {
				return store.Contact{}, refused(http.StatusUnprocessableEntity, library.CodeInvalidEmail)
			}
			want.Emails = append(want.Emails, addr)
		}
	case store.ContactPhone, store.ContactNone:
	default:
		return store.Contact{}, refused(http.StatusUnprocessableEntity, CodeInvalidContact)
	}
	return want, nil
}
