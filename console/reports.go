package console

// 集計 (GET /staff/reports): the staff's reports (library.Reports) as a page, each chart drawn on the
// server (charts.go) beside the table of its numbers, and each report as CSV (GET /staff/reports.csv
// ?report=, the API's CSV). ?ratio= sets the hold ratio of 予約の多い資料 (default 3).

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
)

func init() { StaffTexts.Add(reportTexts) }

// reportTexts are the reports page's wording (joined into StaffTexts).
var reportTexts = httpkit.TextTable{
	"staff.reports":              {"集計", "Reports"},
	"staff.reports.help":         {"予約の受付件数、予約から用意までの日数、待ち行列の長さ、予約の多い資料を集計しています（日付は当館の暦です）。", "Holds placed, days from placement to ready, queue lengths and titles with many holds (dates are the library's)."},
	"staff.reports.generated":    {"集計日時", "As of"},
	"staff.reports.csv":          {"CSVで保存", "Download CSV"},
	"staff.reports.table":        {"数値", "Numbers"},
	"staff.reports.none":         {"該当するデータはありません。", "No data."},
	"staff.reports.daily":        {"予約受付件数（日別・直近90日）", "Holds placed per day (last 90 days)"},
	"staff.reports.daily.desc":   {"%s から %s までに受け付けた予約は計 %d 件、1日の最多は %d 件です。", "%s to %s: %d holds placed in all, at most %d in one day."},
	"staff.reports.date":         {"日付", "Date"},
	"staff.reports.holds":        {"件数", "Holds"},
	"staff.reports.total":        {"合計", "Total"},
	"staff.reports.wait":         {"予約から用意までの日数（受取館別）", "Days from placement to ready, by pickup branch"},
	"staff.reports.wait.help":    {"直近90日に初めて受取可能になった予約について、予約日時からの日数です。", "Over the holds first ready in the last 90 days, counted from placement."},
	"staff.reports.wait.desc":    {"受取館 %d 館の、予約から用意までの日数の中央値と90パーセンタイルです。", "Median and 90th percentile of the days from placement to ready at %d pickup branches."},
	"staff.reports.branch":       {"受取館", "Pickup branch"},
	"staff.reports.ready":        {"用意件数", "Holds ready"},
	"staff.reports.median":       {"中央値（日）", "Median (days)"},
	"staff.reports.p90":          {"90パーセンタイル（日）", "90th percentile (days)"},
	"staff.reports.queue":        {"待ち行列の長さ", "Queue lengths"},
	"staff.reports.queue.help":   {"資料ごとの、資料の確保を待っている予約の件数です（休止中を含む）。", "Holds waiting for a copy, per title (suspended ones included)."},
	"staff.reports.queue.desc":   {"確保待ちの予約は計 %d 件、%d タイトルです。待ち件数ごとのタイトル数を示します。", "%d holds wait for a copy, on %d titles. The chart counts titles per queue length."},
	"staff.reports.queue.length": {"待ち件数", "Holds waiting"},
	"staff.reports.titles":       {"タイトル数", "Titles"},
	"staff.reports.longest":      {"待ち件数の多い資料（上位20）", "Longest queues (top 20)"},
	"staff.reports.title":        {"資料名", "Title"},
	"staff.reports.ratio":        {"予約の多い資料（複本購入の目安）", "Titles to buy more copies of"},
	"staff.reports.ratio.help":   {"利用できる所蔵（所在不明・除籍を除く）1冊あたりの予約件数が予約倍率を超える資料と、倍率以下に戻すための購入冊数の目安です。", "Titles whose open holds per circulating copy (not missing or withdrawn) exceed the ratio, with the copies that bring them back to it."},
	"staff.reports.ratio.label":  {"予約倍率", "Hold ratio"},
	"staff.reports.ratio.submit": {"再集計", "Recalculate"},
	"staff.reports.ratio.open":   {"予約件数", "Open holds"},
	"staff.reports.copies":       {"所蔵数", "Copies"},
	"staff.reports.per_copy":     {"1冊あたり", "Per copy"},
	"staff.reports.to_buy":       {"購入冊数の目安", "Copies to buy"},
	"staff.reports.unit.holds":   {"件", " holds"},
	"staff.reports.unit.days":    {"日", " days"},
	"staff.reports.unit.titles":  {"タイトル", " titles"},
}

func (s *Console) reportRoutes(st *gin.RouterGroup) {
	st.GET("/reports", s.staffReportsPage)
	st.GET("/reports.csv", s.staffReportsCSV)
}

// reportRatioRow is a title over the ratio as the page shows it.
type reportRatioRow struct {
	library.RatioTitle
	RatioText string // "—" with no circulating copy
}

// reportWaitRow is a branch's time to ready as the page shows it.
type reportWaitRow struct {
	Branch, Name  string
	Holds         int
	Median, P90   string
	MedianV, P90V float64
}

