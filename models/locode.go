package models

var errLocodeFormat = Invalid(CodeInvalidFormat, Params{"format": "locode"}, "must be 5 characters: country code and 3 of A–Z, 2–9")

func isLocodeChar(b byte) bool {
	return isUpperASCII(b) || (b >= '2' && b <= '9')
}

// ValidLocode checks that locode is a well-formed UN/LOCODE: an officially
// assigned ISO 3166-1 alpha-2 country code (see IsCountryCode) followed by
// 3 characters from A–Z and 2–9. When country is not empty, the locode must
// also start with exactly that country code.
//
// locode must already be upper case; "rumow" is rejected. It returns nil if
// locode is valid, and otherwise an error whose message tells the user what
// to fix, such as "must start with the stop's country code RU".
func ValidLocode(locode, country string) error {
	if len(locode) != 5 {
		return errLocodeFormat
	}
	if !isUpperASCII(locode[0]) || !isUpperASCII(locode[1]) {
		return errLocodeFormat
	}
	for i := 2; i < 5; i++ {
		if !isLocodeChar(locode[i]) {
			return errLocodeFormat
		}
	}
	prefix := locode[:2]
	if country != "" && prefix != country {
		return Invalid(CodeInvalidFormat, Params{"format": "locode", "prefix": country}, "must start with the stop's country code %s", country)
	}
	if !IsCountryCode(prefix) {
		return Invalid(CodeInvalidFormat, Params{"format": "locode", "unknown_country": prefix}, "must start with a country code, and %s is not an ISO 3166-1 country code", prefix)
	}
	return nil
}
