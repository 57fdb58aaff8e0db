package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

// csvHandlers are the HTTP twins of `banlie import --runs` and
// `banlie export --runs`: the same st calls, the same CSV format.
type csvHandlers struct {
	st  *store.Store
	log *slog.Logger
}

// CSV media types the import reads; no Content-Type at all is read as CSV too.
var csvMediaTypes = []string{"text/csv", "text/plain"}

// MaxImportLines bounds the lines of one import request.
const MaxImportLines = 2000

// importRuns logs the runs of a CSV body in one transaction (see
// store.Store.ImportRuns): 200 with what was (or, with dry_run=true, would
// be) created, updated (mode=upsert) and skipped, and how the file was read;
// 422 listing every invalid line, nothing written; 400 for a header it
// cannot read. Retrying is safe: lines already stored with the same values
// are skipped (or unchanged), and Idempotency-Key replays the answer.
func (h csvHandlers) importRuns(c echo.Context) error {
	if err := requireMediaType(c, csvMediaTypes...); err != nil {
		return err
	}
	charset, err := csvCharset(c)
	if err != nil {
		return err
	}
	dry, err := qBool(c, "dry_run")
	if err != nil {
		return err
	}
	mode, err := qEnum(c, "mode", store.ImportModes)
	if err != nil {
		return err
	}
	// The whole body (at most the body limit) is read before the import
	// begins, so a slow upload never holds the write transaction open.
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return he // over the body limit: 413
		}
		return models.BadRequestf("the request body could not be read")
	}
	f, err := store.ReadRunsCSV(b, charset)
	if err != nil {
		return err
	}
	// One import is one write transaction, and every other write waits for
	// it: a request holds at most MaxImportLines lines (a few seconds).
	if n := f.Records(); n-1 > MaxImportLines {
		fe := models.NewFieldError("csv", models.CodeTooMany, models.Params{"max": MaxImportLines, "count": n - 1},
			"has %d lines; send at most %d per request (split the file: lines already imported are skipped when sent again)", n-1, MaxImportLines)
		return &models.Error{Code: models.EINVALID, Message: "the CSV " + fe.Message, Fields: []models.FieldError{fe}}
	}
	opt := store.ImportOptions{DryRun: dry != nil && *dry}
	if mode != nil {
		opt.Mode = *mode
	}
	res, err := h.st.ImportRuns(c.Request().Context(), writeOf(c, h.st), f, opt)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// csvCharset answers the charset the import body is in: UTF-8 unless the
// Content-Type names another that store.CSVCharsets holds (GB18030, GBK);
// any other charset is a 415 naming Content-Type.
func csvCharset(c echo.Context) (string, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	_, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return store.CharsetUTF8, nil
	}
	if cs, ok := store.CSVCharset(params["charset"]); ok {
		return cs, nil
	}
	allowed := []string{"UTF-8", "GB18030", "GBK"}
	f := models.NewFieldError("Content-Type", models.CodeInvalidValue, models.Params{"allowed": allowed, "value": params["charset"], "param": "charset"},
		"must be UTF-8, GB18030 or GBK, not charset %q", params["charset"])
	return "", &models.Error{Code: models.EMEDIATYPE, Message: "Content-Type " + f.Message, Fields: []models.FieldError{f}}
}

// requireUTF8Charset refuses a body whose Content-Type names a charset other
// than UTF-8 (or its subset US-ASCII): 415, naming Content-Type.
func requireUTF8Charset(c echo.Context) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct == "" {
		return nil
	}
	_, params, err := mime.ParseMediaType(ct)
	cs := strings.ToLower(params["charset"])
	if err != nil || cs == "" || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" {
		return nil
	}
	f := models.NewFieldError("Content-Type", models.CodeInvalidValue, models.Params{"allowed": []string{"UTF-8"}, "value": params["charset"], "param": "charset"},
		"must be UTF-8, not charset %q", params["charset"])
	return &models.Error{Code: models.EMEDIATYPE, Message: "Content-Type " + f.Message, Fields: []models.FieldError{f}}
}