func (s *Console) staffReportsPage(c *gin.Context) {
	typed := c.Query("ratio")
	data := gin.H{"RatioInput": typed}
	s.withDesk(c, func(d staffDesk) {
		ratio, err := library.ParseHoldRatio(typed)
		if err != nil {
			s.staffRefusal(c, "staff_reports", d, data, httpkit.OpErr(err))
			return
		}
		r, err := s.Lib.Reports(c.Request.Context(), ratio, time.Now())
		if err != nil {
			s.staffRefusal(c, "staff_reports", d, data, httpkit.OpErr(err))
			return
		}
		s.reportData(c, r, data)
		s.staffPage(c, http.StatusOK, "staff_reports", d, data)
	})
}

// staffReportsCSV answers one report as CSV, as GET /api/v1/staff/reports.csv does; a refusal is the
// page's (422 with the message in red).
func (s *Console) staffReportsCSV(c *gin.Context) {
	name := c.Query("report")
	ratio, err := library.ParseHoldRatio(c.Query("ratio"))
	if err == nil {
		_, err = (library.Reports{}).CSV(name) // the name, before anything is read
	}
	var r library.Reports
	if err == nil {
		r, err = s.Lib.Reports(c.Request.Context(), ratio, time.Now())
	}
	var rows [][]string
	if err == nil {
		rows, err = r.CSV(name)
	}
	if err != nil {
		s.withDesk(c, func(d staffDesk) {
			s.staffRefusal(c, "staff_reports", d, gin.H{"RatioInput": c.Query("ratio")}, httpkit.OpErr(err))
		})
		return
	}
	s.CSV(c, r.CSVName(name), rows)
}

// reportData puts the reports, their charts and the texts around them into data.
func (s *Console) reportData(c *gin.Context, r library.Reports, data gin.H) {
	data["Reports"] = r
	data["Ratio"] = library.Fixed(r.Ratio, 2)
	if typed := data["RatioInput"]; typed == "" {
		data["RatioInput"] = library.Fixed(r.Ratio, -1)
	}
	data["RatioParam"] = library.Fixed(r.Ratio, -1)
	data["ReportNames"] = library.ReportNames

	daily := barChart{ID: "chart-daily", Title: httpkit.Tr(c, "staff.reports.daily"), Unit: httpkit.Tr(c, "staff.reports.unit.holds"),
		LabelEvery: 15, Integer: true}
	for _, d := range r.PerDay {
		daily.Bars = append(daily.Bars, chartBar{Label: shortDate(d.Date), Values: []float64{float64(d.Holds)}})
	}
	if len(r.PerDay) > 0 {
		daily.Desc = httpkit.Tr(c, "staff.reports.daily.desc", r.PerDay[0].Date, r.PerDay[len(r.PerDay)-1].Date, r.Placed, busiest(r))
	}
	data["DailyChart"] = daily.SVG()

	waits := barChart{ID: "chart-wait", Title: httpkit.Tr(c, "staff.reports.wait"), Unit: httpkit.Tr(c, "staff.reports.unit.days"),
		Series: []string{httpkit.Tr(c, "staff.reports.median"), httpkit.Tr(c, "staff.reports.p90")}, Decimals: 1}
	rows := make([]reportWaitRow, len(r.Waits))
	for i, w := range r.Waits {
		rows[i] = reportWaitRow{w.Branch, w.Name, w.Holds, library.Fixed(w.Median, 1), library.Fixed(w.P90, 1), w.Median, w.P90}
		waits.Bars = append(waits.Bars, chartBar{Label: w.Name, Values: []float64{w.Median, w.P90}})
	}
	waits.Desc = httpkit.Tr(c, "staff.reports.wait.desc", len(rows))
	data["Waits"] = rows
	data["WaitChart"] = waits.SVG()

	queue := barChart{ID: "chart-queue", Title: httpkit.Tr(c, "staff.reports.queue"), Unit: httpkit.Tr(c, "staff.reports.unit.titles"),
		Desc: httpkit.Tr(c, "staff.reports.queue.desc", r.Waiting, len(r.Queues)), Integer: true}
	for _, b := range r.Buckets {
		queue.Bars = append(queue.Bars, chartBar{Label: b.Label, Values: []float64{float64(b.Titles)}})
	}
	data["QueueChart"] = queue.SVG()
	top := r.Queues
	if len(top) > longestQueues {
		top = top[:longestQueues]
	}
	data["LongestQueues"] = top

	over := make([]reportRatioRow, len(r.OverRatio))
	for i, t := range r.OverRatio {
		over[i] = reportRatioRow{RatioTitle: t, RatioText: "—"}
		if t.HasRatio {
			over[i].RatioText = library.Fixed(t.Ratio, 2)
		}
	}
	data["OverRatio"] = over
}

// longestQueues is how many titles the page lists with their queues (the CSV has them all).
const longestQueues = 20

// shortDate is a YYYY-MM-DD date as the chart's axis shows it: M/D.
func shortDate(date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return t.Format("1/2")
}

// busiest is the most holds placed on one day of the report.
func busiest(r library.Reports) int {
	m := 0
	for _, d := range r.PerDay {
		m = max(m, d.Holds)
	}
	return m
}
