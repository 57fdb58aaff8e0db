package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// etagWriter holds a GET answer back so that its ETag can be computed.
type etagWriter struct {
	http.ResponseWriter
	buf    bytes.Buffer
	status int
}

func (w *etagWriter) WriteHeader(code int)        { w.status = code }
func (w *etagWriter) Write(b []byte) (int, error) { return w.buf.Write(b) }
func (w *etagWriter) Flush()                      {}

// conditionalGET gives every successful GET answer an ETag
// (a hash of the body) and answers 304 with no body when the client's
// If-None-Match already names it: a dashboard polling unchanged figures
// gets a few bytes back instead of the whole answer.
func conditionalGET(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		// Every GET but the metrics (which change with each scrape): API
		// answers and the dashboard's files alike, so a browser coming back
		// revalidates the page's files instead of fetching them again.
		if req.Method != http.MethodGet || req.URL.Path == "/metrics" {
			return next(c)
		}
		res := c.Response()
		orig := res.Writer
		w := &etagWriter{ResponseWriter: orig}
		res.Writer = w
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		res.Writer = orig
		status := w.status
		if status == 0 {
			status = http.StatusOK
		}
		if status == http.StatusOK {
			sum := sha256.Sum256(w.buf.Bytes())
			// Weak: the same answer may travel gzipped or not.
			etag := `W/"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
			res.Header().Set("ETag", etag)
			res.Header().Set(echo.HeaderCacheControl, "no-cache")
			if match(req.Header.Get("If-None-Match"), etag) {
				res.Header().Del(echo.HeaderContentType)
				res.Header().Del(echo.HeaderContentLength)
				orig.WriteHeader(http.StatusNotModified)
				res.Status = http.StatusNotModified
				return nil
			}
		}
		orig.WriteHeader(status)
		res.Status = status
		n, werr := orig.Write(w.buf.Bytes())
		res.Size = int64(n)
		return werr
	}
}

// match reports whether an If-None-Match header names etag (or is *).
func match(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		p := strings.TrimSpace(part)
		if p == "*" || strings.TrimPrefix(p, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}
