package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"banlie/models"

	"github.com/labstack/echo/v4"
)

// strictQuery refuses a query string that does not parse (Go's parser drops
// pairs it cannot read, such as ones with a ";", which would silently widen a
// filter): 400, as for any query parameter that cannot be parsed.
func strictQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := url.ParseQuery(c.Request().URL.RawQuery); err != nil {
			return models.BadRequestf("the query string cannot be parsed: use name=value pairs joined by & and percent-encode the rest")
		}
		return next(c)
	}
}

// headAsGet answers HEAD wherever GET is answered, with the same status and
// headers (Content-Length included) and no body (RFC 9110). Echo routes on
// the request's own method, so the request becomes a GET, and the writer
// counts the body instead of sending it.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		// Echo's router names the methods registered on a path (in a 405's
		// and an OPTIONS answer's Allow); HEAD is answered wherever GET is.
		res.Before(func() { allowHead(res.Header()) })
		req := c.Request()
		if req.Method != http.MethodHead {
			return next(c)
		}
		req.Method = http.MethodGet
		hw := &headWriter{ResponseWriter: res.Writer}
		res.Writer = hw
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		// net/http's server reads the method from this same request: as a
		// GET whose declared Content-Length was not sent, it would close the
		// connection after the answer, and a client reusing it for its next
		// request (a POST is not retried) would see the connection reset.
		req.Method = http.MethodHead
		if hw.status == 0 {
			hw.status = http.StatusOK
		}
		if hw.n > 0 && hw.Header().Get(echo.HeaderContentLength) == "" {
			hw.Header().Set(echo.HeaderContentLength, strconv.Itoa(hw.n))
		}
		hw.ResponseWriter.WriteHeader(hw.status)
		return nil
	}
}

// allowHead adds HEAD after GET to an Allow header that names GET only.
func allowHead(h http.Header) {
	allow := h.Get(echo.HeaderAllow)
	if allow == "" {
		return
	}
	methods := strings.Split(allow, ", ")
	if !slices.Contains(methods, http.MethodGet) || slices.Contains(methods, http.MethodHead) {
		return
	}
	i := slices.Index(methods, http.MethodGet)
	h.Set(echo.HeaderAllow, strings.Join(slices.Insert(methods, i+1, http.MethodHead), ", "))
}

type headWriter struct {
	http.ResponseWriter
	status, n int
}

func (w *headWriter) WriteHeader(code int)        { w.status = code }
func (w *headWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
func (w *headWriter) Flush()                      {}
