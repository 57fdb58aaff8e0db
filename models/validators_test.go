package models

import (
	"sort"
	"testing"
)

func TestCountryCodeTableHas249Codes(t *testing.T) {
	if got := len(iso3166Alpha2); got != 249 {
		t.Fatalf("ISO 3166-1 table has %d codes, want 249", got)
	}
	for code, name := range iso3166Alpha2 {
		if len(code) != 2 || !isUpperASCII(code[0]) || !isUpperASCII(code[1]) {
			t.Errorf("bad code %q in table", code)
		}
		if name == "" {
			t.Errorf("code %s has no name", code)
		}
	}
	codes := make([]string, 0, len(iso3166Alpha2))
	for code := range iso3166Alpha2 {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	if codes[0] != "AD" || codes[len(codes)-1] != "ZW" {
		t.Errorf("table runs from %s to %s, want AD to ZW", codes[0], codes[len(codes)-1])
	}
}

func TestIsCountryCode(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"AD", true},
		{"CN", true},
		{"RU", true},
		{"BY", true},
		{"KZ", true},
		{"UZ", true},
		{"DE", true},
		{"PL", true},
		{"SS", true}, // South Sudan, assigned 2011
		{"ZW", true},
		{"cn", false},
		{"Cn", false},
		{"XK", false}, // Kosovo: user-assigned, not official
		{"KX", false},
		{"EU", false}, // exceptionally reserved
		{"UK", false}, // exceptionally reserved
		{"AN", false}, // Netherlands Antilles, withdrawn
		{"SU", false}, // USSR, withdrawn
		{"", false},
		{"C", false},
		{"CHN", false},
		{" CN", false},
	}
	for _, tt := range tests {
		if got := IsCountryCode(tt.code); got != tt.want {
			t.Errorf("IsCountryCode(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func TestCountryName(t *testing.T) {
	tests := []struct {
		code, want string
	}{
		{"CN", "China"},
		{"RU", "Russian Federation"},
		{"BY", "Belarus"},
		{"DE", "Germany"},
		{"KZ", "Kazakhstan"},
		{"SS", "South Sudan"},
		{"AD", "Andorra"},
		{"ZW", "Zimbabwe"},
		{"cn", ""},
		{"XK", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CountryName(tt.code); got != tt.want {
			t.Errorf("CountryName(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

// Hand computation of the ISO 6346 check digits used below.
//
// Letter values: A10 B12 C13 D14 E15 F16 G17 H18 I19 J20 K21 L23 M24 N25 O26
// P27 Q28 R29 S30 T31 U32 V34 W35 X36 Y37 Z38. Weights for positions 0..9:
// 1 2 4 8 16 32 64 128 256 512.
//
// CSQU305438: C13·1=13, S30·2=60, Q28·4=112, U32·8=256, 3·16=48, 0·32=0,
// 5·64=320, 4·128=512, 3·256=768, 8·512=4096; sum 6185;
// 6185 = 11·562 + 3, so the check digit is 3: CSQU3054383.
//
// CSQU305430: as above but the last serial digit 0 instead of 8, so
// 6185 − 4096 = 2089 = 11·189 + 10; 10 mod 10 = 0: CSQU3054300.
//
// CSQJ305438: as CSQU305438 with J20·8=160 instead of U32·8=256, so
// 6185 − 96 = 6089 = 11·553 + 6: CSQJ3054386.
//
// CSQZ305438: as CSQU305438 with Z38·8=304 instead of 256, so
// 6185 + 48 = 6233 = 11·566 + 7: CSQZ3054387.
//
// MSKU907032: M24·1=24, S30·2=60, K21·4=84, U32·8=256, 9·16=144, 0·32=0,
// 7·64=448, 0·128=0, 3·256=768, 2·512=1024; sum 2808;
// 2808 = 11·255 + 3: MSKU9070323.
//
// TGHU992763: T31·1=31, G17·2=34, H18·4=72, U32·8=256, 9·16=144, 9·32=288,
// 2·64=128, 7·128=896, 6·256=1536, 3·512=1536; sum 4921;
// 4921 = 11·447 + 4, so the check digit is 4: TGHU9927634 is valid and
// TGHU9927630 is not.
func TestValidContainerNumber(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string // "" for valid
	}{
		{"CSQU3054383", ""},
		{"CSQU3054300", ""}, // remainder 10 gives check digit 0
		{"CSQJ3054386", ""},
		{"CSQZ3054387", ""},
		{"MSKU9070323", ""},
		{"TGHU9927634", ""},

		{"CSQU3054384", "check digit must be 3, not 4"},
		{"CSQU3054380", "check digit must be 3, not 0"},
		{"TGHU9927630", "check digit must be 4, not 0"},
		{"MSKU9070320", "check digit must be 3, not 0"},
		{"CSQU305438X", "check digit must be the digit 3"},
		{"CSQA3054383", "category must be U, J or Z"},
		{"CSQ13054383", "category must be U, J or Z"},
		{"CSQU305438", "must be 11 characters"},
		{"CSQU30543833", "must be 11 characters"},
		{"", "must be 11 characters"},
		{"CSQU 305438 3", "must be 11 characters"},
		{"csqu3054383", "owner code must be 3 letters A–Z"},
		{"CsQU3054383", "owner code must be 3 letters A–Z"},
		{"C5QU3054383", "owner code must be 3 letters A–Z"},
		{"CSQu3054383", "category must be U, J or Z"},
		{"CSQU30543O3", "serial number must be 6 digits"},
		{"CSQUA054383", "serial number must be 6 digits"},
		{"ÄSQU305438", "owner code must be 3 letters A–Z"}, // 11 bytes, Ä is 2
	}
	for _, tt := range tests {
		err := ValidContainerNumber(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ValidContainerNumber(%q) = %q, want nil", tt.in, err)
		case tt.wantErr != "" && err == nil:
			t.Errorf("ValidContainerNumber(%q) = nil, want %q", tt.in, tt.wantErr)
		case tt.wantErr != "" && err.Error() != tt.wantErr:
			t.Errorf("ValidContainerNumber(%q) = %q, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestContainerCheckDigitMatchesHandComputation(t *testing.T) {
	tests := []struct {
		first10 string
		want    int
	}{
		{"CSQU305438", 3},
		{"CSQU305430", 0},
		{"CSQJ305438", 6},
		{"CSQZ305438", 7},
		{"MSKU907032", 3},
		{"TGHU992763", 4},
	}
	for _, tt := range tests {
		if got := containerCheckDigit(tt.first10); got != tt.want {
			t.Errorf("containerCheckDigit(%q) = %d, want %d", tt.first10, got, tt.want)
		}
	}
}

func TestContainerLetterValues(t *testing.T) {
	// A=10, then increasing by one but skipping the multiples of 11.
	v := 10
	for i := 0; i < 26; i++ {
		if v%11 == 0 {
			v++
		}
		if containerLetterValues[i] != v {
			t.Errorf("value of %c = %d, want %d", 'A'+i, containerLetterValues[i], v)
		}
		v++
	}
}

func TestNormalizeContainerNumber(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"CSQU3054383", "CSQU3054383"},
		{"csqu3054383", "CSQU3054383"},
		{" csqu 305438 3 ", "CSQU3054383"},
		{"CSQU-305438-3", "CSQU3054383"},
		{"CSQU\t305438\u00a03", "CSQU3054383"},
		{"", ""},
		{"ä-b", "äB"},
	}
	for _, tt := range tests {
		if got := NormalizeContainerNumber(tt.in); got != tt.want {
			t.Errorf("NormalizeContainerNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if err := ValidContainerNumber(NormalizeContainerNumber("csqu 305438-3")); err != nil {
		t.Errorf("normalised csqu 305438-3: %v", err)
	}
}

func TestValidLocode(t *testing.T) {
	tests := []struct {
		locode, country string
		wantErr         string // "" for valid
	}{
		{"RUMOW", "", ""}, // Moscow
		{"RUMOW", "RU", ""},
		{"BYMSQ", "BY", ""}, // Minsk
		{"DEDUI", "DE", ""}, // Duisburg
		{"DEHAM", "", ""},   // Hamburg
		{"KZALA", "KZ", ""}, // Almaty
		{"UZTAS", "UZ", ""}, // Tashkent
		{"CNQIN", "CN", ""}, // Qingdao
		{"CNJZH", "", ""},
		{"CNTOJ", "CN", ""},
		{"PLMAA", "PL", ""}, // Małaszewicze
		{"CNA29", "", ""},   // digits 2–9 are allowed

		{"KXALA", "", "must start with a country code, and KX is not an ISO 3166-1 country code"},
		{"XKPRN", "", "must start with a country code, and XK is not an ISO 3166-1 country code"},
		{"RUMO1", "", "must be 5 characters: country code and 3 of A–Z, 2–9"},
		{"RUMO0", "RU", "must be 5 characters: country code and 3 of A–Z, 2–9"},
		{"rumow", "", "must be 5 characters: country code and 3 of A–Z, 2–9"},
		{"RUmow", "RU", "must be 5 characters: country code and 3 of A–Z, 2–9"},
		{"R2MOW", "", "must be 5 characters: country code and 3 of A–Z, 2–9"},
		{"RUMO", "", "must be 5 characters: country code and 3 of A–Z, 2–9"},
		{"RUMOWW", "", "must be 5 characters: country code and 3 of A–Z, 2–9"},
		{"RU MOW", "", "must be 5 characters: country code and 3 of A–Z, 2–9"},
		{"", "", "must be 5 characters: country code and 3 of A–Z, 2–9"},
		{"CNQIN", "RU", "must start with the stop's country code RU"},
		{"KXALA", "KZ", "must start with the stop's country code KZ"},
		{"RUMOW", "ru", "must start with the stop's country code ru"},
	}
	for _, tt := range tests {
		err := ValidLocode(tt.locode, tt.country)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ValidLocode(%q, %q) = %q, want nil", tt.locode, tt.country, err)
		case tt.wantErr != "" && err == nil:
			t.Errorf("ValidLocode(%q, %q) = nil, want %q", tt.locode, tt.country, tt.wantErr)
		case tt.wantErr != "" && err.Error() != tt.wantErr:
			t.Errorf("ValidLocode(%q, %q) = %q, want %q", tt.locode, tt.country, err, tt.wantErr)
		}
	}
}

func TestContainerNumberBuildsValidNumbers(t *testing.T) {
	if got := ContainerNumber("CSQ", 'U', 305438); got != "CSQU3054383" {
		t.Fatalf("ContainerNumber = %s, want CSQU3054383", got)
	}
	for serial := 0; serial < 2000; serial += 7 {
		n := ContainerNumber("TGH", 'J', serial)
		if err := ValidContainerNumber(n); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
}
