package httpkit

import "testing"

// TestTextTableAdd: a package's wording split over files joins into one table, and a key defined twice
// stops the program at start rather than showing one of the two texts.
func TestTextTableAdd(t *testing.T) {
	tbl := TextTable{"a": {"あ", "a"}}
	tbl.Add(TextTable{"b": {"い", "b"}})
	if tbl["b"] != [2]string{"い", "b"} || len(tbl) != 2 {
		t.Fatalf("joined table = %v", tbl)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a key defined twice did not panic")
		}
		if tbl["a"] != [2]string{"あ", "a"} {
			t.Errorf("the first text of a was replaced: %v", tbl["a"])
		}
	}()
	tbl.Add(TextTable{"a": {"う", "u"}})
}
