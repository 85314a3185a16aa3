package seed

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// aozoraTSV is the real core of the demo catalogue; see data/README.md.
//
//go:embed data/aozora-works.tsv
var aozoraTSV string

// aozoraWork is one work of the index, its people (author, translator) merged into one record.
type aozoraWork struct {
	id                    string // work ID, e.g. 059898
	title, reading        string
	author, authorReading string
	publisher             string
	year                  int    // 0 when unknown
	ndc                   string // the index's NDC column, e.g. "NDC 913", "NDC K913" (children's); "" for none
	people                []aozoraPerson
}

type aozoraPerson struct {
	name, reading      string // "family given" and "family_reading given_reading"
	author, translator bool
}

// Aozora Bunko person IDs of a few authors whose works are also offered as e-texts: a work's card URL is
// https://www.aozora.gr.jp/cards/<person>/card<work>.html, and the index extract does not carry person IDs.
var aozoraPersonIDs = map[string]string{
	"芥川 竜之介": "000879",
	"太宰 治":   "000035",
	"宮沢 賢治":  "000081",
}

// parseAozora reads the embedded index extract. Rows of one work are grouped in the order they appear.
func parseAozora() ([]aozoraWork, error) {
	lines := strings.Split(strings.TrimRight(aozoraTSV, "\n"), "\n")
	if len(lines) < 2 {
		return nil, fmt.Errorf("seed: aozora-works.tsv is empty")
	}
	var works []aozoraWork
	index := map[string]int{}
	for n, line := range lines[1:] {
		f := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if len(f) != 12 {
			return nil, fmt.Errorf("seed: aozora-works.tsv line %d has %d fields, want 12", n+2, len(f))
		}
		id, title, reading, subtitle := f[0], f[1], f[2], f[3]
		p := aozoraPerson{name: joinName(f[4], f[5]), reading: joinName(f[6], f[7])}
		switch f[8] {
		case "著者":
			p.author = true
		case "翻訳者":
			p.translator = true
		default:
			return nil, fmt.Errorf("seed: aozora-works.tsv line %d: unknown role %q", n+2, f[8])
		}
		i, ok := index[id]
		if !ok {
			year := 0
			if f[10] != "" {
				y, err := strconv.Atoi(f[10])
				if err != nil {
					return nil, fmt.Errorf("seed: aozora-works.tsv line %d: year %q: %v", n+2, f[10], err)
				}
				year = y
			}
			works = append(works, aozoraWork{
				id: id, title: withSubtitle(title, subtitle), reading: reading, publisher: f[9], year: year, ndc: f[11],
			})
			i = len(works) - 1
			index[id] = i
		}
		w := &works[i]
		merged := false
		for j := range w.people {
			if w.people[j].name == p.name { // one person as both author and translator
				w.people[j].author = w.people[j].author || p.author
				w.people[j].translator = w.people[j].translator || p.translator
				merged = true
			}
		}
		if !merged {
			w.people = append(w.people, p)
		}
	}
	for i := range works {
		works[i].author, works[i].authorReading = creditLine(works[i].people)
	}
	return works, nil
}

func joinName(family, given string) string {
	if given == "" {
		return family
	}
	return family + " " + given
}

// withSubtitle appends a subtitle the way Japanese catalogues display it: a bracketed note directly, any
// other subtitle after " : ". The source has no reading for subtitles, so the reading stays the title's.
func withSubtitle(title, subtitle string) string {
	switch {
	case subtitle == "":
		return title
	case strings.HasPrefix(subtitle, "（") || strings.HasPrefix(subtitle, "("):
		return title + subtitle
	default:
		return title + " : " + subtitle
	}
}

// creditLine builds the author field and its reading. Authors alone are listed plainly; once a translator
// is involved every name carries its role (著 / 訳), e.g. "グリム ヤーコプ・ルートヴィッヒ・カール 著 / 矢崎 源九郎 訳".
// The reading lists the names' readings only, so a kana search for either person finds the work.
func creditLine(people []aozoraPerson) (author, reading string) {
	translated := false
	for _, p := range people {
		translated = translated || p.translator
	}
	names := make([]string, len(people))
	readings := make([]string, len(people))
	for i, p := range people {
		names[i] = p.name
		if translated {
			if p.translator {
				names[i] += " 訳"
			} else {
				names[i] += " 著"
			}
		}
		readings[i] = p.reading
	}
	return strings.Join(names, " / "), strings.Join(readings, " / ")
}

// aozoraCardURL is the work's page at Aozora Bunko, or "" when the author's person ID is not known here.
func aozoraCardURL(w aozoraWork) string {
	if len(w.people) != 1 || !w.people[0].author {
		return ""
	}
	person, ok := aozoraPersonIDs[w.people[0].name]
	if !ok {
		return ""
	}
	n, err := strconv.Atoi(w.id)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("https://www.aozora.gr.jp/cards/%s/card%d.html", person, n)
}
