// Package domain holds yoyaku's rules as pure functions: hold statuses and their Japanese labels, formats,
// card-number normalisation, search-text normalisation and pickup-deadline arithmetic. No I/O: it is shared
// by workflows (which must stay deterministic), activities and the API.
package domain

// Format is a title's material type.
type Format string

const (
	FormatBook     Format = "book"
	FormatMagazine Format = "magazine"
	FormatCD       Format = "cd"
	FormatVideo    Format = "video"
	FormatDVD      Format = "dvd"
	FormatEText    Format = "etext"
)

// Formats lists every format in display order.
var Formats = []Format{FormatBook, FormatMagazine, FormatCD, FormatVideo, FormatDVD, FormatEText}

// Valid reports whether f is a known format.
func (f Format) Valid() bool {
	for _, g := range Formats {
		if f == g {
			return true
		}
	}
	return false
}

// IsAV reports whether f is an audio-visual material: those are picked up only at libraries and count
// against the AV hold limit.
func (f Format) IsAV() bool { return f == FormatCD || f == FormatVideo || f == FormatDVD }

// BranchKind tells a library from a related facility.
type BranchKind string

const (
	KindLibrary  BranchKind = "library"
	KindFacility BranchKind = "facility"
)

// AcceptsAV reports whether AV materials can be picked up at a branch of this kind.
func (k BranchKind) AcceptsAV() bool { return k == KindLibrary }

// CanPickUp reports whether a title of format f can be picked up at a branch of kind k.
func CanPickUp(k BranchKind, f Format) bool { return !f.IsAV() || k.AcceptsAV() }
