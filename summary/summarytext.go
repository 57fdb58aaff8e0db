package summary

import (
	"banlie/models"
	"bytes"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"unicode"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var textTemplates = template.Must(template.New("").Funcs(textFuncs).ParseFS(templateFS, "templates/summary_*.tmpl"))

var textFuncs = template.FuncMap{
	"num":      enNum,
	"zhTEU":    zhTEU,
	"zhGrowth": zhGrowth,
	"enGrowth": enGrowth,
	"zhDate":   zhDate,
	"enDate":   enDate,
	"zhAmount": zhAmount,
	"enAmount": enAmount,
	"ordinal":  ordinal,
	"plural": func(n int64, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	// days writes a transit time in days, to one decimal: 15.3.
	"days": func(d float64) string { return strconv.FormatFloat(d, 'f', 1, 64) },
	// topTransit are the three routes and directions with most arrivals.
	"topTransit": func(rs []models.RouteTransit) []models.RouteTransit { return rs[:min(3, len(rs))] },
	"zhTransitRoute": func(r models.RouteTransit) string {
		if r.NameZh != nil && *r.NameZh != "" {
			return *r.NameZh
		}
		return r.Name
	},
	"zhDirection": func(dir string) string {
		if dir == models.DirInbound {
			return "回程"
		}
		return "去程"
	},
	"zhRoute": func(r models.RouteRef) string {
		if r.NameZh != nil && *r.NameZh != "" {
			return *r.NameZh
		}
		return r.Name
	},
}

// Count writes a count in English with thousands separators (1,024), as
// the summaries do; Ordinal the ordinal (1,000th), for other texts of
// banlie's to say figures alike.
func Count(n int64) string { return enNum(n) }

// Ordinal: see Count.
func Ordinal(n int64) string { return ordinal(n) }

// enNum writes a count with thousands separators: 1,024.
func enNum(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// zhWan writes large figures in 万 (10,000) with up to two decimals: 210.02万.
func zhWan(n int64) string {
	if n < models.WanFrom {
		return strconv.FormatInt(n, 10)
	}
	hundredths := (n + 50) / 100 // n / 10,000 to two decimals, rounded half up
	s := fmt.Sprintf("%d.%02d", hundredths/100, hundredths%100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "万"
}

func zhTEU(n int64) string { return zhWan(n) + "标箱" }

func pctText(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) }

func zhGrowth(p *float64) string {
	switch {
	case p == nil:
		return ""
	case *p > 0:
		return "同比增长" + pctText(*p) + "%"
	case *p < 0:
		return "同比下降" + pctText(-*p) + "%"
	}
	return "与上年同期持平"
}

func enGrowth(p *float64) string {
	switch {
	case p == nil:
		return ""
	case *p > 0:
		return "up " + pctText(*p) + "% year on year"
	case *p < 0:
		return "down " + pctText(-*p) + "% year on year"
	}
	return "unchanged year on year"
}

func zhDate(day string) string {
	d, err := models.ParseDay(day)
	if err != nil {
		return day
	}
	return fmt.Sprintf("%d月%d日", int(d.Month), d.Day)
}

func enDate(day string) string {
	d, err := models.ParseDay(day)
	if err != nil {
		return day
	}
	return d.Date().Format("2 January")
}

func zhAmount(metric string, n int64) string {
	switch metric {
	case "runs":
		return strconv.FormatInt(n, 10) + "列"
	case "containers":
		return zhWan(n) + "箱"
	case "arrivals_departures":
		return "到发" + strconv.FormatInt(n, 10) + "列"
	}
	return zhTEU(n)
}

func enAmount(metric string, n int64) string {
	switch {
	case metric == "runs" && n == 1:
		return "1 train"
	case metric == "runs":
		return enNum(n) + " trains"
	case metric == "containers" && n == 1:
		return "1 container"
	case metric == "containers":
		return enNum(n) + " containers"
	case metric == "arrivals_departures" && n == 1:
		return "1 train arriving or departing"
	case metric == "arrivals_departures":
		return enNum(n) + " trains arriving and departing"
	}
	return enNum(n) + " TEU"
}

func ordinal(n int64) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return enNum(n) + suffix
}

// targetText is one target as the texts speak of it.
type targetText struct {
	Kind       string // reached_this_month, reached_earlier, projected_met, projected_missed, missed (the year is over)
	Metric     string
	Label      string
	LabelZh    string
	Value      int64
	Actual     int64
	Pct        string
	AsOf       string
	On         string // the day it was reached
	Projected  int64
	Short      int64
	FirstTime  bool   // earlier years have data and none reached the value
	Exactly    bool   // the projection equals the value
	RouteScope bool   // the target counts one route's runs
	Scope      string // the target's scope, for the English sentence: "rail", a route code, or ""
	Train      *models.ReachedBy
	TrainRoute models.RouteRef
}

// summaryText is what the templates read.
type summaryText struct {
	F                models.SummaryFigures
	Year             int
	YearZh, MonthZh  string
	MonthEn          string
	RangeZh, RangeEn string
	SeaRailZh        string      // who the sea-rail sentence speaks of: 青岛港海铁联运
	SeaRailEn        string      // Sea-rail intermodal volume at Qingdao port
	Main             *targetText // the China–Europe trains target, said with the year-to-date figure
	Others           []targetText
	// The year to date's laden ratio (when boxes were counted) and split,
	// each part left out without data: the outbound and return runs (when
	// both ran), the corridors' runs (west, central, east; when two or
	// more ran).
	LadenPct          string
	Outbound, Inbound int64
	Corridors         []int64
	Split             bool // directions or corridors
}

// seaRailSubject names the port of the sea-rail sentence: the port itself,
// by its names, when all the counts come from one, all ports together
// otherwise.
func seaRailSubject(ports []models.PortRef) (zh, en string) {
	if len(ports) != 1 {
		if len(ports) > 1 {
			return "各港口海铁联运", "Sea-rail intermodal volume, " + enNum(int64(len(ports))) + " ports together"
		}
		return "海铁联运", "Sea-rail intermodal volume"
	}
	zhName := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(ports[0].NameZh), "港"))
	enName := strings.TrimSpace(ports[0].NameEn)
	for _, suffix := range []string{" Port", " port", " PORT"} {
		enName = strings.TrimSpace(strings.TrimSuffix(enName, suffix))
	}
	for _, r := range enName {
		if unicode.Is(unicode.Han, r) {
			enName = "" // a Chinese name only: the English sentence does not repeat it
			break
		}
	}
	if enName == "" {
		return zhName + "港海铁联运", "Sea-rail intermodal volume at the port"
	}
	return zhName + "港海铁联运", "Sea-rail intermodal volume at " + enName + " port"
}

