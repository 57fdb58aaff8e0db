package models

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestFieldErrorJSON(t *testing.T) {
	for _, fe := range []FieldError{
		{Field: "x", Message: "is required", Code: CodeRequired},
		NewFieldError("x", CodeRequired, nil, "is required"),
	} {
		b, err := json.Marshal(fe)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"field":"x","message":"is required","code":"required","params":{}}`; string(b) != want {
			t.Errorf("%+v marshals as %s, want %s", fe, b, want)
		}
	}
	b, _ := json.Marshal(NewFieldError("teu", CodeOutOfRange, Params{"min": 0, "max": 1250}, "must be between %d and %d", 0, 1250))
	if want := `{"field":"teu","message":"must be between 0 and 1250","code":"out_of_range","params":{"max":1250,"min":0}}`; string(b) != want {
		t.Errorf("marshals as %s, want %s", b, want)
	}
}

// TestValidatorsAnswerCodes: the validators' errors carry a code and the
// params it needs, which AddErr keeps under the field's name.
func TestValidatorsAnswerCodes(t *testing.T) {
	_, errDay := ParseDay("2024-02-30")
	_, errMonth := ParseMonth("2024-13")
	_, errInstant := ParseInstant("12 Oct")
	_, errYear := ParseInstant("1960-01-01T00:00:00Z")
	tests := []struct {
		err    error
		code   string
		params Params
	}{
		{errDay, CodeInvalidFormat, Params{"format": "date"}},
		{errMonth, CodeInvalidFormat, Params{"format": "month"}},
		{errInstant, CodeInvalidFormat, Params{"format": "instant"}},
		{errYear, CodeOutOfRange, Params{"min": 1970, "max": 9998, "unit": "year"}},
		{ValidContainerNumber("CSQU3054384"), CodeCheckDigit, Params{"expected": 3, "got": "4"}},
		{ValidContainerNumber("CSQU305438X"), CodeCheckDigit, Params{"expected": 3}},
		{ValidContainerNumber("CSQU305438"), CodeInvalidFormat, Params{"format": "container_number", "part": "length"}},
		{ValidContainerNumber("C5QU3054383"), CodeInvalidFormat, Params{"format": "container_number", "part": "owner"}},
		{ValidContainerNumber("CSQA3054383"), CodeInvalidFormat, Params{"format": "container_number", "part": "category"}},
		{ValidContainerNumber("CSQUA054383"), CodeInvalidFormat, Params{"format": "container_number", "part": "serial"}},
		{ValidLocode("RUMO1", ""), CodeInvalidFormat, Params{"format": "locode"}},
		{ValidLocode("CNQIN", "RU"), CodeInvalidFormat, Params{"format": "locode", "prefix": "RU"}},
		{ValidLocode("KXALA", ""), CodeInvalidFormat, Params{"format": "locode", "unknown_country": "KX"}},
	}
	for _, tt := range tests {
		var p Problems
		p.AddErr("f", tt.err)
		var e *Error
		if !errors.As(p.Err(), &e) || len(e.Fields) != 1 {
			t.Fatalf("%v: no field error", tt.err)
		}
		got := e.Fields[0]
		want, _ := json.Marshal(FieldError{Field: "f", Message: tt.err.Error(), Code: tt.code, Params: tt.params})
		if b, _ := json.Marshal(got); string(b) != string(want) {
			t.Errorf("AddErr(%q) = %s, want %s", tt.err, b, want)
		}
	}
}

func TestAddErrRefusesAnErrorWithoutCode(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "without a code") {
			t.Errorf("AddErr of a plain error: recovered %v", r)
		}
	}()
	var p Problems
	p.AddErr("f", errors.New("plain"))
}

// TestFieldCodesListed: every code constant is documented once, with params
// named as the doc says.
func TestFieldCodesListed(t *testing.T) {
	var codes []string
	for _, c := range FieldCodes {
		if c.Code == "" || c.Doc == "" {
			t.Errorf("undocumented code %+v", c)
		}
		for _, r := range c.Requires {
			for _, k := range strings.Split(r, "|") {
				if !strings.Contains(c.Doc, "`"+k+"`") {
					t.Errorf("%s requires %s, which its doc does not name", c.Code, k)
				}
			}
		}
		codes = append(codes, c.Code)
	}
	sorted := slices.Clone(codes)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(codes) {
		t.Errorf("a code is listed twice: %q", codes)
	}
	for _, c := range []string{CodeRequired, CodeInvalidFormat, CodeOutOfRange, CodeTooLong, CodeTooMany, CodeTooFew, CodeInvalidValue,
		CodeCheckDigit, CodeUnknownField, CodeReadOnly, CodeDuplicateKey, CodeDuplicate, CodeConflict, CodeNotFound, CodeInvalidText,
		CodeOrder, CodeExclusive, CodeNoData} {
		if !slices.Contains(codes, c) {
			t.Errorf("the code %s is not in FieldCodes", c)
		}
	}
}
