package mailer

import (
	"context"
	"errors"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	mail "github.com/wneessen/go-mail"
)

// Error is what Send returns. Its text names no e-mail address (the server's replies are redacted), so it
// may be logged and kept in workflow histories.
type Error struct {
	// Permanent: retrying the same message cannot succeed. That is a 5xx reply to MAIL FROM, RCPT TO or
	// DATA (a refused recipient, sender or content), or a message that is itself invalid (no or a malformed
	// address, no Message-ID, ...). Failures while connecting, negotiating TLS or logging in — even with a
	// 5xx reply — are not permanent: they concern the server or yoyaku's settings, not this message, and a
	// retry after they are fixed delivers it.
	Permanent bool
	// Refused: permanent, and about the recipient: the server refused it or the mail for it (a 5xx reply
	// to RCPT TO or DATA), or the address is not a valid one. Sent to one address alone, that address cannot
	// be mailed; the other permanent errors (the sender refused, a malformed subject or text) would refuse
	// every message alike.
	Refused bool
	// Code is the SMTP reply code that caused the failure, 0 when there was none.
	Code int
	// Reply is the server's reply that refused the message, e.g. "550 5.1.1 recipient-1: User unknown"
	// (addresses redacted as in the error's text); "" when the server did not refuse it (no reply, a
	// connection or TLS failure, an invalid message). Fit to show staff and to keep with a refusal.
	Reply string

	text string
	err  error
}

func (e *Error) Error() string { return "mailer: " + e.text }

// Detail is the error's text without the package's prefix (addresses redacted): what to keep with a refusal
// that has no server reply (an invalid address).
func (e *Error) Detail() string { return e.text }

// Unwrap returns the underlying error (whose text may hold e-mail addresses: do not log it).
func (e *Error) Unwrap() error { return e.err }

// IsPermanent reports whether err (or an error it wraps) is a permanent mailer error: sending the same
// message again cannot succeed, so an activity should stop retrying.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// classify turns go-mail's error into an *Error.
func classify(ctx context.Context, err error, red redactor) *Error {
	e := &Error{err: err}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		e.Code = tp.Code
	}
	var se *mail.SendError
	if errors.As(err, &se) {
		if c := se.ErrorCode(); c != 0 {
			e.Code = c
		}
		switch se.Reason {
		case mail.ErrGetSender, mail.ErrGetRcpts:
			e.Permanent = true
		case mail.ErrSMTPMailFrom, mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
			e.Permanent = e.Code >= 500 && e.Code < 600
			e.Refused = e.Permanent && se.Reason != mail.ErrSMTPMailFrom
			if e.Code >= 400 && e.Code < 600 {
				e.Reply = serverReply(se, red)
			}
		}
	}
	text := "not sent: " + red.clean(err.Error())
	if cerr := ctx.Err(); cerr != nil {
		// The connection was closed because the context ended: say so first, and let errors.Is see it.
		e.Permanent, e.Refused, e.Reply = false, false, ""
		e.err = errors.Join(cerr, err)
		text = "not sent: " + cerr.Error() + " (" + red.clean(err.Error()) + ")"
	}
	if e.Code != 0 && !strings.Contains(text, strconv.Itoa(e.Code)) {
		text += " (SMTP " + strconv.Itoa(e.Code) + ")"
	}
	e.text = text
	return e
}

// serverReply is the server's reply text inside go-mail's SendError, whose text is "<reason>: <replies>,
// affected recipient(s): ..., affected message ID: ..." (it does not unwrap to the replies).
func serverReply(se *mail.SendError, red redactor) string {
	s := strings.TrimPrefix(se.Error(), se.Reason.String()+":")
	if i := strings.Index(s, ", affected "); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	// go-mail quotes the server's text: 550 "5.1.1 <a@example.jp>: User unknown".
	if m := quotedReply.FindStringSubmatch(s); m != nil {
		if text, err := strconv.Unquote(m[2]); err == nil {
			s = m[1] + " " + text
		}
	}
	return red.clean(s)
}

var quotedReply = regexp.MustCompile(`^([245][0-9][0-9]) ("(?:[^"\\]|\\.)*")$`)

// redactor removes e-mail addresses from error texts, except the ones in keep (Message-ID, From).
type redactor struct {
	keep  []string
	rcpts []string
}

var addrLike = regexp.MustCompile(`[^\s<>()\[\],;:"'@]+@[^\s<>()\[\],;:"'@]+`)

func (r redactor) clean(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r", ""), "\n", "; ")
	return addrLike.ReplaceAllStringFunc(s, func(a string) string {
		for _, k := range r.keep {
			if strings.EqualFold(strings.Trim(k, "<>"), a) {
				return a
			}
		}
		for i, rc := range r.rcpts {
			if strings.EqualFold(rc, a) {
				return "recipient-" + strconv.Itoa(i+1)
			}
		}
		return "redacted-address"
	})
}
