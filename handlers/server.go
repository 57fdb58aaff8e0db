package handlers

import (
	"context"
	_ "embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// OpenAPI is the document that describes this API; handler tests validate
// every request and answer against it.
//
//go:embed openapi.json
var OpenAPI []byte

// Config is what the HTTP layer needs from the application.
type Config struct {
	Store *store.Store
	Log   *slog.Logger
	// Ready reports whether the service can answer requests (database
	// reachable and migrated, totals rolled up). A *NotReadyError's reason
	// is shown to the client; any other error only in the log.
	Ready func(ctx context.Context) error
	// Collectors are more metrics to serve at /metrics (the scheduler's).
	Collectors []prometheus.Collector
	// Web holds the dashboard's assets, served at /.
	Web fs.FS
	// BodyLimit caps request bodies, e.g. "1MiB" (1,048,576 bytes; "1MB" is 1,000,000).
	BodyLimit string
	// ImportLimit caps the body of POST /api/v1/runs/import instead (a CSV
	// file, spooled to a temporary file before it is imported), in the
	// same units; "" takes DefaultImportLimit.
	ImportLimit string
	// ImportStall is how long an import may go without progress before
	// the connection's deadlines end it; 0 takes 30 s.
	ImportStall time.Duration
	// Jobs is the scheduler.
	Jobs JobRunner
	// PrivateReads makes every read need a viewer token.
	PrivateReads bool
	// RateLimit is requests per second per token (or client address without
	// one), with bursts of twice that; 0 turns limiting off.
	RateLimit float64
	// CORSOrigins are the origins allowed to call the API from a browser;
	// none by default.
	CORSOrigins []string
	// TrustProxy takes the client address from X-Forwarded-For (only behind
	// a proxy that sets it), and the scheme and host of absolute links from
	// X-Forwarded-Proto and X-Forwarded-Host when PublicURL is empty.
	TrustProxy bool
	// PublicURL is the address clients reach the server at, e.g.
	// https://banlie.example (see ParsePublicURL); absolute links (the Atom
	// feed's) start with it. Empty: the request's scheme and host.
	PublicURL string
	// MaxStreams bounds the open event streams (GET /api/v1/stream); 0
	// takes DefaultMaxStreams.
	MaxStreams int
	// StreamHeartbeat and StreamPoll: see DefaultStreamHeartbeat and
	// DefaultStreamPoll (0 takes them).
	StreamHeartbeat, StreamPoll time.Duration
	// WebhookAllowPrivate lets webhooks name hosts at private, loopback
	// or link-local addresses (--webhook-allow-private).
	WebhookAllowPrivate bool
	// Stopping, closed when the server shuts down, ends the open streams
	// (which would otherwise hold the shutdown until its timeout).
	Stopping <-chan struct{}
}

// NotReadyError says why the service is not ready, in words fit for
// clients; Err is the cause, for the log.
type NotReadyError struct {
	Reason string
	Err    error
}

func (e *NotReadyError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *NotReadyError) Unwrap() error { return e.Err }

// New builds the Echo server with every route and middleware.
func New(cfg Config) *echo.Echo {
	e, _ := newServer(cfg)
	return e
}

// newServer is New, also answering the endpoints it registered.
func newServer(cfg Config) (*echo.Echo, []endpoint) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.HTTPErrorHandler = errorHandler(cfg.Log)
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "1MiB"
	}
	if cfg.ImportLimit == "" {
		cfg.ImportLimit = DefaultImportLimit
	}
	if cfg.PublicURL != "" {
		u, err := ParsePublicURL(cfg.PublicURL)
		if err != nil {
			cfg.Log.Error("public URL ignored: links take the request's host", "public_url", cfg.PublicURL, "err", err)
		}
		cfg.PublicURL = u
	}
	base := publicBase(cfg.PublicURL, cfg.TrustProxy)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	met := newServerMetrics(reg)
	if sql, err := cfg.Store.DB().DB(); err == nil {
		reg.MustRegister(collectors.NewDBStatsCollector(sql, "banlie"))
	}
	reg.MustRegister(cfg.Collectors...)

	eps := endpoints(cfg, base, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), met.streams)
	table, err := newEndpointTable(eps, OpenAPI)
	if err != nil {
		panic("handlers: the endpoint table: " + err.Error())
	}

	e.Pre(headAsGet)
	e.Pre(boundRequestID)
	e.Use(middleware.RequestID())
	e.Use(requestLog(cfg.Log, met.requests))
	e.Use(middleware.Recover())
	e.Use(strictQuery)
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ReferrerPolicy: "no-referrer", ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
	}))
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  cfg.CORSOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch, http.MethodDelete},
			AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, "Idempotency-Key", "If-None-Match"},
			ExposeHeaders: []string{echo.HeaderLocation, "ETag", echo.HeaderRetryAfter, echo.HeaderXRequestID, "Idempotent-Replayed"},
			MaxAge:        600,
		}))
	}
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024,
		Skipper: func(c echo.Context) bool { return table.handlingOf(c)&gzipped == 0 }}))
	// The import's body (a CSV file) has a bound of its own.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: cfg.BodyLimit,
		Skipper: func(c echo.Context) bool { return c.Path() == importPath }}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: cfg.ImportLimit,
		Skipper: func(c echo.Context) bool { return c.Path() != importPath }}))
	e.Use(authenticate(cfg.Store, cfg.Log, table))
	e.Use(rateLimit(cfg.RateLimit, met.limited))
	e.Use(refuseBadToken)
	e.Use(authorize(cfg.PrivateReads, table))
	// After access control, so that a caller without the role learns
	// nothing of an endpoint's parameters; before idempotency and the
	// answer cache, so that a refused query claims no Idempotency-Key and
	// keeps no answer.
	e.Use(refuseUnknownQuery(table))
	e.Use(idempotency(cfg.Store, met.replays, table, cfg.ImportStall))
	e.Use(conditionalGET(cfg.Store, base, met.answers, table))

	for _, ep := range eps {
		e.Add(ep.method, ep.path, ep.handler)
	}
	return e, eps
}

