package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// serverMetrics are the HTTP layer's Prometheus series. Every label value
// comes from a closed set (the route table, the known methods, the answer
// statuses), never from what a client sends, so the number of series stays
// bounded however many odd requests arrive.
type serverMetrics struct {
	requests *prometheus.HistogramVec
	// answers counts the reads the answer cache saw: kept answers served
	// again (hit), reads computed (miss), and 304s (not_modified).
	answers *prometheus.CounterVec
	replays prometheus.Counter
	limited prometheus.Counter
	// streams is the number of open event streams.
	streams prometheus.Gauge
}

func newServerMetrics(reg prometheus.Registerer) *serverMetrics {
	m := &serverMetrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "banlie_http_request_duration_seconds",
			Help:    "HTTP requests by route pattern, method and status, with their latency.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "banlie_answer_cache_requests_total",
			Help: "Reads that may be answered from kept answers, by result: hit (a kept answer served), miss (computed), not_modified (304).",
		}, []string{"result"}),
		replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "banlie_idempotent_replays_total",
			Help: "POST requests answered again from a stored answer for their Idempotency-Key.",
		}),
		limited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "banlie_rate_limited_total",
			Help: "Requests refused with 429 by the rate limiter.",
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "banlie_streams_open",
			Help: "Open event streams (GET /api/v1/stream).",
		}),
	}
	for _, r := range []string{"hit", "miss", "not_modified"} {
		m.answers.WithLabelValues(r) // present from the start, at 0
	}
	reg.MustRegister(m.requests, m.answers, m.replays, m.limited, m.streams)
	return m
}

// knownMethods are the methods a metrics label may name; any other is "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// methodLabel bounds a request's method for labels and logs.
func methodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// routeLabel is the matched route pattern, or "unmatched".
func routeLabel(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return "unmatched"
}

// validRequestID reports whether a client's X-Request-ID may be kept:
// 1–64 characters of [A-Za-z0-9._-].
func validRequestID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '.' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}

// boundRequestID drops a client's X-Request-ID that is not fit to keep, so
// that the request-id middleware generates one instead: only the id the
// server settled on is echoed, logged and stored in the audit log.
func boundRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if vs := h.Values(echo.HeaderXRequestID); len(vs) > 0 && (len(vs) > 1 || !validRequestID(vs[0])) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}
