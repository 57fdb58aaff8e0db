package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"banlie/models"
	"banlie/store"
)

const csvHelp = `CSV columns (header line required, any order; names without regard to case, or
the Chinese headers in brackets): id (upsert only), route [线路], number [车次],
direction [方向] (outbound/去程, inbound/回程), departed_at [发车时间] (RFC 3339
with offset), arrived_at [到达时间], status [状态] (planned/计划, departed/已发车,
arrived/已到达, cancelled/已取消), containers [箱数], teu [标箱], cargo [货物],
container_numbers [箱号] (separated by ; or spaces). Cells are separated by
commas, semicolons or tabs (found from the header line).`

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	return importFrom(ctx, args, os.Stdin, stdout, stderr, log)
}

// importFrom is cmdImport reading --runs - from stdin.
func importFrom(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer, log *slog.Logger) error {
	var cfg Config
	var runs, mode, encoding string
	var dry bool
	fs := newFlagSet("import", "Logs runs from a CSV file in one transaction: if any line is invalid, nothing is written\nand every problem is listed with its line. Lines already stored with the same values are\nskipped, so importing a file again never counts a train twice; lines whose cells are all\nblank are skipped too. With --mode upsert, a line with an id updates that run (audited as\na change); a line without one is logged as a new run.\n\n"+csvHelp, stderr, &cfg)
	fs.StringVar(&runs, "runs", "", "the CSV file of runs (- for standard input)")
	fs.BoolVar(&dry, "dry-run", false, "check the file and say what would be imported, write nothing")
	fs.StringVar(&mode, "mode", store.ImportCreate, "create (every line a new run; an id column is refused) or upsert (a line with an id updates that run)")
	fs.StringVar(&encoding, "encoding", store.CharsetUTF8, "the file's charset: utf-8, gb18030 or gbk (what Chinese Excel saves as \"CSV\")")
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	if runs == "" {
		return errors.New("import: say what: --runs FILE.csv")
	}
	if !slices.Contains(store.ImportModes, mode) {
		return fmt.Errorf("import: --mode must be one of %s, not %q", strings.Join(store.ImportModes, ", "), mode)
	}
	charset, ok := store.CSVCharset(encoding)
	if !ok {
		return fmt.Errorf("import: --encoding must be one of %s, not %q", strings.Join(store.CSVCharsets, ", "), encoding)
	}
	src := stdin
	if runs != "-" {
		f, err := os.Open(runs)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		src = f
	}
	in, size, err := spoolInput(src)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer in.Close()
	// The file is read as it is imported, a batch of lines at a time.
	file, err := store.ReadRunsCSV(in, charset)
	if err != nil {
		return printImportError(stderr, err)
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(st.DB())
	prog := newImportProgress(stderr, size, time.Now)
	res, err := st.ImportRuns(ctx, st.WriteBy(models.Actor{Name: "cli-import"}, nil), file,
		store.ImportOptions{Mode: mode, DryRun: dry, Progress: prog.update,
			Log: func(err error) {
				log.Warn("import: the runs were imported, but the statistics refresh failed", "err", err)
			}})
	prog.end()
	if err != nil {
		return printImportError(stderr, err)
	}
	fmt.Fprintf(stdout, "read as %s, separator %s; columns: %s\n", res.Format.Charset, separatorName(res.Format.Separator), columnsRead(res.Format.Columns))
	verb := "imported"
	if dry {
		verb = "would import"
	}
	fmt.Fprintf(stdout, "%s %d runs; %d already stored with the same values", verb, res.Created, res.Skipped)
	if mode == store.ImportUpsert {
		v := "updated"
		if dry {
			v = "would update"
		}
		fmt.Fprintf(stdout, "; %s %d runs, %d unchanged", v, res.Updated, res.Unchanged)
	}
	if res.SkippedBlank > 0 {
		fmt.Fprintf(stdout, "; %d blank lines skipped", res.SkippedBlank)
	}
	fmt.Fprintln(stdout)
	return nil
}

// spoolInput answers src to import from and its size: a regular file as
// it is; anything else (a pipe, a terminal) is copied to a temporary file
// first, removed when the answer is closed, so that the import's write
// transaction (which holds SQLite's single writer) never waits on a slow
// pipe.
func spoolInput(src *os.File) (io.ReadCloser, int64, error) {
	if fi, err := src.Stat(); err == nil && fi.Mode().IsRegular() {
		return io.NopCloser(src), fi.Size(), nil
	}
	tmp, err := os.CreateTemp("", "banlie-import-*.csv")
	if err != nil {
		return nil, 0, fmt.Errorf("spool the input: %w", err)
	}
	spooled := &removedFile{tmp}
	n, err := io.Copy(tmp, src)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		spooled.Close()
		return nil, 0, fmt.Errorf("spool the input: %w", err)
	}
	return spooled, n, nil
}

// removedFile is a temporary file removed when closed.
type removedFile struct{ *os.File }

func (f *removedFile) Close() error {
	return errors.Join(f.File.Close(), os.Remove(f.Name()))
}

