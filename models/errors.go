package models

import (
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
)

// FieldError names one invalid field and says what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
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

// Add records that field is invalid.
func (p *Problems) Add(field, format string, args ...any) {
	p.list = append(p.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
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

// BadRequest is an EBADREQUEST error naming one field (or none).
func BadRequest(field, format string, args ...any) error {
	e := &Error{Code: EBADREQUEST, Message: fmt.Sprintf(format, args...)}
	if field != "" {
		e.Fields = []FieldError{{Field: field, Message: e.Message}}
	}
	return e
}
