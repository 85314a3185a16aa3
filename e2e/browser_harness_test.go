package e2e_test

// The browser-test harness: headless Chromium driven with chromedp against a test's stack (newStack), for
// the patron pages (browser_patron_test.go) and the staff console (browser_staff_test.go).
//
//	s := newStack(t, nil)
//	b := newBrowser(t, s.url)              // a fresh headless Chromium with its own profile (no cookies)
//	b.open("/login", 375)                  // viewport 375 px wide (a phone) or 1280 (a desktop)
//	b.fill("#card", "１２３４５６７")       // CSS selectors; fill sets the value as typed
//	b.clickNav("#login-submit")            // a click that loads a page: waits for it
//	b.wantText("h1", "予約かご")            // the element's visible text contains this
//	b.shots("basket")                      // screenshots/<Test>/basket-375.png and -1280.png, and the
//	                                       // no-horizontal-scroll check at 375 px
//
// Every helper fails the test at once (t.Fatal) with the page's address and heading. Chromium must be at
// /usr/bin/chromium (make browser installs it); without it the test fails, it is never skipped. The browser
// runs with no network beyond the test's own servers. JavaScript errors and Content-Security-Policy
// violations reported by the page fail the test.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where the browser tests expect Chromium (Debian's package, `make browser`).
const chromiumPath = "/usr/bin/chromium"

// The widths every patron screen is checked at: a phone and a desktop.
const (
	phoneWidth   = 375
	desktopWidth = 1280
)

// browser is one headless Chromium tab on one test's site.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	width   int
	shotDir string // screenshot folder of the test

	mu       sync.Mutex
	problems []string // JavaScript exceptions and console errors (CSP violations among them)
}

// newBrowser starts headless Chromium with a temporary profile; it stops when the test ends.
func newBrowser(t *testing.T, baseURL string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("headless Chromium is needed at %s for the browser tests: run `make browser` (%v)", chromiumPath, err)
	}
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "ja"),
		chromedp.Flag("accept-lang", "ja-JP,ja"), // a Japanese patron's browser: the pages default to Japanese
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(desktopWidth, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t, base: strings.TrimRight(baseURL, "/"), width: desktopWidth}
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	// The first Run starts the browser; its context must live as long as the browser.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(desktopWidth, 800)); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("starting %s: %v (run `make browser`)", chromiumPath, err)
	}
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	b.ctx = ctx
	b.shotDir = filepath.Join(repoRoot(t), "screenshots", safeDir(t.Name()))
	if err := os.MkdirAll(b.shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Errorf("browser reported: %s", p)
		}
	})
	return b
}

// listen records the page's JavaScript exceptions and console errors (CSP violations are console errors).
func (b *browser) listen(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = fmt.Sprintf("exception: %s %s:%d", e.ExceptionDetails.Text, e.ExceptionDetails.URL, e.ExceptionDetails.LineNumber)
	case *log.EventEntryAdded:
		// A page answered with a 4xx status (a form shown again with its red message, the 404 page) is
		// logged as a network error: that is the page working. Anything else (5xx, CSP) is a problem.
		if e.Entry.Source == log.EntrySourceNetwork && strings.Contains(e.Entry.Text, "status of 4") {
			return
		}
		if e.Entry.Level == log.EntryLevelError {
			msg = fmt.Sprintf("console %s: %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			msg = "console.error"
		}
	}
	if msg == "" {
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, msg)
	b.mu.Unlock()
}

// allowProblems forgets the problems the page reported so far (for a test that provokes an error page:
// Chromium logs a 4xx document as a console error).
func (b *browser) allowProblems() {
	b.mu.Lock()
	b.problems = nil
	b.mu.Unlock()
}

// repoRoot is the module's root directory (the tests run in e2e/).
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

var unsafeDir = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func safeDir(name string) string { return unsafeDir.ReplaceAllString(name, "_") }

// run runs actions with a time limit, failing the test with where the browser is.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.where())
	}
}

// where describes the current page for failure messages: its address and first heading.
func (b *browser) where() string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`location.pathname + location.search + " «" + ((document.querySelector("h1")||{}).innerText||"") + "»"`))
	if err != nil {
		return "?"
	}
	return s
}

// setWidth sets the viewport width (height 800); pages are laid out again at once.
func (b *browser) setWidth(width int) {
	b.t.Helper()
	b.width = width
	// Not a mobile emulation: a mobile viewport zooms out to fit a page that is too wide, which would hide
	// exactly the sideways scrolling noHorizontalScroll looks for. The media queries see the width alike.
	b.run(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(int64(width), 800, chromedp.EmulatePortrait))
}

// open loads path (on the test's site) at the given viewport width and waits until it is loaded.
func (b *browser) open(path string, width int) {
	b.t.Helper()
	if width != b.width {
		b.setWidth(width)
	}
	if _, err := b.navigate(chromedp.Navigate(b.base + path)); err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
}

// navigate runs actions that load a page and waits for it (document loaded).
func (b *browser) navigate(actions ...chromedp.Action[chromedp.Void]) (int64, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		return 0, err
	}
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		return 0, err
	}
	if resp == nil {
		return 0, errors.New("no response")
	}
	return resp.Status, nil
}

// fill sets an input's (or textarea's) value, as if typed, and fires input and change events.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.run("fill "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

