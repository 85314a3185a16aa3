package mailer_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"yoyaku/config"
	"yoyaku/internal/testenv"
	"yoyaku/mailer"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var seq atomic.Int64

// unique returns a token no other test (or run against the same Mailpit) uses.
func unique() string { return fmt.Sprintf("%d-%d", time.Now().UnixNano(), seq.Add(1)) }

func mailpitConfig(t *testing.T) (testenv.Mail, config.SMTP) {
	t.Helper()
	mp := testenv.Mailpit(t)
	return mp, config.SMTP{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: "none", From: "yoyaku@library.example.jp"}
}

var tokyo = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		panic(err)
	}
	return loc
}()

func readyData() mailer.ReadyData {
	return mailer.ReadyData{
		PatronName:   "山田 花子",
		Title:        "ノルウェイの森　上",
		PickupBranch: "中央図書館",
		Deadline:     time.Date(2026, 12, 4, 0, 0, 0, 0, tokyo),
		StatusURL:    "https://library.example.jp/holds",
	}
}

func TestSendTwoRecipientsOneMessage(t *testing.T) {
	t.Parallel()
	mp, cfg := mailpitConfig(t)
	m := mailer.New(cfg)
	u := unique()
	to := []string{"hanako." + u + "@example.jp", "hanako." + u + "@mobile.example.jp"}
	subject, text, err := mailer.RenderReady(readyData())
	if err != nil {
		t.Fatal(err)
	}
	id := m.MessageID("hold-" + u + ".ready.1")
	msg := mailer.Message{To: to, Subject: subject, Text: text, MessageID: id,
		Headers: map[string]string{"X-Yoyaku-Hold": "hold-" + u}}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := mp.WaitFor(t, "message-id:"+id, 1, 10*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d messages with Message-ID %s, want 1 for both recipients", len(got), id)
	}
	g := got[0]
	if !slices.Equal(g.ToAddresses(), to) {
		t.Errorf("To = %v, want %v", g.ToAddresses(), to)
	}
	if g.MessageID != id {
		t.Errorf("Message-ID = %q, want %q", g.MessageID, id)
	}
	if g.Subject != "【図書館】ご予約の資料が用意できました" {
		t.Errorf("Subject = %q", g.Subject)
	}
	if g.From != (testenv.MailAddress{Name: "図書館予約システム", Address: "yoyaku@library.example.jp"}) {
		t.Errorf("From = %+v", g.From)
	}
	for _, want := range []string{"山田 花子 様", "ノルウェイの森　上", "中央図書館", "2026年12月4日(金)まで",
		"連絡日を含めて1週間", "https://library.example.jp/holds", "送信専用"} {
		if !strings.Contains(g.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, g.Text)
		}
	}
	if g.Date.IsZero() || time.Since(g.Date) > time.Hour || time.Until(g.Date) > time.Minute {
		t.Errorf("Date = %v, want about now", g.Date)
	}

	h := mp.Headers(t, g.ID)
	first := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if s := first("Subject"); !strings.HasPrefix(strings.ToUpper(s), "=?UTF-8?") {
		t.Errorf("raw Subject %q is not MIME encoded in UTF-8", s)
	}
	if d, err := mail.ParseDate(first("Date")); err != nil || d.IsZero() {
		t.Errorf("raw Date %q: %v", first("Date"), err)
	}
	for k, want := range map[string]string{
		"Message-Id":                "<" + id + ">",
		"Content-Type":              "text/plain; charset=UTF-8",
		"Content-Transfer-Encoding": "base64",
		"Mime-Version":              "1.0",
		"Auto-Submitted":            "auto-generated",
		"X-Yoyaku-Hold":             "hold-" + u,
	} {
		if got := first(k); got != want {
			t.Errorf("raw %s = %q, want %q", k, got, want)
		}
	}
	if raw := mp.Raw(t, g.ID); strings.Count(raw, "\nTo:") != 1 {
		t.Errorf("want one To header with both addresses:\n%s", raw)
	}

	// The search filters the tests rely on.
	for _, q := range []string{
		`to:"` + to[1] + `"`,
		`to:` + to[0] + ` subject:"ご予約の資料が用意できました"`,
		`message-id:<` + id + `>`,
		`from:yoyaku@library.example.jp message-id:` + id,
	} {
		if n := len(mp.Messages(t, q)); n != 1 {
			t.Errorf("search %s: %d messages, want 1", q, n)
		}
	}
	if n := len(mp.Messages(t, `to:"`+to[0]+`" -subject:"ご予約"`)); n != 0 {
		t.Errorf("negated subject: %d messages, want 0", n)
	}
}

