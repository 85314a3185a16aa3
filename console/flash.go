package console

// POST/redirect/GET: every console form that did something answers 303 to its page, and the answer (the
// routing of a scan, the loan, the call recorded…) travels in a short-lived cookie that the page reads once.
// Refreshing the page after an operation therefore shows the page, never posts the form again. A refusal
// is still rendered at once (nothing changed, so nothing can be done twice).
//
// The cookie holds IDs and codes, signed with the session key (so a forged one is ignored), and the page
// reads the hold again: what it shows is the hold as it is now.

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
	Op       string `json:"op"` // checkin, pull, missing, receive, checkout, call, counter
	Barcode  string `json:"b,omitempty"`
	HoldID   int64  `json:"h,omitempty"`
	Action   string `json:"a,omitempty"` // a routing's action
	ToBranch string `json:"to,omitempty"`
	Status   string `json:"s,omitempty"`
	DueDate  string `json:"due,omitempty"`
	Card     string `json:"card,omitempty"` // the card number the checkout and counter forms keep
	Outcome  string `json:"o,omitempty"`    // a phone call's
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

// staffListPost runs the form of a list page (pull list, call list): act does the operation and returns its
// answer; done, the browser goes back to path with it (redirectWith); refused, the list is rendered with the
// refusal in red.
func (s *Console) staffListPost(c *gin.Context, name, path string, data gin.H, act func(d staffDesk, data gin.H) (flash, *httpkit.OpError),
	list func(d staffDesk, data gin.H) error) {
	s.withDesk(c, func(d staffDesk) {
		f, e := act(d, data)
		if e == nil {
			s.redirectWith(c, path, f)
			return
		}
		if err := list(d, data); err != nil {
			s.Internal(c, err)
			return
		}
		s.staffRefusal(c, name, d, data, e)
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
