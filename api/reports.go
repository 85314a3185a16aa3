package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
)

// The staff's reports (library.Reports) as JSON (GET /api/v1/staff/reports) and CSV, one report a file
// (GET /api/v1/staff/reports.csv?report=…). ?ratio= is the hold ratio of hold_ratio (default 3).

type reportDayJSON struct {
	Date  string `json:"date"`
	Holds int    `json:"holds"`
}

type reportWaitJSON struct {
	Branch     string  `json:"branch"`
	Name       string  `json:"name"`
	Holds      int     `json:"holds"`
	MedianDays float64 `json:"median_days"`
	P90Days    float64 `json:"p90_days"`
}

type reportQueueJSON struct {
	TitleID string `json:"title_id"`
	Title   string `json:"title"`
	Waiting int    `json:"waiting"`
}

type reportBucketJSON struct {
	Label  string `json:"label"`
	Min    int    `json:"min"`
	Max    *int   `json:"max"` // null: no upper bound
	Titles int    `json:"titles"`
}

type reportRatioJSON struct {
	TitleID     string   `json:"title_id"`
	Title       string   `json:"title"`
	Holds       int      `json:"holds"`
	Copies      int      `json:"copies"`
	Ratio       *float64 `json:"ratio"` // null: no circulating copy
	CopiesToBuy int      `json:"copies_to_buy"`
}

// reportsJSON is the OpenAPI document's Reports.
type reportsJSON struct {
	GeneratedAt time.Time `json:"generated_at"`
	TimeZone    string    `json:"time_zone"`
	HoldsPerDay struct {
		Days  int             `json:"days"`
		Total int             `json:"total"`
		Daily []reportDayJSON `json:"daily"`
	} `json:"holds_per_day"`
	TimeToReady struct {
		Days     int              `json:"days"`
		Branches []reportWaitJSON `json:"branches"`
	} `json:"time_to_ready"`
	QueueLengths struct {
		Waiting      int                `json:"waiting"`
		Titles       []reportQueueJSON  `json:"titles"`
		Distribution []reportBucketJSON `json:"distribution"`
	} `json:"queue_lengths"`
	HoldRatio struct {
		Ratio  float64           `json:"ratio"`
		Titles []reportRatioJSON `json:"titles"`
	} `json:"hold_ratio"`
}

// readReports reads ?ratio= and the reports, answering the refusal or failure itself.
func (s *Server) readReports(c *gin.Context) (library.Reports, bool) {
	ratio, err := library.ParseHoldRatio(c.Query("ratio"))
	if err == nil {
		var r library.Reports
		if r, err = s.Lib.Reports(c.Request.Context(), ratio, time.Now()); err == nil {
			return r, true
		}
	}
	s.FailErr(c, err)
	return library.Reports{}, false
}

func (s *Server) reports(c *gin.Context) {
	r, ok := s.readReports(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, toReportsJSON(r))
}

// reportsCSV answers one report (?report=, one of library.ReportNames) as CSV.
func (s *Server) reportsCSV(c *gin.Context) {
	name := c.Query("report")
	if _, err := (library.Reports{}).CSV(name); err != nil {
		s.FailErr(c, err) // before reading anything
		return
	}
	r, ok := s.readReports(c)
	if !ok {
		return
	}
	rows, err := r.CSV(name)
	if err != nil {
		s.FailErr(c, err)
		return
	}
	s.CSV(c, r.CSVName(name), rows)
}

func toReportsJSON(r library.Reports) reportsJSON {
	var j reportsJSON
	j.GeneratedAt, j.TimeZone = r.Generated, r.Zone
	j.HoldsPerDay.Days, j.HoldsPerDay.Total = library.ReportDays, r.Placed
	j.HoldsPerDay.Daily = make([]reportDayJSON, len(r.PerDay))
	for i, d := range r.PerDay {
		j.HoldsPerDay.Daily[i] = reportDayJSON(d)
	}
	j.TimeToReady.Days = library.ReportDays
	j.TimeToReady.Branches = make([]reportWaitJSON, len(r.Waits))
	for i, w := range r.Waits {
		j.TimeToReady.Branches[i] = reportWaitJSON{w.Branch, w.Name, w.Holds, w.Median, w.P90}
	}
	j.QueueLengths.Waiting = r.Waiting
	j.QueueLengths.Titles = make([]reportQueueJSON, len(r.Queues))
	for i, q := range r.Queues {
		j.QueueLengths.Titles[i] = reportQueueJSON{httpkit.IDString(q.TitleID), q.Title, q.Waiting}
	}
	j.QueueLengths.Distribution = make([]reportBucketJSON, len(r.Buckets))
	for i, b := range r.Buckets {
		j.QueueLengths.Distribution[i] = reportBucketJSON{Label: b.Label, Min: b.Min, Titles: b.Titles}
		if b.Max > 0 {
			j.QueueLengths.Distribution[i].Max = &b.Max
		}
	}
	j.HoldRatio.Ratio = r.Ratio
	j.HoldRatio.Titles = make([]reportRatioJSON, len(r.OverRatio))
	for i, t := range r.OverRatio {
		j.HoldRatio.Titles[i] = reportRatioJSON{TitleID: httpkit.IDString(t.TitleID), Title: t.Title, Holds: t.Holds,
			Copies: t.Copies, CopiesToBuy: t.ToBuy}
		if t.HasRatio {
			j.HoldRatio.Titles[i].Ratio = &t.Ratio
		}
	}
	return j
}
