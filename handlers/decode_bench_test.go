package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"banlie/models"
)

// BenchmarkDecode times the strict decoding of representative request
// bodies with the decoder in use (new) and with the one it replaced (old, a
// copy of which is kept below, in this file only), paired in one run:
//
//	go test ./handlers -run '^$' -bench Decode -benchmem
//
// Each body is decoded once and compared, field by field, with what it
// holds before the timing; the last value decoded in the timed loop is
// compared again after it.
func BenchmarkDecode(b *testing.B) {
	for _, c := range decodeCases() {
		for _, impl := range []struct {
			name   string
			decode func() (any, error)
		}{{"old", c.old}, {"new", c.new}} {
			b.Run(c.name+"/"+impl.name, func(b *testing.B) {
				check := func(got any, err error) {
					b.Helper()
					if c.wantFields != nil {
						var e *models.Error
						if !errors.As(err, &e) || !reflect.DeepEqual(fieldNames(e), c.wantFields) {
							b.Fatalf("error %v, want fields %v", err, c.wantFields)
						}
						return
					}
					if err != nil {
						b.Fatal(err)
					}
					if !reflect.DeepEqual(got, c.want) {
						b.Fatalf("decoded\n%s\nwant\n%s", dump(got), dump(c.want))
					}
				}
				check(impl.decode())
				b.ReportAllocs()
				var got any
				var err error
				for b.Loop() {
					got, err = impl.decode()
				}
				check(got, err)
			})
		}
	}
}

type decodeCase struct {
	name       string
	old, new   func() (any, error)
	want       any      // the value decoded, or
	wantFields []string // the fields an error names
}

