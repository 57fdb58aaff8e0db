package store

import (
	"banlie/models"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// runColumn is one column of the runs CSV: the name export writes and
// import reads (without regard to case or surrounding spaces), the Chinese
// header an office writes for it, the cell export writes for a run, and
// how import reads a cell into a create (read) and, in upsert mode, into
// the update of a stored run (patch, for the columns the file has).
type runColumn struct {
	name, zh string
	cell     func(r models.Run) string
	read     func(in *models.RunInput, v string) error
	patch    func(p *models.RunPatch, in models.RunInput)
}

// runColumns are the columns of the runs CSV, in the order export writes
// them. id is the stored run's: in upsert mode a line with an id updates it.
var runColumns = []runColumn{
	{"id", "", func(r models.Run) string { return strconv.FormatInt(r.ID, 10) }, nil, nil},
	{"route", "线路", func(r models.Run) string { return r.Route },
		func(in *models.RunInput, v string) error { in.Route = v; return nil },
		func(p *models.RunPatch, in models.RunInput) { p.Route = &in.Route }},
	{"number", "车次", func(r models.Run) string { return r.Number },
		func(in *models.RunInput, v string) error { in.Number = v; return nil },
		func(p *models.RunPatch, in models.RunInput) { p.Number = &in.Number }},
	{"direction", "方向", func(r models.Run) string { return r.Direction },
		func(in *models.RunInput, v string) error { in.Direction = cellValue(CSVDirections, v); return nil },
		func(p *models.RunPatch, in models.RunInput) { p.Direction = &in.Direction }},
	{"departed_at", "发车时间", func(r models.Run) string { return r.DepartedAt.Format(time.RFC3339Nano) },
		func(in *models.RunInput, v string) error { in.DepartedAt = v; return nil },
		func(p *models.RunPatch, in models.RunInput) { p.DepartedAt = &in.DepartedAt }},
	{"arrived_at", "到达时间", func(r models.Run) string { return timeCell(r.ArrivedAt) },
		func(in *models.RunInput, v string) error { in.ArrivedAt = optCell(v); return nil },
		func(p *models.RunPatch, in models.RunInput) {
			p.ArrivedAt = models.Opt[string]{Set: true, Value: in.ArrivedAt}
		}},
	{"status", "状态", func(r models.Run) string { return r.Status },
		func(in *models.RunInput, v string) error { in.Status = cellValue(CSVStatuses, v); return nil },
		func(p *models.RunPatch, in models.RunInput) {
			s := cmp.Or(in.Status, models.StatusDeparted) // a blank cell reads as in a create
			p.Status = &s
		}},
	{"containers", "箱数", func(r models.Run) string { return strconv.Itoa(r.Containers) },
		func(in *models.RunInput, v string) error { return intCell(&in.Containers, v) },
		func(p *models.RunPatch, in models.RunInput) { p.Containers = intOrZero(in.Containers) }},
	{"teu", "标箱", func(r models.Run) string { return strconv.Itoa(r.TEU) },
		func(in *models.RunInput, v string) error { return intCell(&in.TEU, v) },
		func(p *models.RunPatch, in models.RunInput) { p.TEU = intOrZero(in.TEU) }},
	{"cargo", "货物", func(r models.Run) string { return textCell(r.Cargo) },
		func(in *models.RunInput, v string) error { in.Cargo = optCell(v); return nil },
		func(p *models.RunPatch, in models.RunInput) { p.Cargo = models.Opt[string]{Set: true, Value: in.Cargo} }},
	{"container_numbers", "箱号", func(r models.Run) string { return strings.Join(r.ContainerNumbers, ";") },
		func(in *models.RunInput, v string) error {
			in.ContainerNumbers = strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ' ' })
			return nil
		},
		func(p *models.RunPatch, in models.RunInput) {
			p.ContainerNumbers = models.Opt[[]string]{Set: true, Value: &in.ContainerNumbers}
		}},
	{"empty_containers", "空箱数", func(r models.Run) string { return strconv.Itoa(r.EmptyContainers) },
		func(in *models.RunInput, v string) error {
			// The column is there: a blank cell is none, not "not said".
			in.EmptyContainers = intOrZero(nil)
			return intCell(&in.EmptyContainers, v)
		},
		func(p *models.RunPatch, in models.RunInput) { p.EmptyContainers = intOrZero(in.EmptyContainers) }},
}

