package models

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"unicode"
)

// The summaries' sentences live in templates; this file prepares their data
// and the number and date formats of each language.

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
	"zhRoute": func(r RouteRef) string {
		if r.NameZh != nil && *r.NameZh != "" {
			return *r.NameZh
		}
		return r.Name
	},
}

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
	if n < 10000 {
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
	t, err := ParseDate(day)
	if err != nil {
		return day
	}
	return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day())
}

func enDate(day string) string {
	t, err := ParseDate(day)
	if err != nil {
		return day
	}
	return t.Format("2 January")
}

func zhAmount(metric string, n int64) string {
	switch metric {
	case "runs":
		return strconv.FormatInt(n, 10) + "列"
	case "containers":
		return zhWan(n) + "箱"
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
	Train      *ReachedBy
	TrainRoute RouteRef
}

// summaryText is what the templates read.
type summaryText struct {
	F                SummaryFigures
	Year             int
	YearZh, MonthZh  string
	MonthEn          string
	RangeZh, RangeEn string
	SeaRailZh        string      // who the sea-rail sentence speaks of: 青岛港海铁联运
	SeaRailEn        string      // Sea-rail intermodal volume at Qingdao port
	Main             *targetText // the China–Europe trains target, said with the year-to-date figure
	Others           []targetText
}

// SummaryTexts writes the Chinese and English texts of a summary.
func (s *Store) SummaryTexts(ctx context.Context, f SummaryFigures) (zh, en string, err error) {
	period, err := ParseMonth(f.Period)
	if err != nil {
		return "", "", err
	}
	m := int(period.Month())
	d := summaryText{F: f, Year: period.Year(), YearZh: strconv.Itoa(period.Year()), MonthZh: strconv.Itoa(m),
		MonthEn: period.Month().String(), RangeZh: fmt.Sprintf("1—%d月", m), RangeEn: "January–" + period.Month().String()}
	if m == 1 {
		d.RangeZh, d.RangeEn = "1月", "January"
	}
	d.SeaRailZh, d.SeaRailEn = seaRailSubject(f.SeaRail.Ports)
	for _, p := range f.Targets {
		tt, err := s.targetText(ctx, p, f.Period)
		if err != nil {
			return "", "", err
		}
		if d.Main == nil && p.Target.Metric == "runs" && p.Target.Scope.Mode != nil && *p.Target.Scope.Mode == SummaryScope && p.Target.Scope.Route == nil {
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

func (s *Store) targetText(ctx context.Context, p Progress, period string) (targetText, error) {
	t := p.Target
	tt := targetText{Metric: t.Metric, Label: t.Label, LabelZh: t.Label, Value: t.Value, Actual: p.Actual,
		Pct: pctText(p.Pct), AsOf: p.AsOf, Projected: p.ProjectedYearEnd}
	if tt.Label == "" {
		tt.Label = fmt.Sprintf("%d %s", t.Value, t.Metric)
		tt.LabelZh = tt.Label
	}
	switch {
	case p.Reached && p.ReachedOn != nil && strings.HasPrefix(*p.ReachedOn, period):
		tt.Kind, tt.On, tt.Train = "reached_this_month", *p.ReachedOn, p.ReachedBy
		if p.ReachedBy != nil {
			r, err := s.GetRoute(ctx, p.ReachedBy.Route)
			if err == nil {
				tt.TrainRoute = RouteRef{Code: r.Code, Name: r.Name, NameZh: r.NameZh, Mode: r.Mode}
			} else {
				tt.TrainRoute = RouteRef{Code: p.ReachedBy.Route, Name: p.ReachedBy.Route}
			}
		}
	case p.Reached && p.ReachedOn != nil:
		tt.Kind, tt.On = "reached_earlier", *p.ReachedOn
	case p.AsOf == fmt.Sprintf("%04d-12-31", t.Year):
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
	if tt.Kind == "projected_met" {
		best, any, err := s.bestEarlierYear(ctx, t)
		if err != nil {
			return tt, err
		}
		tt.FirstTime = any && best < t.Value
	}
	return tt, nil
}

// bestEarlierYear answers the highest full-year figure of the target's
// metric and scope in the years before the target's, and whether any earlier
// year has data at all: "for the first time" needs both.
func (s *Store) bestEarlierYear(ctx context.Context, t Target) (int64, bool, error) {
	scope, _, ok, err := s.targetScope(ctx, t)
	if err != nil || !ok {
		return 0, false, err
	}
	var rows []rollupMonthlyRow
	if err := s.db.WithContext(ctx).Where("scope = ? AND direction = ? AND month < ?", scope, "", fmt.Sprintf("%04d-01", t.Year)).
		Find(&rows).Error; err != nil {
		return 0, false, err
	}
	perYear := map[string]int64{}
	for _, r := range rows {
		perYear[r.Month[:4]] += metricOf(rollupDailyRow{Runs: r.Runs, Containers: r.Containers, TEU: r.TEU}, t.Metric)
	}
	var best int64
	anyData := false
	for _, v := range perYear {
		if v > 0 {
			anyData = true
		}
		best = max(best, v)
	}
	return best, anyData, nil
}

// zhPortNames are the Chinese names of the sea-rail ports most often named
// in English.
var zhPortNames = map[string]string{
	"qingdao": "青岛", "rizhao": "日照", "yantai": "烟台", "weihai": "威海",
	"lianyungang": "连云港", "tianjin": "天津", "dalian": "大连", "yingkou": "营口",
	"shanghai": "上海", "ningbo": "宁波", "ningbo-zhoushan": "宁波舟山", "ningbo zhoushan": "宁波舟山",
	"xiamen": "厦门", "guangzhou": "广州", "shenzhen": "深圳", "qinzhou": "钦州", "beibu gulf": "北部湾",
}

// seaRailSubject names the port of the sea-rail sentence: the port itself
// when all the counts come from one, all ports together otherwise.
func seaRailSubject(ports []string) (zh, en string) {
	if len(ports) != 1 {
		if len(ports) > 1 {
			return "各港口海铁联运", "Sea-rail intermodal volume, " + enNum(int64(len(ports))) + " ports together"
		}
		return "海铁联运", "Sea-rail intermodal volume"
	}
	name := strings.TrimSpace(ports[0])
	for _, suffix := range []string{" Port", " port", " PORT", "港"} {
		name = strings.TrimSpace(strings.TrimSuffix(name, suffix))
	}
	zhName := name
	if z, ok := zhPortNames[strings.ToLower(name)]; ok {
		zhName = z
	}
	enName := name
	for _, r := range name {
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
