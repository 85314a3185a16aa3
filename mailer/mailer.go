// Package mailer sends yoyaku's notification e-mails over SMTP (go-mail) and renders them from the
// templates embedded from templates/.
//
// Send makes one SMTP transaction per Message: every address of Message.To gets the same mail and appears
// in its To header, and when the server refuses one of them none gets it (so the ready mail is one Message
// per address: activities/notify.go). The caller's Message-ID is used verbatim, so a send retried after an
// unclear failure can be recognised downstream. Errors never carry e-mail addresses in their text (they end
// up in Temporal histories and logs); IsPermanent tells an activity whether retrying can help, and
// Error.Reply is the server's refusal.
package mailer

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"yoyaku/config"
)

// DefaultFromName is the display name of the From address that New sets.
const DefaultFromName = "図書館予約システム"

// DefaultTimeout bounds one Send, from connecting to QUIT, unless Mailer.Timeout says otherwise.
const DefaultTimeout = 30 * time.Second

// Mailer sends messages through one SMTP server. It is safe for concurrent use: each Send opens its own
// connection. Change the exported fields only before the first Send.
type Mailer struct {
	// FromName is the display name shown with the configured From address.
	FromName string
	// Timeout bounds one Send, connection to QUIT; the caller's context may end it earlier.
	Timeout time.Duration

	cfg       config.SMTP
	tlsConfig *tls.Config // base TLS settings (tests set private roots); ServerName is always cfg.Host
}

// Message is one e-mail. To has one or more addresses; all of them get the same mail in one SMTP
// transaction. MessageID is required and used verbatim (angle brackets optional), e.g. from
// Mailer.MessageID. Headers adds extra header fields (not address, content or identity fields).
type Message struct {
	To        []string
	Subject   string
	Text      string
	MessageID string
	Headers   map[string]string
}

// New returns a Mailer for the server described by cfg. Settings are checked on each Send, where a bad one is
// reported as a (non-permanent) error.
func New(cfg config.SMTP) *Mailer {
	return &Mailer{FromName: DefaultFromName, Timeout: DefaultTimeout, cfg: cfg}
}

// MessageID returns a deterministic Message-ID for key, in the domain of the From address:
// MessageID("hold-42.ready.1") is "hold-42.ready.1@library.example.jp". Characters not allowed in a
// Message-ID are replaced by '-'.
func (m *Mailer) MessageID(key string) string {
	domain := "yoyaku.invalid"
	if a, err := netmail.ParseAddress(m.cfg.From); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i < len(a.Address)-1 {
			domain = a.Address[i+1:]
		}
	}
	local := strings.Trim(badIDChars.ReplaceAllString(key, "-"), ".")
	if local == "" {
		local = "-"
	}
	return local + "@" + domain
}

var (
	badIDChars   = regexp.MustCompile(`[^A-Za-z0-9!#$%&'*+/=?^_{|}~.-]`)
	validID      = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]+@[A-Za-z0-9!#$%&'*+/=?^_{|}~.\[\]:-]+$`)
	headerName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
	reservedHdrs = map[string]bool{
		"from": true, "sender": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "subject": true,
		"date": true, "message-id": true, "mime-version": true, "return-path": true, "received": true,
	}
)

// Send delivers msg. It returns nil once the server accepted the message (even if closing the connection
// failed afterwards). Errors are *Error; IsPermanent(err) reports the ones a retry cannot fix.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	gm, rcpts, err := m.build(msg)
	if err != nil {
		return err
	}
	red := redactor{keep: []string{gm.GetMessageID(), m.cfg.From}, rcpts: rcpts}

	timeout := m.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return &Error{text: "not sent: " + err.Error(), err: err}
	}

	// The dialer ties the connection to ctx: go-mail only uses its context while dialing, so closing the
	// connection is what ends a transaction that hangs after that.
	var stop func() bool
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	tlsConf := m.clientTLSConfig()
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{}
		var conn net.Conn
		var err error
		if m.cfg.TLS == "tls" {
			conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConf}).DialContext(dctx, network, addr)
		} else {
			conn, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}

	opts := []mail.Option{
		mail.WithPort(m.cfg.Port),
		// go-mail's own per-command deadline comes after ours, so that ctx always ends a slow send and the
		// error says so (context.DeadlineExceeded).
		mail.WithTimeout(timeout + time.Second),
		mail.WithDialContextFunc(dial),
		mail.WithTLSConfig(tlsConf),
		mail.WithoutNoop(), // a fresh connection per Send: no need to probe it
		mail.WithoutRset(), // one message per connection, QUIT follows
	}
	switch m.cfg.TLS {
	case "none", "":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "tls":
		opts = append(opts, mail.WithSSL())
	default:
		return &Error{text: fmt.Sprintf("not sent: SMTP TLS mode must be none, starttls or tls, not %q", m.cfg.TLS)}
	}
	if m.cfg.Username != "" {
		// PLAIN refuses to send the password over an unencrypted connection except to localhost.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain),
			mail.WithUsername(m.cfg.Username), mail.WithPassword(m.cfg.Password))
	}
	client, err := mail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return &Error{text: "not sent: SMTP settings: " + red.clean(err.Error()), err: err}
	}

	err = client.DialAndSendWithContext(ctx, gm)
	if err == nil || gm.IsDelivered() {
		return nil
	}
	return classify(ctx, err, red)
}

