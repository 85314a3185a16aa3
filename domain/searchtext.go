package domain

import "strings"

// SearchText builds titles.search_text: the search key of every searchable field of a title and its
// readings. The seed loader and the staff catalogue editor both call it, so a title reads the same
// however it was entered.
func SearchText(title, titleReading, author, authorReading, publisher, series string) string {
	return SearchKey(strings.Join([]string{title, titleReading, author, authorReading, publisher, series}, " "))
}
