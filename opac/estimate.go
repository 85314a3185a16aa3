package opac

// 用意できる目安 on 予約状況 and the hold page: the range in the patron's words and one line on what it came
// from (library.Estimates computes it).

import (
	"fmt"
	"time"

	"yoyaku/estimate"
	"yoyaku/httpkit"
	"yoyaku/store"
)

// patronWait is a queued hold's estimate as the pages show it.
type patronWait struct {
	Dates string // 12月10日〜12月20日ごろ
	Line  string // 用意できる目安：12月10日〜12月20日ごろ
	Basis string // what it came from
}

// text is key of the patron pages' wording in lang, formatted with args.
func text(lang, key string, args ...any) string {
	v, ok := PatronTexts[key]
	if !ok {
		panic("opac: no text " + key) // a wiring mistake, caught by the pages' tests
	}
	s := v[0]
	if lang == "en" {
		s = v[1]
	}
	return fmt.Sprintf(s, args...)
}

// waitOf is r in lang, dates as the library's calendar reads them (r's dates are in its zone); today tells
// whether the year must be said.
func waitOf(lang string, r estimate.Range, today time.Time) *patronWait {
	if r.From.IsZero() {
		return wait(lang, text(lang, "estimate.unknown"), text(lang, "estimate.basis.no_copy"))
	}
	day := func(t time.Time) string {
		switch {
		case lang == "en" && t.Year() != today.Year():
			return t.Format("Jan 2, 2006")
		case lang == "en":
			return t.Format("Jan 2")
		case t.Year() != today.Year():
			return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
		}
		return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
	}
	dates := text(lang, "estimate.range", day(r.From), day(r.To))
	if r.From.Equal(r.To) {
		dates = text(lang, "estimate.day", day(r.From))
	}
	if r.Returns == 0 {
		return wait(lang, dates, text(lang, "estimate.basis.loan_period", r.Ahead, r.Copies, store.LoanDays))
	}
	return wait(lang, dates, text(lang, "estimate.basis.measured", r.Ahead, r.Copies, r.Returns))
}

func wait(lang, dates, basis string) *patronWait {
	return &patronWait{Dates: dates, Line: text(lang, "estimate.line", dates), Basis: basis}
}

// withEstimates gives each row of hs (rows[i] is hs[i]) its estimate, when it is a queued hold.
func (s *Pages) withEstimates(lang string, hs []store.HoldView, rows []patronHold, est map[int64]estimate.Range) {
	today := time.Now().In(s.Location())
	for i, h := range hs {
		if r, ok := est[h.ID]; ok {
			rows[i].Estimate = httpkit.EstimateOf(r)
			rows[i].Wait = waitOf(lang, r, today)
		}
	}
}
