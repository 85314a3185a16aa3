package library

import (
	"context"
	"errors"
	"strings"

	"yoyaku/domain"
	"yoyaku/store"
)

// Refusals of the patron's contact settings (予約連絡方法).
const (
	CodeEmailRequired  domain.Code = "email_required"
	CodeUnknownPhone   domain.Code = "unknown_phone"
	CodeInvalidContact domain.Code = "invalid_contact"
)

// Contact is how a patron asks to be told a hold is ready: Method email with the chosen addresses, phone
// with one of the numbers registered at the library, or none.
type Contact struct {
	Method string
	Emails []string
	Phone  string
}

// SetContact chooses how the patron is told a hold is ready.
//
// Method email: Emails lists the 1 or 2 chosen addresses; one that is not registered yet is registered (at
// most 2 in total: too_many_emails). Blank entries are ignored (an empty address field of a form); with no
// address given the addresses chosen before stay chosen, and with none registered either it is
// email_required (「該当する E-mail アドレスが存在しません」). Method phone: Phone must be one of the numbers
// registered at the library, however it is written (full-width digits, hyphens), else unknown_phone. Method
// none. The fields of other methods are ignored. Nothing changes on a refusal.
func (s *Service) SetContact(ctx context.Context, patron int64, req Contact) (store.Contact, error) {
	want, err := ContactWanted(req)
	if err != nil {
		return store.Contact{}, err
	}
	got, err := store.SetContact(ctx, s.DB, patron, want)
	switch {
	case errors.Is(err, store.ErrEmailRequired):
		return store.Contact{}, refuse(CodeEmailRequired)
	case errors.Is(err, store.ErrTooManyEmails):
		return store.Contact{}, refuse(CodeTooManyEmails)
	case errors.Is(err, store.ErrUnknownPhone):
		return store.Contact{}, refuse(CodeUnknownPhone)
	case errors.Is(err, store.ErrInvalidMethod):
		return store.Contact{}, refuse(CodeInvalidContact)
	}
	return got, FromStore(err)
}

// ContactWanted checks a contact request without the database: the method, and each e-mail address given
// (blank ones dropped). What is registered (addresses, phone numbers) is store.SetContact's to check.
func ContactWanted(req Contact) (store.Contact, error) {
	want := store.Contact{Method: strings.ToLower(strings.TrimSpace(req.Method)), Phone: req.Phone}
	switch want.Method {
	case store.ContactEmail:
		emails, err := normalizeEmails(req.Emails)
		if err != nil {
			return store.Contact{}, err
		}
		want.Emails = emails
	case store.ContactPhone, store.ContactNone:
	default:
		return store.Contact{}, refuse(CodeInvalidContact)
	}
	return want, nil
}

// normalizeEmails checks each address given and answers them normalised; blank entries (an empty address
// field of a form) are dropped.
func normalizeEmails(list []string) ([]string, error) {
	var out []string
	for _, e := range list {
		if strings.TrimSpace(e) == "" {
			continue
		}
		addr, ok := NormalizeEmail(e)
		if !ok {
			return nil, refuse(CodeInvalidEmail)
		}
		out = append(out, addr)
	}
	return out, nil
}

// ReplaceEmails makes emails (0 to 2 addresses; blank entries dropped, repeated ones counted once) the
// patron's registered addresses and answers them in slot order: invalid_email for a malformed one,
// too_many_emails for more than two, email_required when the contact method is e-mail and none would be
// left. An e-mail contact keeps only the addresses still registered (all that remain when none of the chosen
// ones does). Nothing changes on a refusal.
func (s *Service) ReplaceEmails(ctx context.Context, patron int64, emails []string) ([]string, error) {
	want, err := normalizeEmails(emails)
	if err != nil {
		return nil, err
	}
	got, err := store.ReplaceEmails(ctx, s.DB, patron, want)
	switch {
	case errors.Is(err, store.ErrEmailRequired):
		return nil, refuse(CodeEmailRequired)
	case errors.Is(err, store.ErrTooManyEmails):
		return nil, refuse(CodeTooManyEmails)
	}
	return got, FromStore(err)
}