// RunCSVHeader is the header of the runs CSV that export writes.
var RunCSVHeader = func() []string {
	h := make([]string, len(runColumns))
	for i, c := range runColumns {
		h[i] = c.name
	}
	return h
}()

// requiredColumns are the columns every runs CSV has.
var requiredColumns = []string{"route", "number", "direction", "departed_at"}

// CSVDirections and CSVStatuses are the Chinese cell values import reads
// as the API's direction and status (the dashboard's own words for them);
// the API's values are read as they are.
var (
	CSVDirections = map[string]string{"去程": models.DirOutbound, "回程": models.DirInbound}
	CSVStatuses   = map[string]string{"计划": models.StatusPlanned, "已发车": models.StatusDeparted, "已到达": models.StatusArrived, "已取消": models.StatusCancelled}
)

func cellValue(names map[string]string, v string) string {
	if api, ok := names[v]; ok {
		return api
	}
	return v
}

// errNotInteger is a containers or teu cell that is no whole number.
var errNotInteger = errors.New("not a whole number")

func intCell(dst **int, v string) error {
	if v == "" {
		return nil
	}
	k, err := strconv.Atoi(v)
	if err != nil {
		return errNotInteger
	}
	*dst = &k
	return nil
}

func intOrZero(p *int) *int {
	if p == nil {
		return new(int)
	}
	return p
}