// printImportError lists a refused import's problems, each with its code.
func printImportError(stderr io.Writer, err error) error {
	var e *models.Error
	if !errors.As(err, &e) {
		return err
	}
	for _, f := range e.Fields {
		fmt.Fprintf(stderr, "%s: %s [%s]\n", f.Field, f.Message, f.Code)
	}
	return errors.New(e.Message)
}

func separatorName(sep string) string {
	switch sep {
	case ",":
		return "comma"
	case ";":
		return "semicolon"
	case "\t":
		return "tab"
	}
	return strconv.Quote(sep)
}

// columnsRead says which field each column was read as, in the order of
// the fields ("线路=route, number=number, …").
func columnsRead(cols map[string]string) string {
	var out []string
	for _, name := range store.RunCSVHeader {
		for written, field := range cols {
			if field == name {
				out = append(out, written+"="+field)
			}
		}
	}
	return strings.Join(out, ", ")
}

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	var cfg Config
	var from, to, route, mode, out string
	var runs, bom bool
	fs := newFlagSet("export", "Writes runs as CSV (newest departure first), in the format import reads: the id column\nfirst, so that a file edited in a spreadsheet imports back with --mode upsert.\n\n"+csvHelp, stderr, &cfg)
	fs.BoolVar(&runs, "runs", false, "export runs")
	fs.BoolVar(&bom, "bom", false, "write a UTF-8 byte order mark first (Excel then reads the file as UTF-8)")
	fs.StringVar(&from, "from", "", "first departure date, YYYY-MM-DD (reporting zone)")
	fs.StringVar(&to, "to", "", "last departure date, YYYY-MM-DD (reporting zone)")
	fs.StringVar(&route, "route", "", "only this route's runs")
	fs.StringVar(&mode, "mode", "", "only runs of this mode")
	fs.StringVar(&out, "out", "", "the file to write (default: standard output)")
	if err := parse(fs, &cfg, args); err != nil {
		return err
	}
	if !runs {
		return errors.New("export: say what: --runs")
	}
	var f models.RunFilter
	for _, d := range []struct {
		v   string
		dst **models.Day
	}{{from, &f.From}, {to, &f.To}} {
		if d.v != "" {
			day, err := models.ParseDay(d.v)
			if err != nil {
				return fmt.Errorf("export: %q %w", d.v, err)
			}
			*d.dst = &day
		}
	}
	if route != "" {
		f.Route = &route
	}
	if mode != "" {
		f.Mode = &mode
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(st.DB())
	w := stdout
	if out != "" {
		file, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer file.Close()
		w = file
	}
	if bom {
		w = store.WithBOM(w)
	}
	n, err := st.ExportRuns(ctx, f, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d runs\n", n)
	return nil
}

// importProgress tells how an import goes on stderr: on a terminal a bar
// redrawn in place (lines, lines a second, and from the bytes read of the
// file's size the share done and the time left); otherwise a plain line
// at every tenth of the file, or every 5 seconds when its size is unknown.
type importProgress struct {
	w     io.Writer
	tty   bool
	size  int64
	now   func() time.Time
	start time.Time
	last  time.Time // of the last line or redraw
	tenth int64     // the last tenth told
	drawn bool
	lines int
	read  int64
}

func newImportProgress(w io.Writer, size int64, now func() time.Time) *importProgress {
	p := &importProgress{w: w, size: size, now: now, start: now()}
	p.last = p.start
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// update is the import's progress callback.
func (p *importProgress) update(lines int, read int64) {
	p.lines, p.read = lines, read
	t := p.now()
	switch {
	case p.tty:
		if t.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last, p.drawn = t, true
		fmt.Fprintf(p.w, "\r\033[K%s", p.line(t, true))
	case p.size > 0:
		if tenth := 10 * read / p.size; tenth > p.tenth && tenth < 10 {
			p.tenth, p.last = tenth, t
			fmt.Fprintf(p.w, "import: %s\n", p.line(t, false))
		}
	case t.Sub(p.last) >= 5*time.Second:
		p.last = t
		fmt.Fprintf(p.w, "import: %s\n", p.line(t, false))
	}
}

// end clears the bar (the summary follows on stdout).
func (p *importProgress) end() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// line says the lines read, their rate and, with the file's size, the
// share read and the time left (with a bar of 30 cells on a terminal).
func (p *importProgress) line(t time.Time, bar bool) string {
	el := t.Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.lines) / el
	}
	s := fmt.Sprintf("%d lines, %.0f lines/s", p.lines, rate)
	if p.size <= 0 || p.read <= 0 {
		return s
	}
	frac := min(float64(p.read)/float64(p.size), 1)
	eta := time.Duration(el * (1 - frac) / frac * float64(time.Second)).Round(time.Second)
	s = fmt.Sprintf("%3.0f%% %s, %s left", 100*frac, s, eta)
	if bar {
		n := int(frac * 30)
		s = "[" + strings.Repeat("=", n) + strings.Repeat(" ", 30-n) + "] " + s
	}
	return s
}
