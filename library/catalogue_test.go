package library_test

import (
	"slices"
	"strings"
	"testing"

	"yoyaku/contract"
	"yoyaku/domain"
	"yoyaku/library"
)

func intp(v int) *int { return &v }

// validTitle is a title staff may register, changed by the options.
func validTitle(opts ...func(*library.Title)) library.Title {
	t := library.Title{Title: "試験の猫である", TitleReading: "シケン ノ ネコ デ アル", Author: "夏目 漱石", AuthorReading: "ナツメ ソウセキ",
		Publisher: "試験書房", Year: intp(1905), ISBN: "978-4-00-000000-2", Format: "book",
		Series: &library.Volume{Name: "試験叢書", Volume: intp(1)}}
	for _, o := range opts {
		o(&t)
	}
	return t
}

// TestCreateTitleRefusals: every invalid field is refused with its code, a volume registered twice with
// duplicate_volume, and no refusal adds a title or a series.
func TestCreateTitleRefusals(t *testing.T) {
	e := newEnv(t, false)
	ctx := t.Context()
	if _, err := e.svc.CreateTitle(ctx, validTitle()); err != nil {
		t.Fatalf("the valid title: %v", err)
	}
	tests := []struct {
		name  string
		title library.Title
		code  domain.Code
	}{
		{"no title", validTitle(func(t *library.Title) { t.Title = "" }), library.CodeInvalidTitle},
		{"blank title", validTitle(func(t *library.Title) { t.Title = " \u3000 " }), library.CodeInvalidTitle},
		{"title of 501 characters", validTitle(func(t *library.Title) { t.Title = strings.Repeat("猫", 501) }), library.CodeInvalidTitle},
		{"NUL in the title", validTitle(func(t *library.Title) { t.Title = "猫\x00" }), library.CodeInvalidTitle},
		{"newline in the title", validTitle(func(t *library.Title) { t.Title = "猫\nである" }), library.CodeInvalidTitle},
		{"NUL in the author", validTitle(func(t *library.Title) { t.Author = "漱石\x00" }), contract.ErrBadRequest},
		{"tab in the reading", validTitle(func(t *library.Title) { t.TitleReading = "ネコ\tデアル" }), contract.ErrBadRequest},
		{"control character in the publisher", validTitle(func(t *library.Title) { t.Publisher = "書房\x7f" }), contract.ErrBadRequest},
		{"author not UTF-8", validTitle(func(t *library.Title) { t.Author = "漱石\xff" }), contract.ErrBadRequest},
		{"no format", validTitle(func(t *library.Title) { t.Format = "" }), library.CodeInvalidFormat},
		{"unknown format", validTitle(func(t *library.Title) { t.Format = "scroll" }), library.CodeInvalidFormat},
		{"e-text without a URL", validTitle(func(t *library.Title) { t.Format, t.Series = "etext", nil }), library.CodeInvalidURL},
		{"e-text with an ftp URL", validTitle(func(t *library.Title) { t.Format, t.URL = "etext", "ftp://example.jp/x" }), library.CodeInvalidURL},
		{"e-text with an upper-case scheme", validTitle(func(t *library.Title) { t.Format, t.URL = "etext", "HTTPS://example.jp/x" }), library.CodeInvalidURL},
		{"e-text with a URL without host", validTitle(func(t *library.Title) { t.Format, t.URL = "etext", "https://" }), library.CodeInvalidURL},
		{"e-text with a space in the URL", validTitle(func(t *library.Title) { t.Format, t.URL = "etext", "https://example.jp/a b" }), library.CodeInvalidURL},
		{"CD with a URL", validTitle(func(t *library.Title) { t.Format, t.URL = "cd", "https://example.jp/listen" }), library.CodeInvalidURL},
		{"book with a URL", validTitle(func(t *library.Title) { t.URL = "https://example.jp/read" }), library.CodeInvalidURL},
		{"ISBN of 12 digits", validTitle(func(t *library.Title) { t.ISBN = "978-4-00-000000" }), library.CodeInvalidISBN},
		{"ISBN with a letter", validTitle(func(t *library.Title) { t.ISBN = "978400000000A" }), library.CodeInvalidISBN},
		{"ISBN-13 ending in X", validTitle(func(t *library.Title) { t.ISBN = "978400000000X" }), library.CodeInvalidISBN},
		{"ISBN-10 with X inside", validTitle(func(t *library.Title) { t.ISBN = "41010X1001" }), library.CodeInvalidISBN},
		{"year 0", validTitle(func(t *library.Title) { t.Year = intp(0) }), library.CodeInvalidYear},
		{"year 10000", validTitle(func(t *library.Title) { t.Year = intp(10000) }), library.CodeInvalidYear},
		{"series without a name", validTitle(func(t *library.Title) { t.Series = &library.Volume{Volume: intp(1)} }), library.CodeInvalidSeries},
		{"series without a volume", validTitle(func(t *library.Title) { t.Series = &library.Volume{Name: "試験叢書"} }), library.CodeInvalidSeries},
		{"series volume 0", validTitle(func(t *library.Title) { t.Series.Volume = intp(0) }), library.CodeInvalidSeries},
		{"series volume too large", validTitle(func(t *library.Title) { t.Series.Volume = intp(1 << 40) }), library.CodeInvalidSeries},
		{"series name with a newline", validTitle(func(t *library.Title) { t.Series.Name = "試験\n叢書" }), library.CodeInvalidSeries},
		{"series name of 501 characters", validTitle(func(t *library.Title) { t.Series.Name = strings.Repeat("叢", 501) }), library.CodeInvalidSeries},
		{"a volume registered already", validTitle(func(t *library.Title) { t.Title, t.Series.Name = "別の本", " 試験叢書 " }), library.CodeDuplicateVolume},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			id, err := e.svc.CreateTitle(ctx, tc.title)
			refused(t, err, tc.code)
			if id != 0 {
				t.Errorf("a refusal answered title %d", id)
			}
			e.unchanged(t, before)
		})
	}

	t.Run("registered", func(t *testing.T) {
		for _, title := range []library.Title{
			validTitle(func(t *library.Title) { t.Series.Volume = intp(2) }),
			{Title: "題名だけ", Format: "MAGAZINE"},
			validTitle(func(t *library.Title) {
				t.Format, t.URL, t.Series, t.ISBN = "etext", "https://www.aozora.gr.jp/cards/000148/card789.html", nil, ""
			}),
			validTitle(func(t *library.Title) { t.Series = &library.Volume{} }), // an empty series is none
		} {
			id, err := e.svc.CreateTitle(ctx, title)
			if err != nil || id == 0 {
				t.Fatalf("%+v: %d %v", title, id, err)
			}
		}
	})
}

