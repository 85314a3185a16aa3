package console

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestNiceCeiling(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{
		{0, 1}, {-3, 1}, {0.3, 0.5}, {1, 1}, {1.1, 2}, {2, 2}, {2.2, 2.5}, {3, 5}, {7.4, 10}, {9.1, 10}, {10, 10}, {11, 20}, {240, 250}, {251, 500},
	} {
		if got := niceCeiling(c.in); got != c.want {
			t.Errorf("niceCeiling(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

var (
	svgRect  = regexp.MustCompile(`<rect class="chart-bar" x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="([0-9.]+)"`)
	svgLabel = regexp.MustCompile(`<text x="[0-9.]+" y="[0-9.]+" text-anchor="end" fill="#222">([0-9.]+)</text>`)
)

// TestBarChartSVG: bars are as tall as their values on an axis with round grid lines (whole numbers for
// counts), every text is escaped, and the chart names itself for screen readers.
func TestBarChartSVG(t *testing.T) {
	c := barChart{ID: "c", Title: `<b>"件数"</b>`, Desc: "a & b", Integer: true,
		Bars: []chartBar{{"x<1>", []float64{1}}, {"2", []float64{2}}, {"3", []float64{0}}}}
	svg := string(c.SVG())
	for _, want := range []string{`role="img" aria-labelledby="c-title c-desc"`, `<title id="c-title">&lt;b&gt;&#34;件数&#34;&lt;/b&gt;</title>`,
		`<desc id="c-desc">a &amp; b</desc>`, `<title>x&lt;1&gt;: 1</title>`, `>x&lt;1&gt;</text>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q:\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "<b>") {
		t.Errorf("a text is not escaped:\n%s", svg)
	}
	var heights []string
	for _, m := range svgRect.FindAllStringSubmatch(svg, -1) {
		heights = append(heights, m[1])
	}
	// Counts up to 2: the axis tops at 4 (grid lines 0, 1, 2, 3, 4), so bars of 1 and 2 are a quarter and
	// half the plot's height.
	plot := strconv.Itoa(chartPlotH)
	if want := []string{strconv.FormatFloat(chartPlotH/4.0, 'f', 2, 64), strconv.FormatFloat(chartPlotH/2.0, 'f', 2, 64), "0.00"}; strings.Join(heights, " ") != strings.Join(want, " ") {
		t.Errorf("bar heights %v, want %v (plot %s high)", heights, want, plot)
	}
	var labels []string
	for _, m := range svgLabel.FindAllStringSubmatch(svg, -1) {
		labels = append(labels, m[1])
	}
	if got := strings.Join(labels, " "); got != "0 1 2 3 4" {
		t.Errorf("axis labels %s, want 0 1 2 3 4", got)
	}
}
