package handlers

import (
	"banlie/store"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
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

// answerCache holds successful answers of kept reads for one data
// version and reporting day; either changing empties it.
type answerCache struct {
	mu      sync.Mutex
	version int64
	day     string
	answers map[string]cachedAnswer
	bytes   int // the bodies' total size
}

type cachedAnswer struct {
	body                       []byte
	etag, contentType, dispose string
}

// Bounds on what is kept: any client may ask for many different pages, so
// memory is bounded in bytes, and a large answer (a page of 500 runs with
// long cargo texts) is not kept at all. Filling up starts afresh.
const (
	maxCachedAnswers = 1024
	maxCachedBytes   = 32 << 20
	maxCachedAnswer  = 256 << 10
)

func (a *answerCache) get(version int64, day, key string) (cachedAnswer, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.version != version || a.day != day {
		return cachedAnswer{}, false
	}
	ans, ok := a.answers[key]
	return ans, ok
}

func (a *answerCache) put(version int64, day, key string, ans cachedAnswer) {
	if len(ans.body) > maxCachedAnswer {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if day < a.day || day == a.day && version < a.version {
		return // a slow request's answer, older than what is kept now
	}
	if a.version != version || a.day != day || len(a.answers) >= maxCachedAnswers || a.bytes+len(ans.body) > maxCachedBytes {
		a.version, a.day, a.answers, a.bytes = version, day, map[string]cachedAnswer{}, 0
	}
	if old, ok := a.answers[key]; ok {
		a.bytes -= len(old.body)
	}
	a.answers[key] = ans
	a.bytes += len(ans.body)
}

// conditionalGET gives every successful answer of a tagged endpoint (see
// the endpoint table) an ETag (a hash of the body) and answers 304 with no
// body when the client's If-None-Match already names it: a dashboard
// polling unchanged figures gets a few bytes back instead of the whole
// answer. The answers of kept endpoints are kept until the data or the day
// changes; those kept per base (the feed's, whose links start with the
// public base, see publicBase) per base too, so that one client's Host
// never reaches another's feed.
func conditionalGET(st *store.Store, base func(echo.Context) string, answers *prometheus.CounterVec, table *endpointTable) echo.MiddlewareFunc {
	hit, miss, notModified := answers.WithLabelValues("hit"), answers.WithLabelValues("miss"), answers.WithLabelValues("not_modified")
	cache := &answerCache{}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			// Tagged: API answers and the dashboard's files alike, so that a
			// browser coming back revalidates the page's files instead of
			// fetching them again.
			h := table.handlingOf(c)
			if h&tagged == 0 {
				return next(c)
			}
			res := c.Response()
			var version int64 = -1
			var day, key string
			if h&kept != 0 && (h&countedLive == 0 || !clockLive(req.URL.Query())) {
				if v, err := st.DataVersion(req.Context()); err == nil {
					version, day, key = v, st.Today().String(), req.URL.RequestURI()
					if h&perBase != 0 {
						key = base(c) + " " + key
					}
					if ans, ok := cache.get(version, day, key); ok {
						res.Header().Set("ETag", ans.etag)
						res.Header().Set(echo.HeaderCacheControl, "no-cache")
						if match(req.Header.Get("If-None-Match"), ans.etag) {
							notModified.Inc()
							return c.NoContent(http.StatusNotModified)
						}
						hit.Inc()
						if ans.dispose != "" {
							res.Header().Set(echo.HeaderContentDisposition, ans.dispose)
						}
						if res.Header().Get(echo.HeaderContentEncoding) == "" {
							res.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(ans.body)))
						}
						return c.Blob(http.StatusOK, ans.contentType, ans.body)
					}
				}
			}
			if version >= 0 {
				miss.Inc()
			}
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
				if version >= 0 && w.buf.Len() <= maxCachedAnswer {
					cache.put(version, day, key, cachedAnswer{body: bytes.Clone(w.buf.Bytes()), etag: etag,
						contentType: res.Header().Get(echo.HeaderContentType), dispose: res.Header().Get(echo.HeaderContentDisposition)})
				}
				if match(req.Header.Get("If-None-Match"), etag) {
					res.Header().Del(echo.HeaderContentType)
					res.Header().Del(echo.HeaderContentLength)
					orig.WriteHeader(http.StatusNotModified)
					res.Status = http.StatusNotModified
					return nil
				}
			}
			if res.Header().Get(echo.HeaderContentEncoding) == "" {
				// The whole answer is at hand: say its length, so that a
				// long one is not sent chunked (and its HEAD twin agrees).
				res.Header().Set(echo.HeaderContentLength, strconv.Itoa(w.buf.Len()))
			}
			orig.WriteHeader(status)
			res.Status = status
			n, werr := orig.Write(w.buf.Bytes())
			res.Size = int64(n)
			return werr
		}
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

// clockLive reports whether a query of a countedLive endpoint makes its
// answer depend on the clock to the second (counted, overdue).
func clockLive(q url.Values) bool { return q.Has("counted") || q.Has("overdue") }
