package mailer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"yoyaku/config"
	"yoyaku/internal/testenv"
	"yoyaku/mailer"
)

// A real SMTP server (Mailpit with --smtp-allowed-recipients) that refuses one address: the message to it
// is refused for good, with the server's reply (the address redacted); the message to the other address,
// sent on its own, is accepted.
func TestSendRefusedRecipientOnMailpit(t *testing.T) {
	t.Parallel()
	mp := testenv.MailpitRefusing(t, `^good-`)
	m := mailer.New(config.SMTP{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: "none", From: "yoyaku@library.example.jp"})
	u := unique()
	good, typo := "good-"+u+"@example.jp", "typo-"+u+"@example.jp"
	send := func(to ...string) error {
		return m.Send(context.Background(), mailer.Message{To: to, Subject: "件名", Text: "本文", MessageID: m.MessageID("refusal." + u + "." + to[0])})
	}

	err := send(typo)
	var me *mailer.Error
	if !errors.As(err, &me) || !me.Permanent || !me.Refused || me.Code != 550 {
		t.Fatalf("Send to the refused address = %#v, want a permanent refusal (550)", err)
	}
	if !strings.HasPrefix(me.Reply, "550 ") || strings.Contains(me.Reply, typo) || strings.Contains(me.Reply, "affected") {
		t.Errorf("Reply = %q, want the server's 550 reply without the address", me.Reply)
	}
	// Both in one transaction: the refused address stops the mail to the other too (why the ready mail is
	// sent to each address on its own).
	if err := send(good, typo); !mailer.IsPermanent(err) {
		t.Fatalf("Send to both = %v, want refused", err)
	}
	if err := send(good); err != nil {
		t.Fatalf("Send to the accepted address: %v", err)
	}
	if got := mp.WaitFor(t, "to:"+u, 1, 10*time.Second); len(got) != 1 || got[0].ToAddresses()[0] != good {
		t.Fatalf("the server holds %d messages, want only the one to %s", len(got), good)
	}
}

// Refused says the recipient cannot be mailed (5xx to RCPT TO or DATA, an invalid address), not the other
// permanent errors, which would refuse any message; Reply is the server's refusal, also for a 4xx.
func TestSendRefusedOnlyForTheRecipient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fake      *fakeSMTP
		to        string
		permanent bool
		refused   bool
		reply     string
	}{
		{"recipient unknown", &fakeSMTP{rcptReply: func(string) string { return "550 5.1.1 <x@example.jp>: User unknown" }}, "x@example.jp", true, true, "550 5.1.1 <recipient-1>: User unknown"},
		{"content refused for the recipient", &fakeSMTP{dataReply: "554 5.7.1 rejected by policy"}, "x@example.jp", true, true, "554 5.7.1 rejected by policy"},
		{"recipient greylisted", &fakeSMTP{rcptReply: func(string) string { return "451 4.7.1 try again later" }}, "x@example.jp", false, false, "451 4.7.1 try again later"},
		{"sender refused", &fakeSMTP{mailReply: "553 5.7.1 sender not allowed"}, "x@example.jp", true, false, "553 5.7.1 sender not allowed"},
		{"not an address", &fakeSMTP{}, "x@@example.jp", true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, tt.fake, nil)
			m := mailer.New(config.SMTP{Host: "127.0.0.1", Port: f.Port, TLS: "none", From: "yoyaku@library.example.jp"})
			err := m.Send(context.Background(), mailer.Message{To: []string{tt.to}, Subject: "件名", Text: "本文", MessageID: "r.1@library.example.jp"})
			var me *mailer.Error
			if !errors.As(err, &me) {
				t.Fatalf("Send = %v, want a *mailer.Error", err)
			}
			if me.Permanent != tt.permanent || me.Refused != tt.refused || me.Reply != tt.reply {
				t.Errorf("Permanent %v Refused %v Reply %q, want %v %v %q (%v)", me.Permanent, me.Refused, me.Reply, tt.permanent, tt.refused, tt.reply, err)
			}
		})
	}
}