// Texts writes the Chinese and English texts of a month's summary from its
// figures and the facts of its targets (in the order of f.Targets).
func Texts(f models.SummaryFigures, facts []models.TargetFacts) (zh, en string, err error) {
	period, err := models.ParseMonth(f.Period)
	if err != nil {
		return "", "", err
	}
	m := int(period.Month)
	d := summaryText{F: f, Year: int(period.Year), YearZh: period.Year.String(), MonthZh: strconv.Itoa(m),
		MonthEn: period.Month.String(), RangeZh: fmt.Sprintf("1—%d月", m), RangeEn: "January–" + period.Month.String()}
	if m == 1 {
		d.RangeZh, d.RangeEn = "1月", "January"
	}
	d.SeaRailZh, d.SeaRailEn = seaRailSubject(f.SeaRail.Ports)
	if o, i := f.Directions.Outbound.Runs, f.Directions.Inbound.Runs; o > 0 && i > 0 {
		d.Outbound, d.Inbound = o, i
	}
	ran := 0
	for _, cf := range f.Corridors {
		if cf.Runs > 0 {
			ran++
		}
	}
	if ran >= 2 {
		byName := map[string]int64{}
		for _, cf := range f.Corridors {
			byName[cf.Corridor] = cf.Runs
		}
		for _, c := range models.Corridors {
			d.Corridors = append(d.Corridors, byName[c])
		}
	}
	if p := f.YearToDate.LadenRatioPct; p != nil {
		// One decimal, but no empty box at all reads as the releases
		// write it: 综合重箱率100%.
		d.LadenPct = pctText(*p)
		if *p == 100 {
			d.LadenPct = "100"
		}
	}
	d.Split = d.Outbound > 0 || d.Corridors != nil
	for _, tf := range facts {
		p := tf.Progress
		tt := newTargetText(tf, f.Period)
		if d.Main == nil && p.Target.Metric == "runs" && p.Target.Scope.Mode != nil && *p.Target.Scope.Mode == models.SummaryScope && p.Target.Scope.Route == nil {
			d.Main = &tt
			continue
		}
		d.Others = append(d.Others, tt)
	}
	var zb, eb bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&zb, "summary_zh.tmpl", d); err != nil {
		return "", "", err
	}
	if err := textTemplates.ExecuteTemplate(&eb, "summary_en.tmpl", d); err != nil {
		return "", "", err
	}
	return strings.TrimSpace(zb.String()), strings.TrimSpace(eb.String()), nil
}

