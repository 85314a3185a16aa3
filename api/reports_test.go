package api

// Tests of the staff's reports over the real router: a history with known answers
// (internal/reporttest's comment gives them) read as JSON, as CSV and as the console's page.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"yoyaku/httpkit"
	"yoyaku/internal/reporttest"
	"yoyaku/library"
)

// reportsEnv is the demo data with the report history added, and a staff token for the JSON API.
type reportsEnv struct {
	*webEnv
	titles reporttest.Titles
	token  string
	today  time.Time // the database's now in the library's zone
}

func newReportsEnv(t *testing.T) reportsEnv {
	t.Helper()
	e := newWebEnv(t, nil, nil)
	ts, err := reporttest.History(t.Context(), e.db, e.s.Cfg.Location)
	if err != nil {
		t.Fatal(err)
	}
	var now time.Time
	if err := e.db.GetContext(t.Context(), &now, `SELECT now()`); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/api/v1/staff/session", strings.NewReader(`{"login":"staff","password":"staff-demo"}`))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	var login staffLoginResponse
	if err := json.Unmarshal(w.Body.Bytes(), &login); err != nil || w.Code != http.StatusOK {
		t.Fatalf("staff login = %d %s", w.Code, w.Body)
	}
	return reportsEnv{webEnv: e, titles: ts, token: login.Token, today: now.In(e.s.Cfg.Location)}
}

// get sends a GET with the staff token ("" for none).
func (e reportsEnv) get(t *testing.T, path, token string) answer {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return answer{w, t}
}

// daysAgo is the date k days before today, as the reports write it.
func (e reportsEnv) daysAgo(k int) string { return e.today.AddDate(0, 0, -k).Format(time.DateOnly) }

func ratioOf(f float64) *float64 { return &f }

// wantRatioTitles are the titles over ratio in the history, with their ratio and copies to buy.
func (e reportsEnv) wantRatioTitles(ratio string) []reportRatioJSON {
	id := httpkit.IDString
	a := reportRatioJSON{id(e.titles.A), "予約の多い本（報告テスト）", 9, 2, ratioOf(4.5), 0}
	b := reportRatioJSON{id(e.titles.B), "とても予約の多い本（報告テスト）", 7, 1, ratioOf(7), 0}
	c := reportRatioJSON{id(e.titles.C), "予約三倍の本（報告テスト）", 3, 1, ratioOf(3), 0}
	d := reportRatioJSON{id(e.titles.D), "所蔵のない本（報告テスト）", 2, 0, nil, 1}
	switch ratio {
	case "3":
		b.CopiesToBuy, a.CopiesToBuy = 2, 1
		return []reportRatioJSON{d, b, a}
	case "2":
		b.CopiesToBuy, a.CopiesToBuy, c.CopiesToBuy = 3, 3, 1
		return []reportRatioJSON{d, b, a, c}
	case "2.5":
		b.CopiesToBuy, a.CopiesToBuy, c.CopiesToBuy = 2, 2, 1
		return []reportRatioJSON{d, b, a, c}
	}
	panic("no expectations for ratio " + ratio)
}

