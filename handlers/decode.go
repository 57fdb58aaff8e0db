package handlers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"banlie/models"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"
)

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// requireMediaType refuses a body whose Content-Type is given and is not
// one of types (415, naming Content-Type). No Content-Type at all is taken
// as the endpoint's own format.
func requireMediaType(c echo.Context, types ...string) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, t := range types {
			if mt == t || t == "application/json" && strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json") {
				return nil
			}
		}
	}
	f := models.NewFieldError("Content-Type", models.CodeInvalidValue, models.Params{"allowed": types, "value": ct},
		"must be %s, not %q", strings.Join(types, " or "), ct)
	return &models.Error{Code: models.EMEDIATYPE, Message: "Content-Type " + f.Message, Fields: []models.FieldError{f}}
}

// readBody reads the whole body (bounded by the body-limit middleware) of
// a JSON request.
func readBody(c echo.Context) ([]byte, error) {
	// curl -d labels a body application/x-www-form-urlencoded unless told
	// otherwise; the body is read as JSON all the same (a form could not
	// carry the Bearer token anyway).
	if c.Request().Header.Get(echo.HeaderContentType) != echo.MIMEApplicationForm {
		if err := requireMediaType(c, "application/json"); err != nil {
			return nil, err
		}
		if err := requireUTF8Charset(c); err != nil {
			return nil, err
		}
	}
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, models.BadRequestf("the request body could not be read")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, models.BadRequestf("the request body is empty; send a JSON object")
	}
	if !utf8.Valid(b) {
		return nil, models.BadRequestf("the request body is not valid UTF-8")
	}
	return b, nil
}

// strict are the options of every decoding of a request body: a member
// name must be a field's JSON name exactly (no case-insensitive matching:
// "TEU" or "ſtatus" is not "teu" or "status"), a name no field has is
// refused, and so is a name given twice in one object, at any depth.
var strict = jsonv2.JoinOptions(
	jsonv2.RejectUnknownMembers(true),
	jsonv2.MatchCaseInsensitiveNames(false),
	jsontext.AllowDuplicateNames(false),
)

// decodeStrict decodes one JSON object into dst, refusing unknown fields,
// fields given twice, wrong types and trailing data with a 400 that names
// every bad field.
func decodeStrict(c echo.Context, dst any) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeStrictBody(b, dst)
}

// decodeStrictBody is decodeStrict of a body already read. A good body is
// decoded once; only a bad one is read again, to list all its problems.
func decodeStrictBody(b []byte, dst any) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return models.BadRequestf("the request body must be a JSON object")
	}
	if err := jsonv2.Unmarshal(b, dst, strict); err != nil {
		return strictError(b, reflect.TypeOf(dst), err)
	}
	return nil
}

// strictError explains why the object b does not decode into t (a pointer
// type). The decoder stops at the first problem, so each member of b is
// decoded again on its own into a new value of t, and every member that
// cannot be is listed, in name order: a client learns of all its bad fields
// at once (of each member, the first problem found in it).
func strictError(b []byte, t reflect.Type, first error) error {
	if t == nil || t.Kind() != reflect.Pointer {
		return first // not a body's fault: dst must be a pointer
	}
	ms, more, err := members(b)
	if err != nil {
		return models.BadRequestf("the request body is not valid JSON")
	}
	slices.SortStableFunc(ms, func(x, y member) int { return cmp.Compare(x.name, y.name) })
	var bad badFields
	var one []byte
	for i := 0; i < len(ms); i++ {
		m := ms[i]
		twice := false
		for i+1 < len(ms) && ms[i+1].name == m.name {
			twice = true
			i++
		}
		one, _ = jsontext.AppendQuote(append(one[:0], '{'), m.name) // a name read from JSON quotes again
		one = append(append(append(one, ':'), m.value...), '}')
		err := jsonv2.Unmarshal(one, reflect.New(t.Elem()).Interface(), strict)
		var se *jsonv2.SemanticError
		switch {
		case twice && errors.As(err, &se) && se.Err == jsonv2.ErrUnknownName && se.JSONPointer.Parent() == "":
			bad.add(decodeError("", err)) // a name no field has is unknown, however often given
		case twice:
			bad.add(models.BadField(m.name, models.CodeDuplicateKey, nil, "%s is given twice", m.name))
			bad.twice = true
		case err != nil && len(bad.list) == maxBadFields:
			bad.total++ // counted, not listed: no message to write
		case err != nil:
			bad.add(decodeError("", err))
		}
	}
	switch {
	case bad.total > 0:
		return bad.err()
	case more:
		return models.BadRequestf("the request body must hold exactly one JSON object")
	}
	return decodeError("", first)
}

