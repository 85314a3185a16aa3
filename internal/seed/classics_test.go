package seed

import "testing"

// TestClassicsAreNotDuplicated: a classic the catalogue already has, spelt with a variant kanji or spaced
// differently, is not added a second time; the others are, each with copies to lay out.
func TestClassicsAreNotDuplicated(t *testing.T) {
	all, err := parseClassics()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 9 {
		t.Fatalf("%d classics, want 9", len(all))
	}
	b := &builder{}
	b.add(titleRec{key: "aozora:000127", title: "羅生門", author: "芥川 竜之介"})
	b.add(titleRec{key: "aozora:000773", title: "こころ", author: "夏目漱石"})
	if err := b.classics(); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, tr := range b.cat.titles {
		n[tr.title]++
		if tr.key[:8] == "classic:" && (tr.nCopies < 1 || tr.reading == "" || tr.authorReading == "" || tr.year == 0) {
			t.Errorf("%s: incomplete record %+v", tr.key, tr)
		}
	}
	for _, c := range all {
		if n[c.title] != 1 {
			t.Errorf("%s appears %d times, want once", c.title, n[c.title])
		}
	}
	if got, want := len(b.cat.titles), 2+len(all)-2; got != want {
		t.Errorf("%d titles, want %d", got, want)
	}
}