// validPatron is a patron staff may register, changed by the options.
func validPatron(opts ...func(*library.Patron)) library.Patron {
	p := library.Patron{CardNumber: "１２３４５６７", Name: "試験 太郎", Password: "correct horse",
		Emails: []string{"taro@example.jp", "taro.work@example.com"}, Phones: []string{"0473-11-2233"}}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// TestCreatePatronRefusals: every invalid field is refused with its code, a card number in use with
// card_number_taken, and no refusal adds a patron, an address or a number.
func TestCreatePatronRefusals(t *testing.T) {
	e := newEnv(t, false)
	ctx := t.Context()
	card, name, err := e.svc.CreatePatron(ctx, validPatron())
	if err != nil || card != "1234567" || name != "試験 太郎" {
		t.Fatalf("the valid patron: %q %q %v", card, name, err)
	}
	tests := []struct {
		name   string
		patron library.Patron
		code   domain.Code
	}{
		{"card of 6 digits", validPatron(func(p *library.Patron) { p.CardNumber = "234567" }), library.CodeInvalidCardNumber},
		{"card of 8 digits", validPatron(func(p *library.Patron) { p.CardNumber = "23456789" }), library.CodeInvalidCardNumber},
		{"card with letters", validPatron(func(p *library.Patron) { p.CardNumber = "23456a7" }), library.CodeInvalidCardNumber},
		{"no card", validPatron(func(p *library.Patron) { p.CardNumber = "" }), library.CodeInvalidCardNumber},
		{"no name", validPatron(func(p *library.Patron) { p.CardNumber, p.Name = "2345678", "" }), library.CodeInvalidName},
		{"blank name", validPatron(func(p *library.Patron) { p.CardNumber, p.Name = "2345678", "\u3000" }), library.CodeInvalidName},
		{"name with a newline", validPatron(func(p *library.Patron) { p.CardNumber, p.Name = "2345678", "試験\n太郎" }), library.CodeInvalidName},
		{"name not UTF-8", validPatron(func(p *library.Patron) { p.CardNumber, p.Name = "2345678", "試験\xff" }), library.CodeInvalidName},
		{"name of 201 characters", validPatron(func(p *library.Patron) { p.CardNumber, p.Name = "2345678", strings.Repeat("名", 201) }), library.CodeInvalidName},
		{"password of 7 bytes", validPatron(func(p *library.Patron) { p.CardNumber, p.Password = "2345678", "1234567" }), library.CodeInvalidPassword},
		{"password of 73 bytes", validPatron(func(p *library.Patron) { p.CardNumber, p.Password = "2345678", strings.Repeat("p", 73) }), library.CodeInvalidPassword},
		{"3 e-mails", validPatron(func(p *library.Patron) {
			p.CardNumber, p.Emails = "2345678", []string{"a@example.jp", "b@example.jp", "c@example.jp"}
		}), library.CodeTooManyEmails},
		{"e-mail without @", validPatron(func(p *library.Patron) { p.CardNumber, p.Emails = "2345678", []string{"taro.example.jp"} }), library.CodeInvalidEmail},
		{"e-mail with a display name", validPatron(func(p *library.Patron) { p.CardNumber, p.Emails = "2345678", []string{"Taro <taro@example.jp>"} }), library.CodeInvalidEmail},
		{"e-mail without a dot in the domain", validPatron(func(p *library.Patron) { p.CardNumber, p.Emails = "2345678", []string{"taro@localhost"} }), library.CodeInvalidEmail},
		{"blank e-mail", validPatron(func(p *library.Patron) { p.CardNumber, p.Emails = "2345678", []string{""} }), library.CodeInvalidEmail},
		{"e-mail too long", validPatron(func(p *library.Patron) {
			p.CardNumber, p.Emails = "2345678", []string{strings.Repeat("a", 250) + "@example.jp"}
		}), library.CodeInvalidEmail},
		{"phone with letters", validPatron(func(p *library.Patron) { p.CardNumber, p.Phones = "2345678", []string{"0473-AB-2233"} }), library.CodeInvalidPhone},
		{"phone too short", validPatron(func(p *library.Patron) { p.CardNumber, p.Phones = "2345678", []string{"12345"} }), library.CodeInvalidPhone},
		{"phone too long", validPatron(func(p *library.Patron) { p.CardNumber, p.Phones = "2345678", []string{strings.Repeat("1", 21)} }), library.CodeInvalidPhone},
		{"phone starting with a hyphen", validPatron(func(p *library.Patron) { p.CardNumber, p.Phones = "2345678", []string{"-0473112233"} }), library.CodeInvalidPhone},
		{"the card just registered, typed otherwise", validPatron(func(p *library.Patron) { p.CardNumber, p.Name = "123-4567", "別人" }), library.CodeCardNumberTaken},
		{"a demo patron's card", validPatron(func(p *library.Patron) { p.CardNumber = "1000001" }), library.CodeCardNumberTaken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			card, name, err := e.svc.CreatePatron(ctx, tc.patron)
			refused(t, err, tc.code)
			if card != "" || name != "" {
				t.Errorf("a refusal answered %q %q", card, name)
			}
			e.unchanged(t, before)
		})
	}
}

