package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"maps"
	"mime"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"banlie/models"

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
	msg := fmt.Sprintf("must be %s, not %q", strings.Join(types, " or "), ct)
	return &models.Error{Code: models.EMEDIATYPE, Message: "Content-Type " + msg, Fields: []models.FieldError{{Field: "Content-Type", Message: msg}}}
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
		return nil, models.BadRequest("", "the request body could not be read")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, models.BadRequest("", "the request body is empty; send a JSON object")
	}
	if !utf8.Valid(b) {
		return nil, models.BadRequest("", "the request body is not valid UTF-8")
	}
	return b, nil
}

// decodeStrict decodes one JSON object into dst, refusing unknown fields,
// wrong types and trailing data with a 400 that names the field.
func decodeStrict(c echo.Context, dst any) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if t := bytes.TrimSpace(b); t[0] != '{' {
		return models.BadRequest("", "the request body must be a JSON object")
	}
	if path, unknown := scanKeys(b, reflect.TypeOf(dst)); unknown {
		if all := fieldErrors(b, reflect.TypeOf(dst)); all.total > 0 {
			return all.err()
		}
		return models.BadRequest(path, "%s is not a field of this resource", path)
	} else if path != "" {
		return models.BadRequest(path, "%s is given twice", path)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var se *json.SyntaxError
		if !errors.As(err, &se) && !errors.Is(err, io.ErrUnexpectedEOF) {
			if all := fieldErrors(b, reflect.TypeOf(dst)); all.total > 0 {
				return all.err()
			}
		}
		return jsonError("", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return models.BadRequest("", "the request body must hold exactly one JSON object")
	}
	return nil
}

// badFields collects every field of a body that cannot be decoded, so that
// a client learns of all of them at once (the first maxBadFields of them: a
// body of thousands of unknown keys gets a short answer).
type badFields struct {
	list  []models.FieldError
	total int
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
	switch {
	case b.total == 1:
		return &models.Error{Code: models.EBADREQUEST, Message: b.list[0].Message, Fields: b.list}
	case b.total > len(b.list):
		return &models.Error{Code: models.EBADREQUEST, Message: fmt.Sprintf("%d fields are unknown or of the wrong type; the first %d are listed", b.total, len(b.list)), Fields: b.list}
	}
	return &models.Error{Code: models.EBADREQUEST, Message: fmt.Sprintf("%d fields are unknown or of the wrong type", b.total), Fields: b.list}
}

// fieldErrors decodes each member of the JSON object raw on its own into
// its field of struct type t and lists every unknown field (with its path,
// stops[0].extra) and every wrong type, in the body's key order (sorted).
func fieldErrors(raw []byte, t reflect.Type) badFields {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var obj map[string]json.RawMessage
	if t.Kind() != reflect.Struct || json.Unmarshal(raw, &obj) != nil {
		return badFields{}
	}
	fields := jsonFields(t)
	keys := slices.Sorted(maps.Keys(obj))
	var out badFields
	for _, k := range keys {
		ft, ok := fields[k]

		if !ok {
			out.add(models.BadRequest(k, "%s is not a field of this resource", k))
			continue
		}
		if u := unknownField(obj[k], ft, k); u != "" {
			out.add(models.BadRequest(u, "%s is not a field of this resource", u))
			continue
		}
		v := reflect.New(ft)
		dec := json.NewDecoder(bytes.NewReader(obj[k]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v.Interface()); err != nil {
			out.add(jsonError(k, err))
		}
	}
	return out
}

// jsonFields maps the JSON names of struct type t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	return fields
}

// duplicateKey finds a key given twice in one JSON object of raw, at any
// depth, and answers its path (stops[1].name), or "" when there is none or
// raw is not valid JSON (the decoder says so then). It scans the bytes
// itself: it runs on every write, and json.Decoder.Token allocates per token.
func duplicateKey(raw []byte) string {
	path, unknown := scanKeys(raw, nil)
	if unknown {
		return ""
	}
	return path
}

