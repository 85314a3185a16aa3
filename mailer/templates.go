package mailer

import (
	"embed"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("mail").
	Funcs(template.FuncMap{"jdate": JapaneseDate}).
	Option("missingkey=error").
	ParseFS(templateFS, "templates/*.tmpl"))

var weekdays = [...]string{"日", "月", "火", "水", "木", "金", "土"}

// JapaneseDate formats the calendar date of t, in t's own location, the Japanese way with the weekday:
// 2026年12月4日(金).
func JapaneseDate(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日(%s)", t.Year(), int(t.Month()), t.Day(), weekdays[t.Weekday()])
}

// ReadyData fills the "your hold is ready" mail.
type ReadyData struct {
	PatronName   string    // shown as "<name> 様"; empty gives "利用者 様"
	Title        string    // the title of the held item
	PickupBranch string    // the pickup place's name
	Deadline     time.Time // the last day to collect: its date, in its location, is shown
	StatusURL    string    // the patron site's 予約状況 page
	// Extendable: the patron may extend the deadline once (取置延長) — nobody else waits for the title.
	Extendable bool
	// ClosedDayMoved: the week's last day is a closed day of the pickup branch, so the deadline is its next
	// open day (the mail says why it is later than a week).
	ClosedDayMoved bool
}

// RenderReady renders the subject and plain text of the "your hold is ready" mail from
// templates/ready.subject.tmpl and templates/ready.txt.tmpl.
func RenderReady(d ReadyData) (subject, text string, err error) {
	d.PatronName = oneLine(d.PatronName)
	d.Title = oneLine(d.Title)
	d.PickupBranch = oneLine(d.PickupBranch)
	d.StatusURL = strings.TrimSpace(d.StatusURL)
	var missing []string
	if d.Title == "" {
		missing = append(missing, "Title")
	}
	if d.PickupBranch == "" {
		missing = append(missing, "PickupBranch")
	}
	if d.Deadline.IsZero() {
		missing = append(missing, "Deadline")
	}
	if d.StatusURL == "" || strings.ContainsAny(d.StatusURL, " \t\r\n") {
		missing = append(missing, "StatusURL")
	}
	if len(missing) > 0 {
		return "", "", fmt.Errorf("mailer: ready mail: missing or invalid %s", strings.Join(missing, ", "))
	}
	return render("ready", d)
}

// render executes NAME.subject.tmpl and NAME.txt.tmpl. The subject is trimmed to one line; the text ends
// with exactly one newline.
func render(name string, data any) (subject, text string, err error) {
	var sb, tb strings.Builder
	if err := templates.ExecuteTemplate(&sb, name+".subject.tmpl", data); err != nil {
		return "", "", fmt.Errorf("mailer: %s subject: %w", name, err)
	}
	if err := templates.ExecuteTemplate(&tb, name+".txt.tmpl", data); err != nil {
		return "", "", fmt.Errorf("mailer: %s text: %w", name, err)
	}
	subject = oneLine(sb.String())
	text = strings.TrimRight(tb.String(), " \t\r\n") + "\n"
	if subject == "" {
		return "", "", errors.New("mailer: " + name + " subject is empty")
	}
	return subject, text, nil
}

// oneLine replaces control characters (line breaks, tabs) by spaces and trims ASCII spaces; other spaces,
// such as the ideographic space of Japanese titles, are kept.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Trim(s, " ")
}

// ClosureData fills the mail of an emergency closing (臨時休館): the new pickup deadlines of the patron's
// holds on the closed branch's shelf.
type ClosureData struct {
	PatronName   string
	PickupBranch string    // the closed branch's name
	From, To     time.Time // the closed days, both included
	Holds        []ClosureHold
	StatusURL    string
}

// ClosureHold is one re-dated hold of the mail.
type ClosureHold struct {
	Title    string
	Deadline time.Time // the new last day to collect
}

// RenderClosure renders the subject and plain text of the emergency-closing mail from
// templates/closure.subject.tmpl and templates/closure.txt.tmpl.
func RenderClosure(d ClosureData) (subject, text string, err error) {
	d.PatronName = oneLine(d.PatronName)
	d.PickupBranch = oneLine(d.PickupBranch)
	d.StatusURL = strings.TrimSpace(d.StatusURL)
	holds := make([]ClosureHold, len(d.Holds))
	for i, h := range d.Holds {
		if oneLine(h.Title) == "" || h.Deadline.IsZero() {
			return "", "", fmt.Errorf("mailer: closure mail: hold %d has no title or deadline", i)
		}
		holds[i] = ClosureHold{Title: oneLine(h.Title), Deadline: h.Deadline}
	}
	d.Holds = holds
	if d.PickupBranch == "" || d.From.IsZero() || d.To.IsZero() || len(d.Holds) == 0 || d.StatusURL == "" {
		return "", "", errors.New("mailer: closure mail: missing branch, dates, holds or status URL")
	}
	return render("closure", d)
}