// selectOption chooses the option with this value in a <select>.
func (b *browser) selectOption(sel, value string) {
	b.t.Helper()
	b.run("select "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
	if got := b.value(sel); got != value {
		b.t.Fatalf("select %s: value is %q after choosing %q (no such option?) at %s", sel, got, value, b.where())
	}
}

// value is an input's current value.
func (b *browser) value(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v (at %s)", sel, err, b.where())
	}
	return v
}

// click clicks an element that does not load a new page (a checkbox, a radio button, a label).
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// clickNav clicks a link or submit button and waits for the page it loads; it returns its HTTP status.
func (b *browser) clickNav(sel string) int64 {
	b.t.Helper()
	b.run("find "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.ScrollIntoView(chromedp.CSS(sel)))
	st, err := b.navigate(chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s: %v (at %s)", sel, err, b.where())
	}
	return st
}

// checked reports whether a checkbox or radio button is checked.
func (b *browser) checked(sel string) bool {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`!!document.querySelector(%q).checked`, sel)) == "true"
}

// setChecked checks or unchecks a checkbox by clicking it when needed.
func (b *browser) setChecked(sel string, on bool) {
	b.t.Helper()
	if b.checked(sel) != on {
		b.click(sel)
	}
	if b.checked(sel) != on {
		b.t.Fatalf("checkbox %s did not change (at %s)", sel, b.where())
	}
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v (at %s)", sel, err, b.where())
	}
	return s
}

// pageText is the visible text of the whole page.
func (b *browser) pageText() string {
	b.t.Helper()
	return b.eval(`document.body.innerText`)
}

// wantText fails unless the element's visible text contains every one of want.
func (b *browser) wantText(sel string, want ...string) {
	b.t.Helper()
	got := b.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Fatalf("%s at %s reads %q, want it to contain %q", sel, b.where(), got, w)
		}
	}
}

// wantPageText fails unless the page's visible text contains every one of want.
func (b *browser) wantPageText(want ...string) {
	b.t.Helper()
	got := b.pageText()
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Fatalf("page %s does not show %q; it reads:\n%s", b.where(), w, got)
		}
	}
}

// noPageText fails if the page's visible text contains any of these.
func (b *browser) noPageText(unwanted ...string) {
	b.t.Helper()
	got := b.pageText()
	for _, w := range unwanted {
		if strings.Contains(got, w) {
			b.t.Fatalf("page %s shows %q; it reads:\n%s", b.where(), w, got)
		}
	}
}

// exists reports whether an element matches sel now.
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`document.querySelector(%q) !== null`, sel)) == "true"
}

// count is how many elements match sel now.
func (b *browser) count(sel string) int {
	b.t.Helper()
	var n int
	fmt.Sscan(b.eval(fmt.Sprintf(`String(document.querySelectorAll(%q).length)`, sel)), &n)
	return n
}

// eval evaluates a JavaScript expression and returns its value as a string.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatalf("eval %s: %v (at %s)", expr, err, b.where())
	}
	return fmt.Sprint(v)
}

// path is the current page's path and query.
func (b *browser) path() string {
	b.t.Helper()
	return b.eval(`location.pathname + location.search`)
}

// noHorizontalScroll fails when the page is wider than the viewport (a horizontal scroll bar).
func (b *browser) noHorizontalScroll() {
	b.t.Helper()
	got := b.eval(`document.documentElement.scrollWidth + " " + window.innerWidth`)
	var sw, iw int
	fmt.Sscan(got, &sw, &iw)
	if sw > iw {
		wide := b.eval(`(() => { const w = window.innerWidth; const out = [];
			for (const el of document.querySelectorAll("body *")) { const r = el.getBoundingClientRect();
				if (r.right > w + 1) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
					(el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : "") + " " + Math.round(r.right)); }
			return out.slice(0, 8).join(", "); })()`)
		b.t.Errorf("page %s scrolls sideways at %d px: scrollWidth %d > innerWidth %d; too wide: %s", b.where(), b.width, sw, iw, wide)
	}
}

// screenshot saves a full-page PNG of the current page at the current width as
// screenshots/<Test>/<name>-<width>.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v (at %s)", name, err, b.where())
	}
	file := filepath.Join(b.shotDir, fmt.Sprintf("%s-%d.png", name, b.width))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// shots takes the screenshots of the current page at 375 px and 1280 px, checks that it does not scroll
// sideways at 375 px, and leaves the viewport at the width it had.
func (b *browser) shots(name string) {
	b.t.Helper()
	was := b.width
	for _, w := range []int{phoneWidth, desktopWidth} {
		b.setWidth(w)
		if w == phoneWidth {
			b.noHorizontalScroll()
		}
		b.screenshot(name)
	}
	if b.width != was {
		b.setWidth(was)
	}
}

// staffConsole is a browser logged in to the console, at the staff member's own branch (中央図書館).
func (s *stack) staffConsole() *browser {
	s.t.Helper()
	b := newBrowser(s.t, s.url)
	b.open("/staff/login", desktopWidth)
	b.fill("#login", "staff")
	b.fill("#password", "staff-demo")
	b.clickNav("#staff-login-submit")
	b.wantText("#desk-branch-name", "中央図書館")
	return b
}