// newTargetText says how a target stands at the end of period.
func newTargetText(tf models.TargetFacts, period string) targetText {
	p := tf.Progress
	t := p.Target
	tt := targetText{Metric: t.Metric, Label: t.Label, LabelZh: t.Label, Value: t.Value, Actual: p.Actual,
		Pct: pctText(p.Pct), AsOf: p.AsOf, Projected: p.ProjectedYearEnd}
	if tt.Label == "" {
		tt.Label = fmt.Sprintf("%d %s", t.Value, t.Metric)
		tt.LabelZh = tt.Label
	}
	switch {
	case p.Reached && p.ReachedOn != nil && strings.HasPrefix(*p.ReachedOn, period):
		tt.Kind, tt.On, tt.Train, tt.TrainRoute = "reached_this_month", *p.ReachedOn, p.ReachedBy, tf.TrainRoute
	case p.Reached && p.ReachedOn != nil:
		tt.Kind, tt.On = "reached_earlier", *p.ReachedOn
	case p.AsOf == models.Year(t.Year).End().String():
		tt.Kind, tt.Short = "missed", t.Value-p.Actual
	case p.OnTrack:
		tt.Kind, tt.Exactly = "projected_met", p.ProjectedYearEnd == t.Value
	default:
		tt.Kind, tt.Short = "projected_missed", t.Value-p.ProjectedYearEnd
	}
	tt.RouteScope = t.Scope.Route != nil
	switch {
	case t.Scope.Route != nil:
		tt.Scope = *t.Scope.Route
	case t.Scope.Mode != nil:
		tt.Scope = *t.Scope.Mode
	}
	tt.FirstTime = tt.Kind == "projected_met" && tf.EarlierData && tf.BestEarlierYear < t.Value
	return tt
}

// RevisionNote is the sentence a revised summary ends with, in each
// language: when it was revised (the day, in the zone of at) and, when the
// month's runs changed, from what to what.
func RevisionNote(period string, r models.Revised) (zh, en string, err error) {
	p, err := models.ParseMonth(period)
	if err != nil {
		return "", "", err
	}
	day := fmt.Sprintf("%d年%d月%d日", r.At.Year(), int(r.At.Month()), r.At.Day())
	enDay := r.At.Format("2 January 2006")
	if r.RunsBefore == r.RunsAfter {
		return "（本文于" + day + "根据更正后的数据修订。）",
			"(Revised on " + enDay + " after corrections to the data.)", nil
	}
	zh = fmt.Sprintf("（本文于%s根据更正后的数据修订，%d月开行中欧班列由%d列更正为%d列。）", day, int(p.Month), r.RunsBefore, r.RunsAfter)
	en = fmt.Sprintf("(Revised on %s after corrections to the data: %s in %s, not %s.)", enDay,
		enAmount("runs", r.RunsAfter), p.Month, enNum(r.RunsBefore))
	return zh, en, nil
}
