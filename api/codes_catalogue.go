package api

// Codes of the catalogue search (catalogue.go).
const (
	// CodeInvalidQuery: a search parameter is out of range or malformed (page, per_page, format, year,
	// isbn, a field over 200 characters, more than 16 keywords).
	CodeInvalidQuery Code = "invalid_query"
)

var catalogueMessages = map[Code][2]string{
	CodeInvalidQuery: {
		"検索条件が正しくありません。ページは1から10000、表示件数は1から100、出版年は1から9999で指定し、キーワードは各項目200文字以内でご入力ください。",
		"The search is not valid: page must be 1 to 10000, per_page 1 to 100, year 1 to 9999, the format one of book, magazine, cd, video, dvd, etext, the ISBN digits, and each field at most 200 characters (16 keywords in all).",
	},
}

func init() {
	for code, m := range catalogueMessages {
		messages[code] = m
	}
}