func TestStaffReportsJSON(t *testing.T) {
	e := newReportsEnv(t)
	a := e.get(t, "/api/v1/staff/reports", e.token)
	if a.Code != http.StatusOK {
		t.Fatalf("reports = %d %s", a.Code, a.Body)
	}
	var r reportsJSON
	a.decode(&r)
	if r.TimeZone != "Asia/Tokyo" || r.HoldsPerDay.Days != 90 || r.HoldsPerDay.Total != 35 || len(r.HoldsPerDay.Daily) != 90 {
		t.Fatalf("zone %q, holds per day %d days, %d in all, %d entries; want Asia/Tokyo, 90, 35, 90",
			r.TimeZone, r.HoldsPerDay.Days, r.HoldsPerDay.Total, len(r.HoldsPerDay.Daily))
	}
	placed := map[int]int{1: 8, 2: 7, 3: 5, 15: 1, 20: 9, 30: 4, 89: 1}
	for i, d := range r.HoldsPerDay.Daily {
		k := 89 - i
		if want := (reportDayJSON{e.daysAgo(k), placed[k]}); d != want {
			t.Errorf("day %d: %+v, want %+v", i, d, want)
		}
	}
	wantWaits := []reportWaitJSON{{"chuo", "中央図書館", 10, 5.5, 9.1}, {"kita", "北図書館", 4, 5, 7.4}}
	if fmt.Sprint(r.TimeToReady.Branches) != fmt.Sprint(wantWaits) || r.TimeToReady.Days != 90 {
		t.Errorf("time to ready %d days %+v, want 90 %+v", r.TimeToReady.Days, r.TimeToReady.Branches, wantWaits)
	}
	id := httpkit.IDString
	wantQueues := []reportQueueJSON{{id(e.titles.A), "予約の多い本（報告テスト）", 8}, {id(e.titles.B), "とても予約の多い本（報告テスト）", 6},
		{id(e.titles.C), "予約三倍の本（報告テスト）", 3}, {id(e.titles.D), "所蔵のない本（報告テスト）", 2}}
	if r.QueueLengths.Waiting != 19 || fmt.Sprint(r.QueueLengths.Titles) != fmt.Sprint(wantQueues) {
		t.Errorf("queues %d waiting %+v, want 19 %+v", r.QueueLengths.Waiting, r.QueueLengths.Titles, wantQueues)
	}
	var dist []string
	for _, b := range r.QueueLengths.Distribution {
		maxLen := "null"
		if b.Max != nil {
			maxLen = fmt.Sprint(*b.Max)
		}
		dist = append(dist, fmt.Sprintf("%s %d-%s: %d", b.Label, b.Min, maxLen, b.Titles))
	}
	if got, want := strings.Join(dist, ", "), "1 1-1: 0, 2 2-2: 1, 3–5 3-5: 1, 6–10 6-10: 2, 11–20 11-20: 0, 21+ 21-null: 0"; got != want {
		t.Errorf("distribution %s, want %s", got, want)
	}

	// The ratio: default 3, others asked for (full-width digits too); the boundary title C (exactly 3 per
	// copy) is over 2 and 2.5, not over 3.
	for _, c := range []struct{ query, ratio string }{{"", "3"}, {"?ratio=2", "2"}, {"?ratio=%EF%BC%92", "2"}, {"?ratio=2.5", "2.5"}, {"?ratio=3.001", "3"}} {
		a := e.get(t, "/api/v1/staff/reports"+c.query, e.token)
		if a.Code != http.StatusOK {
			t.Fatalf("reports%s = %d %s", c.query, a.Code, a.Body)
		}
		var r reportsJSON
		a.decode(&r)
		if fmt.Sprint(r.HoldRatio.Ratio) != c.ratio || ratioText(r.HoldRatio.Titles) != ratioText(e.wantRatioTitles(c.ratio)) {
			t.Errorf("reports%s: ratio %v %s, want %s %s", c.query, r.HoldRatio.Ratio, ratioText(r.HoldRatio.Titles), c.ratio, ratioText(e.wantRatioTitles(c.ratio)))
		}
	}
	for _, bad := range []string{"abc", "0", "-1", "NaN", "Inf", "101", "1e400", "0.001", "3,5"} {
		a := e.get(t, "/api/v1/staff/reports?ratio="+url.QueryEscape(bad), e.token)
		if a.Code != http.StatusUnprocessableEntity || a.code() != library.CodeInvalidRatio {
			t.Errorf("ratio %q = %d %s, want 422 invalid_ratio", bad, a.Code, a.Body)
		}
	}
	if a := e.get(t, "/api/v1/staff/reports", ""); a.Code != http.StatusUnauthorized {
		t.Errorf("reports without a token = %d, want 401", a.Code)
	}
}

// ratioText prints ratio rows with their pointers' values.
func ratioText(rs []reportRatioJSON) string {
	var out []string
	for _, r := range rs {
		ratio := "null"
		if r.Ratio != nil {
			ratio = fmt.Sprint(*r.Ratio)
		}
		out = append(out, fmt.Sprintf("%s %s %d/%d=%s buy %d", r.TitleID, r.Title, r.Holds, r.Copies, ratio, r.CopiesToBuy))
	}
	return strings.Join(out, "; ")
}