// scanKeys is duplicateKey that also checks, when t is a struct type, that
// every key names one of its fields exactly, at any depth: encoding/json
// would take "TEU" or "ſtatus" for "teu" and "status", and a body should say
// what it means. It answers the first problem's path and whether it is an
// unknown key (else a duplicate).
func scanKeys(raw []byte, t reflect.Type) (path string, unknown bool) {
	d := dupScanner{raw: raw}
	path, _ = d.value(0, t)
	return path, d.unknown
}

type dupScanner struct {
	raw     []byte
	i       int
	unknown bool // the problem found is a key the type does not have
}

// structFields caches jsonFields per struct type: every write reads them.
var structFields sync.Map // reflect.Type → map[string]reflect.Type

func fieldsOf(t reflect.Type) map[string]reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if f, ok := structFields.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f := jsonFields(t)
	structFields.Store(t, f)
	return f
}

// elemOf is the element type of a slice or array type t, or nil.
func elemOf(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return t.Elem()
	}
	return nil
}

func (d *dupScanner) ws() {
	for d.i < len(d.raw) {
		switch d.raw[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// str reads a JSON string at d.i and answers its raw contents and whether
// they hold an escape.
func (d *dupScanner) str() (s []byte, escaped, ok bool) {
	if d.i >= len(d.raw) || d.raw[d.i] != '"' {
		return nil, false, false
	}
	start := d.i + 1
	for j := start; j < len(d.raw); j++ {
		switch d.raw[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			d.i = j + 1
			return d.raw[start:j], escaped, true
		}
	}
	return nil, false, false
}

// value scans one value and answers the path of a duplicate key below it,
// relative to it, and whether the scan could go on.
func (d *dupScanner) value(depth int, t reflect.Type) (string, bool) {
	if depth > 10000 {
		return "", false
	}
	d.ws()
	if d.i >= len(d.raw) {
		return "", false
	}
	switch d.raw[d.i] {
	case '{':
		d.i++
		// Keys are compared as encoding/json matches fields: without regard
		// to case, so "teu" and "TEU" are one key given twice. A small
		// object is searched in a list, a large one in a map.
		var keys []string
		var many map[string]bool
		var seenRaw [][]byte // a struct's keys, as written (no escapes)
		fields := fieldsOf(t)
		for first := true; ; first = false {
			d.ws()
			if d.i < len(d.raw) && d.raw[d.i] == '}' && first {
				d.i++
				return "", true
			}
			k, escaped, ok := d.str()
			if !ok {
				return "", false
			}
			var ft reflect.Type
			name := k // the key, unescaped
			if escaped {
				var unq string
				if json.Unmarshal(d.raw[d.i-len(k)-2:d.i], &unq) != nil {
					return "", false
				}
				name = []byte(unq)
			}
			if fields != nil {
				// A struct's object, the common case: names must match a
				// field exactly, so repeats are exact too, and nothing is
				// allocated (a map index by string(bytes) copies nothing).
				var known bool
				if ft, known = fields[string(name)]; !known {
					d.unknown = true
					return string(name), false
				}
				for _, seen := range seenRaw {
					if bytes.Equal(seen, name) {
						return string(name), false
					}
				}
				seenRaw = append(seenRaw, name)
			} else {
				key := string(name)
				folded := strings.ToLower(strings.ToUpper(key)) // ſ and K fold too
				if many != nil {
					if many[folded] {
						return key, false
					}
					many[folded] = true
				} else {
					for _, seen := range keys {
						if seen == folded {
							return key, false
						}
					}
					keys = append(keys, folded)
					if len(keys) > 16 {
						many = make(map[string]bool, 64)
						for _, k := range keys {
							many[k] = true
						}
					}
				}
			}
			d.ws()
			if d.i >= len(d.raw) || d.raw[d.i] != ':' {
				return "", false
			}
			d.i++
			if dup, ok := d.value(depth+1, ft); dup != "" {
				return joinPath(string(name), dup), false
			} else if !ok {
				return "", false
			}
			if more, ok := d.next('}'); !more {
				return "", ok
			}
		}
	case '[':
		d.i++
		for n := 0; ; n++ {
			d.ws()
			if d.i < len(d.raw) && d.raw[d.i] == ']' && n == 0 {
				d.i++
				return "", true
			}
			if dup, ok := d.value(depth+1, elemOf(t)); dup != "" {
				return joinPath("["+strconv.Itoa(n)+"]", dup), false
			} else if !ok {
				return "", false
			}
			if more, ok := d.next(']'); !more {
				return "", ok
			}
		}
	case '"':
		_, _, ok := d.str()
		return "", ok
	default: // a number, true, false or null: up to the next delimiter
		for d.i < len(d.raw) {
			switch d.raw[d.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return "", true
			}
			d.i++
		}
		return "", true
	}
}

// next reads what follows a member or an element: a comma (more to come)
// or the closing bracket (ok, no more); anything else is not JSON.
func (d *dupScanner) next(closing byte) (more, ok bool) {
	d.ws()
	if d.i >= len(d.raw) {
		return false, false
	}
	d.i++
	switch d.raw[d.i-1] {
	case ',':
		return true, true
	case closing:
		return false, true
	}
	return false, false
}

func joinPath(head, rest string) string {
	if strings.HasPrefix(rest, "[") {
		return head + rest
	}
	return head + "." + rest
}

// jsonError turns a decoding error into a 400 naming the field.
func jsonError(field string, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.Is(err, errNull):
		return models.BadRequest(field, "%s cannot be null; leave it out to keep its value", field)
	case errors.As(err, &te):
		f := te.Field
		if field != "" {
			f = strings.TrimSuffix(field+"."+te.Field, ".")
		}
		if f == "" {
			return models.BadRequest("", "the request body must be a JSON object")
		}
		return models.BadRequest(f, "%s must be %s, not a JSON %s", f, jsonKind(te.Type), te.Value)
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return models.BadRequest("", "the request body is not valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return models.BadRequest(name, "%s is not a field of this resource", name)
	}
	return models.BadRequest(field, "the request body is not valid JSON")
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// patchFields maps the JSON names a PATCH accepts to setters.
type patchFields map[string]func(raw json.RawMessage) error

// decodePatch decodes a partial update: only the fields present are set, an
// explicit null clears a nullable field, unknown fields are refused.
func decodePatch(c echo.Context, fields patchFields) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if path := duplicateKey(b); path != "" {
		return models.BadRequest(path, "%s is given twice", path)
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil || m == nil {
		if err == nil || errors.As(err, new(*json.UnmarshalTypeError)) {
			return models.BadRequest("", "the request body must be a JSON object")
		}
		return jsonError("", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return models.BadRequest("", "the request body must hold exactly one JSON object")
	}
	var bad badFields
	for _, name := range slices.Sorted(maps.Keys(m)) {
		set, ok := fields[name]
		if !ok {
			bad.add(models.BadRequest(name, "%s is not a field of this resource or cannot be changed", name))
			continue
		}
		if err := set(m[name]); err != nil {
			bad.add(jsonError(name, err))
		}
	}
	if bad.total > 0 {
		return bad.err()
	}
	return nil
}

// errNull is a null given for a field that cannot be empty.
var errNull = errors.New("null")

// into decodes a present field that cannot be null into a pointer.
func into[T any](dst **T) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		if string(bytes.TrimSpace(raw)) == "null" {
			return errNull
		}
		return decodeRaw(raw, dst)
	}
}

// opt decodes a nullable field: null clears it.
func opt[T any](dst *models.Opt[T]) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		dst.Set = true
		return decodeRaw(raw, &dst.Value)
	}
}

func decodeRaw[T any](raw json.RawMessage, dst **T) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// escape makes text safe inside HTML.
func escape(s string) string { return html.EscapeString(s) }

// unknownField finds the first field of the JSON value raw that type t does
// not have, with its path (stops[0].extra), or "" when there is none.
func unknownField(raw []byte, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		fields := jsonFields(t)
		keys := slices.Sorted(maps.Keys(obj))
		for _, k := range keys {
			p := strings.TrimPrefix(path+"."+k, ".")
			ft, ok := fields[k]
			if !ok {
				for name, t := range fields { // encoding/json matches names without regard to case
					if strings.EqualFold(name, k) {
						ft, ok = t, true
					}
				}
			}
			if !ok {
				return p
			}
			if u := unknownField(obj[k], ft, p); u != "" {
				return u
			}
		}
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		for i, it := range items {
			if u := unknownField(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); u != "" {
				return u
			}
		}
	}
	return ""
}