func optCell(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func textCell(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// Import modes: create logs every line as a new run (today's and the
// default); upsert also reads an id column, whose lines update those runs.
const (
	ImportCreate = "create"
	ImportUpsert = "upsert"
)

// ImportModes lists the import modes, the default first.
var ImportModes = []string{ImportCreate, ImportUpsert}

// Charsets a runs CSV may be in: UTF-8, or what Chinese Excel writes as
// "CSV" (GB18030, or its subset GBK).
const (
	CharsetUTF8    = "utf-8"
	CharsetGB18030 = "gb18030"
	CharsetGBK     = "gbk"
)

// CSVCharsets lists the charsets ReadRunsCSV decodes.
var CSVCharsets = []string{CharsetUTF8, CharsetGB18030, CharsetGBK}

// CSVCharset answers the charset of CSVCharsets that name (a Content-Type
// charset or a command's --encoding, any case) stands for, if any; "" is
// UTF-8, as are its names utf8 and its subset us-ascii.
func CSVCharset(name string) (string, bool) {
	switch n := strings.ToLower(strings.TrimSpace(name)); n {
	case "", "utf-8", "utf8", "us-ascii":
		return CharsetUTF8, true
	case CharsetGB18030, CharsetGBK:
		return n, true
	}
	return "", false
}

// csvSeparators are the separators a runs CSV may use, comma first: it
// wins a tie.
var csvSeparators = []rune{',', ';', '\t'}

// RunsCSV is a runs CSV being read: its text in UTF-8 (a byte order mark
// taken off), read from its source a buffer at a time, the separator its
// header line uses, its charset. It is read once, by ImportRuns.
type RunsCSV struct {
	text    io.Reader
	sep     rune
	charset string
	src     *countingReader
}

// BytesRead answers how many bytes of the source have been read so far.
func (f RunsCSV) BytesRead() int64 {
	if f.src == nil {
		return 0
	}
	return f.src.n.Load()
}

// maxHeaderBytes bounds what ReadRunsCSV reads to find the header line (a
// stray quote would otherwise make the whole file its header).
const maxHeaderBytes = 1 << 20

// ReadRunsCSV starts reading a CSV from r, in charset (one of
// CSVCharsets), and finds its separator: of comma, semicolon and tab, the
// one that splits the header line (the first line that is not blank,
// outside quotes) into the most column names that import knows; a tie goes
// to the comma. Only the start of r is read here, up to the header line;
// ImportRuns reads the rest as it goes. An empty file is refused (400,
// naming csv), as is, here or when ImportRuns reaches it, text that is not
// valid in its charset.
func ReadRunsCSV(r io.Reader, charset string) (RunsCSV, error) {
	f := RunsCSV{sep: ',', charset: charset, src: &countingReader{r: r}}
	var text io.Reader = f.src
	switch charset {
	case CharsetUTF8:
	case CharsetGB18030:
		text = transform.NewReader(text, simplifiedchinese.GB18030.NewDecoder())
	case CharsetGBK:
		text = transform.NewReader(text, simplifiedchinese.GBK.NewDecoder())
	default:
		return f, models.BadField("charset", models.CodeInvalidValue, models.Params{"allowed": CSVCharsets, "value": charset}, "charset must be one of %s, not %q", strings.Join(CSVCharsets, ", "), charset)
	}
	br := bufio.NewReaderSize(&validText{r: text, charset: charset}, 64<<10)
	// The start, up to the end of the header line, is read here and read
	// again by the import (its blank lines count as lines).
	var start []byte
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			err = nil
		}
		if first {
			line = bytes.TrimPrefix(line, []byte("\ufeff")) // Excel's "CSV UTF-8" starts with a BOM
		}
		start = append(start, line...)
		if err != nil && err != io.EOF {
			return f, err
		}
		if err == io.EOF || len(start) > maxHeaderBytes || headerDone(start) {
			break
		}
	}
	if len(bytes.TrimSpace(start)) == 0 {
		return f, models.BadField("csv", models.CodeRequired, nil, "the CSV is empty; send the CSV, header line first: %s", strings.Join(RunCSVHeader[1:], ","))
	}
	f.text = io.MultiReader(bytes.NewReader(start), br)
	head := headerLine(start)
	best := -1
	for _, sep := range csvSeparators {
		r := csv.NewReader(bytes.NewReader(head))
		r.Comma = sep
		r.FieldsPerRecord = -1
		names, err := r.Read()
		if err != nil {
			continue
		}
		n := 0
		for _, name := range names {
			if _, ok := columnOf(name); ok {
				n++
			}
		}
		if n > best {
			best, f.sep = n, sep
		}
	}
	return f, nil
}

// headerDone reports whether b holds a line that is not blank, ended by a
// line break outside quotes.
func headerDone(b []byte) bool {
	h := headerLine(b)
	return len(bytes.TrimSpace(h)) > 0 && len(h) < len(b)
}

// countingReader counts the bytes read through it (read by the progress
// callback, maybe from another goroutine).
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// validText passes UTF-8 text through, failing at the first byte that is
// not valid UTF-8 or, decoded from GB18030 or GBK, at the first character
// the decoder could not read (which it writes as U+FFFD).
type validText struct {
	r       io.Reader
	charset string
	tail    []byte // an incomplete character at the end of the last read
	buf     []byte
	err     error
}

func (v *validText) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.buf = append(append(v.buf[:0], v.tail...), p[:n]...)
	cut := len(v.buf)
	if err == nil {
		for i := len(v.buf) - 1; i >= 0 && i >= len(v.buf)-utf8.UTFMax; i-- {
			if utf8.RuneStart(v.buf[i]) {
				if !utf8.FullRune(v.buf[i:]) {
					cut = i
				}
				break
			}
		}
	}
	b := v.buf[:cut]
	switch {
	case v.charset != CharsetUTF8 && bytes.ContainsRune(b, utf8.RuneError):
		v.err = models.BadField("csv", models.CodeInvalidText, models.Params{"reason": v.charset},
			"the CSV is not valid %s text; send it in the charset it was saved in (UTF-8, GB18030 or GBK)", strings.ToUpper(v.charset))
	case !utf8.Valid(b):
		v.err = models.BadField("csv", models.CodeInvalidText, models.Params{"reason": "utf8"},
			"the CSV is not valid UTF-8; save it as UTF-8 (in Excel: CSV UTF-8), or declare its charset (GB18030 or GBK)")
	}
	if v.err != nil {
		return 0, v.err
	}
	v.tail = append(v.tail[:0], v.buf[cut:]...)
	return n, err
}

