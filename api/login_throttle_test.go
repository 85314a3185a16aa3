package api

// Login throttling through a real HTTP server (httptest.NewServer over the API's router, real PostgreSQL):
// concurrent attempts, the client address behind a trusted proxy, and what the per-address limit counts.

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/auth"
	"yoyaku/httpkit"
)

// loginServer is the API served over TCP from 127.0.0.1, with YOYAKU_TRUSTED_PROXIES set to trusted.
type loginServer struct {
	db     *sqlx.DB
	url    string
	client *http.Client

	mu   sync.Mutex
	csrf map[string][2]string // form page → nonce cookie, token
}

func newLoginServer(t *testing.T, trusted string) *loginServer {
	t.Helper()
	e := newWebEnv(t, map[string]string{"YOYAKU_TRUSTED_PROXIES": trusted}, nil)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	return &loginServer{db: e.db, url: srv.URL, csrf: map[string][2]string{}, client: &http.Client{
		Timeout:       time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// loginForm is one of the logins: the JSON API's or a web form's.
type loginForm struct {
	name      string
	path      string
	userField string // card_number or login
	page      string // for a web form: the page with the form (its CSRF token); "" for JSON
	ok        int    // the status of a correct login
}

var (
	patronJSONLogin = loginForm{"patron JSON", "/api/v1/session", "card_number", "", http.StatusOK}
	patronWebLogin  = loginForm{"patron web", "/login", "card_number", "/login", http.StatusSeeOther}
	staffJSONLogin  = loginForm{"staff JSON", "/api/v1/staff/session", "login", "", http.StatusOK}
	staffWebLogin   = loginForm{"staff console", "/staff/login", "login", "/staff/login", http.StatusSeeOther}
)

// loginAnswer is what a login answered.
type loginAnswer struct {
	status     int
	retryAfter string
}

// attempt sends one login through f for user with password; hdr are header name, value pairs (such as
// X-Forwarded-For, as a proxy would set it). Safe for concurrent use; errors are returned, not fatal.
func (l *loginServer) attempt(f loginForm, user, password string, hdr ...string) (loginAnswer, error) {
	var body, contentType, cookie string
	if f.page == "" {
		b, _ := json.Marshal(map[string]string{f.userField: user, "password": password})
		body, contentType = string(b), "application/json"
	} else {
		nonce, token, err := l.formCSRF(f.page)
		if err != nil {
			return loginAnswer{}, err
		}
		body = url.Values{f.userField: {user}, "password": {password}, "_csrf": {token}}.Encode()
		contentType, cookie = "application/x-www-form-urlencoded", httpkit.CSRFCookie+"="+nonce
	}
	req, err := http.NewRequest("POST", l.url+f.path, strings.NewReader(body))
	if err != nil {
		return loginAnswer{}, err
	}
	req.Header.Set("Content-Type", contentType)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return loginAnswer{}, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return loginAnswer{resp.StatusCode, resp.Header.Get("Retry-After")}, nil
}

// formCSRF is the CSRF nonce cookie and token of a login form, read once per page.
func (l *loginServer) formCSRF(page string) (nonce, token string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.csrf[page]; ok {
		return c[0], c[1], nil
	}
	resp, err := l.client.Get(l.url + page)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "", err
	}
	m := csrfInput.FindSubmatch(b)
	for _, c := range resp.Cookies() {
		if c.Name == httpkit.CSRFCookie {
			nonce = c.Value
		}
	}
	if m == nil || nonce == "" {
		return "", "", fmt.Errorf("%s (%d): no CSRF token or cookie", page, resp.StatusCode)
	}
	l.csrf[page] = [2]string{nonce, html.UnescapeString(string(m[1]))}
	return nonce, l.csrf[page][1], nil
}

// mustAttempt is attempt for the test's goroutine.
func (l *loginServer) mustAttempt(t *testing.T, f loginForm, user, password string, hdr ...string) loginAnswer {
	t.Helper()
	a, err := l.attempt(f, user, password, hdr...)
	if err != nil {
		t.Fatalf("%s login %s: %v", f.name, user, err)
	}
	return a
}

func (l *loginServer) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := l.db.GetContext(t.Context(), &n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConcurrentWrongPasswordsAreCheckedAtMostTheLimit sends wrong passwords all at once. Only as many as
// the limit may reach the password check (each check that fails answers 401 and leaves one failure row); the
// others are refused with 429 too_many_attempts and a Retry-After, without a check. Checking the limit and
// recording the failure as two steps let every one of them through.
func TestConcurrentWrongPasswordsAreCheckedAtMostTheLimit(t *testing.T) {
	tests := []struct {
		login    loginForm
		users    func(i int) string
		n, limit int
	}{
		{patronJSONLogin, func(int) string { return "1000001" }, 30, auth.MaxSubjectFailures},
		{patronWebLogin, func(int) string { return "１０００－００１" }, 30, auth.MaxSubjectFailures},
		{staffJSONLogin, func(int) string { return "staff" }, 30, auth.MaxSubjectFailures},
		{staffWebLogin, func(int) string { return "Staff" }, 30, auth.MaxSubjectFailures},
		// A different card each time (unknown ones, checked against the dummy hash): the address's limit.
		{patronJSONLogin, func(i int) string { return strconv.Itoa(9000000 + i) }, 40, auth.MaxClientFailures},
	}
	for _, tc := range tests {
		name := tc.login.name
		if tc.limit == auth.MaxClientFailures {
			name += ", one card each"
		}
		t.Run(name, func(t *testing.T) {
			l := newLoginServer(t, "")
			if _, _, err := l.formCSRF(tc.login.page); tc.login.page != "" && err != nil {
				t.Fatal(err)
			}
			answers := make([]loginAnswer, tc.n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range tc.n {
				wg.Go(func() {
					<-start
					a, err := l.attempt(tc.login, tc.users(i), "wrong-"+strconv.Itoa(i))
					if err != nil {
						t.Error(err)
					}
					answers[i] = a
				})
			}
			close(start)
			wg.Wait()
			checked, refused := 0, 0
			for i, a := range answers {
				switch a.status {
				case http.StatusUnauthorized:
					checked++
				case http.StatusTooManyRequests:
					refused++
					if s, err := strconv.Atoi(a.retryAfter); err != nil || s < 1 || s > 15*60 {
						t.Errorf("attempt %d: 429 with Retry-After %q, want 1…900 seconds", i, a.retryAfter)
					}
				default:
					t.Errorf("attempt %d = %d, want 401 or 429", i, a.status)
				}
			}
			failures := l.count(t, `SELECT count(*) FROM login_failures WHERE NOT pending`)
			pending := l.count(t, `SELECT count(*) FROM login_failures WHERE pending`)
			t.Logf("%d attempts: %d checked (401), %d refused (429); %d failures recorded", tc.n, checked, refused, failures)
			if checked > tc.limit || failures != checked || pending != 0 {
				t.Fatalf("%d of %d concurrent wrong passwords were checked (%d failures recorded, %d pending), want at most %d",
					checked, tc.n, failures, pending, tc.limit)
			}
			if checked != tc.limit || refused != tc.n-tc.limit {
				t.Fatalf("%d checked and %d refused, want %d and %d", checked, refused, tc.limit, tc.n-tc.limit)
			}
		})
	}
}

// TestTrustedProxyGivesTheClientAddress: behind a proxy listed in YOYAKU_TRUSTED_PROXIES (here 127.0.0.1,
// the test server's peer, with a range that does not matter), the per-address limit applies to the X-Forwarded-For client, so failures from
// one client do not refuse a correct login from another client of the same proxy. Without trusting the
// proxy, every client has the proxy's address and the same failures lock everyone out.
func TestTrustedProxyGivesTheClientAddress(t *testing.T) {
	const attacker, patron = "203.0.113.5", "203.0.113.6"
	tests := []struct {
		name      string
		trusted   string
		otherOK   bool     // a correct login from the other client is answered
		addresses []string // the client addresses of the recorded failures
	}{
		{"proxy trusted", "192.0.2.0/24, 127.0.0.1", true, []string{attacker}},
		{"proxy not trusted", "", false, []string{"127.0.0.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoginServer(t, tc.trusted)
			// The attacker's failures, all at once, each for a different (unknown) card: only the address's
			// limit can apply, and none of them is over it.
			var wg sync.WaitGroup
			for i := range auth.MaxClientFailures {
				wg.Go(func() {
					a, err := l.attempt(patronJSONLogin, strconv.Itoa(9000000+i), "guess", "X-Forwarded-For", attacker)
					if err != nil || a.status != http.StatusUnauthorized {
						t.Errorf("failure %d from %s = %d, %v; want 401", i+1, attacker, a.status, err)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}
			var addresses []string
			if err := l.db.SelectContext(t.Context(), &addresses, `SELECT DISTINCT client_ip FROM login_failures ORDER BY 1`); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(addresses, tc.addresses) {
				t.Fatalf("failures recorded for %v, want %v", addresses, tc.addresses)
			}
			// The attacker's address is refused, correct password or not, also when it sends its own
			// X-Forwarded-For (the proxy appends the address it saw).
			for _, xff := range []string{attacker, patron + ", " + attacker} {
				if a := l.mustAttempt(t, patronJSONLogin, "1000001", "yoyaku-demo", "X-Forwarded-For", xff); a.status != http.StatusTooManyRequests {
					t.Errorf("correct login with X-Forwarded-For %q = %d, want 429", xff, a.status)
				}
			}
			// Another client behind the same proxy, through each kind of login.
			for _, f := range []loginForm{patronJSONLogin, patronWebLogin, staffJSONLogin, staffWebLogin} {
				user, password := "1000002", "yoyaku-demo"
				if f == staffJSONLogin || f == staffWebLogin {
					user, password = "staff", "staff-demo"
				}
				want := http.StatusTooManyRequests
				if tc.otherOK {
					want = f.ok
				}
				if a := l.mustAttempt(t, f, user, password, "X-Forwarded-For", patron); a.status != want {
					t.Errorf("%s: correct login from %s = %d, want %d", f.name, patron, a.status, want)
				}
			}
			// X-Real-IP is never believed: naming the attacker's address there changes nothing (the client is
			// the proxy, which has no failures when it is trusted).
			want := http.StatusTooManyRequests
			if tc.otherOK {
				want = http.StatusOK
			}
			if a := l.mustAttempt(t, patronJSONLogin, "1000003", "yoyaku-demo", "X-Real-IP", attacker); a.status != want {
				t.Errorf("correct login with X-Real-IP %s = %d, want %d", attacker, a.status, want)
			}
		})
	}
}

// TestClientLimitCountsOnlyFailedChecks: the per-address limit (which all the library's terminals behind one
// address share) counts wrong passwords only: neither correct logins nor attempts refused by the throttle
// (which never reach the password check) bring a correct login from that address closer to a refusal.
func TestClientLimitCountsOnlyFailedChecks(t *testing.T) {
	l := newLoginServer(t, "")
	failed := 0
	wrong := func(f loginForm, user string) {
		t.Helper()
		if a := l.mustAttempt(t, f, user, "wrong-password"); a.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d (%s %s) = %d, want 401", failed+1, f.name, user, a.status)
		}
		failed++
	}
	// Card 1000001 reaches its own limit: 5 failed checks.
	for range auth.MaxSubjectFailures {
		wrong(patronJSONLogin, "1000001")
	}
	// 20 refusals for it, right password or wrong, through every login: no check, nothing counted.
	for i := range 20 {
		f := []loginForm{patronJSONLogin, patronWebLogin}[i%2]
		password := []string{"yoyaku-demo", "wrong-password"}[i/2%2]
		if a := l.mustAttempt(t, f, "1000001", password); a.status != http.StatusTooManyRequests {
			t.Fatalf("refusal %d (%s) = %d, want 429", i+1, f.name, a.status)
		}
	}
	// 12 correct logins, patron and staff, JSON and web: nothing counted.
	for i := range 12 {
		f := []loginForm{patronJSONLogin, patronWebLogin, staffJSONLogin, staffWebLogin}[i%4]
		user, password := "1000002", "yoyaku-demo"
		if strings.HasPrefix(f.name, "staff") {
			user, password = "staff", "staff-demo"
		}
		if a := l.mustAttempt(t, f, user, password); a.status != f.ok {
			t.Fatalf("correct login %d (%s) = %d, want %d", i+1, f.name, a.status, f.ok)
		}
	}
	// Wrong passwords for other cards and logins up to one below the address's limit.
	for i := 0; failed < auth.MaxClientFailures-1; i++ {
		f := []loginForm{patronJSONLogin, patronWebLogin, staffJSONLogin, staffWebLogin}[i%4]
		user := strconv.Itoa(9000000 + i)
		if strings.HasPrefix(f.name, "staff") {
			user = "nobody" + strconv.Itoa(i)
		}
		wrong(f, user)
	}
	if n := l.count(t, `SELECT count(*) FROM login_failures WHERE client_ip = '127.0.0.1'`); n != failed {
		t.Fatalf("%d rows count against 127.0.0.1, want the %d failed checks only", n, failed)
	}
	// 29 failed checks (after 32 other requests): a correct login is still answered.
	if a := l.mustAttempt(t, patronJSONLogin, "1000003", "yoyaku-demo"); a.status != http.StatusOK {
		t.Fatalf("correct login after %d failed checks = %d, want 200", failed, a.status)
	}
	// The 30th failed check reaches the limit: now even a correct login waits.
	wrong(patronJSONLogin, "9100000")
	for _, f := range []loginForm{patronJSONLogin, patronWebLogin} {
		a := l.mustAttempt(t, f, "1000004", "yoyaku-demo")
		if s, err := strconv.Atoi(a.retryAfter); a.status != http.StatusTooManyRequests || err != nil || s < 14*60 || s > 15*60 {
			t.Errorf("%s: correct login after %d failed checks = %d (Retry-After %q), want 429 for about 900 seconds", f.name, failed, a.status, a.retryAfter)
		}
	}
}
