package store_test

import (
	"testing"

	"yoyaku/store"
)

// An address whose mail server refused a ready mail shows in the profile until the patron chooses it again
// (given in the contact change); keeping the previous choice without naming addresses, or choosing
// another method, leaves the mark.
func TestContactRefusedAddressMark(t *testing.T) {
	db, patron := storeFixture(t)
	ctx := t.Context()
	db.MustExec(`INSERT INTO patron_emails (patron_id, slot, address, notify) VALUES ($1, 1, 'ok@example.jp', true), ($1, 2, 'Typo@example.jp', true)`, patron)
	db.MustExec(`UPDATE patrons SET contact_method = 'email' WHERE id = $1`, patron)
	db.MustExec(`UPDATE patron_emails SET refused_at = now(), refusal = '550 5.1.1 recipient-1: User unknown' WHERE patron_id = $1 AND slot = 2`, patron)

	refused := func() []string {
		t.Helper()
		p, err := store.PatronProfile(ctx, db, patron)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range p.Emails {
			if e.RefusedAt.Valid {
				out = append(out, e.Address+" "+e.Refusal.String)
			}
		}
		return out
	}
	if got := refused(); len(got) != 1 || got[0] != "Typo@example.jp 550 5.1.1 recipient-1: User unknown" {
		t.Fatalf("profile refusals = %v", got)
	}
	for _, c := range []store.Contact{
		{Method: store.ContactEmail},                                    // previous choice kept, no address named
		{Method: store.ContactEmail, Emails: []string{"ok@example.jp"}}, // the other address chosen
		{Method: store.ContactNone},
	} {
		if _, err := store.SetContact(ctx, db, patron, c); err != nil {
			t.Fatal(err)
		}
		if got := refused(); len(got) != 1 {
			t.Fatalf("after %+v the mark is %v, want it kept", c, got)
		}
	}
	// Chosen again, written in another case: the patron confirmed it, the next ready mail tries it.
	if _, err := store.SetContact(ctx, db, patron, store.Contact{Method: store.ContactEmail, Emails: []string{"ok@example.jp", "typo@example.jp"}}); err != nil {
		t.Fatal(err)
	}
	if got := refused(); len(got) != 0 {
		t.Fatalf("after choosing the address again the mark is %v", got)
	}
}
