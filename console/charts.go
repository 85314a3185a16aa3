package console

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Bar charts drawn on the server as inline SVG: the reports page needs no script to be read, prints as
// it shows, and every chart has a <title> and <desc> for screen readers (its numbers are also in the table
// beside it). Colours are presentation attributes, which the pages' Content-Security-Policy allows.

// chartBar is one group of bars: its label on the x axis and one value per series.
type chartBar struct {
	Label  string
	Values []float64
}

// barChart is a chart's content. Series names the bars of each group (a legend is drawn for two or more);
// LabelEvery shows every n-th x label only (counted from the last bar), for long series like 90 days.
type barChart struct {
	ID, Title, Desc string
	Series          []string
	Bars            []chartBar
	Unit            string // after each value in a bar's tooltip
	LabelEvery      int
	Decimals        int  // of the values in tooltips
	Integer         bool // counts: grid lines on whole numbers only
}

// The chart's frame in SVG user units: it scales to its container (viewBox).
const (
	chartW, chartH        = 640, 280
	chartLeft, chartRight = 44, 8
	chartTop, chartBottom = 28, 40
	chartPlotW            = chartW - chartLeft - chartRight
	chartPlotH            = chartH - chartTop - chartBottom
	chartGridLines        = 4
	chartFont             = `font-family="sans-serif" font-size="12"`
	chartAxisColour       = "#444"
	chartGridColour       = "#ddd"
	chartTextColour       = "#222"
)

// chartColours are the series' colours (blue, then orange: told apart with any colour vision).
var chartColours = []string{"#1f5f9e", "#d2691e"}

// SVG draws the chart.
func (c barChart) SVG() template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg class="chart-svg" id="%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc" %s>`,
		esc(c.ID), chartW, chartH, esc(c.ID), esc(c.ID), chartFont)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(c.ID), esc(c.Title), esc(c.ID), esc(c.Desc))
	top := c.top()
	c.grid(&b, top)
	c.bars(&b, top)
	c.legend(&b)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text in it went through esc
}

func (c barChart) max() float64 {
	m := 0.0
	for _, bar := range c.Bars {
		for _, v := range bar.Values {
			m = math.Max(m, v)
		}
	}
	return m
}

// top is the value at the top of the axis.
func (c barChart) top() float64 {
	top := niceCeiling(c.max())
	if c.Integer {
		top = math.Ceil(top/chartGridLines) * chartGridLines // each grid line a whole number
	}
	return top
}

// niceCeiling is the axis' top: the smallest of 1, 2, 2.5, 5 or 10 times a power of ten at least m (1 for
// an empty chart), so that the grid lines fall on round numbers.
func niceCeiling(m float64) float64 {
	if m <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(m)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*p >= m {
			return f * p
		}
	}
	return 10 * p
}

// y is the SVG y of value v on an axis topped at top.
func y(v, top float64) float64 { return chartTop + chartPlotH*(1-v/top) }

func (c barChart) grid(b *strings.Builder, top float64) {
	for i := 0; i <= chartGridLines; i++ {
		v := top * float64(i) / chartGridLines
		yy := y(v, top)
		colour := chartGridColour
		if i == 0 {
			colour = chartAxisColour
		}
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`, chartLeft, chartW-chartRight, yy, yy, colour)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s">%s</text>`, chartLeft-6, yy+4, chartTextColour, axisNumber(v))
	}
}

// axisNumber prints a grid line's value without needless decimals.
func axisNumber(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

func (c barChart) bars(b *strings.Builder, top float64) {
	n := len(c.Bars)
	if n == 0 {
		return
	}
	group := float64(chartPlotW) / float64(n)
	per := len(c.Series)
	if per == 0 {
		per = 1
	}
	width := group * 0.8 / float64(per)
	esc := template.HTMLEscapeString
	for i, bar := range c.Bars {
		x0 := float64(chartLeft) + group*float64(i) + group*0.1
		for s, v := range bar.Values {
			h := chartPlotH * v / top
			tip := bar.Label + ": " + strconv.FormatFloat(v, 'f', c.Decimals, 64) + c.Unit
			if per > 1 && s < len(c.Series) {
				tip = bar.Label + " " + c.Series[s] + ": " + strconv.FormatFloat(v, 'f', c.Decimals, 64) + c.Unit
			}
			fmt.Fprintf(b, `<rect class="chart-bar" x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"><title>%s</title></rect>`,
				x0+width*float64(s), y(v, top), width, h, chartColours[s%len(chartColours)], esc(tip))
		}
		if c.LabelEvery <= 1 || (n-1-i)%c.LabelEvery == 0 {
			fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="%s">%s</text>`,
				float64(chartLeft)+group*(float64(i)+0.5), chartH-chartBottom+18, chartTextColour, esc(bar.Label))
		}
	}
}

// legend names the series when there are two or more, at the top right.
func (c barChart) legend(b *strings.Builder) {
	if len(c.Series) < 2 {
		return
	}
	x := chartW - chartRight - 150*len(c.Series)
	for s, name := range c.Series {
		fmt.Fprintf(b, `<rect x="%d" y="6" width="12" height="12" fill="%s"/><text x="%d" y="16" fill="%s">%s</text>`,
			x+150*s, chartColours[s%len(chartColours)], x+150*s+16, chartTextColour, template.HTMLEscapeString(name))
	}
}
