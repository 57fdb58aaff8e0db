package models

import (
	"golang.org/x/text/unicode/norm"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Page is one page of a list; NextCursor is nil on the last page.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// checkText validates a free-text field: length in runes, valid UTF-8, no
// control characters, not blank when required.
func checkText(p *Problems, field, s string, required bool, max int) {
	switch {
	case !utf8.ValidString(s):
		p.Add(field, CodeInvalidText, Params{"reason": "utf8"}, "must be valid UTF-8")
	case required && strings.TrimSpace(s) == "":
		p.Required(field)
	case utf8.RuneCountInString(s) > max:
		p.TooLong(field, max)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		p.Add(field, CodeInvalidText, Params{"reason": "control"}, "must not contain control characters")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) >= 0:
		p.Add(field, CodeInvalidText, Params{"reason": "invisible"}, "must not contain invisible formatting characters")
	}
}

// checkLine is checkText for a one-line value (a number, a name, a label):
// no line break or tab either.
func CheckLine(p *Problems, field, s string, required bool, max int) {
	checkText(p, field, s, required, max)
	if !p.Has(field) && strings.ContainsAny(s, "\n\t") {
		p.Add(field, CodeInvalidText, Params{"reason": "line_break"}, "must be one line, without line breaks or tabs")
	}
}

// normalizeText trims a code-like value and folds compatibility forms
// (full-width letters and digits, ligatures) to their plain forms, so that
// "Ｘ8024 " and "X8024" are the same train number.
func NormalizeText(s string) string { return strings.TrimSpace(norm.NFKC.String(s)) }

func OneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}
