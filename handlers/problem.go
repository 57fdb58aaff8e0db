package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

// statusOf is the one table that maps domain error codes to HTTP statuses.
var statusOf = map[string]int{
	models.EBADREQUEST: http.StatusBadRequest,
	models.EMEDIATYPE:  http.StatusUnsupportedMediaType,
	models.EINVALID:    http.StatusUnprocessableEntity,
	models.ENOTFOUND:   http.StatusNotFound,
	models.ECONFLICT:   http.StatusConflict,
	models.EBUSY:       http.StatusServiceUnavailable,
}

// retryAfterUnavailable is the Retry-After, in seconds, of a 503 answered
// because the database is unavailable.
const retryAfterUnavailable = 5

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors []models.FieldError `json:"errors"`
}

// errorHandler answers every failed request with problem+json. Coded errors
// keep their client-safe message; a database that cannot serve now answers
// 503 with Retry-After and a reason in plain words; anything else is logged with the request ID
// and answered with a bare 500.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := Problem{Type: "about:blank", Errors: []models.FieldError{}}
		var coded *models.Error
		var he *echo.HTTPError
		switch {
		case errors.As(err, &coded) && statusOf[coded.Code] != 0:
			p.Status, p.Detail = statusOf[coded.Code], coded.Message
			if coded.Fields != nil {
				p.Errors = coded.Fields
			}
		case errors.As(err, &he) && he.Code < 500:
			p.Status, p.Detail = he.Code, http.StatusText(he.Code)
			if m, ok := he.Message.(string); ok && he.Code != http.StatusNotFound {
				p.Detail = m
			}
			switch he.Code {
			case http.StatusRequestEntityTooLarge:
				p.Detail = "the request body is over the limit"
			case http.StatusMethodNotAllowed:
				if c.Path() == "/*" && strings.HasPrefix(c.Request().URL.Path, "/api/") {
					// Only the dashboard's files matched: under the API
					// there is no such resource at all.
					c.Response().Header().Del(echo.HeaderAllow)
					p.Status, p.Detail = http.StatusNotFound, "no resource at "+c.Request().URL.Path
				} else {
					allowHead(c.Response().Header())
					p.Detail = "method " + c.Request().Method + " is not allowed here; allowed: " + c.Response().Header().Get(echo.HeaderAllow)
				}
			case http.StatusNotFound:
				if c.Path() == "" || c.Path() == "/*" {
					p.Detail = "no resource at " + c.Request().URL.Path
				}
			}
		case store.IsUnavailable(err):
			// The database's state, not the request's: a retry may succeed.
			reason, _ := store.Unavailable(err)
			p.Status, p.Detail = http.StatusServiceUnavailable, reason+"; retry later"
			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(retryAfterUnavailable))
			log.Error("request failed: database unavailable", "err", err, "method", c.Request().Method, "path", c.Path(),
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		default:
			p.Status, p.Detail = http.StatusInternalServerError, "the server could not complete the request; it has been logged"
			log.Error("request failed", "err", err, "method", c.Request().Method, "path", c.Path(),
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		}
		p.Title = http.StatusText(p.Status)
		writeProblem(c, p)
	}
}

func writeProblem(c echo.Context, p Problem) {
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	c.Response().WriteHeader(p.Status)
	_ = jsonEncode(c.Response(), p)
}
