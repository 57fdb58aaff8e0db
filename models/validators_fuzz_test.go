package models

import (
	"strings"
	"testing"
)

func FuzzContainerNumber(f *testing.F) {
	for _, s := range []string{
		"CSQU3054383",
		"CSQU3054384",
		"CSQA3054383",
		"csqu 305438-3",
		"MSKU9070323",
		"CSQU3054300",
		"",
		"ÄSQU305438",
		"CSQU305438\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidContainerNumber(s)
		if err != nil && err.Error() == "" {
			t.Fatalf("ValidContainerNumber(%q) returned an empty error", s)
		}
		if err == nil {
			if len(s) != 11 {
				t.Fatalf("ValidContainerNumber accepted %q of %d bytes", s, len(s))
			}
			if err := ValidContainerNumber(s); err != nil {
				t.Fatalf("ValidContainerNumber(%q) accepted then rejected: %v", s, err)
			}
			if n := NormalizeContainerNumber(s); n != s {
				t.Fatalf("valid %q normalises to a different %q", s, n)
			}
		}

		n := NormalizeContainerNumber(s)
		if nn := NormalizeContainerNumber(n); nn != n {
			t.Fatalf("NormalizeContainerNumber not idempotent: %q -> %q -> %q", s, n, nn)
		}
		if strings.ContainsAny(n, " -abcdefghijklmnopqrstuvwxyz") {
			t.Fatalf("NormalizeContainerNumber(%q) = %q keeps a space, hyphen or lower-case letter", s, n)
		}
		if ValidContainerNumber(n) == nil && len(n) != 11 {
			t.Fatalf("ValidContainerNumber accepted normalised %q of %d bytes", n, len(n))
		}
	})
}

func FuzzLocode(f *testing.F) {
	for _, tc := range [][2]string{
		{"RUMOW", ""},
		{"RUMOW", "RU"},
		{"CNQIN", "RU"},
		{"KXALA", ""},
		{"RUMO1", ""},
		{"rumow", ""},
		{"", ""},
		{"\xff\xfeABC", "\xff\xfe"},
	} {
		f.Add(tc[0], tc[1])
	}
	f.Fuzz(func(t *testing.T, locode, country string) {
		err := ValidLocode(locode, country)
		if err != nil && err.Error() == "" {
			t.Fatalf("ValidLocode(%q, %q) returned an empty error", locode, country)
		}
		if err != nil {
			return
		}
		if len(locode) != 5 {
			t.Fatalf("ValidLocode accepted %q of %d bytes", locode, len(locode))
		}
		if !IsCountryCode(locode[:2]) {
			t.Fatalf("ValidLocode accepted %q whose prefix is not a country code", locode)
		}
		if country != "" && locode[:2] != country {
			t.Fatalf("ValidLocode(%q, %q) accepted a locode of another country", locode, country)
		}
		if ValidLocode(locode, "") != nil || ValidLocode(locode, locode[:2]) != nil {
			t.Fatalf("ValidLocode(%q, %q) accepted, but not with country \"\" or its own prefix", locode, country)
		}
		for i := 2; i < 5; i++ {
			if !isLocodeChar(locode[i]) {
				t.Fatalf("ValidLocode accepted %q with %q at %d", locode, locode[i], i)
			}
		}
	})
}
