package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
	units "github.com/labstack/gommon/bytes"
)

// csvHandlers are the HTTP twins of `banlie import --runs` and
// `banlie export --runs`: the same st calls, the same CSV format.
type csvHandlers struct {
	st          *store.Store
	log         *slog.Logger
	importLimit int64         // bytes
	stall       time.Duration // see importStall
	// exports counts the exports under way: each holds a database
	// connection (and, on SQLite, what the write-ahead log may not
	// checkpoint past) for as long as its client takes the CSV.
	exports *atomic.Int64
}

// maxExports is how many exports one server sends at a time; the next
// answers 503 with Retry-After.
const maxExports = 4

// CSV media types the import reads; no Content-Type at all is read as CSV too.
var csvMediaTypes = []string{"text/csv", "text/plain"}

// importPath is the import's endpoint, whose body the general body limit
// leaves to Config.ImportLimit.
const importPath = "/api/v1/runs/import"

// DefaultImportLimit is the largest import body accepted by default.
const DefaultImportLimit = "64MiB"

// importStall is how long an import may go without progress (a MiB of its
// body received, a batch of its lines written) before the connection's
// deadlines end it; the server's own timeouts would cut a large import.
// Config.ImportStall sets another.
const importStall = 30 * time.Second

// parseImportLimit reads Config.ImportLimit ("64MiB"; "" is
// DefaultImportLimit): a limit that does not parse is a programming
// error, refused when the flag is read.
func parseImportLimit(s string) int64 {
	if s == "" {
		s = DefaultImportLimit
	}
	n, err := units.Parse(s)
	if err != nil || n <= 0 {
		panic(fmt.Sprintf("handlers: import limit %q: %v", s, err))
	}
	return n
}

// importRuns logs the runs of a CSV body in one transaction (see
// store.Store.ImportRuns): 200 with what was (or, with dry_run=true, would
// be) created, updated (mode=upsert) and skipped, and how the file was read;
// 422 listing every invalid line, nothing written; 400 for a header it
// cannot read; 413 for a body over the import limit. Retrying is safe:
// lines already stored with the same values are skipped (or unchanged),
// and Idempotency-Key replays the answer.
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
	req := c.Request()
	if req.ContentLength > h.importLimit {
		return h.tooLarge()
	}
	// The connection's deadlines move on while the import does (the
	// server's ReadTimeout and WriteTimeout count from the request's start).
	dl := moveDeadlines(c, h.stall)
	dl.progress()
	// The body is spooled to a file first, so that a slow upload never
	// holds the write transaction open; the file goes when the import ends.
	// (Under an Idempotency-Key a large body is in a file already, read
	// to its end.)
	if kept, ok := req.Body.(*tempFile); ok {
		dl.bodyRead()
		return h.importFrom(c, kept.File, charset, dry, mode, dl.progress)
	}
	tmp, err := os.CreateTemp("", "banlie-import-*.csv")
	if err != nil {
		return fmt.Errorf("import: spool the body: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if err := spool(tmp, http.MaxBytesReader(c.Response(), req.Body, h.importLimit), dl.progress); err != nil {
		return bodyError(err, h.tooLarge, "import: spool the body")
	}
	dl.bodyRead()
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("import: spool the body: %w", err)
	}
	return h.importFrom(c, tmp, charset, dry, mode, dl.progress)
}

// importFrom imports the spooled body, moving the deadlines on at every
// batch of lines.
func (h csvHandlers) importFrom(c echo.Context, body io.Reader, charset string, dry *bool, mode *string, progress func()) error {
	f, err := store.ReadRunsCSV(body, charset)
	if err != nil {
		return err
	}
	opt := store.ImportOptions{DryRun: dry != nil && *dry, Progress: func(int, int64) { progress() },
		Log: func(err error) {
			h.log.Warn("import: the runs were imported, but the statistics refresh failed", "err", err)
		}}
	if mode != nil {
		opt.Mode = *mode
	}
	res, err := h.st.ImportRuns(c.Request().Context(), writeOf(c, h.st), f, opt)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// bodyError maps an error met while a request's body is read (and
// spooled, in what): over a limit, the limit's 413 (tooLarge for
// http.MaxBytesReader's, the body limit's own as it is); the disk's
// errors as they are (a 500, logged); any other is the client's (it
// reset the connection, stopped sending until a deadline), a 400.
func bodyError(err error, tooLarge func() error, what string) error {
	var mbe *http.MaxBytesError
	var he *echo.HTTPError
	var pe *os.PathError
	switch {
	case errors.As(err, &mbe):
		return tooLarge()
	case errors.As(err, &he):
		return he // over the limit, told by the body limit's reader: 413
	case errors.As(err, &pe):
		return fmt.Errorf("%s: %w", what, err) // the disk, not the client
	}
	return models.BadRequestf("the request body could not be read")
}

// tooLarge is the 413 of a body over the import limit.
func (h csvHandlers) tooLarge() error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("the CSV is larger than the import limit of %s; split the file (lines already imported are skipped when sent again)", units.Format(h.importLimit)))
}

// importDeadlines moves a long request's connection deadlines stall
// ahead as it makes progress, so that the server's timeouts (which count
// from the request's start) do not cut it.
type importDeadlines struct {
	rc    *http.ResponseController
	stall time.Duration
	read  bool // the body is read to its end
}

