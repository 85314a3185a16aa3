package seed

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"yoyaku/domain"
)

// classicsTSV lists the works a reader searches for first (吾輩は猫である, 羅生門, 走れメロス…), which the Aozora
// sample happens to miss; see data/README.md.
//
//go:embed data/classics.tsv
var classicsTSV string

// classics adds the classic works with their copies, after everything else so that the titles and barcodes
// seeded before them keep their layout. A work the catalogue already has (same title and author as search
// keys compare them, so an Aozora record's 芥川 竜之介 is 芥川 龍之介) is not added twice.
func (b *builder) classics() error {
	recs, err := parseClassics()
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, t := range b.cat.titles {
		have[workKey(t.title, t.author)] = true
	}
	for _, t := range recs {
		if k := workKey(t.title, t.author); !have[k] {
			have[k] = true
			b.add(t)
		}
	}
	return nil
}

func workKey(title, author string) string {
	return domain.SearchKey(title) + "\x00" + domain.SearchKey(author)
}

// parseClassics reads the embedded list; source keys are "classic:" and the Aozora Bunko work ID.
func parseClassics() ([]titleRec, error) {
	lines := strings.Split(strings.TrimRight(classicsTSV, "\n"), "\n")
	var out []titleRec
	for n, line := range lines[1:] {
		f := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if len(f) != 11 {
			return nil, fmt.Errorf("seed: classics.tsv line %d has %d fields, want 11", n+2, len(f))
		}
		year, err := strconv.Atoi(f[8])
		if err != nil {
			return nil, fmt.Errorf("seed: classics.tsv line %d: year %q: %v", n+2, f[8], err)
		}
		copies, err := strconv.Atoi(f[10])
		if err != nil || copies < 1 {
			return nil, fmt.Errorf("seed: classics.tsv line %d: copies %q", n+2, f[10])
		}
		out = append(out, titleRec{
			key: "classic:" + f[0], title: f[1], reading: f[2],
			author: joinName(f[3], f[4]), authorReading: joinName(f[5], f[6]),
			publisher: f[7], year: year, format: domain.FormatBook, nCopies: copies, ndc: f[9],
		})
	}
	return out, nil
}
