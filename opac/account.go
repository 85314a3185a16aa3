package opac

// 利用者情報変更: the patron's contact method for ready holds (予約連絡方法: E-mail / 電話 / 連絡不要), with the
// guide's steps — choose, 更新, 利用者情報変更確認, 更新 — and 「該当する E-mail アドレスが存在しません」 when
// e-mail is chosen without an address, after which the patron enters one in アドレス.

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

// patronEmailChoice is a registered address on the form; Refused: its mail server refused the last ready
// mail (「このアドレスにメールが届きませんでした」 next to it).
type patronEmailChoice struct {
	Address string
	Chosen  bool
	Refused bool
}

// patronAccountForm is the state of the 利用者情報変更 form.
type patronAccountForm struct {
	Method    string
	Emails    []patronEmailChoice
	NewEmails []string // one input per free slot
	Phones    []string
	Phone     string
	// Registered fills the form that replaces or removes the registered addresses: one input per slot,
	// with the address registered there (or as typed, after a refusal).
	Registered []string
}

// renderAccount shows 利用者情報変更; with req set (a refused update) the form keeps what was entered.
func (s *Pages) renderAccount(c *gin.Context, status int, req *library.Contact, msg *patronMessage) {
	s.renderAccountWith(c, status, req, nil, msg)
}

// renderAccountWith is renderAccount with the addresses typed into the form that replaces them (typed
// nil: the registered ones).
func (s *Pages) renderAccountWith(c *gin.Context, status int, req *library.Contact, typedSlots []string, msg *patronMessage) {
	prof, err := store.PatronProfile(c.Request.Context(), s.DB, httpkit.PatronID(c))
	if err != nil {
		s.Internal(c, err)
		return
	}
	f := patronAccountForm{Method: prof.Contact.Method, Phones: prof.Phones, Phone: prof.Contact.Phone}
	chosen := map[string]bool{}
	for _, e := range prof.Contact.Emails {
		chosen[strings.ToLower(e)] = true
	}
	var typed []string
	if req != nil {
		f.Method, f.Phone = req.Method, req.Phone
		chosen = map[string]bool{}
		for _, e := range req.Emails {
			chosen[strings.ToLower(strings.TrimSpace(e))] = true
		}
		for _, e := range req.Emails {
			e = strings.TrimSpace(e)
			if e != "" && !emailRegistered(prof.Emails, e) {
				typed = append(typed, e)
			}
		}
	}
	for _, e := range prof.Emails {
		f.Emails = append(f.Emails, patronEmailChoice{Address: e.Address, Chosen: chosen[strings.ToLower(e.Address)],
			Refused: e.RefusedAt.Valid})
	}
	for i := len(prof.Emails); i < store.MaxEmails; i++ {
		v := ""
		if len(typed) > 0 {
			v, typed = typed[0], typed[1:]
		}
		f.NewEmails = append(f.NewEmails, v)
	}
	for i := range store.MaxEmails {
		switch {
		case typedSlots != nil && i < len(typedSlots):
			f.Registered = append(f.Registered, typedSlots[i])
		case typedSlots == nil && i < len(prof.Emails):
			f.Registered = append(f.Registered, prof.Emails[i].Address)
		default:
			f.Registered = append(f.Registered, "")
		}
	}
	missing := msg != nil && msg.Error && msg.Text == httpkit.Message(c, library.CodeEmailRequired)
	s.Page(c, status, "account", gin.H{"Profile": prof, "Form": f, "Message": msg, "EmailMissing": missing})
}

func emailRegistered(list []store.PatronEmail, addr string) bool {
	for _, e := range list {
		if strings.EqualFold(e.Address, addr) {
			return true
		}
	}
	return false
}

// accountPage is GET /account; ?done=1 after an update, ?emails=1 after the addresses were replaced.
func (s *Pages) accountPage(c *gin.Context) {
	var msg *patronMessage
	switch {
	case c.Query("done") != "":
		msg = &patronMessage{Text: httpkit.Tr(c, "account.done")}
	case c.Query("emails") != "":
		msg = &patronMessage{Text: httpkit.Tr(c, "account.emails_done")}
	}
	s.renderAccount(c, http.StatusOK, nil, msg)
}