// TestAddPhoneRefusals: an unknown or malformed card is not found, a malformed number invalid_phone, and
// neither changes anything; a number the patron has already changes nothing either.
func TestAddPhoneRefusals(t *testing.T) {
	e := newEnv(t, false)
	ctx := t.Context()
	tests := []struct {
		name, card, phone string
		code              domain.Code
	}{
		{"no such patron", "9999999", "043-999-0000", contract.ErrNotFound},
		{"not a card number", "abc", "043-999-0000", contract.ErrNotFound},
		{"no card", "", "043-999-0000", contract.ErrNotFound},
		{"letters", "1000002", "call me", library.CodeInvalidPhone},
		{"no number", "1000002", "", library.CodeInvalidPhone},
		{"too short", "1000002", "12345", library.CodeInvalidPhone},
		{"starting with a hyphen", "1000002", "-0439990000", library.CodeInvalidPhone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			_, phones, err := e.svc.AddPhone(ctx, tc.card, tc.phone)
			refused(t, err, tc.code)
			if phones != nil {
				t.Errorf("a refusal answered phones %v", phones)
			}
			e.unchanged(t, before)
		})
	}

	t.Run("added", func(t *testing.T) {
		card, phones, err := e.svc.AddPhone(ctx, "100-0003", "043-999-0000")
		want := []string{"090-1234-5678", "03-1234-5678", "043-999-0000"}
		if err != nil || card != "1000003" || !slices.Equal(phones, want) {
			t.Fatalf("add = %q %v %v, want 1000003 %v", card, phones, err, want)
		}
		before := e.snapshot()
		card, phones, err = e.svc.AddPhone(ctx, "1000003", " ０４３－９９９－００００ ")
		if err != nil || card != "1000003" || !slices.Equal(phones, want) {
			t.Fatalf("the same number again = %q %v %v", card, phones, err)
		}
		e.unchanged(t, before)
	})
}