// headerLine is the first line of b that is not blank, up to its end
// outside quotes.
func headerLine(b []byte) []byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 || len(bytes.TrimSpace(b[:i])) > 0 {
			break
		}
		b = b[i+1:]
	}
	quoted := false
	for i, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			return b[:i]
		}
	}
	return b
}

// columnOf answers the column a header cell names: its English name or its
// Chinese header, without regard to case or surrounding spaces.
func columnOf(name string) (runColumn, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, c := range runColumns {
		if n == c.name || c.zh != "" && n == c.zh {
			return c, true
		}
	}
	return runColumn{}, false
}

// CSVFormat says how an import read its file: the separator, the charset,
// and which field each column of the header was read as (by the column's
// name as written).
type CSVFormat struct {
	Separator string            `json:"separator"`
	Charset   string            `json:"charset"`
	Columns   map[string]string `json:"columns"`
}

// ImportOptions say how to import: Mode is one of ImportModes ("" is
// create); a dry run writes nothing. Progress, when set, is called as the
// import goes (after each batch of lines, every bulkBatch lines with an
// id, and once at the end) with the lines read so far and the bytes of
// the source read. Log, when set, is told what failed after the import
// committed (the statistics refresh), which does not fail the import.
type ImportOptions struct {
	Mode     string
	DryRun   bool
	Progress func(lines int, bytes int64)
	Log      func(err error)
	// lineByLine writes every line through CreateRun, as imports did
	// before batches: the reference the tests hold the batches to.
	lineByLine bool
}

// MaxImportErrors bounds the line problems an import lists: past them it
// only counts them (the answer's message says how many there were).
const MaxImportErrors = 1000

// ImportResult says what an import did (or, in a dry run, would do).
type ImportResult struct {
	Mode         string              `json:"mode"`
	Created      int                 `json:"created"`
	Updated      int                 `json:"updated"`       // upsert: runs the lines with an id changed
	UpdatedIDs   []int64             `json:"updated_ids"`   // their ids, in the file's order
	Unchanged    int                 `json:"unchanged"`     // upsert: lines with an id that hold the run's stored values
	Skipped      int                 `json:"skipped"`       // already stored with the same values: a re-import is harmless
	SkippedBlank int                 `json:"skipped_blank"` // lines whose cells are all blank
	Errors       []models.FieldError `json:"errors"`        // field is "line N: column"; the first MaxImportErrors
	Format       CSVFormat           `json:"format"`
	// problems counts every problem, those past MaxImportErrors too.
	problems int
}

// addError lists a line's problem (the first MaxImportErrors) and counts it.
func (r *ImportResult) addError(f models.FieldError) {
	r.problems++
	if len(r.Errors) < MaxImportErrors {
		r.Errors = append(r.Errors, f)
	}
}

// importLine is a line of the file as read: the run it describes, and in
// upsert mode the id of the run it updates (0: none, a create).
type importLine struct {
	prefix string
	line   int
	// errs are the problems found reading the line; a dead line is only
	// listed, never written.
	errs []models.FieldError
	dead bool
	id   int64
	in   models.RunInput
}

