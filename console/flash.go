package console

// POST/redirect/GET: every console form that did something answers 303 to its page, and the answer (the
// routing of a scan, the loan, the call recorded…) travels in a short-lived cookie that the page reads once.
// Refreshing the page after an operation therefore shows the page, never posts the form again. A refusal
// goes the same way (refuseTo): its code and the form's input as typed travel in the cookie, and the page
// shows the refusal in red with the input put back, so a refresh does not send a refused form again either.
// Only a failure of the system (5xx: nothing was done, trying again is right) is rendered at once.
//
// The cookie holds IDs, codes and the refused form's input, signed with the session key (so a forged one is
// ignored), and the page reads the hold again: what it shows is the hold as it is now.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"yoyaku/contract"
	"yoyaku/httpkit"
)

// StaffFlashCookie carries a console operation's answer to the page the form redirects to.
const StaffFlashCookie = "yoyaku_staff_flash"

// flashMaxAge bounds how long an answer waits for its page, in seconds: the redirect follows at once.
const flashMaxAge = 60

// flash is a console operation's answer.
type flash struct {
	Op       string `json:"op"` // the page's: checkin, pull, missing, receive, checkout, call, counter, branch, request, request_received, request_receive, calendar, closure
	Barcode  string `json:"b,omitempty"`
	HoldID   int64  `json:"h,omitempty"`
	Action   string `json:"a,omitempty"` // a routing's action
	ToBranch string `json:"to,omitempty"`
	Status   string `json:"s,omitempty"`
	DueDate  string `json:"due,omitempty"`
	Card     string `json:"card,omitempty"` // the card number the checkout and counter forms keep
	Outcome  string `json:"o,omitempty"`    // a phone call's
	// Code is a refusal's code: the form was refused and changed nothing (refuseTo).
	Code string `json:"err,omitempty"`
	// TitleID is the title a refusal names (owned_title).
	TitleID int64 `json:"t,omitempty"`
	// Keep is what the refused form's page showed besides the refusal: the input as typed, keyed as the
	// page's data.
	Keep map[string]any `json:"k,omitempty"`
}

func (s *Console) flashMAC(payload string) string {
	m := hmac.New(sha256.New, s.Kit.SessionKey())
	m.Write([]byte("yoyaku staff flash v1\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// redirectWith answers a console POST that did something: its answer in the flash cookie, and 303 to path.
func (s *Console) redirectWith(c *gin.Context, path string, f flash) {
	b, err := json.Marshal(f)
	if err != nil {
		s.Internal(c, err)
		return
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	s.setStaffCookie(c, StaffFlashCookie, payload+"."+s.flashMAC(payload), flashMaxAge)
	c.Redirect(http.StatusSeeOther, path)
}

// takeFlash reads the answer of one of ops left for this page, once: the cookie is deleted whatever it
// holds. ok is false when there is none, it is another page's, or it is not one this console signed.
func (s *Console) takeFlash(c *gin.Context, ops ...string) (flash, bool) {
	v, err := c.Cookie(StaffFlashCookie)
	if err != nil || v == "" {
		return flash{}, false
	}
	s.setStaffCookie(c, StaffFlashCookie, "", -1)
	payload, mac, found := strings.Cut(v, ".")
	if !found || !hmac.Equal([]byte(mac), []byte(s.flashMAC(payload))) {
		return flash{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return flash{}, false
	}
	var f flash
	if json.Unmarshal(b, &f) != nil || !slices.Contains(ops, f.Op) {
		return flash{}, false
	}
	return f, true
}

// refuseTo answers a console POST that was refused: 303 to path with the refusal and keep (the page's data
// for the input as typed) in the flash cookie, under op (the page's own). A failure of the system is the
// error page at once: nothing was done and the form may well be sent again.
func (s *Console) refuseTo(c *gin.Context, path, op string, e *httpkit.OpError, keep gin.H) {
	if e.Err != nil || e.Status >= http.StatusInternalServerError {
		s.FailOp(c, e)
		return
	}
	s.redirectWith(c, path, flash{Op: op, Code: string(e.Code), TitleID: e.TitleID, Keep: keep})
}

// showRefusal puts a refusal carried by f into the page's data (the message in red, the input as typed) and
// reports whether f was one; an answer (f.Code empty) is left to the page.
func (s *Console) showRefusal(c *gin.Context, f flash, data gin.H) bool {
	if f.Code == "" {
		return false
	}
	for k, v := range f.Keep {
		data[k] = v
	}
	data["Error"], data["ErrorCode"] = httpkit.Message(c, httpkit.Code(f.Code)), f.Code
	return true
}

// keepAs decodes a kept value of a refused form (JSON-shaped after the cookie) into v; false when absent
// or of another shape.
func keepAs(f flash, key string, v any) bool {
	raw, ok := f.Keep[key]
	if !ok {
		return false
	}
	b, err := json.Marshal(raw)
	return err == nil && json.Unmarshal(b, v) == nil
}

// staffListPost runs the form of a list page (pull list, call list): act does the operation and returns its
// answer; done or refused, the browser goes back to path with it (redirectWith, refuseTo under op, with
// what act put into data: the input as typed).
func (s *Console) staffListPost(c *gin.Context, path, op string, act func(d staffDesk, data gin.H) (flash, *httpkit.OpError)) {
	s.withDesk(c, func(d staffDesk) {
		data := gin.H{}
		f, e := act(d, data)
		if e != nil {
			s.refuseTo(c, path, op, e, data)
			return
		}
		s.redirectWith(c, path, f)
	})
}

// routingFlash is the answer of a scan that routed a copy.
func routingFlash(op string, r contract.Routing, barcode string) flash {
	return flash{Op: op, Barcode: barcode, HoldID: r.HoldID, Action: string(r.Action), ToBranch: r.ToBranch}
}

// routing is the routing a scan's answer carries.
func (f flash) routing() contract.Routing {
	return contract.Routing{Action: contract.RoutingAction(f.Action), HoldID: f.HoldID, ToBranch: f.ToBranch}
}