// exportRuns answers the runs that the list's filters select as CSV, newest
// departure first, in the format importRuns reads. The CSV is written as it
// is read from the database, in one query. The server's write timeout does
// not cut it short while it makes progress: the write deadline moves on as
// the bytes go out (csvAnswer).
func (h csvHandlers) exportRuns(c echo.Context) error {
	f, err := runFilterQuery(c)
	if err != nil {
		return err
	}
	bom, err := qBool(c, "bom")
	if err != nil {
		return err
	}
	out := &csvAnswer{res: c.Response(), rc: http.NewResponseController(c.Response())}
	out.extend(time.Now())
	var w io.Writer = out
	if bom != nil && *bom {
		w = store.WithBOM(out) // sent with the header line
	}
	n, err := h.st.ExportRuns(c.Request().Context(), f, w)
	if err == nil && !c.Response().Committed {
		out.commit() // never happens: the header line is always written
	}
	if err == nil || !c.Response().Committed {
		return err // nothing sent yet: a problem answer
	}
	// Part of the CSV is on its way: the status cannot change any more, and
	// a truncated file must not look complete. Abort the answer, so that the
	// client sees a broken transfer, not a 200 that ends early.
	level := slog.LevelError
	if c.Request().Context().Err() != nil {
		level = slog.LevelWarn // the client went away
	}
	h.log.Log(context.WithoutCancel(c.Request().Context()), level, "runs export interrupted", "err", err, "runs_written", n,
		"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	panic(http.ErrAbortHandler)
}

// csvAnswer sends the export's headers and status with its first bytes, so
// that an error before any byte is written still answers a problem. Every
// exportProgress bytes, or every second, it moves the connection's write
// deadline exportWindow ahead: a long export goes on past the server's
// write timeout while the client takes its bytes, and a client that stops
// taking them is let go exportWindow after its last progress.
type csvAnswer struct {
	res *echo.Response
	rc  *http.ResponseController
	// sent is the count of bytes written since the deadline last moved, at.
	sent int
	at   time.Time
}

const (
	exportProgress = 64 << 10
	exportWindow   = 60 * time.Second // as serve's write timeout
)

func (w *csvAnswer) extend(now time.Time) {
	// A writer that cannot set deadlines (a test's recorder) has none to move.
	_ = w.rc.SetWriteDeadline(now.Add(exportWindow))
	w.sent, w.at = 0, now
}

func (w *csvAnswer) commit() {
	h := w.res.Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="runs.csv"`)
	w.res.WriteHeader(http.StatusOK)
}

func (w *csvAnswer) Write(b []byte) (int, error) {
	if !w.res.Committed {
		w.commit()
	}
	if w.sent += len(b); w.sent >= exportProgress {
		w.extend(time.Now())
	} else if now := time.Now(); now.Sub(w.at) >= time.Second {
		w.extend(now)
	}
	return w.res.Write(b)
}

// maxNumberQuery is the longest train number a filter takes, in
// characters: twice the longest one stored (models.RunValues).
const maxNumberQuery = 64

// runFilterQuery reads the run filters (route, number, container, mode,
// direction, status, counted, from, to), one parser for the list, the export and the
// dashboard's links to both; paging is the list's own (the export holds
// every selected run).
func runFilterQuery(c echo.Context) (models.RunFilter, error) {
	var f models.RunFilter
	var err error
	f.Route = qString(c, "route")
	if f.Number = qString(c, "number"); f.Number != nil && utf8.RuneCountInString(*f.Number) > maxNumberQuery {
		return f, models.BadField("number", models.CodeTooLong, models.Params{"max": maxNumberQuery}, "number must be at most %d characters", maxNumberQuery)
	}
	if v := qString(c, "container"); v != nil {
		n, err := containerParam("container", *v)
		if err != nil {
			return f, err
		}
		f.Container = &n
	}
	if f.Mode, err = qEnum(c, "mode", models.Modes); err != nil {
		return f, err
	}
	if f.Direction, err = qEnum(c, "direction", models.Directions); err != nil {
		return f, err
	}
	if f.Status, err = qEnum(c, "status", models.Statuses); err != nil {
		return f, err
	}
	if f.Counted, err = qBool(c, "counted"); err != nil {
		return f, err
	}
	if f.Overdue, err = qBool(c, "overdue"); err != nil {
		return f, err
	}
	f.From, f.To, err = qRange(c)
	return f, err
}