// member is one member of a JSON object: its name, unescaped, and its
// value as written.
type member struct {
	name  string
	value []byte
}

// errNotObject is a valid JSON value that is not an object.
var errNotObject = errors.New("not an object")

// members reads the JSON object at the start of b and answers its members
// in the order written (a name given twice is in it twice) and whether
// anything but whitespace follows the object. It answers errNotObject for
// another JSON value, and the decoder's error for what is not JSON.
func members(b []byte) (ms []member, more bool, err error) {
	dec := jsontext.NewDecoder(bytes.NewBuffer(b), jsontext.AllowDuplicateNames(true))
	if dec.PeekKind() != '{' {
		if _, err := dec.ReadValue(); err != nil {
			return nil, false, err
		}
		return nil, false, errNotObject
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, false, err
	}
	ms = make([]member, 0, 16) // a write's fields, in one allocation
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, false, err
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return nil, false, err
		}
		end := int(dec.InputOffset())
		ms = append(ms, member{name, b[end-len(v) : end]})
	}
	if _, err := dec.ReadToken(); err != nil { // the closing brace, or what is not JSON
		return nil, false, err
	}
	_, err = dec.ReadToken()
	return ms, err != io.EOF, nil
}

// badFields collects every field of a body that cannot be decoded, so that
// a client learns of all of them at once (the first maxBadFields of them: a
// body of thousands of unknown keys gets a short answer).
type badFields struct {
	list  []models.FieldError
	total int
	twice bool // a field given twice is among them
}

const maxBadFields = 50

func (b *badFields) add(err error) {
	var e *models.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			b.total++
			if len(b.list) < maxBadFields {
				b.list = append(b.list, f)
			}
		}
	}
}

func (b badFields) err() error {
	what := "unknown or of the wrong type"
	if b.twice {
		what = "unknown, given twice or of the wrong type"
	}
	switch {
	case b.total == 1:
		return &models.Error{Code: models.EBADREQUEST, Message: b.list[0].Message, Fields: b.list}
	case b.total > len(b.list):
		return &models.Error{Code: models.EBADREQUEST, Message: fmt.Sprintf("%d fields are %s; the first %d are listed", b.total, what, len(b.list)), Fields: b.list}
	}
	return &models.Error{Code: models.EBADREQUEST, Message: fmt.Sprintf("%d fields are %s", b.total, what), Fields: b.list}
}

// duplicateKey finds a member name given twice in one JSON object of raw,
// at any depth, and answers its path (stops[1].name), or "" when there is
// none or raw does not start with a valid JSON value (the decoder says so
// then). Names are compared without regard to case, as Unicode folds it:
// "teu" and "TEU", or "status" and "ſtatus", are one name given twice. A
// PATCH is checked so before its fields are read: a client that wrote a
// field twice in two cases is told so, not that one of them is unknown.
func duplicateKey(raw []byte) string {
	dec := jsontext.NewDecoder(bytes.NewBuffer(raw), jsontext.AllowDuplicateNames(true))
	open := make([]foldedNames, 0, 8) // the names of each object being read, outermost first
	for {
		depth := dec.StackDepth()
		kind, length := dec.StackIndex(depth)
		tok, err := dec.ReadToken()
		if err != nil {
			return ""
		}
		switch tok.Kind() {
		case '{':
			open = append(open, foldedNames{})
		case '}':
			open = open[:len(open)-1]
		case '"':
			if kind == '{' && length%2 == 0 && !open[len(open)-1].add(tok.String()) {
				return stackPath(dec)
			}
		}
		if dec.StackDepth() == 0 {
			return ""
		}
	}
}

