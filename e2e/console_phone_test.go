package e2e_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// consoleClient is a browser on the staff console that does not follow redirects, so each 303 of the
// POST/redirect/GET pattern can be checked.
type consoleClient struct {
	t    *testing.T
	s    *stack
	http *http.Client
	csrf string
}

var consoleCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (s *stack) consoleLogin() *consoleClient {
	s.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	c := &consoleClient{t: s.t, s: s, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	_, body := c.get("/staff/login", http.StatusOK)
	c.csrf = csrfIn(s.t, body)
	if code, _, _ := c.post("/staff/login", url.Values{"login": {"staff"}, "password": {"staff-demo"}}); code != http.StatusSeeOther {
		s.t.Fatalf("console login = %d", code)
	}
	_, body = c.get("/staff/", http.StatusOK)
	c.csrf = csrfIn(s.t, body)
	return c
}

func csrfIn(t *testing.T, body string) string {
	t.Helper()
	m := consoleCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in:\n%s", body)
	}
	return html.UnescapeString(m[1])
}

func (c *consoleClient) get(path string, want int) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.s.url + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("GET %s = %d, want %d:\n%s", path, resp.StatusCode, want, b)
	}
	return resp, html.UnescapeString(string(b))
}

// post sends a console form and returns the status, the Location and the body.
func (c *consoleClient) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	form.Set("_csrf", c.csrf)
	resp, err := c.http.PostForm(c.s.url+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), html.UnescapeString(string(b))
}

// postRedirect sends a form that must answer 303 to page, follows it and returns the page.
func (c *consoleClient) postRedirect(path string, form url.Values, page string) string {
	c.t.Helper()
	code, loc, body := c.post(path, form)
	if code != http.StatusSeeOther || loc != page {
		c.t.Fatalf("POST %s = %d to %q, want 303 to %s:\n%s", path, code, loc, page, body)
	}
	_, got := c.get(page, http.StatusOK)
	return got
}

func wantIn(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Fatalf("page lacks %q:\n%s", w, body)
		}
	}
}

// section is the element with id and what follows it up to the next table row or message.
func section(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest[1:], "</td>"); j >= 0 {
		return rest[:j+1]
	}
	return rest
}