func TestSendWithAuth(t *testing.T) {
	t.Parallel()
	mp, cfg := mailpitConfig(t)
	cfg.Username, cfg.Password = "clerk", "secret"
	m := mailer.New(cfg)
	u := unique()
	id := m.MessageID("auth-" + u)
	if err := m.Send(context.Background(), mailer.Message{To: []string{"auth." + u + "@example.jp"},
		Subject: "認証テスト", Text: "本文\n", MessageID: id}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	// Mailpit v1.27.11 keeps the user of AUTH LOGIN only, not of PLAIN: the fake server of TestSendTLSModes
	// checks the user name; here Mailpit accepted the login (any is accepted) and the message.
	got := mp.WaitFor(t, "message-id:"+id, 1, 10*time.Second)
	if got[0].Text != "本文\r\n" {
		t.Errorf("text = %q", got[0].Text)
	}
}

// TestMailpitHelpers is not parallel: DeleteAll empties the Mailpit every test of this binary shares, and
// the parallel tests wait until the sequential ones are done.
func TestMailpitHelpers(t *testing.T) {
	mp, cfg := mailpitConfig(t)
	m := mailer.New(cfg)
	u := unique()
	for i := range 3 {
		if err := m.Send(context.Background(), mailer.Message{To: []string{fmt.Sprintf("h%d.%s@example.jp", i, u)},
			Subject: fmt.Sprintf("ヘルパー %d", i), Text: "本文", MessageID: m.MessageID(fmt.Sprintf("h%d.%s", i, u))}); err != nil {
			t.Fatal(err)
		}
	}
	got := mp.WaitFor(t, "to:"+u, 3, 10*time.Second)
	if len(got) != 3 || got[0].Subject != "ヘルパー 2" || got[2].Subject != "ヘルパー 0" {
		t.Fatalf("want the 3 messages newest first, got %d: %+v", len(got), got)
	}
	if one := mp.Message(t, got[1].ID); one.MessageID != m.MessageID("h1."+u) || one.Text != "本文" {
		t.Errorf("Message(%s) = %+v", got[1].ID, one)
	}
	if len(mp.Messages(t, "")) < 3 {
		t.Errorf("listing without a query misses messages")
	}
	mp.DeleteAll(t)
	if n := len(mp.Messages(t, "")); n != 0 {
		t.Errorf("%d messages after DeleteAll", n)
	}
}

func TestSendInvalidMessageIsPermanent(t *testing.T) {
	t.Parallel()
	_, cfg := mailpitConfig(t)
	m := mailer.New(cfg)
	ok := mailer.Message{To: []string{"ok@example.jp"}, Subject: "件名", Text: "本文", MessageID: "x.1@library.example.jp"}
	tests := []struct {
		name   string
		change func(*mailer.Message)
	}{
		{"no recipient", func(m *mailer.Message) { m.To = nil }},
		{"malformed address", func(m *mailer.Message) { m.To = []string{"ok2@example.jp", "secret-patron@@example.jp"} }},
		{"no domain", func(m *mailer.Message) { m.To = []string{"secret-patron"} }},
		{"no Message-ID", func(m *mailer.Message) { m.MessageID = "" }},
		{"Message-ID without @", func(m *mailer.Message) { m.MessageID = "hold-1" }},
		{"empty subject", func(m *mailer.Message) { m.Subject = " " }},
		{"subject with line break", func(m *mailer.Message) { m.Subject = "a\r\nBcc: x@example.jp" }},
		{"empty text", func(m *mailer.Message) { m.Text = "" }},
		{"reserved header", func(m *mailer.Message) { m.Headers = map[string]string{"Bcc": "x@example.jp"} }},
		{"content header", func(m *mailer.Message) { m.Headers = map[string]string{"Content-Type": "text/html"} }},
		{"header injection", func(m *mailer.Message) { m.Headers = map[string]string{"X-A": "1\r\nBcc: x@example.jp"} }},
		{"bad header name", func(m *mailer.Message) { m.Headers = map[string]string{"X A": "1"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := ok
			tt.change(&msg)
			err := m.Send(context.Background(), msg)
			if err == nil || !mailer.IsPermanent(err) {
				t.Fatalf("Send = %v, want a permanent error", err)
			}
			if strings.Contains(err.Error(), "secret-patron") {
				t.Errorf("the error shows the address: %v", err)
			}
		})
	}
}

func TestSendConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	m := mailer.New(config.SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "yoyaku@library.example.jp"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	err = m.Send(ctx, mailer.Message{To: []string{"a@example.jp"}, Subject: "件名", Text: "本文",
		MessageID: "refused.1@library.example.jp"})
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	if mailer.IsPermanent(err) {
		t.Errorf("a refused connection is permanent: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v", d)
	}
	if !strings.Contains(err.Error(), "refused") {
		t.Errorf("error %q does not say the connection was refused", err)
	}
}

func TestSendContextAndTimeout(t *testing.T) {
	t.Parallel()
	f := startFake(t, &fakeSMTP{hangOn: "MAIL"}, nil)
	cfg := config.SMTP{Host: "127.0.0.1", Port: f.Port, TLS: "none", From: "yoyaku@library.example.jp"}
	msg := mailer.Message{To: []string{"a@example.jp"}, Subject: "件名", Text: "本文", MessageID: "hang.1@library.example.jp"}

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	tests := []struct {
		name    string
		ctx     context.Context
		timeout time.Duration
		want    error
	}{
		{"context already canceled", canceled, 0, context.Canceled},
		{"context deadline while the server hangs", short, 0, context.DeadlineExceeded},
		{"send timeout while the server hangs", context.Background(), 300 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mailer.New(cfg)
			if tt.timeout > 0 {
				m.Timeout = tt.timeout
			}
			start := time.Now()
			err := m.Send(tt.ctx, msg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Send = %v, want %v", err, tt.want)
			}
			if mailer.IsPermanent(err) {
				t.Errorf("permanent: %v", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Send took %v", d)
			}
		})
	}
}

func TestSendServerRepliesClassified(t *testing.T) {
	t.Parallel()
	const bad = "no-such-patron@example.jp"
	tests := []struct {
		name      string
		fake      *fakeSMTP
		user      string
		permanent bool
		code      int
	}{
		{"recipient unknown", &fakeSMTP{rcptReply: func(r string) string {
			if r == bad {
				return "550 5.1.1 <" + bad + ">: Recipient address rejected: User unknown"
			}
			return ""
		}}, "", true, 550},
		{"recipient greylisted", &fakeSMTP{rcptReply: func(string) string { return "451 4.7.1 try again later" }}, "", false, 451},
		{"content refused", &fakeSMTP{dataReply: "554 5.6.0 message refused"}, "", true, 554},
		{"data deferred", &fakeSMTP{dataReply: "452 4.3.1 insufficient storage"}, "", false, 452},
		{"sender deferred", &fakeSMTP{mailReply: "421 4.3.2 shutting down"}, "", false, 421},
		{"sender refused", &fakeSMTP{mailReply: "553 5.7.1 sender not allowed"}, "", true, 553},
		{"login refused (settings, not the message)", &fakeSMTP{authReply: "535 5.7.8 bad credentials"}, "clerk", false, 535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, tt.fake, nil)
			m := mailer.New(config.SMTP{Host: "127.0.0.1", Port: f.Port, TLS: "none", Username: tt.user,
				Password: "pw", From: "yoyaku@library.example.jp"})
			err := m.Send(context.Background(), mailer.Message{To: []string{"ok@example.jp", bad}, Subject: "件名",
				Text: "本文", MessageID: "classify.1@library.example.jp"})
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if got := mailer.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v: %v", got, tt.permanent, err)
			}
			var me *mailer.Error
			if !errors.As(err, &me) || me.Code != tt.code {
				t.Errorf("code = %v, want %d: %v", me, tt.code, err)
			}
			if s := err.Error(); strings.Contains(s, "@example.jp") {
				t.Errorf("the error shows an address: %s", s)
			}
			if tt.code == 550 && !strings.Contains(err.Error(), "recipient-2") {
				t.Errorf("the error does not say which recipient was refused: %v", err)
			}
			if len(f.mails()) != 0 {
				t.Errorf("the server accepted %d mails", len(f.mails()))
			}
		})
	}
}

