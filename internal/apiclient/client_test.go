package apiclient

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestErrorsAndMailpitMessages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/staff/patrons":
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"error":{"code":"card_number_taken","message":"x"}}`)
		case "/api/v1/messages":
			if r.URL.Query().Get("start") != "2" || r.URL.Query().Get("limit") != "1" {
				t.Errorf("query %s", r.URL.RawQuery)
			}
			fmt.Fprint(w, `{"total":3,"messages_count":3,"start":2,"messages":[{"ID":"abc","MessageID":"m@x",
				"To":[{"Name":"","Address":"a@example.jp"}],"Subject":"ご予約","Created":"2026-01-02T03:04:05.678Z","Snippet":"…"}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	err := New(srv.URL+"/").CreatePatron(ctx, "tok", "1234567", "n", "p", nil)
	if !HasCode(err, "card_number_taken") || Status(err) != http.StatusConflict {
		t.Fatalf("CreatePatron: %v (status %d)", err, Status(err))
	}
	if Status(nil) != 0 || HasCode(fmt.Errorf("x"), "card_number_taken") {
		t.Fatal("Status/HasCode of a non-answer")
	}

	msgs, total, err := NewMailpitClient(srv.URL).Messages(ctx, 2, 1)
	if err != nil || total != 3 || len(msgs) != 1 {
		t.Fatalf("Messages = %+v, %d, %v", msgs, total, err)
	}
	m := msgs[0]
	if m.ID != "abc" || m.MessageID != "m@x" || m.Subject != "ご予約" || m.Created.IsZero() || len(m.ToAddresses()) != 1 || m.ToAddresses()[0] != "a@example.jp" {
		t.Fatalf("message %+v", m)
	}
}