// Issue 14 in the console: the call list's three buttons (連絡済 is the same as /contacted, 留守電 sets the
// 連絡日, 不在 keeps the hold listed with the attempt shown), each answering 303 to the list with its message
// shown once (a refresh neither repeats the message nor records the call again); a bad outcome is refused
// on the page; the hold shelf shows 連絡日 and 取置期限; check-in and checkout redirect too.
func TestConsolePhoneOutcomesAndRedirects(t *testing.T) {
	s := newStack(t, nil)
	ready := func() (patron, string, string) {
		t.Helper()
		titleID, copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
		p := s.newPatron("phone")
		id := s.placeOne(p, "chuo", titleID)
		s.waitStatus(p, id, "awaiting_return")
		s.scan("checkin", copies[0], "chuo")
		s.waitStatus(p, id, "ready")
		return p, id, copies[0]
	}
	_, a, _ := ready()
	pb, b, copyB := ready()
	c := s.consoleLogin()

	var list string
	for range 200 { // the ready notice puts the holds on the list moments after they are ready
		_, list = c.get("/staff/call-list", http.StatusOK)
		if strings.Contains(list, `id="call-`+a+`"`) && strings.Contains(list, `id="call-`+b+`"`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantIn(t, list, `id="contacted-btn-`+a+`"`, `id="voicemail-btn-`+a+`"`, `id="no_answer-btn-`+a+`"`, ">連絡済<", ">留守電<", ">不在<",
		`id="call-waiting-`+a+`"`, "0日経過", "不在が3日")

	// 不在: back to the list, which says so once; the attempt is in the row with the staff member.
	page := c.postRedirect("/staff/call-list/"+a+"/call", url.Values{"outcome": {"no_answer"}}, "/staff/call-list")
	wantIn(t, page, `id="no-answer-done"`, "予約 "+a+"：不在を記録しました（不在 1 日／3 日）。", `id="call-`+a+`"`)
	if row := section(page, "call-attempts-"+a); !strings.Contains(row, "不在") || !strings.Contains(row, "中央図書館 職員") || !strings.Contains(row, s.today()) {
		t.Fatalf("attempts cell: %q", row)
	}
	_, again := c.get("/staff/call-list", http.StatusOK)
	if strings.Contains(again, `id="no-answer-done"`) {
		t.Fatal("the message is shown again on a refresh")
	}
	if n := strings.Count(section(again, "call-attempts-"+a), `class="call-attempt"`); n != 1 {
		t.Fatalf("%d attempts after a refresh, want 1", n)
	}

	// An unknown outcome: back to the list with the refusal, nothing recorded.
	body := c.postRedirect("/staff/call-list/"+a+"/call", url.Values{"outcome": {"busy"}}, "/staff/call-list")
	if !strings.Contains(body, `data-code="invalid_outcome"`) || !strings.Contains(body, "連絡結果は連絡済・留守電・不在のいずれかです。") || !strings.Contains(body, `id="call-`+a+`"`) {
		t.Fatalf("bad outcome:\n%s", body)
	}

	// 留守電: contacted today, off the list, deadline shown.
	page = c.postRedirect("/staff/call-list/"+b+"/call", url.Values{"outcome": {"voicemail"}}, "/staff/call-list")
	wantIn(t, page, `id="contacted-done"`, "留守電", "予約 "+b+" の連絡日を記録しました（"+s.today()+"）。", s.todayPlus(6))
	if strings.Contains(page, `id="call-`+b+`"`) {
		t.Fatal("a hold with a message left stays on the call list")
	}
	if h := s.getHold(pb, b); deref(h.ContactDate) != s.today() {
		t.Fatalf("hold after 留守電: %+v", h)
	}

	// The hold shelf: 取置期限 and 連絡日, or 未連絡 for the patron not reached yet.
	_, shelf := c.get("/staff/hold-shelf", http.StatusOK)
	wantIn(t, shelf, "連絡日", "取置期限")
	if got := section(shelf, "shelf-deadline-"+b); !strings.Contains(got, s.todayPlus(6)) {
		t.Fatalf("deadline cell of %s: %q", b, got)
	}
	if got := section(shelf, "shelf-contact-"+b); !strings.Contains(got, s.today()) {
		t.Fatalf("contact cell of %s: %q", b, got)
	}
	if got := section(shelf, "shelf-deadline-"+a); !strings.Contains(got, "未連絡") {
		t.Fatalf("deadline cell of %s: %q", a, got)
	}

	// 連絡済 through the old route answers the same way.
	page = c.postRedirect("/staff/call-list/"+a+"/contacted", url.Values{}, "/staff/call-list")
	wantIn(t, page, `id="contacted-done"`, "予約 "+a+" の連絡日を記録しました（"+s.today()+"）。")

	// Checkout and check-in redirect as well, their answers shown after the redirect.
	page = c.postRedirect("/staff/checkout", url.Values{"card_number": {pb.card}, "barcode": {copyB}}, "/staff/checkout")
	wantIn(t, page, "予約 "+b+" の資料を貸し出しました（予約は完了）。", `value="`+pb.card+`"`)
	titleID, copies := s.title("book", copySpec{branch: "chuo", onLoan: true})
	pc := s.newPatron("none")
	cid := s.placeOne(pc, "chuo", titleID)
	s.waitStatus(pc, cid, "awaiting_return")
	page = c.postRedirect("/staff/checkin", url.Values{"barcode": {copies[0]}}, "/staff/checkin")
	wantIn(t, page, `id="routing-headline">この館の予約棚へ<`, "予約番号 "+cid)
	if _, again := c.get("/staff/checkin", http.StatusOK); strings.Contains(again, `id="routing"`) {
		t.Fatal("the check-in answer is shown again on a refresh")
	}
}
