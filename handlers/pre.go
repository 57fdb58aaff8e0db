package handlers

import (
	"net/http"
	"net/url"

	"banlie/models"

	"github.com/labstack/echo/v4"
)

// strictQuery refuses a query string that does not parse (Go's parser drops
// pairs it cannot read, such as ones with a ";", which would silently widen a
// filter): 400, as for any query parameter that cannot be parsed.
func strictQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := url.ParseQuery(c.Request().URL.RawQuery); err != nil {
			return models.BadRequest("", "the query string cannot be parsed: use name=value pairs joined by & and percent-encode the rest")
		}
		return next(c)
	}
}

// headAsGet answers HEAD wherever GET is answered, with the same headers
// and no body (RFC 9110).
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodHead {
			return next(c)
		}
		req.Method = http.MethodGet
		res := c.Response()
		res.Writer = headWriter{res.Writer}
		return next(c)
	}
}

type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(b []byte) (int, error) { return len(b), nil }