// readHeader reads the header line into the columns of each cell, and
// lists every problem of the header (a 400, each field "header: name").
func readHeader(head []string, mode string, format *CSVFormat) ([]runColumn, error) {
	cols := make([]runColumn, len(head))
	var problems []models.FieldError
	seen := map[string]string{}
	for i, h := range head {
		written := strings.TrimSpace(h)
		field := "header: " + written
		c, ok := columnOf(h)
		switch {
		case !ok:
			problems = append(problems, models.NewFieldError(field, models.CodeUnknownField, models.Params{"allowed": RunCSVHeader},
				"the CSV header has an unknown column %q (expected %s)", written, strings.Join(RunCSVHeader, ",")))
		case c.name == "id" && mode != ImportUpsert:
			problems = append(problems, models.NewFieldError(field, models.CodeUnknownField, models.Params{"mode": ImportUpsert},
				"the CSV header has the column %q, which updates stored runs: import with mode=upsert, or take the column out to create every line as a new run", written))
		case seen[c.name] != "":
			problems = append(problems, models.NewFieldError(field, models.CodeDuplicate, models.Params{"value": c.name},
				"the CSV header has the column %q twice (%q and %q)", c.name, seen[c.name], written))
		default:
			seen[c.name] = written
			format.Columns[written] = c.name
		}
		cols[i] = c
	}
	for _, need := range requiredColumns {
		if _, ok := seen[need]; !ok && !slices.ContainsFunc(problems, func(f models.FieldError) bool { return f.Code == models.CodeDuplicate && f.Params["value"] == need }) {
			problems = append(problems, models.NewFieldError("header: "+need, models.CodeRequired, nil,
				"the CSV header lacks the column %q (expected %s)", need, strings.Join(RunCSVHeader, ",")))
		}
	}
	switch len(problems) {
	case 0:
		return cols, nil
	case 1:
		return nil, &models.Error{Code: models.EBADREQUEST, Message: problems[0].Message, Fields: problems}
	}
	return nil, &models.Error{Code: models.EBADREQUEST, Message: fmt.Sprintf("%d problems in the CSV header: %s", len(problems), problems[0].Message), Fields: problems}
}