// foldedNames is the set of the names of one object, folded: a small
// object's in a list, a large one's in a map (a body of 100,000 names is
// read in linear time).
type foldedNames struct {
	list []string
	many map[string]bool
}

// add adds name to the set and answers false if it was there already.
func (f *foldedNames) add(name string) bool {
	folded := strings.ToLower(name) // allocates nothing for a lower-case ASCII name
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf { // ſ and K fold too
			folded = strings.ToLower(strings.ToUpper(name))
			break
		}
	}
	if f.many != nil {
		if f.many[folded] {
			return false
		}
		f.many[folded] = true
		return true
	}
	if slices.Contains(f.list, folded) {
		return false
	}
	f.list = append(f.list, folded)
	if len(f.list) > 16 {
		f.many = make(map[string]bool, 64)
		for _, k := range f.list {
			f.many[k] = true
		}
	}
	return true
}

// stackPath is the path (stops[1].name) of the value or name dec read last.
func stackPath(dec *jsontext.Decoder) string {
	var b strings.Builder
	depth := 0
	for tok := range dec.StackPointer().Tokens() {
		depth++
		if kind, _ := dec.StackIndex(depth); kind == '[' {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// pointerPath turns a JSON Pointer of an error (/stops/1/nmae) into a
// field's path (stops[1].nmae). A token of digits is an array index, but
// the last one of an error about a name (unknown, or given twice): no
// field of the API is named in digits.
func pointerPath(p jsontext.Pointer, lastIsName bool) string {
	var b strings.Builder
	n := strings.Count(string(p), "/") // the number of tokens
	i := 0
	for tok := range p.Tokens() {
		i++
		if isIndex(tok) && !(lastIsName && i == n) {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

func isIndex(tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return false
		}
	}
	return true
}

// joinPath joins a field's path and the path of a value within it.
func joinPath(head, rest string) string {
	switch {
	case head == "":
		return rest
	case rest == "":
		return head
	case strings.HasPrefix(rest, "["):
		return head + rest
	}
	return head + "." + rest
}

// decodeError turns an error of decoding the value of field (the whole
// body when "") into a 400 naming the field within it that is wrong.
func decodeError(field string, err error) error {
	var se *jsonv2.SemanticError
	var sy *jsontext.SyntacticError
	var null nullError
	switch {
	case errors.As(err, &null):
		return models.BadField(field, models.CodeInvalidFormat, models.Params{"type": jsonType(null.typ), "got": "null"},
			"%s cannot be null; leave it out to keep its value", field)
	case errors.As(err, &sy) && sy.Err == jsontext.ErrDuplicateName:
		f := joinPath(field, pointerPath(sy.JSONPointer, true))
		return models.BadField(f, models.CodeDuplicateKey, nil, "%s is given twice", f)
	case errors.As(err, &se) && se.Err == jsonv2.ErrUnknownName:
		f := joinPath(field, pointerPath(se.JSONPointer, true))
		return models.BadField(f, models.CodeUnknownField, nil, "%s is not a field of this resource", f)
	case errors.As(err, &se) && se.GoType != nil && se.JSONKind != 0:
		f := joinPath(field, pointerPath(se.JSONPointer, false))
		if f == "" {
			return models.BadRequestf("the request body must be a JSON object")
		}
		params := models.Params{"type": jsonType(se.GoType), "got": jsonGot(se.JSONKind)}
		if v := jsonValue(se); strings.HasPrefix(v, "number ") {
			params["value"] = strings.TrimPrefix(v, "number ")
		}
		return models.BadField(f, models.CodeInvalidFormat, params, "%s must be %s, not a JSON %s", f, jsonKind(se.GoType), jsonValue(se))
	case errors.As(err, &sy), errors.Is(err, io.ErrUnexpectedEOF):
		return models.BadRequestf("the request body is not valid JSON")
	}
	return models.BadField(field, models.CodeInvalidFormat, models.Params{"format": "json"}, "the request body is not valid JSON")
}

// jsonValue names the JSON value of a type error: its kind, and a number
// that does not fit a numeric field (number 2.5, number 1e400) in full.
func jsonValue(se *jsonv2.SemanticError) string {
	switch se.JSONKind {
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case '[':
		return "array"
	case '{':
		return "object"
	case 'n':
		return "null"
	case '0':
		if k := jsonKind(se.GoType); (k == "an integer" || k == "a number") && len(se.JSONValue) > 0 {
			return "number " + string(se.JSONValue)
		}
		return "number"
	}
	return se.JSONKind.String()
}

func jsonKind(t reflect.Type) string {
	switch jsonType(t) {
	case "string":
		return "a string"
	case "boolean":
		return "true or false"
	case "integer":
		return "an integer"
	case "number":
		return "a number"
	case "array":
		return "an array"
	}
	return "an object"
}

// jsonType names the JSON type a Go type decodes from, as JSON Schema
// does: string, boolean, integer, number, array or object.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// jsonGot names the JSON type of a value given, as jsonType does.
func jsonGot(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case '[':
		return "array"
	case '{':
		return "object"
	case 'n':
		return "null"
	case '0':
		return "number"
	}
	return k.String()
}

// patchFields maps the JSON names a PATCH accepts to setters, each given
// the member's value as written.
type patchFields map[string]func(raw []byte) error

// decodePatch decodes a partial update: only the fields present are set, an
// explicit null clears a nullable field, unknown fields are refused.
func decodePatch(c echo.Context, fields patchFields) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	return decodePatchBody(b, fields)
}

// decodePatchBody is decodePatch of a body already read.
func decodePatchBody(b []byte, fields patchFields) error {
	if path := duplicateKey(b); path != "" {
		return models.BadField(path, models.CodeDuplicateKey, nil, "%s is given twice", path)
	}
	ms, more, err := members(b)
	switch {
	case errors.Is(err, errNotObject):
		return models.BadRequestf("the request body must be a JSON object")
	case err != nil:
		return models.BadRequestf("the request body is not valid JSON")
	case more:
		return models.BadRequestf("the request body must hold exactly one JSON object")
	}
	slices.SortFunc(ms, func(x, y member) int { return cmp.Compare(x.name, y.name) })
	var bad badFields
	for _, m := range ms {
		set, ok := fields[m.name]
		if !ok {
			bad.add(models.BadField(m.name, models.CodeUnknownField, nil, "%s is not a field of this resource or cannot be changed", m.name))
			continue
		}
		if err := set(m.value); err != nil {
			bad.add(decodeError(m.name, err))
		}
	}
	if bad.total > 0 {
		return bad.err()
	}
	return nil
}

// nullError is a null given for a field that cannot be empty, of type typ.
type nullError struct{ typ reflect.Type }

func (nullError) Error() string { return "null" }

// into decodes a present field that cannot be null into a pointer.
func into[T any](dst **T) func([]byte) error {
	return func(raw []byte) error {
		if string(raw) == "null" {
			return nullError{reflect.TypeFor[T]()}
		}
		return decodeRaw(raw, dst)
	}
}

// opt decodes a nullable field: null clears it.
func opt[T any](dst *models.Opt[T]) func([]byte) error {
	return func(raw []byte) error {
		dst.Set = true
		return decodeRaw(raw, &dst.Value)
	}
}

func decodeRaw[T any](raw []byte, dst **T) error {
	return jsonv2.Unmarshal(raw, dst, strict)
}

// escape makes text safe inside HTML.
func escape(s string) string { return html.EscapeString(s) }