// patronContactForm reads the form: the method, the checked emailRegistered addresses and the typed new ones
// (both sent as email), and the phone.
func patronContactForm(c *gin.Context) library.Contact {
	req := library.Contact{Method: c.PostForm("method"), Phone: c.PostForm("phone")}
	for _, e := range append(c.PostFormArray("email"), c.PostFormArray("new_email")...) {
		if e = strings.TrimSpace(e); e != "" {
			req.Emails = append(req.Emails, e)
		}
	}
	if req.Method != store.ContactEmail {
		req.Emails = nil
	}
	if req.Method != store.ContactPhone {
		req.Phone = ""
	}
	return req
}

// accountConfirm is 利用者情報変更確認: the choice to confirm with 更新. Malformed addresses are refused here,
// on the form; whether an address is needed is decided by the update itself (setContact).
func (s *Pages) accountConfirm(c *gin.Context) {
	req := patronContactForm(c)
	switch req.Method {
	case store.ContactEmail:
		for i, e := range req.Emails {
			addr, ok := library.NormalizeEmail(e)
			if !ok {
				s.renderAccount(c, http.StatusUnprocessableEntity, &req, patronError(c, library.CodeInvalidEmail))
				return
			}
			req.Emails[i] = addr
		}
		if len(req.Emails) == 0 { // none ticked or typed: the registered ones are used, as setContact will
			using, err := s.registeredEmails(c)
			if err != nil {
				s.Internal(c, err)
				return
			}
			if len(using) == 0 {
				s.renderAccount(c, http.StatusUnprocessableEntity, &req, patronError(c, library.CodeEmailRequired))
				return
			}
			s.Page(c, http.StatusOK, "account_confirm", gin.H{"Req": req, "Using": using})
			return
		}
	case store.ContactPhone:
		if req.Phone == "" {
			s.renderAccount(c, http.StatusUnprocessableEntity, &req, patronError(c, library.CodeUnknownPhone))
			return
		}
	case store.ContactNone:
	default:
		s.renderAccount(c, http.StatusUnprocessableEntity, &req, patronError(c, library.CodeInvalidContact))
		return
	}
	s.Page(c, http.StatusOK, "account_confirm", gin.H{"Req": req})
}

// accountSubmit is 更新 on the confirmation: setContact, as PUT /api/v1/me/contact. A refusal shows the
// form again with the reason in red (「該当する E-mail アドレスが存在しません」: enter an address).
func (s *Pages) accountSubmit(c *gin.Context) {
	req := patronContactForm(c)
	_, err := s.Lib.SetContact(c.Request.Context(), httpkit.PatronID(c), req)
	if s.Refused(c, err, func(status int, code httpkit.Code) {
		s.renderAccount(c, status, &req, patronError(c, code))
	}) {
		return
	}
	httpkit.SeeOther(c, "/account?done=1")
}

// accountEmails is POST /account/emails: the registered addresses are replaced by the ones in the form
// (an emptied field removes its address), as PUT /api/v1/me/emails. A refusal shows the page again with
// what was typed and the reason in red.
func (s *Pages) accountEmails(c *gin.Context) {
	typed := c.PostFormArray("registered")
	_, err := s.Lib.ReplaceEmails(c.Request.Context(), httpkit.PatronID(c), typed)
	if s.Refused(c, err, func(status int, code httpkit.Code) {
		msg := patronError(c, code)
		if code == library.CodeEmailRequired { // the guide's 「該当する…存在しません」 would not say why here
			msg.Text = httpkit.Tr(c, "account.emails_last")
		}
		s.renderAccountWith(c, status, nil, typed, msg)
	}) {
		return
	}
	httpkit.SeeOther(c, "/account?emails=1")
}

// registeredEmails are the addresses mail goes to when the patron chooses e-mail without ticking one (as
// store.SetContact decides): the ones chosen before, or else every registered one.
func (s *Pages) registeredEmails(c *gin.Context) ([]string, error) {
	prof, err := store.PatronProfile(c.Request.Context(), s.DB, httpkit.PatronID(c))
	if err != nil {
		return nil, err
	}
	var chosen, all []string
	for _, e := range prof.Emails {
		all = append(all, e.Address)
		if e.Notify {
			chosen = append(chosen, e.Address)
		}
	}
	if len(chosen) > 0 {
		return chosen, nil
	}
	return all, nil
}