// ImportRuns logs the runs of a CSV (see ReadRunsCSV; RunCSVHeader, in any
// column order, or the Chinese headers of runColumns) in one transaction:
// if any line is invalid or conflicts with a different stored run, nothing
// is written and every problem is listed with its line. A line that
// matches a stored run exactly (same route, number, departure day and
// values) is skipped, so importing a file twice never counts a train
// twice; a line whose cells are all blank is skipped too. In upsert mode a
// line with an id updates that run to the line's values (the columns the
// file lacks are left as stored), as a PATCH does: validated, audited,
// counted as unchanged when it holds the stored values already. A cell's
// apostrophe that ExportRuns put in front of a formula-like value is taken
// off. The file is read as the import goes, and lines without an id are
// written in batches (bulk.go); every problem past MaxImportErrors is only
// counted. A committed import of OptimizeAfterRows runs or more refreshes
// the planner's statistics (Optimize).
func (s *Store) ImportRuns(ctx context.Context, w Write, f RunsCSV, opt ImportOptions) (ImportResult, error) {
	mode := cmp.Or(opt.Mode, ImportCreate)
	res := ImportResult{Mode: mode, Errors: []models.FieldError{}, UpdatedIDs: []int64{},
		Format: CSVFormat{Separator: string(f.sep), Charset: f.charset, Columns: map[string]string{}}}
	if !slices.Contains(ImportModes, mode) {
		return res, models.BadField("mode", models.CodeInvalidValue, models.Params{"allowed": ImportModes}, "mode must be one of %s", strings.Join(ImportModes, ", "))
	}
	if f.text == nil {
		return res, models.BadField("csv", models.CodeRequired, nil, "the CSV is empty")
	}
	cr := csv.NewReader(f.text)
	cr.Comma = f.sep
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		var coded *models.Error
		if errors.As(err, &coded) {
			return res, err // not valid text in its charset
		}
		return res, models.BadField("csv", models.CodeInvalidFormat, models.Params{"format": "csv"}, "the CSV has no header line: %s", strings.Join(RunCSVHeader, ","))
	}
	head = slices.Clone(head)
	cols, err := readHeader(head, mode, &res.Format)
	if err != nil {
		return res, err
	}
	errRollback := errors.New("dry run or invalid lines: roll back")
	ids := map[int64]int{} // the line of each id
	lines, upserts := 0, 0
	progress := func() {
		if opt.Progress != nil {
			opt.Progress(lines, f.BytesRead())
		}
	}
	w.alone = true
	err = s.Tx(ctx, w, func(tx *Store) error {
		b := tx.newBulk(ctx, w, opt.DryRun, &res)
		b.lineByLine = opt.lineByLine
		defer b.close()
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var coded *models.Error
				if errors.As(err, &coded) {
					return err // not valid text in its charset: 400
				}
				// The line as an editor numbers it (a quoted cell may span lines).
				line := 0
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					line = pe.StartLine
				}
				if err := b.flush(); err != nil { // the lines before it first
					return err
				}
				res.addError(models.NewFieldError(fmt.Sprintf("line %d", line), models.CodeInvalidFormat, models.Params{"format": "csv"}, "is not valid CSV"))
				break
			}
			lines++
			lineNo, _ := cr.FieldPos(0)
			l := importLine{prefix: "line " + strconv.Itoa(lineNo), line: lineNo}
			if !slices.ContainsFunc(rec, func(c string) bool { return importCell(c) != "" }) {
				res.SkippedBlank++
				continue
			}
			// A line's problems are listed in the file's order: those found
			// here go with the line into the batch (a line that cannot be
			// written goes there only to be listed).
			if len(rec) > len(head) {
				l.errs = append(l.errs, models.NewFieldError(l.prefix, models.CodeTooMany, models.Params{"max": len(head), "count": len(rec)},
					"has %d cells but the header %d (a value with a separator needs quotes)", len(rec), len(head)))
				l.dead = true
				rec = nil
			}
			// A cell that does not parse is listed; the line is still
			// validated for its other problems (nothing is kept anyway).
			for i, raw := range rec {
				c, v := cols[i], importCell(raw)
				if c.name == "id" {
					if v != "" {
						if l.id, err = strconv.ParseInt(v, 10, 64); err != nil || l.id <= 0 {
							l.errs = append(l.errs, models.NewFieldError(l.prefix+": id", models.CodeInvalidFormat, models.Params{"format": "integer"}, "must be the id of a stored run, a whole number"))
							l.id, l.dead = 0, true // listed: the line is not written
						}
					}
					continue
				}
				if err := c.read(&l.in, v); err != nil {
					l.errs = append(l.errs, models.NewFieldError(l.prefix+": "+c.name, models.CodeInvalidFormat, models.Params{"format": "integer"}, "must be a whole number"))
				}
			}
			if first, twice := ids[l.id]; l.id > 0 && twice {
				l.errs = append(l.errs, models.NewFieldError(l.prefix+": id", models.CodeDuplicate, models.Params{"value": l.id, "line": first},
					"run %d is on line %d already; a file updates a run once", l.id, first))
				l.id, l.dead = 0, true
			}
			if l.id > 0 {
				ids[l.id] = lineNo
				// The lines before it are written first: the file's order holds.
				if err := b.flush(); err != nil {
					return err
				}
				for _, fe := range l.errs {
					res.addError(fe)
				}
				if err := tx.upsertLine(ctx, w, l, cols, &res); err != nil {
					return err
				}
				if upserts++; upserts%bulkBatch == 0 {
					progress() // one at a time, as a batch takes
				}
				continue
			}
			if b.add(l) {
				if err := b.flush(); err != nil {
					return err
				}
				progress()
			}
		}
		if err := b.flush(); err != nil {
			return err
		}
		if opt.DryRun || res.problems > 0 {
			return errRollback
		}
		return nil
	})
	progress()
	if errors.Is(err, errRollback) {
		err = nil
	}
	if err == nil && res.problems > 0 {
		msg := fmt.Sprintf("%d problems in the CSV; nothing was imported", res.problems)
		switch {
		case res.problems == 1:
			msg = "1 problem in the CSV; nothing was imported"
		case res.problems > len(res.Errors):
			msg = fmt.Sprintf("%d problems in the CSV, the first %d listed; nothing was imported", res.problems, len(res.Errors))
		}
		return res, &models.Error{Code: models.EINVALID, Message: msg, Fields: res.Errors}
	}
	if err == nil && !opt.DryRun && res.Created+res.Updated >= OptimizeAfterRows {
		// The planner's statistics follow the table's growth. The import
		// is committed: neither its caller going away nor a failure here
		// makes it fail (a retry would be told to import it again).
		if oerr := s.Optimize(context.WithoutCancel(ctx)); oerr != nil && opt.Log != nil {
			opt.Log(fmt.Errorf("import: the import committed, but: %w", oerr))
		}
	}
	return res, err
}

