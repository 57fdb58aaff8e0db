package handlers

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"banlie/models"

	"github.com/labstack/echo/v4"
)

// Which query parameters an endpoint takes is said once, in the API
// document the server serves (openapi.json): its operation's parameters
// in: query, those of the operation's path item, and those either names
// by $ref under components/parameters. A request with any other query
// parameter is refused (refuseUnknownQuery), so that a misspelt filter
// (?rout=X) answers 400 instead of an unfiltered list.

// apiParam is a parameter of the document, or a $ref to one.
type apiParam struct {
	Ref  string `json:"$ref"`
	In   string `json:"in"`
	Name string `json:"name"`
}

// apiDoc is as much of the document as query parameters need.
type apiDoc struct {
	// Paths: each path item's members by name: "parameters", and the
	// operations by lower-case method.
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Parameters map[string]apiParam `json:"parameters"`
	} `json:"components"`
}

// echoParam is a path parameter as Echo writes it (:id); the document
// writes {id}.
var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// docPath is an Echo route's path as the document names it.
func docPath(echoPath string) string { return echoParam.ReplaceAllString(echoPath, "{$1}") }

// queryParams answers, for every endpoint of es, the names of the query
// parameters its operation in doc takes, sorted. An endpoint that keeps
// its own query (ownQuery: the dashboard's pages) is left out; any other
// without an operation in doc is an error, and so is a $ref to a
// parameter the document does not define.
func queryParams(es []endpoint, doc []byte) (map[routeKey][]string, error) {
	var d apiDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("the API document: %w", err)
	}
	resolve := func(p apiParam) (apiParam, error) {
		for range 8 { // a $ref may name a $ref; not without end
			if p.Ref == "" {
				return p, nil
			}
			name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
			c, found := d.Components.Parameters[name]
			if !ok || !found {
				return p, fmt.Errorf("the parameter %s is not in the document's components/parameters", p.Ref)
			}
			p = c
		}
		return p, fmt.Errorf("the parameter %s: too many $refs in a row", p.Ref)
	}
	read := func(raw json.RawMessage, into map[string]bool) error {
		var ps []apiParam
		if raw != nil {
			if err := json.Unmarshal(raw, &ps); err != nil {
				return err
			}
		}
		for _, p := range ps {
			p, err := resolve(p)
			if err != nil {
				return err
			}
			if p.In == "query" {
				into[p.Name] = true
			}
		}
		return nil
	}
	out := map[routeKey][]string{}
	for _, e := range es {
		if e.handling&ownQuery != 0 {
			continue
		}
		name := e.method + " " + e.path
		item := d.Paths[docPath(e.path)]
		raw, ok := item[strings.ToLower(e.method)]
		if !ok {
			return nil, fmt.Errorf("%s has no operation in the API document", name)
		}
		var op struct {
			Parameters json.RawMessage `json:"parameters"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			return nil, fmt.Errorf("%s: its operation in the API document: %w", name, err)
		}
		names := map[string]bool{}
		if err := read(item["parameters"], names); err != nil {
			return nil, fmt.Errorf("%s: the parameters of its path: %w", name, err)
		}
		if err := read(op.Parameters, names); err != nil {
			return nil, fmt.Errorf("%s: the parameters of its operation: %w", name, err)
		}
		list := make([]string, 0, len(names))
		for n := range names {
			list = append(list, n)
		}
		slices.Sort(list)
		out[routeKey{e.method, e.path}] = list
	}
	return out, nil
}

// maxParamName is the most bytes of a query parameter's name that an
// answer repeats: the name is the client's, of any length.
const maxParamName = 64

// boundName is a client's parameter name fit to repeat in an answer: valid
// UTF-8, and at most maxParamName bytes (cut on a character boundary,
// ending in "…" when cut).
func boundName(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxParamName {
		return s
	}
	const ellipsis = "…"
	cut := maxParamName - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// refuseUnknownQuery answers 400 for a request with a query parameter its
// endpoint does not take, naming each one (code unknown_parameter, the
// first maxBadFields of them, by name). A request routed to no endpoint (a
// 404 or 405) and the dashboard's pages are let through.
func refuseUnknownQuery(table *endpointTable) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().URL.RawQuery == "" {
				return next(c)
			}
			ep := table.of(c)
			if ep == nil || ep.handling&ownQuery != 0 {
				return next(c)
			}
			known := table.query[routeKey{ep.method, ep.path}]
			var unknown []string
			for name := range c.QueryParams() {
				if _, found := slices.BinarySearch(known, name); !found {
					unknown = append(unknown, name)
				}
			}
			if len(unknown) == 0 {
				return next(c)
			}
			return unknownParams(unknown, known)
		}
	}
}

// unknownParams is the error naming the unknown query parameters.
func unknownParams(unknown, known []string) error {
	slices.Sort(unknown)
	params, takes := models.Params{}, "it takes none"
	if len(known) > 0 {
		params["allowed"] = known
		takes = "it takes " + strings.Join(known, ", ")
	}
	list := make([]models.FieldError, 0, min(len(unknown), maxBadFields))
	for _, name := range unknown[:min(len(unknown), maxBadFields)] {
		name = boundName(name)
		list = append(list, models.NewFieldError(name, models.CodeUnknownParameter, params,
			"%q is not a query parameter of this endpoint; %s", name, takes))
	}
	msg := list[0].Message
	switch {
	case len(unknown) > len(list):
		msg = fmt.Sprintf("%d query parameters are not ones this endpoint takes; the first %d are listed", len(unknown), len(list))
	case len(unknown) > 1:
		msg = fmt.Sprintf("%d query parameters are not ones this endpoint takes; %s", len(unknown), takes)
	}
	return &models.Error{Code: models.EBADREQUEST, Message: msg, Fields: list}
}