func TestSendDeliveredThenConnectionLost(t *testing.T) {
	t.Parallel()
	// The server accepted the message, then the connection broke at QUIT: that is a success, so the
	// activity does not send the mail a second time.
	f := startFake(t, &fakeSMTP{dropOn: "QUIT"}, nil)
	m := mailer.New(config.SMTP{Host: "127.0.0.1", Port: f.Port, TLS: "none", From: "yoyaku@library.example.jp"})
	m.Timeout = 3 * time.Second
	if err := m.Send(context.Background(), mailer.Message{To: []string{"a@example.jp"}, Subject: "件名",
		Text: "本文", MessageID: "drop.1@library.example.jp"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := len(f.mails()); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
}

func TestSendTLSModes(t *testing.T) {
	t.Parallel()
	serverTLS, roots := testCA(t)
	clientTLS := &tls.Config{RootCAs: roots}
	tests := []struct {
		name     string
		mode     string
		implicit bool
		startTLS bool
		ok       bool
	}{
		{"implicit TLS", "tls", true, false, true},
		{"STARTTLS", "starttls", false, true, true},
		{"STARTTLS required but not offered", "starttls", false, false, false},
		{"implicit TLS against a plain server", "tls", false, false, false},
		{"plain against an implicit TLS server", "none", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeSMTP{}
			if tt.startTLS {
				f.startTLS = serverTLS
			}
			var implicit *tls.Config
			if tt.implicit {
				implicit = serverTLS
			}
			startFake(t, f, implicit)
			m := mailer.New(config.SMTP{Host: "127.0.0.1", Port: f.Port, TLS: tt.mode, Username: "clerk",
				Password: "pw", From: "yoyaku@library.example.jp"})
			m.Timeout = 3 * time.Second
			if !tt.ok {
				m.Timeout = time.Second // a plain client waits for a greeting the TLS server never sends
			}
			mailer.SetTLSConfig(m, clientTLS)
			err := m.Send(context.Background(), mailer.Message{To: []string{"a@example.jp", "b@example.jp"},
				Subject: "件名", Text: "本文", MessageID: "tls.1@library.example.jp"})
			if !tt.ok {
				if err == nil {
					t.Fatal("Send succeeded")
				}
				if mailer.IsPermanent(err) {
					t.Errorf("a TLS mismatch is permanent: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := f.mails()
			if len(got) != 1 {
				t.Fatalf("%d mails, want 1", len(got))
			}
			if !got[0].TLS || got[0].User != "clerk" || !slices.Equal(got[0].Rcpts, []string{"a@example.jp", "b@example.jp"}) {
				t.Errorf("got TLS=%v user=%q rcpts=%v", got[0].TLS, got[0].User, got[0].Rcpts)
			}
		})
	}
}

func TestSendUntrustedCertificate(t *testing.T) {
	t.Parallel()
	serverTLS, _ := testCA(t)
	f := startFake(t, &fakeSMTP{}, serverTLS)
	m := mailer.New(config.SMTP{Host: "127.0.0.1", Port: f.Port, TLS: "tls", From: "yoyaku@library.example.jp"})
	err := m.Send(context.Background(), mailer.Message{To: []string{"a@example.jp"}, Subject: "件名", Text: "本文",
		MessageID: "tls.2@library.example.jp"})
	if err == nil || mailer.IsPermanent(err) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Send = %v, want a non-permanent certificate error", err)
	}
}

func TestSendBadSettings(t *testing.T) {
	t.Parallel()
	msg := mailer.Message{To: []string{"a@example.jp"}, Subject: "件名", Text: "本文", MessageID: "cfg.1@library.example.jp"}
	for _, cfg := range []config.SMTP{
		{Host: "127.0.0.1", Port: 25, TLS: "ssl", From: "yoyaku@library.example.jp"},
		{Host: "127.0.0.1", Port: 25, TLS: "none", From: "not an address"},
		{Host: "127.0.0.1", Port: 0, TLS: "none", From: "yoyaku@library.example.jp"},
	} {
		err := mailer.New(cfg).Send(context.Background(), msg)
		if err == nil || mailer.IsPermanent(err) {
			t.Errorf("%+v: Send = %v, want a non-permanent error", cfg, err)
		}
	}
}

func TestMessageID(t *testing.T) {
	m := mailer.New(config.SMTP{From: "yoyaku@library.example.jp"})
	for key, want := range map[string]string{
		"hold-42.ready.1": "hold-42.ready.1@library.example.jp",
		"hold 42/予約":      "hold-42/--@library.example.jp",
		"":                "-@library.example.jp",
	} {
		if got := m.MessageID(key); got != want {
			t.Errorf("MessageID(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestJapaneseDate(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 12, 4, 0, 0, 0, 0, tokyo), "2026年12月4日(金)"},
		{time.Date(2026, 1, 1, 23, 59, 0, 0, tokyo), "2026年1月1日(木)"},
		{time.Date(2027, 2, 28, 12, 0, 0, 0, tokyo), "2027年2月28日(日)"},
		{time.Date(2028, 2, 29, 0, 0, 0, 0, tokyo), "2028年2月29日(火)"},
		{time.Date(2026, 11, 30, 0, 0, 0, 0, tokyo), "2026年11月30日(月)"},
		{time.Date(2026, 12, 5, 0, 0, 0, 0, tokyo), "2026年12月5日(土)"},
		{time.Date(2026, 12, 1, 0, 0, 0, 0, tokyo), "2026年12月1日(火)"},
		{time.Date(2026, 12, 2, 0, 0, 0, 0, tokyo), "2026年12月2日(水)"},
		// The date is the one of the time's own location: 15:00 UTC is already the next day in Tokyo.
		{time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC), "2026年12月3日(木)"},
		{time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC).In(tokyo), "2026年12月4日(金)"},
	}
	for _, tt := range tests {
		if got := mailer.JapaneseDate(tt.t); got != tt.want {
			t.Errorf("JapaneseDate(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestRenderReady(t *testing.T) {
	subject, text, err := mailer.RenderReady(readyData())
	if err != nil {
		t.Fatal(err)
	}
	if subject != "【図書館】ご予約の資料が用意できました" {
		t.Errorf("subject = %q", subject)
	}
	want := `山田 花子 様

いつも図書館をご利用いただき、ありがとうございます。
ご予約いただいた資料のご用意ができましたので、お知らせいたします。

　資料名　：ノルウェイの森　上
　受取館　：中央図書館
　受取期限：2026年12月4日(金)まで

資料は連絡日を含めて1週間、受取館でお取り置きしています。
期限を過ぎますとご予約は取り消しとなり、資料は次にお待ちの方へお回しします。
お早めにお受け取りください。
この資料は次にお待ちの方がいるため、受取期限の延長はできません。

ご予約の状況は、図書館ホームページの「予約状況」でご確認いただけます。
https://library.example.jp/holds

※このメールは送信専用のアドレスから送信しています。ご返信いただいてもお答えできません。
※お心当たりのない場合は、お手数ですが最寄りの図書館までお問い合わせください。

図書館予約システム
`
	if text != want {
		t.Errorf("text:\n%s\nwant:\n%s", text, want)
	}
}

func TestRenderReadyVariants(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*mailer.ReadyData)
		want    []string // in the text
		wantErr string
	}{
		{"no name", func(d *mailer.ReadyData) { d.PatronName = "" }, []string{"利用者 様\n"}, ""},
		{"line breaks in fields", func(d *mailer.ReadyData) { d.Title = "上巻\r\n下巻" },
			[]string{"　資料名　：上巻  下巻\n"}, ""},
		{"deadline at night in Tokyo", func(d *mailer.ReadyData) {
			d.Deadline = time.Date(2026, 12, 11, 23, 59, 59, 0, tokyo)
		}, []string{"2026年12月11日(金)まで"}, ""},
		{"extendable", func(d *mailer.ReadyData) { d.Extendable = true },
			[]string{"お早めにお受け取りください。\n受取期限は「予約状況」から1回に限り7日間延長できます。\n\n"}, ""},
		{"deadline moved past closed days", func(d *mailer.ReadyData) { d.ClosedDayMoved = true },
			[]string{"1週間、受取館でお取り置きしています。\n1週間目が受取館の休館日にあたるため、受取期限は次の開館日としています。\n期限を過ぎますと"}, ""},
		{"no title", func(d *mailer.ReadyData) { d.Title = " " }, nil, "Title"},
		{"no branch", func(d *mailer.ReadyData) { d.PickupBranch = "" }, nil, "PickupBranch"},
		{"no deadline", func(d *mailer.ReadyData) { d.Deadline = time.Time{} }, nil, "Deadline"},
		{"no URL", func(d *mailer.ReadyData) { d.StatusURL = "" }, nil, "StatusURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := readyData()
			tt.change(&d)
			_, text, err := mailer.RenderReady(d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
		})
	}
}