func decodeCases() []decodeCase {
	runBody := []byte(`{"route":"SCO-TJ-MOW","number":"X8024","direction":"outbound","departed_at":"2024-10-12T09:30:00+08:00",` +
		`"arrived_at":"2024-10-28T18:00:00+03:00","status":"arrived","containers":55,"teu":110,"cargo":"auto parts",` +
		`"container_numbers":["CSQU3054383","MSKU7750847","TGHU2289334"]}`)
	wantRun := &models.RunInput{Route: "SCO-TJ-MOW", Number: "X8024", Direction: "outbound", DepartedAt: "2024-10-12T09:30:00+08:00",
		ArrivedAt: ref("2024-10-28T18:00:00+03:00"), Status: "arrived", Containers: ref(55), TEU: ref(110), Cargo: ref("auto parts"),
		ContainerNumbers: []string{"CSQU3054383", "MSKU7750847", "TGHU2289334"}}

	routeBody := []byte(`{"code":"SCO-AKL-DUI","name":"SCO – Alashankou – Duisburg","name_zh":"上合示范区—阿拉山口—杜伊斯堡","mode":"rail","stops":[` +
		`{"name":"Jiaozhou","locode":"CNJZH","country":"CN","role":"origin"},` +
		`{"name":"Alashankou","locode":null,"country":"CN","role":"border"},` +
		`{"name":"Dostyk","country":"KZ","role":"border"},` +
		`{"name":"Małaszewicze","locode":"PLMAL","country":"PL","role":"border"},` +
		`{"name":"Duisburg","locode":"DEDUI","country":"DE","role":"destination"}],` +
		`"opened_on":"2021-03-01","tags":["west-corridor","eu"],"active":true}`)
	wantRoute := &models.RouteInput{Code: "SCO-AKL-DUI", Name: "SCO – Alashankou – Duisburg", NameZh: ref("上合示范区—阿拉山口—杜伊斯堡"), Mode: "rail",
		Stops: []models.Stop{
			{Name: "Jiaozhou", Locode: ref("CNJZH"), Country: "CN", Role: "origin"},
			{Name: "Alashankou", Country: "CN", Role: "border"},
			{Name: "Dostyk", Country: "KZ", Role: "border"},
			{Name: "Małaszewicze", Locode: ref("PLMAL"), Country: "PL", Role: "border"},
			{Name: "Duisburg", Locode: ref("DEDUI"), Country: "DE", Role: "destination"},
		},
		OpenedOn: ref("2021-03-01"), Tags: []string{"west-corridor", "eu"}, Active: ref(true)}

	patchBody := []byte(`{"route":"SCO-TJ-MOW","number":"X8025","direction":"inbound","departed_at":"2024-11-01T10:00:00+08:00",` +
		`"arrived_at":null,"status":"departed","containers":41,"teu":82,"cargo":"electronics","container_numbers":["CSQU3054383"]}`)
	wantPatch := &models.RunPatch{Route: ref("SCO-TJ-MOW"), Number: ref("X8025"), Direction: ref("inbound"), DepartedAt: ref("2024-11-01T10:00:00+08:00"),
		ArrivedAt: models.Opt[string]{Set: true}, Status: ref("departed"), Containers: ref(41), TEU: ref(82),
		Cargo: models.Opt[string]{Set: true, Value: ref("electronics")}, ContainerNumbers: models.Opt[[]string]{Set: true, Value: &[]string{"CSQU3054383"}}}

	badBody := []byte(`{"route":"SCO-TJ-MOW","number":8024,"direction":"outbound","departed_at":"2024-10-12T09:30:00+08:00","containers":"55","teu":2.5,"wagons":3}`)

	return []decodeCase{
		{name: "run-create", want: wantRun,
			old: func() (any, error) { var in models.RunInput; return &in, oldDecodeStrict(runBody, &in) },
			new: func() (any, error) { var in models.RunInput; return &in, decodeStrictBody(runBody, &in) }},
		{name: "route-5-stops", want: wantRoute,
			old: func() (any, error) { var in models.RouteInput; return &in, oldDecodeStrict(routeBody, &in) },
			new: func() (any, error) { var in models.RouteInput; return &in, decodeStrictBody(routeBody, &in) }},
		{name: "patch-10-fields", want: wantPatch,
			old: func() (any, error) {
				var p models.RunPatch
				return &p, oldDecodePatch(patchBody, oldPatchFields{
					"route": oldInto(&p.Route), "number": oldInto(&p.Number), "direction": oldInto(&p.Direction),
					"departed_at": oldInto(&p.DepartedAt), "arrived_at": oldOpt(&p.ArrivedAt), "status": oldInto(&p.Status),
					"containers": oldInto(&p.Containers), "teu": oldInto(&p.TEU), "cargo": oldOpt(&p.Cargo),
					"container_numbers": oldOpt(&p.ContainerNumbers)})
			},
			new: func() (any, error) {
				var p models.RunPatch
				return &p, decodePatchBody(patchBody, patchFields{
					"route": into(&p.Route), "number": into(&p.Number), "direction": into(&p.Direction),
					"departed_at": into(&p.DepartedAt), "arrived_at": opt(&p.ArrivedAt), "status": into(&p.Status),
					"containers": into(&p.Containers), "teu": into(&p.TEU), "cargo": opt(&p.Cargo),
					"container_numbers": opt(&p.ContainerNumbers)})
			}},
		{name: "run-create-4-bad-fields", wantFields: []string{"containers", "number", "teu", "wagons"},
			old: func() (any, error) { var in models.RunInput; return &in, oldDecodeStrict(badBody, &in) },
			new: func() (any, error) { var in models.RunInput; return &in, decodeStrictBody(badBody, &in) }},
	}
}

func ref[T any](v T) *T { return &v }

func fieldNames(e *models.Error) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// The strict decoding of request bodies as it was before it was built on
// github.com/go-json-experiment/json, kept only to be measured against the
// new one in the same run. Nothing outside this file calls it.