// lineErrors lists a write's refusal under the line's prefix; other errors
// are answered.
func lineErrors(res *ImportResult, prefix string, err error) error {
	return lineErrorsTo(res.addError, prefix, err)
}

// lineErrorsTo is lineErrors listing with add.
func lineErrorsTo(add func(models.FieldError), prefix string, err error) error {
	var e *models.Error
	if !errors.As(err, &e) || e.Code != models.EINVALID && e.Code != models.ECONFLICT {
		return err
	}
	if len(e.Fields) == 0 {
		add(models.NewFieldError(prefix, models.CodeConflict, models.Params{"resource": "run"}, "%s", e.Message))
	}
	for _, f := range e.Fields {
		f.Field = prefix + ": " + f.Field
		add(f)
	}
	return nil
}

// createLine logs a line without an id as a new run: skipped when the run
// is stored with the same values already.
func (s *Store) createLine(ctx context.Context, w Write, l importLine, res *ImportResult) error {
	_, err := s.CreateRun(ctx, w, l.in)
	var e *models.Error
	switch {
	case err == nil:
		res.Created++
		return nil
	case errors.As(err, &e) && e.Code == models.ECONFLICT && (len(e.Fields) == 0 || e.Fields[0].Field != "container_numbers"):
		// The same train on the same day: the same run, or another one.
		// (Containers on other runs at the time, or on an earlier line's,
		// are listed as they are.)
		same, cerr := s.sameAsStored(ctx, l.in)
		if cerr != nil {
			return cerr
		}
		if same {
			res.Skipped++
			return nil
		}
		params := models.Params{"resource": "run"}
		if len(e.Fields) == 1 && e.Fields[0].Code == models.CodeConflict {
			params = e.Fields[0].Params
		}
		res.addError(models.NewFieldError(l.prefix, models.CodeConflict, params, "%s, with other values", e.Message))
		return nil
	}
	return lineErrors(res, l.prefix, err)
}

// upsertLine updates the run a line's id names to the line's values, for
// the columns the file has, through UpdateRun's checks.
func (s *Store) upsertLine(ctx context.Context, w Write, l importLine, cols []runColumn, res *ImportResult) error {
	var patch models.RunPatch
	for _, c := range cols {
		if c.patch != nil {
			c.patch(&patch, l.in)
		}
	}
	_, changed, err := s.updateRun(ctx, w, l.id, patch)
	var e *models.Error
	switch {
	case err == nil && changed:
		res.Updated++
		res.UpdatedIDs = append(res.UpdatedIDs, l.id)
		return nil
	case err == nil:
		res.Unchanged++
		return nil
	case errors.As(err, &e) && e.Code == models.ENOTFOUND:
		res.addError(models.NewFieldError(l.prefix+": id", models.CodeNotFound, models.Params{"resource": "run", "value": l.id},
			"no run with id %d (leave the id blank to create the line as a new run)", l.id))
		return nil
	}
	return lineErrors(res, l.prefix, err)
}

// sameAsStored reports whether the run that conflicts with in (same route,
// number and departure day) holds the same values.
func (s *Store) sameAsStored(ctx context.Context, in models.RunInput) (bool, error) {
	var p models.Problems
	v := in.Validate(&p)
	route, err := s.routeRowByCode(v.Route)
	if err != nil || p.Err() != nil {
		return false, err
	}
	var row runRow
	if err := s.db.WithContext(ctx).Where("route_id = ? AND number_key = ? AND departed_day = ?", route.ID, upperASCII(v.Number), models.DayOf(v.DepartedAt, s.Loc).String()).Take(&row).Error; err != nil {
		return false, err
	}
	if err := s.withContainers(ctx, &row); err != nil {
		return false, err
	}
	var want runRow
	fill(&want, v, s.Loc)
	return sameAsRow(in, row, want), nil
}