func healthHandler(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func readyHandler(ready func(ctx context.Context) error, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := ready(c.Request().Context()); err != nil {
			log.Warn("not ready", "err", err)
			detail := "the service is not ready: the database is unreachable or not migrated"
			var nr *NotReadyError
			if errors.As(err, &nr) {
				detail = "the service is not ready: " + nr.Reason
			}
			writeProblem(c, Problem{Type: "about:blank", Title: http.StatusText(http.StatusServiceUnavailable), Status: http.StatusServiceUnavailable,
				Detail: detail, Errors: []models.FieldError{}})
			return nil
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
	}
}

func openAPIHandler(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, OpenAPI)
}

func networkHandler(st *store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		n, err := st.Network(c.Request().Context())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, n)
	}
}

func noIconHandler(c echo.Context) error { return c.NoContent(http.StatusNoContent) }

// requestLog writes one structured line per request and feeds the latency histogram.
func requestLog(log *slog.Logger, hist *prometheus.HistogramVec) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // answer now, so the status below is the one sent
			}
			status := c.Response().Status
			took := time.Since(start)
			route, method := routeLabel(c), methodLabel(c.Request().Method)
			hist.WithLabelValues(method, route, strconv.Itoa(status)).Observe(took.Seconds())
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.String("method", method), slog.String("path", logPath(c.Request().URL.Path)),
				slog.String("route", route), slog.Int("status", status),
				slog.Int64("bytes", c.Response().Size), slog.Duration("took", took),
				slog.String("remote", c.RealIP()))
			return nil
		}
	}
}

// logPath is a request's path as the log shows it: bounded, and without
// an unsubscribe link's token (a credential).
func logPath(p string) string {
	if rest, ok := strings.CutPrefix(p, unsubscribePrefix); ok && rest != "" {
		return unsubscribePrefix + "…"
	}
	return boundForLog(p)
}

const unsubscribePrefix = "/api/v1/unsubscribe/"

// boundForLog shortens a client-controlled string to at most 256 bytes (cut
// on a character boundary) before it is written to a log line.
func boundForLog(s string) string {
	const max = 256
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
