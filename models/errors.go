package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error codes. One table in the HTTP layer maps each to a status.
const (
	EINVALID    = "invalid"     // well-formed input with invalid values
	EBADREQUEST = "bad_request" // input that cannot be parsed at all
	EMEDIATYPE  = "media_type"  // a body in a format the endpoint does not take
	ENOTFOUND   = "not_found"
	ECONFLICT   = "conflict"
	EINTERNAL   = "internal"
	// EBUSY: the server keeps no more of what was asked for now (open
	// streams); a retry later may succeed.
	EBUSY = "busy"
)

// FieldError names one invalid field and says what is wrong with it: Code
// (one of FieldCodes) and Params for programs, which build their own texts
// from them, and Message in English for people.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code"`
	Params  Params `json:"params"`
}

// Error makes a FieldError without a field an error, as validators such as
// ParseDay answer it; Problems.AddErr names the field.
func (f *FieldError) Error() string { return f.Message }

// Params are the values a FieldError's message uses, by name: always an
// object in JSON, {} when there are none.
type Params map[string]any

// MarshalJSON writes nil Params as {} and keys in order.
func (p Params) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]any(p))
}

// NewFieldError builds a field error with its code, params and message.
func NewFieldError(field, code string, params Params, format string, args ...any) FieldError {
	if params == nil {
		params = Params{}
	}
	return FieldError{Field: field, Code: code, Params: params, Message: fmt.Sprintf(format, args...)}
}

// Invalid is the error a validator answers for a value whatever field holds
// it: a FieldError without a field.
func Invalid(code string, params Params, format string, args ...any) *FieldError {
	f := NewFieldError("", code, params, format, args...)
	return &f
}

// Error is a domain error with a code. Message is safe to show to a client.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%d field errors, first %s: %s)", e.Code, e.Message, len(e.Fields), e.Fields[0].Field, e.Fields[0].Message)
}

// ErrorCode returns the code of err, or EINTERNAL when err carries none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Errorf builds a coded error with a client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Problems collects field errors so that every invalid field is reported at once.
type Problems struct {
	list []FieldError
}

// Add records that field is invalid: code (one of FieldCodes) and params
// for programs, the message in English.
func (p *Problems) Add(field, code string, params Params, format string, args ...any) {
	p.list = append(p.list, NewFieldError(field, code, params, format, args...))
}

// AddErr records a validator's error (an *FieldError, see Invalid) as the
// error of field. Any other error is a programming mistake and panics: it
// has no code.
func (p *Problems) AddErr(field string, err error) {
	var f *FieldError
	if !errors.As(err, &f) {
		panic(fmt.Sprintf("models: AddErr(%q) of an error without a code: %v", field, err))
	}
	fe := *f
	fe.Field = field
	p.list = append(p.list, fe)
}

// Has reports whether field already has an error, so that dependent checks can be skipped.
func (p *Problems) Has(field string) bool {
	for _, f := range p.list {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns nil when nothing was added, else an EINVALID error listing every field.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "the request has invalid values", Fields: p.list}
}

// orderFrom sorts the problems added since the list held start entries by
// the index of their field (or the field its [index] belongs to) in fields,
// keeping the order of equal ones: a body's problems read in the order of
// its fields, however they were found.
func (p *Problems) orderFrom(start int, fields ...string) {
	rank := func(f string) int {
		if i := strings.IndexByte(f, '['); i >= 0 {
			f = f[:i]
		}
		if i := slices.Index(fields, f); i >= 0 {
			return i
		}
		return len(fields)
	}
	slices.SortStableFunc(p.list[start:], func(a, b FieldError) int { return rank(a.Field) - rank(b.Field) })
}

// BadRequestf is an EBADREQUEST error about the request as a whole, naming
// no field.
func BadRequestf(format string, args ...any) error {
	return &Error{Code: EBADREQUEST, Message: fmt.Sprintf(format, args...)}
}

// BadField is an EBADREQUEST error naming one field (or parameter), whose
// message is also the problem's.
func BadField(field, code string, params Params, format string, args ...any) error {
	f := NewFieldError(field, code, params, format, args...)
	return &Error{Code: EBADREQUEST, Message: f.Message, Fields: []FieldError{f}}
}
