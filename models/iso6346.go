package models

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// containerLetterValues holds the ISO 6346 value of each letter A..Z.
var containerLetterValues = [26]int{
	10, 12, 13, 14, 15, 16, 17, 18, 19, 20, // A B C D E F G H I J
	21, 23, 24, 25, 26, 27, 28, 29, 30, 31, // K L M N O P Q R S T
	32, 34, 35, 36, 37, 38, // U V W X Y Z
}

var (
	errContainerLength   = containerFormat("length", "must be 11 characters")
	errContainerOwner    = containerFormat("owner", "owner code must be 3 letters A–Z")
	errContainerCategory = containerFormat("category", "category must be U, J or Z")
	errContainerSerial   = containerFormat("serial", "serial number must be 6 digits")
)

func containerFormat(part, msg string) error {
	return Invalid(CodeInvalidFormat, Params{"format": "container_number", "part": part}, "%s", msg)
}

func isUpperASCII(b byte) bool { return b >= 'A' && b <= 'Z' }

func isDigitASCII(b byte) bool { return b >= '0' && b <= '9' }

// containerCheckDigit computes the ISO 6346 check digit of the first 10
// characters of s, which the caller has already checked to be 4 letters A–Z
// followed by 6 digits.
func containerCheckDigit(s string) int {
	sum := 0
	for i := 0; i < 10; i++ {
		c := s[i]
		var v int
		if isUpperASCII(c) {
			v = containerLetterValues[c-'A']
		} else {
			v = int(c - '0')
		}
		sum += v << i
	}
	return sum % 11 % 10
}

// ValidContainerNumber checks that s is a valid ISO 6346 container number:
// a 3-letter owner code A–Z, the category identifier U, J or Z, a 6-digit
// serial number and the matching check digit, 11 characters in all.
//
// s must already be normalised (upper case, no spaces or hyphens); see
// NormalizeContainerNumber. It returns nil if s is valid, and otherwise an
// error whose message tells the user what to fix, such as
// "check digit must be 3, not 4".
func ValidContainerNumber(s string) error {
	if len(s) != 11 {
		return errContainerLength
	}
	for i := 0; i < 3; i++ {
		if !isUpperASCII(s[i]) {
			return errContainerOwner
		}
	}
	switch s[3] {
	case 'U', 'J', 'Z':
	default:
		return errContainerCategory
	}
	for i := 4; i < 10; i++ {
		if !isDigitASCII(s[i]) {
			return errContainerSerial
		}
	}
	want := containerCheckDigit(s)
	got := s[10]
	if !isDigitASCII(got) {
		return Invalid(CodeCheckDigit, Params{"expected": want}, "check digit must be the digit %d", want)
	}
	if int(got-'0') != want {
		return Invalid(CodeCheckDigit, Params{"expected": want, "got": string(got)}, "check digit must be %d, not %c", want, got)
	}
	return nil
}

// NormalizeContainerNumber prepares user input for ValidContainerNumber:
// it upper-cases the ASCII letters a–z and removes spaces (any Unicode white
// space) and hyphens, so " csqu 305438-3 " becomes "CSQU3054383". Other
// characters are kept as they are, for ValidContainerNumber to reject.
func NormalizeContainerNumber(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '-' || unicode.IsSpace(r):
			continue
		case r >= 'a' && r <= 'z':
			b.WriteByte(byte(r - 'a' + 'A'))
		case r == utf8.RuneError:
			// Invalid UTF-8 becomes U+FFFD: kept as raw bytes, dropping a
			// space between two of them could join them into a new rune,
			// and normalising again would change the result.
			_, size := utf8.DecodeRuneInString(s[i:])
			if size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteString(s[i : i+size])
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ParseContainerNumber normalises s as writes do (NormalizeContainerNumber)
// and checks it (ValidContainerNumber): it answers the number as stored,
// or the validator's error.
func ParseContainerNumber(s string) (string, error) {
	n := NormalizeContainerNumber(s)
	if err := ValidContainerNumber(n); err != nil {
		return "", err
	}
	return n, nil
}

// ContainerNumber builds a valid ISO 6346 number from a 3-letter owner code,
// a category (U, J or Z) and a serial number (0–999999), with its check digit.
func ContainerNumber(owner string, category byte, serial int) string {
	s := fmt.Sprintf("%s%c%06d", owner, category, serial%1000000)
	return s + string(rune('0'+containerCheckDigit(s)))
}