// sameAsRow reports whether row (a stored run, or one an earlier line of
// the file writes) holds the values want that the line in was read as.
func sameAsRow(in models.RunInput, row, want runRow) bool {
	sameTime := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
	// A CSV cell cannot tell an empty cargo from none, and import trims
	// cells: a cargo that differs only so is the same.
	sameText := func(a, b *string) bool {
		text := func(s *string) string {
			if s == nil {
				return ""
			}
			return strings.TrimSpace(*s)
		}
		return text(a) == text(b)
	}
	// A file without the empty boxes' column (one written before it
	// existed) says nothing of them: it matches whatever is stored. (With
	// the column, a blank cell reads as 0.)
	sameEmpty := in.EmptyContainers == nil || row.EmptyContainers == want.EmptyContainers
	return row.DepartedAt.Equal(want.DepartedAt) && sameTime(row.ArrivedAt, want.ArrivedAt) && row.Direction == want.Direction &&
		row.Status == want.Status && row.Containers == want.Containers && sameEmpty && row.TEU == want.TEU &&
		sameText(row.Cargo, want.Cargo) && slices.Equal(row.ContainerNumbers, want.ContainerNumbers)
}

// formulaStart holds the characters that make a spreadsheet read a cell as
// a formula (CSV injection: =HYPERLINK(...), +cmd|..., -1+1, @SUM(...)).
const formulaStart = "=+-@\t\r"

// neutralizeCell guards an exported cell against CSV injection the way
// spreadsheets themselves mark text: a cell that would start with one of
// formulaStart, after any apostrophes, gets one more apostrophe in front:
// "=cmd" is written as "'=cmd", and "'=cmd" with two apostrophes. unneutralizeCell,
// on import, takes exactly that apostrophe off again, so an export always
// imports back to the same values; every other cell is left as it is.
func neutralizeCell(s string) string {
	if t := strings.TrimLeft(s, "'"); t != "" && strings.IndexByte(formulaStart, t[0]) >= 0 {
		return "'" + s
	}
	return s
}

// importCell is a cell's value as import reads it: trimmed, then with the
// export's formula mark taken off. A value that was only a tab or a carriage
// return was marked too ("'\t"); it reads as blank, as it would unmarked.
func importCell(raw string) string {
	v := strings.TrimSpace(raw)
	if v == "'" && len(raw) > 1 && raw[0] == '\'' && strings.IndexByte(formulaStart, raw[1]) >= 0 && strings.TrimSpace(raw[1:]) == "" {
		return ""
	}
	return unneutralizeCell(v)
}

// unneutralizeCell undoes neutralizeCell: one apostrophe comes off a cell
// made of apostrophes followed by a formula character. (A hand-written
// '=cmd is read as =cmd, as a spreadsheet reads it.)
func unneutralizeCell(s string) string {
	if t := strings.TrimLeft(s, "'"); len(t) < len(s) && t != "" && strings.IndexByte(formulaStart, t[0]) >= 0 {
		return s[1:]
	}
	return s
}

// WithBOM is w with a UTF-8 byte order mark written before the first
// bytes (Excel then reads the CSV as UTF-8, not in the system's charset).
// Nothing is written before the first write.
func WithBOM(w io.Writer) io.Writer { return &bomWriter{w: w} }

type bomWriter struct {
	w    io.Writer
	done bool
}

func (b *bomWriter) Write(p []byte) (int, error) {
	if !b.done {
		b.done = true
		n, err := b.w.Write(append([]byte("\ufeff"), p...))
		return max(n-3, 0), err
	}
	return b.w.Write(p)
}