// oldDecodeStrict decodes one JSON object into dst, refusing unknown fields,
// wrong types and trailing data with a 400 that names the field.
func oldDecodeStrict(b []byte, dst any) error {
	if t := bytes.TrimSpace(b); t[0] != '{' {
		return models.BadRequestf("the request body must be a JSON object")
	}
	if path, unknown := oldScanKeys(b, reflect.TypeOf(dst)); unknown {
		if all := oldFieldErrors(b, reflect.TypeOf(dst)); all.total > 0 {
			return all.err()
		}
		return models.BadField(path, models.CodeUnknownField, nil, "%s is not a field of this resource", path)
	} else if path != "" {
		return models.BadField(path, models.CodeDuplicateKey, nil, "%s is given twice", path)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var se *json.SyntaxError
		if !errors.As(err, &se) && !errors.Is(err, io.ErrUnexpectedEOF) {
			if all := oldFieldErrors(b, reflect.TypeOf(dst)); all.total > 0 {
				return all.err()
			}
		}
		return oldJSONError("", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return models.BadRequestf("the request body must hold exactly one JSON object")
	}
	return nil
}

// oldFieldErrors decodes each member of the JSON object raw on its own into
// its field of struct type t and lists every unknown field (with its path,
// stops[0].extra) and every wrong type, in the body's key order (sorted).
func oldFieldErrors(raw []byte, t reflect.Type) badFields {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var obj map[string]json.RawMessage
	if t.Kind() != reflect.Struct || json.Unmarshal(raw, &obj) != nil {
		return badFields{}
	}
	fields := oldJSONFields(t)
	keys := slices.Sorted(maps.Keys(obj))
	var out badFields
	for _, k := range keys {
		ft, ok := fields[k]

		if !ok {
			out.add(models.BadField(k, models.CodeUnknownField, nil, "%s is not a field of this resource", k))
			continue
		}
		if u := oldUnknownField(obj[k], ft, k); u != "" {
			out.add(models.BadField(u, models.CodeUnknownField, nil, "%s is not a field of this resource", u))
			continue
		}
		v := reflect.New(ft)
		dec := json.NewDecoder(bytes.NewReader(obj[k]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v.Interface()); err != nil {
			out.add(oldJSONError(k, err))
		}
	}
	return out
}

// oldJSONFields maps the JSON names of struct type t's fields to their types.
func oldJSONFields(t reflect.Type) map[string]reflect.Type {
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

// oldDuplicateKey finds a key given twice in one JSON object of raw, at any
// depth, and answers its path (stops[1].name), or "" when there is none or
// raw is not valid JSON (the decoder says so then). It scans the bytes
// itself: it runs on every write, and json.Decoder.Token allocates per token.
func oldDuplicateKey(raw []byte) string {
	path, unknown := oldScanKeys(raw, nil)
	if unknown {
		return ""
	}
	return path
}

// oldScanKeys is oldDuplicateKey that also checks, when t is a struct type, that
// every key names one of its fields exactly, at any depth: encoding/json
// would take "TEU" or "ſtatus" for "teu" and "status", and a body should say
// what it means. It answers the first problem's path and whether it is an
// unknown key (else a duplicate).
func oldScanKeys(raw []byte, t reflect.Type) (path string, unknown bool) {
	d := oldDupScanner{raw: raw}
	path, _ = d.value(0, t)
	return path, d.unknown
}

type oldDupScanner struct {
	raw     []byte
	i       int
	unknown bool // the problem found is a key the type does not have
}

// oldStructFields caches oldJSONFields per struct type: every write reads them.
var oldStructFields sync.Map // reflect.Type → map[string]reflect.Type

func oldFieldsOf(t reflect.Type) map[string]reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if f, ok := oldStructFields.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f := oldJSONFields(t)
	oldStructFields.Store(t, f)
	return f
}

// oldElemOf is the element type of a slice or array type t, or nil.
func oldElemOf(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return t.Elem()
	}
	return nil
}

func (d *oldDupScanner) ws() {
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
func (d *oldDupScanner) str() (s []byte, escaped, ok bool) {
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
func (d *oldDupScanner) value(depth int, t reflect.Type) (string, bool) {
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
		fields := oldFieldsOf(t)
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
				return oldJoinPath(string(name), dup), false
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
			if dup, ok := d.value(depth+1, oldElemOf(t)); dup != "" {
				return oldJoinPath("["+strconv.Itoa(n)+"]", dup), false
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
func (d *oldDupScanner) next(closing byte) (more, ok bool) {
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

func oldJoinPath(head, rest string) string {
	if strings.HasPrefix(rest, "[") {
		return head + rest
	}
	return head + "." + rest
}

// oldJSONError turns a decoding error into a 400 naming the field.
func oldJSONError(field string, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.Is(err, errOldNull):
		return models.BadField(field, models.CodeInvalidFormat, models.Params{"got": "null"}, "%s cannot be null; leave it out to keep its value", field)
	case errors.As(err, &te):
		f := te.Field
		if field != "" {
			f = strings.TrimSuffix(field+"."+te.Field, ".")
		}
		if f == "" {
			return models.BadRequestf("the request body must be a JSON object")
		}
		return models.BadField(f, models.CodeInvalidFormat, models.Params{"type": jsonType(te.Type), "got": te.Value}, "%s must be %s, not a JSON %s", f, jsonKind(te.Type), te.Value)
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return models.BadRequestf("the request body is not valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return models.BadField(name, models.CodeUnknownField, nil, "%s is not a field of this resource", name)
	}
	return models.BadField(field, models.CodeInvalidFormat, models.Params{"format": "json"}, "the request body is not valid JSON")
}

// errOldNull is a null given for a field that cannot be empty.
var errOldNull = errors.New("null")

// oldPatchFields maps the JSON names a PATCH accepts to setters.
type oldPatchFields map[string]func(raw json.RawMessage) error

// oldDecodePatch decodes a partial update: only the fields present are set, an
// explicit null clears a nullable field, unknown fields are refused.
func oldDecodePatch(b []byte, fields oldPatchFields) error {
	if path := oldDuplicateKey(b); path != "" {
		return models.BadField(path, models.CodeDuplicateKey, nil, "%s is given twice", path)
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil || m == nil {
		if err == nil || errors.As(err, new(*json.UnmarshalTypeError)) {
			return models.BadRequestf("the request body must be a JSON object")
		}
		return oldJSONError("", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return models.BadRequestf("the request body must hold exactly one JSON object")
	}
	var bad badFields
	for _, name := range slices.Sorted(maps.Keys(m)) {
		set, ok := fields[name]
		if !ok {
			bad.add(models.BadField(name, models.CodeUnknownField, nil, "%s is not a field of this resource or cannot be changed", name))
			continue
		}
		if err := set(m[name]); err != nil {
			bad.add(oldJSONError(name, err))
		}
	}
	if bad.total > 0 {
		return bad.err()
	}
	return nil
}

// oldInto decodes a present field that cannot be null into a pointer.
func oldInto[T any](dst **T) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		if string(bytes.TrimSpace(raw)) == "null" {
			return errOldNull
		}
		return oldDecodeRaw(raw, dst)
	}
}

// oldOpt decodes a nullable field: null clears it.
func oldOpt[T any](dst *models.Opt[T]) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		dst.Set = true
		return oldDecodeRaw(raw, &dst.Value)
	}
}

func oldDecodeRaw[T any](raw json.RawMessage, dst **T) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// oldUnknownField finds the first field of the JSON value raw that type t does
// not have, with its path (stops[0].extra), or "" when there is none.
func oldUnknownField(raw []byte, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		fields := oldJSONFields(t)
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
			if u := oldUnknownField(obj[k], ft, p); u != "" {
				return u
			}
		}
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		for i, it := range items {
			if u := oldUnknownField(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); u != "" {
				return u
			}
		}
	}
	return ""
}