// moveDeadlines answers the deadlines of c's connection, moved stall
// (0: importStall) ahead by each progress.
func moveDeadlines(c echo.Context, stall time.Duration) *importDeadlines {
	if stall <= 0 {
		stall = importStall
	}
	return &importDeadlines{rc: http.NewResponseController(c.Response()), stall: stall}
}

// progress moves the write deadline on, and the read deadline too while
// the body is still arriving.
func (d *importDeadlines) progress() {
	t := time.Now().Add(d.stall)
	if !d.read {
		_ = d.rc.SetReadDeadline(t) // not every writer has deadlines (tests): no matter
	}
	_ = d.rc.SetWriteDeadline(t)
}

// bodyRead says the body has been read to its end. net/http then reads
// the connection in the background, and cancels the request's context
// when that read fails: a read deadline passing while the request works
// would cancel (and so roll back) it. The read deadline is cleared (the
// server sets its own again for the connection's next request); only the
// write deadline moves from here on.
func (d *importDeadlines) bodyRead() {
	d.read = true
	_ = d.rc.SetReadDeadline(time.Time{})
	d.progress()
}

// memBody is how much of a body bufferBody keeps in memory; past it the
// body goes to a temporary file.
const memBody = 1 << 20

// bufferBody reads the request's body through h (a hash of it) and puts
// it back to be read again, held in memory up to memBody and in a
// temporary file past it (an import's CSV), moving the connection's
// deadlines on as an import's arrives. The answer's Close removes the file.
func bufferBody(c echo.Context, h io.Writer, stall time.Duration) (io.ReadCloser, error) {
	progress, read := func() {}, func() {}
	if c.Path() == importPath {
		// A large file may take a while to arrive; once it has, the
		// import may wait for the writer and take a while too.
		dl := moveDeadlines(c, stall)
		dl.progress()
		progress, read = dl.progress, dl.bodyRead
	}
	body := io.TeeReader(c.Request().Body, h)
	var mem bytes.Buffer
	n, err := io.Copy(&mem, io.LimitReader(body, memBody+1))
	if err != nil {
		return nil, bodyError(err, tooLarge, "spool the body")
	}
	if n <= memBody {
		read()
		return io.NopCloser(&mem), nil
	}
	tmp, err := os.CreateTemp("", "banlie-body-*")
	if err != nil {
		return nil, fmt.Errorf("spool the body: %w", err)
	}
	f := &tempFile{tmp}
	if _, err := tmp.Write(mem.Bytes()); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool the body: %w", err)
	}
	if err := spool(tmp, body, progress); err != nil {
		f.Close()
		return nil, bodyError(err, tooLarge, "spool the body")
	}
	read()
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool the body: %w", err)
	}
	return f, nil
}

// tooLarge is the 413 of a body over the limit that
// http.MaxBytesReader tells (the body limit's reader has its own).
func tooLarge() error { return echo.ErrStatusRequestEntityTooLarge }

// tempPatterns are the names of the temporary files bodies are spooled
// to (bufferBody, importRuns and the CLI's import of a pipe).
var tempPatterns = []string{"banlie-body-*", "banlie-import-*"}

// RemoveStaleTempFiles removes from dir the spooled bodies older than
// age: a process that crashed left them (a request's go when it ends).
// It answers how many it removed; what it cannot remove is let be.
func RemoveStaleTempFiles(dir string, age time.Duration) int {
	n := 0
	for _, pat := range tempPatterns {
		names, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, name := range names {
			fi, err := os.Lstat(name)
			if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < age {
				continue
			}
			if os.Remove(name) == nil {
				n++
			}
		}
	}
	return n
}

// tempFile is a temporary file removed when closed.
type tempFile struct{ *os.File }

func (f *tempFile) Close() error {
	err := f.File.Close()
	return errors.Join(err, os.Remove(f.Name()))
}

// spool copies body to dst, calling progress at every MiB received.
func spool(dst io.Writer, body io.Reader, progress func()) error {
	buf := make([]byte, 64<<10)
	var since int
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
			if since += n; since >= 1<<20 {
				since = 0
				progress()
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
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
	if n := h.exports.Add(1); n > maxExports {
		h.exports.Add(-1)
		c.Response().Header().Set(echo.HeaderRetryAfter, "30")
		return &models.Error{Code: models.EBUSY, Message: fmt.Sprintf("%d exports are under way, the most this server sends at a time; retry later", maxExports)}
	}
	defer h.exports.Add(-1)
	out := &csvAnswer{res: c.Response(), rc: http.NewResponseController(c.Response()), began: time.Now()}
	out.extend(out.began)
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
// taking them is let go exportWindow after its last progress. One that
// takes them slower than exportMinRate on average (after exportGrace) is
// not waited for any longer either: its deadline stays, and the export is
// broken off when it passes, so that a slow reader cannot hold a database
// connection for hours.
type csvAnswer struct {
	res *echo.Response
	rc  *http.ResponseController
	// sent is the count of bytes written since the deadline last moved, at;
	// total since the export began.
	sent, total int
	at, began   time.Time
}

const (
	exportProgress = 64 << 10
	exportWindow   = 60 * time.Second // as serve's write timeout
	exportMinRate  = 64 << 10         // bytes per second, on average
	exportGrace    = 2 * exportWindow
)

func (w *csvAnswer) extend(now time.Time) {
	if took := now.Sub(w.began); took > exportGrace && float64(w.total) < exportMinRate*took.Seconds() {
		return // too slow a reader: the deadline set last stands
	}
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
	w.total += len(b)
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