// readCSV checks a CSV answer (200, text/csv, offered as the report's file, UTF-8 with a BOM) and reads it.
func readCSV(t *testing.T, a answer, report, day string) [][]string {
	t.Helper()
	if a.Code != http.StatusOK || a.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("%s.csv = %d %s:\n%s", report, a.Code, a.Header().Get("Content-Type"), a.Body)
	}
	if got, want := a.Header().Get("Content-Disposition"), `attachment; filename="yoyaku-`+report+`-`+day+`.csv"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	body, ok := bytes.CutPrefix(a.Body.Bytes(), []byte("\ufeff"))
	if !ok {
		t.Errorf("%s.csv has no byte order mark", report)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("%s.csv: %v", report, err)
	}
	return rows
}

func TestStaffReportsCSV(t *testing.T) {
	e := newReportsEnv(t)
	day := e.daysAgo(0)
	id := httpkit.IDString
	for _, c := range []struct {
		report string
		want   [][]string
	}{
		{"time_to_ready", [][]string{{"branch", "name", "holds", "median_days", "p90_days"},
			{"chuo", "中央図書館", "10", "5.5", "9.1"}, {"kita", "北図書館", "4", "5.0", "7.4"}}},
		{"queue_lengths", [][]string{{"title_id", "title", "waiting"}, {id(e.titles.A), "予約の多い本（報告テスト）", "8"},
			{id(e.titles.B), "とても予約の多い本（報告テスト）", "6"}, {id(e.titles.C), "予約三倍の本（報告テスト）", "3"},
			{id(e.titles.D), "所蔵のない本（報告テスト）", "2"}}},
		{"queue_distribution", [][]string{{"queue_length", "min", "max", "titles"}, {"1", "1", "1", "0"}, {"2", "2", "2", "1"},
			{"3–5", "3", "5", "1"}, {"6–10", "6", "10", "2"}, {"11–20", "11", "20", "0"}, {"21+", "21", "", "0"}}},
		{"hold_ratio", [][]string{{"title_id", "title", "holds", "copies", "ratio", "copies_to_buy"},
			{id(e.titles.D), "所蔵のない本（報告テスト）", "2", "0", "", "1"}, {id(e.titles.B), "とても予約の多い本（報告テスト）", "7", "1", "7.00", "2"},
			{id(e.titles.A), "予約の多い本（報告テスト）", "9", "2", "4.50", "1"}}},
	} {
		got := readCSV(t, e.get(t, "/api/v1/staff/reports.csv?report="+c.report, e.token), c.report, day)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s.csv:\n%v\nwant\n%v", c.report, got, c.want)
		}
	}
	// Holds per day: 90 rows after the header, oldest first, with the history's counts.
	got := readCSV(t, e.get(t, "/api/v1/staff/reports.csv?report=holds_per_day", e.token), "holds_per_day", day)
	placed := map[int]int{1: 8, 2: 7, 3: 5, 15: 1, 20: 9, 30: 4, 89: 1}
	if len(got) != 91 || fmt.Sprint(got[0]) != "[date holds]" {
		t.Fatalf("holds_per_day.csv: %d rows, header %v", len(got), got[0])
	}
	for i, row := range got[1:] {
		k := 89 - i
		if want := []string{e.daysAgo(k), fmt.Sprint(placed[k])}; fmt.Sprint(row) != fmt.Sprint(want) {
			t.Errorf("holds_per_day.csv row %d: %v, want %v", i+1, row, want)
		}
	}
	// The ratio applies to hold_ratio: C is over 2.
	got = readCSV(t, e.get(t, "/api/v1/staff/reports.csv?report=hold_ratio&ratio=2", e.token), "hold_ratio", day)
	if len(got) != 5 || fmt.Sprint(got[4]) != fmt.Sprint([]string{id(e.titles.C), "予約三倍の本（報告テスト）", "3", "1", "3.00", "1"}) {
		t.Errorf("hold_ratio.csv at 2: %v", got)
	}
	for _, c := range []struct {
		query string
		code  httpkit.Code
	}{{"", library.CodeInvalidRequest}, {"?report=everything", library.CodeInvalidRequest}, {"?report=hold_ratio&ratio=x", library.CodeInvalidRatio}} {
		a := e.get(t, "/api/v1/staff/reports.csv"+c.query, e.token)
		if a.Code != http.StatusUnprocessableEntity || a.code() != c.code {
			t.Errorf("reports.csv%s = %d %s, want 422 %s", c.query, a.Code, a.Body, c.code)
		}
	}
	if a := e.get(t, "/api/v1/staff/reports.csv?report=hold_ratio", ""); a.Code != http.StatusUnauthorized {
		t.Errorf("reports.csv without a token = %d, want 401", a.Code)
	}
}

// TestStaffReportsPage: the console's 集計 page shows the same numbers in its tables, a chart (inline SVG
// with its title and description) beside each, no script; its CSV links answer the API's files; a bad
// ratio is refused in red.
func TestStaffReportsPage(t *testing.T) {
	e := newReportsEnv(t)
	b := e.browser()
	b.staffLoginWeb(t)
	home := b.do(t, "GET", "/staff/", nil)
	wantPage(t, home, http.StatusOK, `id="nav-reports" href="/staff/reports"`, `id="op-reports"`)

	a := b.do(t, "GET", "/staff/reports", nil)
	wantPage(t, a, http.StatusOK, "集計", `id="nav-reports" href="/staff/reports" aria-current="page"`,
		`<svg class="chart-svg" id="chart-daily"`, `role="img" aria-labelledby="chart-daily-title chart-daily-desc"`,
		`<title id="chart-daily-title">予約受付件数（日別・直近90日）</title>`,
		`<desc id="chart-daily-desc">`+e.daysAgo(89)+` から `+e.daysAgo(0)+` までに受け付けた予約は計 35 件、1日の最多は 9 件です。</desc>`,
		`<svg class="chart-svg" id="chart-wait"`, `<svg class="chart-svg" id="chart-queue"`,
		`<tr><td class="mono">`+e.daysAgo(20)+`</td><td class="num">9</td></tr>`,
		`<tr><td class="mono">`+e.daysAgo(4)+`</td><td class="num">0</td></tr>`,
		`id="daily-total">35<`,
		`<tr id="wait-chuo"><th scope="row">中央図書館</th><td class="num">10</td><td class="num">5.5</td><td class="num">9.1</td></tr>`,
		`<tr id="wait-kita"><th scope="row">北図書館</th><td class="num">4</td><td class="num">5.0</td><td class="num">7.4</td></tr>`,
		`<tr><th scope="row">6–10</th><td class="num">2</td></tr>`, `id="queue-waiting">19件<`,
		fmt.Sprintf(`<tr id="queue-%d"><td class="cell-title">予約の多い本（報告テスト）</td><td class="num">8</td></tr>`, e.titles.A),
		`id="ratio-used">3.00<`,
		fmt.Sprintf(`<tr id="ratio-%d"><td class="cell-title">とても予約の多い本（報告テスト）</td><td class="num">7</td><td class="num">1</td>`+"\n      "+`<td class="num">7.00</td><td class="num"><strong>2</strong></td></tr>`, e.titles.B),
		fmt.Sprintf(`<tr id="ratio-%d"><td class="cell-title">所蔵のない本（報告テスト）</td><td class="num">2</td><td class="num">0</td>`+"\n      "+`<td class="num">—</td><td class="num"><strong>1</strong></td></tr>`, e.titles.D))
	body := a.Body.String()
	if strings.Contains(body, "<script") {
		t.Error("the reports page has a script")
	}
	if strings.Contains(body, fmt.Sprintf(`id="ratio-%d"`, e.titles.C)) {
		t.Error("a title at exactly the ratio is listed as over it")
	}
	// The daily chart: one bar per day, each with its tooltip.
	if n := len(regexp.MustCompile(`<rect class="chart-bar"`).FindAllString(chartOf(t, body, "chart-daily"), -1)); n != 90 {
		t.Errorf("the daily chart has %d bars, want 90", n)
	}
	if !strings.Contains(chartOf(t, body, "chart-wait"), "<title>北図書館 90パーセンタイル（日）: 7.4日</title>") {
		t.Errorf("the wait chart lacks 北図書館's p90 bar:\n%s", chartOf(t, body, "chart-wait"))
	}

	// Another ratio: C is listed; the CSV link carries the ratio.
	a = b.do(t, "GET", "/staff/reports?ratio=2", nil)
	wantPage(t, a, http.StatusOK, `id="ratio-used">2.00<`, fmt.Sprintf(`id="ratio-%d"`, e.titles.C),
		`href="/staff/reports.csv?report=hold_ratio&ratio=2"`)

	// The CSV links answer what the API answers.
	for _, report := range library.ReportNames {
		page := readCSV(t, b.do(t, "GET", "/staff/reports.csv?report="+report, nil), report, e.daysAgo(0))
		api := readCSV(t, e.get(t, "/api/v1/staff/reports.csv?report="+report, e.token), report, e.daysAgo(0))
		if fmt.Sprint(page) != fmt.Sprint(api) {
			t.Errorf("the console's %s.csv differs from the API's:\n%v\n%v", report, page, api)
		}
	}

	// A bad ratio: refused in red, the ratio as typed kept in its field.
	a = b.do(t, "GET", "/staff/reports?ratio=abc", nil)
	wantPage(t, a, http.StatusUnprocessableEntity, `data-code="invalid_ratio"`, message0(library.CodeInvalidRatio, "ja"), `value="abc"`)
	a = b.do(t, "GET", "/staff/reports.csv?report=nothing", nil)
	wantPage(t, a, http.StatusUnprocessableEntity, `data-code="invalid_request"`)
}

// chartOf is the SVG element with id in page.
func chartOf(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<svg class="chart-svg" id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no chart %s", id)
	}
	end := strings.Index(page[start:], "</svg>")
	return page[start : start+end]
}
