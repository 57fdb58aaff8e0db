package summary

import (
	"banlie/models"
	"bytes"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
)

var docFuncs = map[string]any{
	"add": func(a, b int) int { return a + b },
	"sub": func(a, b int) int { return a - b },
}

var (
	mdTemplate   = texttemplate.Must(texttemplate.New("summary.md.tmpl").Funcs(docFuncs).ParseFS(templateFS, "templates/summary.md.tmpl"))
	htmlTemplate = htmltemplate.Must(htmltemplate.New("summary.html.tmpl").Funcs(docFuncs).ParseFS(templateFS, "templates/summary.html.tmpl"))
)

type docLabels struct {
	Month, ThisYear, LastYear, Generated, ChartTitle, NoData string
}

type chartMonth struct {
	Label, Short       string
	Runs, RunsLastYear int64
	Shown              bool // months after the period are not drawn for this year
	X, ThisY, ThisH    int
	LastY, LastH       int
}

type chartTick struct {
	Y     int
	Label string
}

type chart struct {
	Width, Height, Left, Right, Bottom, Bar int
	NoLastYear                              bool // the year before has no counted runs at all: shown as no data, not as zeros
	Months                                  []chartMonth
	Ticks                                   []chartTick
}

type summaryDoc struct {
	Lang         string
	Title        string
	Paragraphs   []string
	L            docLabels
	Chart        chart
	GeneratedAt  string // for readers, in the document's language
	GeneratedISO string // RFC 3339, for machines
}

func newSummaryDoc(s models.Summary, lang string) summaryDoc {
	period, _ := models.ParseMonth(s.Period)
	y, m := int(period.Year), int(period.Month)
	d := summaryDoc{Lang: lang, GeneratedISO: s.GeneratedAt.Format(time.RFC3339)}
	at := s.GeneratedAt
	zone := at.Format("-07:00")
	if lang == "en" {
		d.GeneratedAt = at.Format("2 January 2006, 15:04") + " (UTC" + zone + ")"
	} else {
		d.GeneratedAt = at.Format("2006年1月2日 15:04") + "（UTC" + zone + "）"
	}
	text := s.TextZh
	if lang == "en" {
		text = s.TextEn
		d.Title = "China–Europe Railway Express: " + period.Month.String() + " " + strconv.Itoa(y)
		d.L = docLabels{Month: "Month", ThisYear: strconv.Itoa(y), LastYear: strconv.Itoa(y - 1), Generated: "Generated", NoData: " (no data)",
			ChartTitle: "Monthly China–Europe trains, " + strconv.Itoa(y) + " against " + strconv.Itoa(y-1)}
	} else {
		d.Title = strconv.Itoa(y) + "年" + strconv.Itoa(m) + "月中欧班列运行简报"
		d.L = docLabels{Month: "月份", ThisYear: strconv.Itoa(y) + "年", LastYear: strconv.Itoa(y-1) + "年", Generated: "生成于", NoData: "（无数据）",
			ChartTitle: strconv.Itoa(y) + "年与" + strconv.Itoa(y-1) + "年各月中欧班列开行列数"}
	}
	for _, p := range strings.Split(text, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			d.Paragraphs = append(d.Paragraphs, p)
		}
	}
	d.Chart = buildChart(s.Figures.MonthlyRuns, m, lang)
	return d
}

func buildChart(months []models.MonthRuns, through int, lang string) chart {
	c := chart{Width: 640, Height: 260, Left: 44, Right: 630, Bottom: 230, Bar: 18}
	var top int64 = 1
	for i, mr := range months {
		if mr.RunsLastYear > top {
			top = mr.RunsLastYear
		}
		if i < through && mr.Runs > top {
			top = mr.Runs
		}
	}
	// A round scale: the smallest step of 1, 2, 2.5 or 5 × 10^k that
	// reaches the top in at most five ticks, and just enough ticks.
	step := int64(1)
	for pow := int64(1); ; pow *= 10 {
		found := false
		for _, m := range []int64{10, 20, 25, 50} { // tenths of the step
			if m*pow%10 != 0 {
				continue
			}
			if st := m * pow / 10; st*5 >= top {
				step, found = st, true
				break
			}
		}
		if found {
			break
		}
	}
	ticks := (top + step - 1) / step
	scaleTop := step * ticks
	plotH := int64(c.Bottom - 20)
	h := func(v int64) int { return int(v * plotH / scaleTop) }
	for k := int64(0); k <= ticks; k++ {
		c.Ticks = append(c.Ticks, chartTick{Y: c.Bottom - h(k*step), Label: strconv.FormatInt(k*step, 10)})
	}
	c.NoLastYear = true
	for _, mr := range months {
		if mr.RunsLastYear != 0 {
			c.NoLastYear = false
		}
	}
	slot := (c.Right - c.Left) / 12
	for i, mr := range months {
		month := time.Month(i + 1)
		cm := chartMonth{Runs: mr.Runs, RunsLastYear: mr.RunsLastYear, Shown: i < through, X: c.Left + i*slot + (slot-2*c.Bar)/2}
		if lang == "en" {
			cm.Label, cm.Short = month.String(), month.String()[:3]
		} else {
			cm.Label, cm.Short = strconv.Itoa(i+1)+"月", strconv.Itoa(i+1)
		}
		cm.LastH, cm.ThisH = h(mr.RunsLastYear), h(mr.Runs)
		cm.LastY, cm.ThisY = c.Bottom-cm.LastH, c.Bottom-cm.ThisH
		c.Months = append(c.Months, cm)
	}
	return c
}

// mdEscape keeps markup characters in the data from becoming HTML or
// Markdown: a route named <script> stays text.
var mdEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]")

// Markdown renders a summary as Markdown in lang (zh or en).
func Markdown(s models.Summary, lang string) (string, error) {
	d := newSummaryDoc(s, lang)
	// Markdown passes HTML through: names from the data stay text.
	d.Title = mdEscape.Replace(d.Title)
	for i, p := range d.Paragraphs {
		d.Paragraphs[i] = mdEscape.Replace(p)
	}
	var b bytes.Buffer
	err := mdTemplate.Execute(&b, d)
	return b.String(), err
}

// HTML renders a summary as a printable, self-contained HTML page in
// lang (zh or en). Every text is escaped by html/template.
func HTML(s models.Summary, lang string) (string, error) {
	var b bytes.Buffer
	err := htmlTemplate.Execute(&b, newSummaryDoc(s, lang))
	return b.String(), err
}