// build turns msg into a go-mail message; its errors are permanent (the message itself is wrong) except for
// a bad From setting.
func (m *Mailer) build(msg Message) (*mail.Msg, []string, error) {
	invalid := func(format string, args ...any) error {
		return &Error{Permanent: true, text: "invalid message: " + fmt.Sprintf(format, args...)}
	}
	badRecipient := func(format string, args ...any) error {
		return &Error{Permanent: true, Refused: true, text: "invalid message: " + fmt.Sprintf(format, args...)}
	}
	var rcpts []string
	seen := map[string]bool{}
	for i, to := range msg.To {
		a, err := netmail.ParseAddress(strings.TrimSpace(to))
		if err != nil || !strings.Contains(a.Address, "@") {
			return nil, nil, badRecipient("recipient %d of %d is not a valid e-mail address", i+1, len(msg.To))
		}
		if k := strings.ToLower(a.Address); !seen[k] {
			seen[k] = true
			rcpts = append(rcpts, a.Address)
		}
	}
	if len(rcpts) == 0 {
		return nil, nil, invalid("no recipient")
	}
	if strings.TrimSpace(msg.Subject) == "" || strings.ContainsAny(msg.Subject, "\r\n") {
		return nil, nil, invalid("the subject is empty or has a line break")
	}
	if strings.TrimSpace(msg.Text) == "" {
		return nil, nil, invalid("the text is empty")
	}
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(msg.MessageID), "<"), ">")
	if !validID.MatchString(id) {
		return nil, nil, invalid("the Message-ID %q is missing or not of the form left@right", msg.MessageID)
	}
	from, err := netmail.ParseAddress(m.cfg.From)
	if err != nil || from.Name != "" || !strings.Contains(from.Address, "@") {
		return nil, nil, &Error{text: fmt.Sprintf("not sent: the From setting %q is not a bare e-mail address", m.cfg.From)}
	}

	gm := mail.NewMsg(mail.WithCharset(mail.CharsetUTF8), mail.WithEncoding(mail.EncodingB64),
		mail.WithNoDefaultUserAgent())
	gm.SetAddrHeaderFromMailAddress(mail.HeaderFrom, &netmail.Address{Name: m.FromName, Address: from.Address})
	if err := gm.To(rcpts...); err != nil {
		return nil, nil, badRecipient("a recipient is not a valid e-mail address")
	}
	gm.SetGenHeader("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies to a no-reply sender
	for k, v := range msg.Headers {
		if !headerName.MatchString(k) || reservedHdrs[strings.ToLower(k)] ||
			strings.HasPrefix(strings.ToLower(k), "content-") {
			return nil, nil, invalid("header %q may not be set through Headers", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, nil, invalid("header %q has a line break", k)
		}
		gm.SetGenHeader(mail.Header(k), v)
	}
	gm.Subject(msg.Subject)
	gm.SetMessageIDWithValue(id)
	gm.SetDate()
	// Text parts travel with CRLF line ends (RFC 2046 canonical form), also inside base64.
	text := strings.ReplaceAll(strings.ReplaceAll(msg.Text, "\r\n", "\n"), "\n", "\r\n")
	gm.SetBodyString(mail.TypeTextPlain, text)
	return gm, rcpts, nil
}

func (m *Mailer) clientTLSConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.tlsConfig != nil {
		c = m.tlsConfig.Clone()
		if c.MinVersion == 0 {
			c.MinVersion = tls.VersionTLS12
		}
	}
	c.ServerName = m.cfg.Host
	return c
}
