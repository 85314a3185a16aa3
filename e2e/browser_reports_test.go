package e2e_test

// The staff's 集計 page (console/reports.go) in headless Chromium (harness: browser_harness_test.go).

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"yoyaku/api"
	"yoyaku/config"
	"yoyaku/internal/reporttest"
	"yoyaku/internal/seed"
	"yoyaku/internal/temporalx"
	"yoyaku/internal/testenv"
)

// TestBrowserReports: over the demo data and a history with known answers (internal/reporttest), staff
// open 集計 from the console's navigation: three charts drawn as inline SVG (each with its title and
// description, one bar per day for the last 90 days) stand beside the tables of their numbers at 1280 px,
// one above the other on a phone without sideways scrolling; the tables show the known numbers, and
// another hold ratio lists the title exactly at 3 per copy. The reports read PostgreSQL only, so the site
// runs without Temporal (no hold workflow is involved). Screenshots: screenshots/TestBrowserReports/.
func TestBrowserReports(t *testing.T) {
	ctx := t.Context()
	db, err := sqlx.Open("postgres", testenv.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := seed.Demo(ctx, db); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	titles, err := reporttest.History(ctx, db, cfg.Location)
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := temporalx.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	srv := &api.Server{DB: db, Cfg: cfg, Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})), Metrics: metrics}
	hs := httptest.NewServer(srv.Router())
	t.Cleanup(hs.Close)

	b := newBrowser(t, hs.URL)
	b.open("/staff/login", desktopWidth)
	b.fill("#login", "staff")
	b.fill("#password", "staff-demo")
	b.clickNav("#staff-login-submit")
	b.clickNav("#nav-reports")
	b.wantText("h1", "集計")

	// Three charts, each an accessible image with a title and a description, and its table.
	if n := b.count(`svg.chart-svg[role="img"]`); n != 3 {
		t.Fatalf("%d charts, want 3", n)
	}
	for _, id := range []string{"chart-daily", "chart-wait", "chart-queue"} {
		if got := b.eval(fmt.Sprintf(`(() => { const s = document.getElementById(%q);
			return [s.querySelector("title").textContent !== "", s.querySelector("desc").textContent !== "",
				s.getAttribute("aria-labelledby")].join(" "); })()`, id)); got != "true true "+id+"-title "+id+"-desc" {
			t.Errorf("chart %s: title, desc and labels %q", id, got)
		}
	}
	if n := b.count("#chart-daily rect.chart-bar"); n != 90 {
		t.Errorf("the daily chart has %d bars, want 90", n)
	}
	if n := b.count("#chart-wait rect.chart-bar"); n != 4 {
		t.Errorf("the wait chart has %d bars, want 4 (median and p90 at two branches)", n)
	}
	if n := b.count("#chart-queue rect.chart-bar"); n != 6 {
		t.Errorf("the queue chart has %d bars, want 6 (one per queue length)", n)
	}
	b.wantText("#daily-total", "35")
	b.wantText("#wait-chuo", "中央図書館", "10", "5.5", "9.1")
	b.wantText("#wait-kita", "北図書館", "4", "5.0", "7.4")
	b.wantText("#queue-waiting", "19")
	b.wantText("#ratio-"+strconv.FormatInt(titles.B, 10), "とても予約の多い本（報告テスト）", "7", "1", "7.00", "2")
	b.wantText("#ratio-"+strconv.FormatInt(titles.A, 10), "予約の多い本（報告テスト）", "9", "2", "4.50", "1")
	b.wantText("#ratio-"+strconv.FormatInt(titles.D, 10), "所蔵のない本（報告テスト）", "—")
	if b.exists("#ratio-" + strconv.FormatInt(titles.C, 10)) {
		t.Error("the title at exactly 3 holds per copy is listed over a ratio of 3")
	}

	// At 1280 px each chart is readable (wider than 500 px) and its table stands beside it.
	for _, section := range []string{"report-daily", "report-wait", "report-queue"} {
		got := b.eval(fmt.Sprintf(`(() => { const s = document.getElementById(%q);
			const c = s.querySelector("svg").getBoundingClientRect(), n = s.querySelector(".report-numbers").getBoundingClientRect();
			return (c.width > 500) + " " + (n.left >= c.right) + " " + (Math.abs(n.top - c.top) < 40); })()`, section))
		if got != "true true true" {
			t.Errorf("%s at 1280 px: chart wide enough, table to its right, tops aligned = %s", section, got)
		}
	}
	b.shots("01-reports")

	// Another ratio, typed in full-width digits as an IME gives them: C is listed.
	b.fill("#ratio", "２")
	b.clickNav("#ratio-submit")
	b.wantText("#ratio-used", "2.00")
	b.wantText("#ratio-"+strconv.FormatInt(titles.C, 10), "予約三倍の本（報告テスト）", "3.00", "1")
	b.setWidth(desktopWidth)
	b.screenshot("02-ratio-2")

	// A ratio that is not a number: refused in red, nothing else shown.
	b.fill("#ratio", "たくさん")
	b.clickNav("#ratio-submit")
	b.wantText("#error", "予約倍率")
	if b.exists("svg.chart-svg") {
		t.Error("the charts are shown under a refused ratio")
	}
}
