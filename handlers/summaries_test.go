package handlers_test

import (
	"banlie/store"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"banlie/app"
	"banlie/handlers"
	"banlie/jobs"
	"banlie/models"
)

// Tests of the monthly summaries as a demanding reader checks them: every
// number against the API that answers it, every sentence against figures
// computed by hand, the documents, the feed and the job that writes them.

// sumJSON is a summary as GET /api/v1/summaries/{period} answers it.
type sumJSON struct {
	Period      string          `json:"period"`
	GeneratedAt string          `json:"generated_at"`
	Figures     json.RawMessage `json:"figures"`
	TextZh      string          `json:"text_zh"`
	TextEn      string          `json:"text_en"`
	body        []byte
}

func (s sumJSON) figures(t testing.TB) models.SummaryFigures {
	t.Helper()
	var f models.SummaryFigures
	if err := json.Unmarshal(s.Figures, &f); err != nil {
		t.Fatalf("figures of %s: %v", s.Period, err)
	}
	return f
}

func (s sumJSON) figuresMap(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(s.Figures, &m); err != nil {
		t.Fatalf("figures of %s: %v", s.Period, err)
	}
	return m
}

func sumDecode(t testing.TB, r response) sumJSON {
	t.Helper()
	var s sumJSON
	r.decode(t, &s)
	s.body = r.Body
	return s
}

func sumGenerate(t testing.TB, ts *testServer, period string) sumJSON {
	t.Helper()
	return sumDecode(t, ts.mustDo(t, 200, "POST", "/api/v1/summaries/"+period+"/generate", nil))
}

func sumGet(t testing.TB, ts *testServer, period string) sumJSON {
	t.Helper()
	return sumDecode(t, ts.mustDo(t, 200, "GET", "/api/v1/summaries/"+period, nil))
}

// sumGetJSON answers GET path decoded into v.
func sumGetJSON(t testing.TB, ts *testServer, path string, v any) {
	t.Helper()
	ts.mustDo(t, 200, "GET", path, nil).decode(t, v)
}

func sumRollup(t testing.TB, ts *testServer) {
	t.Helper()
	if _, err := ts.Store.Rollup(context.Background(), false); err != nil {
		t.Fatal(err)
	}
}

// sumRoute creates a rail route with the given names and opening day.
func sumRoute(t testing.TB, ts *testServer, code, name, nameZh, opened string) {
	t.Helper()
	createRoute(t, ts, code, func(b map[string]any) {
		b["name"], b["name_zh"], b["opened_on"] = name, nameZh, opened
	})
}

// sumRun logs a departed run of 55 containers, 110 TEU.
func sumRun(t testing.TB, ts *testServer, route, number, departed string) runJSON {
	t.Helper()
	return createRun(t, ts, runBody(route, number, departed))
}

// sumRuns logs one run on route on each day (YYYY-MM-DD, 09:30 in Shanghai).
func sumRuns(t testing.TB, ts *testServer, route string, days ...string) {
	t.Helper()
	for i, d := range days {
		sumRun(t, ts, route, fmt.Sprintf("X%d", 7000+i), d+"T09:30:00+08:00")
	}
}

func sumTarget(t testing.TB, ts *testServer, year int, metric string, scope map[string]any, value int64, label string) int64 {
	t.Helper()
	var out struct {
		ID int64 `json:"id"`
	}
	ts.mustDo(t, 201, "POST", "/api/v1/targets", map[string]any{"year": year, "metric": metric, "scope": scope, "value": value, "label": label}).decode(t, &out)
	return out.ID
}

var sumRail = map[string]any{"mode": "rail"}

// sumLines splits a text into its sentences' lines.
func sumLines(s string) []string { return strings.Split(s, "\n") }

// sumWantLines checks that each wanted line is one of the text's lines.
func sumWantLines(t testing.TB, what, text string, want ...string) {
	t.Helper()
	lines := sumLines(text)
	for _, w := range want {
		found := false
		for _, l := range lines {
			if l == w {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no line\n  %s\nin\n  %s", what, w, strings.Join(lines, "\n  "))
		}
	}
}

func sumContains(t testing.TB, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, text)
		}
	}
}

func sumLacks(t testing.TB, what, text string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(text, b) {
			t.Errorf("%s says %q, which it must not:\n%s", what, b, text)
		}
	}
}

// sumPct is the contract's percentage, worked out independently: 100 × num /
// den rounded half away from zero to one decimal, nil when den is 0.
func sumPct(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	n, neg := 1000*num, num < 0
	if neg {
		n = -n
	}
	q := (2*n + den) / (2 * den)
	if neg {
		q = -q
	}
	v := float64(q) / 10
	return &v
}

func sumPctEq(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func sumPctStr(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprintf("%.1f", *p)
}

func sumJSONText(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// sumCheckFigures checks every number of a summary's figures against the
// endpoint that answers it for the same period.
func sumCheckFigures(t *testing.T, ts *testServer, s sumJSON) {
	t.Helper()
	f, fm := s.figures(t), s.figuresMap(t)
	period, err := time.Parse("2006-01", s.Period)
	if err != nil {
		t.Fatal(err)
	}
	y, m := period.Year(), int(period.Month())
	if f.Period != s.Period {
		t.Errorf("figures.period %q, want %q", f.Period, s.Period)
	}

	// Year to date: /totals/yearly with through = the period, field by field.
	var yearly map[string]any
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/totals/yearly?year=%d&through=%s&mode=rail", y, s.Period), &yearly)
	if !reflect.DeepEqual(fm["year_to_date"], yearly) {
		t.Errorf("%s: figures.year_to_date differs from /totals/yearly?through=%s&mode=rail:\n%s\n%s", s.Period, s.Period,
			sumJSONText(fm["year_to_date"]), sumJSONText(yearly))
	}

	// The month: /totals/monthly of this year and of the year before.
	var this, last, all, allLast models.MonthlyTotals
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/totals/monthly?year=%d&mode=rail", y), &this)
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/totals/monthly?year=%d&mode=rail", y-1), &last)
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/totals/monthly?year=%d", y), &all)
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/totals/monthly?year=%d", y-1), &allLast)
	mt, lm := this.Months[m-1], last.Months[m-1]
	got := [6]int64{f.Month.Runs, f.Month.Containers, f.Month.TEU, f.Month.RunsLastYear, f.Month.ContainersLastYear, f.Month.TEULastYear}
	want := [6]int64{mt.Runs, mt.Containers, mt.TEU, lm.Runs, lm.Containers, lm.TEU}
	if got != want {
		t.Errorf("%s: figures.month runs, containers, TEU and last year's %v; /totals/monthly says %v", s.Period, got, want)
	}
	if mt.RunsLastYear != lm.Runs {
		t.Errorf("%s: /totals/monthly runs_last_year %d but last year's month has %d", s.Period, mt.RunsLastYear, lm.Runs)
	}
	if !sumPctEq(f.Month.YoYPct.Runs, mt.RunsYoYPct) || !sumPctEq(f.Month.YoYPct.Runs, sumPct(mt.Runs-lm.Runs, lm.Runs)) {
		t.Errorf("%s: figures.month.yoy_pct.runs %s; /totals/monthly runs_yoy_pct %s; by hand %s", s.Period,
			sumPctStr(f.Month.YoYPct.Runs), sumPctStr(mt.RunsYoYPct), sumPctStr(sumPct(mt.Runs-lm.Runs, lm.Runs)))
	}
	if w := sumPct(mt.Containers-lm.Containers, lm.Containers); !sumPctEq(f.Month.YoYPct.Containers, w) {
		t.Errorf("%s: figures.month.yoy_pct.containers %s, by hand %s", s.Period, sumPctStr(f.Month.YoYPct.Containers), sumPctStr(w))
	}
	if w := sumPct(mt.TEU-lm.TEU, lm.TEU); !sumPctEq(f.Month.YoYPct.TEU, w) {
		t.Errorf("%s: figures.month.yoy_pct.teu %s, by hand %s", s.Period, sumPctStr(f.Month.YoYPct.TEU), sumPctStr(w))
	}
	if len(f.MonthlyRuns) != 12 {
		t.Errorf("%s: %d monthly_runs, want 12", s.Period, len(f.MonthlyRuns))
	}
	for i, mr := range f.MonthlyRuns {
		if i < 12 && (mr.Month != this.Months[i].Month || mr.Runs != this.Months[i].Runs || mr.RunsLastYear != last.Months[i].Runs) {
			t.Errorf("%s: monthly_runs[%d] %+v; /totals/monthly says %s %d (last year %d)", s.Period, i, mr,
				this.Months[i].Month, this.Months[i].Runs, last.Months[i].Runs)
		}
	}

	// Sea-rail TEU: the unscoped totals' sea_rail_teu.
	var yearlyAll models.YearlyTotals
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/totals/yearly?year=%d&through=%s", y, s.Period), &yearlyAll)
	if all.Months[m-1].SeaRailTEU == nil || allLast.Months[m-1].SeaRailTEU == nil || yearlyAll.SeaRailTEU == nil || yearlyAll.SamePeriodLastYear.SeaRailTEU == nil {
		t.Fatalf("%s: unscoped totals answer no sea_rail_teu", s.Period)
	}
	sr := f.SeaRail
	gotSR := [4]int64{sr.Month, sr.MonthLastYear, sr.YearToDate, sr.YearToDateLastYear}
	wantSR := [4]int64{*all.Months[m-1].SeaRailTEU, *allLast.Months[m-1].SeaRailTEU, *yearlyAll.SeaRailTEU, *yearlyAll.SamePeriodLastYear.SeaRailTEU}
	if gotSR != wantSR {
		t.Errorf("%s: figures.sea_rail month, last year, YTD, last year's YTD %v; the totals say %v", s.Period, gotSR, wantSR)
	}
	var sum int64
	for i := 0; i < m; i++ {
		sum += *all.Months[i].SeaRailTEU
	}
	if sum != sr.YearToDate {
		t.Errorf("%s: sea-rail YTD %d, but the months add up to %d", s.Period, sr.YearToDate, sum)
	}
	if w := sumPct(sr.Month-sr.MonthLastYear, sr.MonthLastYear); !sumPctEq(sr.MonthYoYPct, w) {
		t.Errorf("%s: sea_rail.month_yoy_pct %s, by hand %s", s.Period, sumPctStr(sr.MonthYoYPct), sumPctStr(w))
	}
	if !sumPctEq(sr.YearToDateYoYPct, yearlyAll.YoYPct.SeaRailTEU) {
		t.Errorf("%s: sea_rail.year_to_date_yoy_pct %s; /totals/yearly says %s", s.Period, sumPctStr(sr.YearToDateYoYPct), sumPctStr(yearlyAll.YoYPct.SeaRailTEU))
	}

	// Targets: every target of the year, as /targets/{id}/progress answers
	// it on the month's last day.
	var targets struct {
		Items []models.Target `json:"items"`
	}
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/targets?year=%d", y), &targets)
	if len(f.Targets) != len(targets.Items) {
		t.Errorf("%s: %d targets in the figures, %d targets of %d", s.Period, len(f.Targets), len(targets.Items), y)
	}
	lastDay := period.AddDate(0, 1, -1).Format("2006-01-02")
	ft, _ := fm["targets"].([]any)
	for i, p := range f.Targets {
		var progress map[string]any
		sumGetJSON(t, ts, fmt.Sprintf("/api/v1/targets/%d/progress?as_of=%s", p.Target.ID, lastDay), &progress)
		if i >= len(ft) || !reflect.DeepEqual(ft[i], progress) {
			t.Errorf("%s: figures.targets[%d] differs from /targets/%d/progress?as_of=%s:\n%s\n%s", s.Period, i, p.Target.ID, lastDay,
				sumJSONText(ft[i]), sumJSONText(progress))
		}
	}

	// Routes opened in the month, every mode, in order of opening day and code.
	var opened []string
	cursor := ""
	for {
		var page struct {
			Items []struct {
				Code     string  `json:"code"`
				OpenedOn *string `json:"opened_on"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		sumGetJSON(t, ts, "/api/v1/routes?limit=500&cursor="+cursor, &page)
		for _, r := range page.Items {
			if r.OpenedOn != nil && strings.HasPrefix(*r.OpenedOn, s.Period+"-") {
				opened = append(opened, *r.OpenedOn+" "+r.Code)
			}
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	sort.Strings(opened)
	var gotOpened []string
	for _, r := range f.RoutesOpened {
		on := ""
		if r.OpenedOn != nil {
			on = *r.OpenedOn
		}
		gotOpened = append(gotOpened, on+" "+r.Code)
	}
	if strings.Join(gotOpened, ",") != strings.Join(opened, ",") {
		t.Errorf("%s: routes_opened %v; the routes opened that month are %v", s.Period, gotOpened, opened)
	}

	// Busiest rail routes: the three with most runs in /totals/monthly?route=.
	type busy struct {
		code string
		runs int64
	}
	var rail []busy
	var routes struct {
		Items []struct {
			Code string `json:"code"`
		} `json:"items"`
	}
	sumGetJSON(t, ts, "/api/v1/routes?mode=rail&limit=500", &routes)
	for _, r := range routes.Items {
		var rt models.MonthlyTotals
		sumGetJSON(t, ts, fmt.Sprintf("/api/v1/totals/monthly?year=%d&route=%s", y, r.Code), &rt)
		if n := rt.Months[m-1].Runs; n > 0 {
			rail = append(rail, busy{r.Code, n})
		}
	}
	sort.Slice(rail, func(i, j int) bool {
		if rail[i].runs != rail[j].runs {
			return rail[i].runs > rail[j].runs
		}
		return rail[i].code < rail[j].code
	})
	if len(rail) > 3 {
		rail = rail[:3]
	}
	var gotBusy []busy
	for _, r := range f.BusiestRoutes {
		gotBusy = append(gotBusy, busy{r.Code, r.Runs})
	}
	if fmt.Sprint(gotBusy) != fmt.Sprint(rail) {
		t.Errorf("%s: busiest_routes %v; /totals/monthly?route= says %v", s.Period, gotBusy, rail)
	}
}

// sumHan reports whether s holds Chinese characters.
func sumHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func sumSeedDemo(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	if _, err := app.SeedDemo(ctx, ts.Store); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store.Rollup(ctx, false); err != nil {
		t.Fatal(err)
	}
}

// The demo data set: the seed article's sentence, and the 1,000th train.
func TestSummaryDemoData(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	sumSeedDemo(t, ts)
	oct := sumGenerate(t, ts, "2024-10")
	dec := sumGenerate(t, ts, "2024-12")
	t.Logf("2024-10 zh:\n%s\n2024-10 en:\n%s\n2024-12 zh:\n%s\n2024-12 en:\n%s", oct.TextZh, oct.TextEn, dec.TextZh, dec.TextEn)

	sumContains(t, "2024-10 text_zh", oct.TextZh, "1—10月，累计开行中欧班列915列，同比增长18.1%", "预计全年首次超过1000列", "综合重箱率98.3%")
	sumContains(t, "2024-10 text_en", oct.TextEn, "915 China–Europe trains (567 outbound, 348 return), up 18.1% year on year", "projected to exceed 1,000 trains for the first time")
	// The seed article's sentence, with the release's split (去程/回程,
	// the corridors, the laden ratio) before the target.
	sumWantLines(t, "2024-10 text_zh", oct.TextZh, "1—10月，累计开行中欧班列915列，同比增长18.1%，其中去程567列、回程348列，西、中、东通道分别开行526列、111列、278列，综合重箱率98.3%；预计全年首次超过1000列。")
	sumWantLines(t, "2024-10 text_en", oct.TextEn, "January–October: 915 China–Europe trains (567 outbound, 348 return), up 18.1% year on year; the western, central and eastern corridors ran 526, 111 and 278 trains; loaded-container ratio 98.3%; the full year is projected to exceed 1,000 trains for the first time.")

	// The 1,000th counted rail run of 2024, found through the API.
	var runs runPage
	sumGetJSON(t, ts, "/api/v1/runs?route=SCO-TJ-MOW&from=2024-12-19&to=2024-12-19&limit=500", &runs)
	var x8065 *runJSON
	for i, r := range runs.Items {
		if r.Number == "X8065" {
			x8065 = &runs.Items[i]
		}
	}
	if x8065 == nil {
		t.Fatalf("no run X8065 on SCO-TJ-MOW on 2024-12-19: %+v", runs.Items)
	}
	var route struct {
		Name   string `json:"name"`
		NameZh string `json:"name_zh"`
	}
	sumGetJSON(t, ts, "/api/v1/routes/SCO-TJ-MOW", &route)
	sumContains(t, "2024-12 text_zh", dec.TextZh, "X8065", "12月19日", route.NameZh, "第1000列")
	sumContains(t, "2024-12 text_en", dec.TextEn, "X8065", "19 December", route.Name, "1,000th")
	sumWantLines(t, "2024-12 text_zh", dec.TextZh,
		"1—12月，累计开行中欧班列1024列，同比增长18.7%，其中去程633列、回程391列，西、中、东通道分别开行590列、123列、311列，综合重箱率98.3%；12月19日，X8065次班列（上合示范区—同江—莫斯科）发出，为全年第1000列，1000列的目标达成。")
	df := dec.figures(t)
	var main *models.Progress
	for i, p := range df.Targets {
		if p.Target.Metric == "runs" && p.Target.Value == 1000 {
			main = &df.Targets[i]
		}
	}
	if main == nil || !main.Reached || main.ReachedOn == nil || *main.ReachedOn != "2024-12-19" || main.ReachedBy == nil ||
		main.ReachedBy.Number != "X8065" || main.ReachedBy.ID != x8065.ID || main.ReachedBy.Route != "SCO-TJ-MOW" {
		t.Errorf("2024-12: the 1,000-train target's progress does not name run %d X8065 of 2024-12-19: %s", x8065.ID, sumJSONText(main))
	}
	// 2023 had 863 trains, 2024 1,024: 18.7% more.
	if df.YearToDate.Runs != 1024 || df.YearToDate.SamePeriodLastYear.Runs != 863 || df.YearToDate.LastYearFull.Runs != 863 {
		t.Errorf("2024-12: year to date %d (last year %d, full %d), want 1024 against 863", df.YearToDate.Runs,
			df.YearToDate.SamePeriodLastYear.Runs, df.YearToDate.LastYearFull.Runs)
	}
	of := oct.figures(t)
	if of.YearToDate.Runs != 915 || of.YearToDate.SamePeriodLastYear.Runs != 775 || of.YearToDate.LastYearFull.Runs != 863 {
		t.Errorf("2024-10: year to date %d (last year %d, full %d), want 915 against 775 (full 863)", of.YearToDate.Runs,
			of.YearToDate.SamePeriodLastYear.Runs, of.YearToDate.LastYearFull.Runs)
	}

	sumCheckFigures(t, ts, oct)
	sumCheckFigures(t, ts, dec)

	// The month sentences quote the month's figures.
	for _, s := range []sumJSON{oct, dec} {
		f := s.figures(t)
		mo := strings.TrimPrefix(s.Period[5:], "0")
		sumWantLines(t, s.Period+" text_zh", s.TextZh, fmt.Sprintf("2024年%s月，上合示范区开行中欧班列%d列，同比%s，运送集装箱%d箱、%d标箱，标箱量同比%s。",
			mo, f.Month.Runs, sumZhChange(sumPct(f.Month.Runs-f.Month.RunsLastYear, f.Month.RunsLastYear)), f.Month.Containers, f.Month.TEU,
			sumZhChange(sumPct(f.Month.TEU-f.Month.TEULastYear, f.Month.TEULastYear))))
	}
}

// sumZhChange says a non-zero change after 同比.
func sumZhChange(p *float64) string {
	if *p < 0 {
		return fmt.Sprintf("下降%.1f%%", -*p)
	}
	return fmt.Sprintf("增长%.1f%%", *p)
}

// The English text is for readers of English: it should not quote Chinese
// labels or names where an English one exists.
func TestSummaryDemoEnglishHasNoChinese(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	sumSeedDemo(t, ts)
	for _, p := range []string{"2024-10", "2024-12"} {
		s := sumGenerate(t, ts, p)
		for _, l := range sumLines(s.TextEn) {
			if sumHan(l) {
				t.Errorf("%s text_en quotes Chinese: %s", p, l)
			}
		}
	}
}

// sumYoYWorld logs rail runs in October 2023 and October 2024.
func sumYoYWorld(t *testing.T, lastYear, thisYear int) *testServer {
	t.Helper()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	for i := 0; i < lastYear; i++ {
		sumRun(t, ts, "SCO-TJ-MOW", fmt.Sprintf("X%d", 100+i), fmt.Sprintf("2023-10-%02dT09:30:00+08:00", 10+i))
	}
	for i := 0; i < thisYear; i++ {
		sumRun(t, ts, "SCO-TJ-MOW", fmt.Sprintf("X%d", 200+i), fmt.Sprintf("2024-10-%02dT09:30:00+08:00", 10+i))
	}
	sumRollup(t, ts)
	return ts
}

// Growth, decline, flat and no base: the month and year-to-date sentences.
func TestSummaryTextYoYCases(t *testing.T) {
	t.Parallel()
	route := "上合示范区—同江—莫斯科"
	for _, c := range []struct {
		name           string
		last, this     int
		zhMonth, zhYTD string
		enMonth, enYTD string
	}{
		{"growth", 2, 3,
			"2024年10月，上合示范区开行中欧班列3列，同比增长50.0%，运送集装箱165箱、330标箱，标箱量同比增长50.0%。",
			"1—10月，累计开行中欧班列3列，同比增长50.0%，综合重箱率100%。",
			"In October 2024 the SCO zone ran 3 China–Europe trains, up 50.0% year on year, carrying 165 containers (330 TEU, up 50.0% year on year).",
			"January–October: 3 China–Europe trains, up 50.0% year on year; loaded-container ratio 100%."},
		{"decline", 3, 1,
			"2024年10月，上合示范区开行中欧班列1列，同比下降66.7%，运送集装箱55箱、110标箱，标箱量同比下降66.7%。",
			"1—10月，累计开行中欧班列1列，同比下降66.7%，综合重箱率100%。",
			"In October 2024 the SCO zone ran 1 China–Europe train, down 66.7% year on year, carrying 55 containers (110 TEU, down 66.7% year on year).",
			"January–October: 1 China–Europe train, down 66.7% year on year; loaded-container ratio 100%."},
		{"flat", 2, 2,
			"2024年10月，上合示范区开行中欧班列2列，与上年同期持平，运送集装箱110箱、220标箱，标箱量与上年同期持平。",
			"1—10月，累计开行中欧班列2列，与上年同期持平，综合重箱率100%。",
			"In October 2024 the SCO zone ran 2 China–Europe trains, unchanged year on year, carrying 110 containers (220 TEU, unchanged year on year).",
			"January–October: 2 China–Europe trains, unchanged year on year; loaded-container ratio 100%."},
		{"no previous year", 0, 2,
			"2024年10月，上合示范区开行中欧班列2列，运送集装箱110箱、220标箱。",
			"1—10月，累计开行中欧班列2列，综合重箱率100%。",
			"In October 2024 the SCO zone ran 2 China–Europe trains, carrying 110 containers (220 TEU).",
			"January–October: 2 China–Europe trains; loaded-container ratio 100%."},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ts := sumYoYWorld(t, c.last, c.this)
			s := sumGenerate(t, ts, "2024-10")
			sumWantLines(t, "text_zh", s.TextZh, c.zhMonth, c.zhYTD, fmt.Sprintf("本月开行最多的线路是%s（%d列）。", route, c.this))
			sumWantLines(t, "text_en", s.TextEn, c.enMonth, c.enYTD, fmt.Sprintf("Busiest routes this month: SCO Zone – Tongjiang – Moscow (%d).", c.this))
			if c.last == 0 {
				sumLacks(t, "text_zh", s.TextZh, "同比", "持平")
				sumLacks(t, "text_en", s.TextEn, "year on year")
			}
			// No sea-rail figure, no route opened: no such sentence.
			sumLacks(t, "text_zh", s.TextZh, "海铁联运", "本月开通")
			sumLacks(t, "text_en", s.TextEn, "Sea-rail", "Opened this month")
			sumCheckFigures(t, ts, s)
		})
	}
}

// A January summary speaks of January, not of "January–January".
func TestSummaryTextJanuary(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRuns(t, ts, "SCO-TJ-MOW", "2023-01-05", "2023-01-06", "2023-01-07", "2023-01-08", "2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08", "2024-01-09")
	sumRollup(t, ts)
	s := sumGenerate(t, ts, "2024-01")
	sumWantLines(t, "text_zh", s.TextZh, "1月，累计开行中欧班列5列，同比增长25.0%，综合重箱率100%。")
	sumWantLines(t, "text_en", s.TextEn, "January: 5 China–Europe trains, up 25.0% year on year; loaded-container ratio 100%.")
	sumLacks(t, "text_zh", s.TextZh, "1—1月")
	sumLacks(t, "text_en", s.TextEn, "January–January")
}

// A month without trains says so.
func TestSummaryTextNoTrainsThisMonth(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-09-05")
	sumRollup(t, ts)
	s := sumGenerate(t, ts, "2024-10")
	sumWantLines(t, "text_zh", s.TextZh, "2024年10月，上合示范区未开行中欧班列。", "1—10月，累计开行中欧班列1列，综合重箱率100%。")
	sumWantLines(t, "text_en", s.TextEn, "No China–Europe train ran from the SCO zone in October 2024.", "January–October: 1 China–Europe train; loaded-container ratio 100%.")
	sumLacks(t, "text_zh", s.TextZh, "最多")
	sumLacks(t, "text_en", s.TextEn, "Busiest")
}

// Targets projected met, for the first time or not.
func TestSummaryTextTargetProjectedMet(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		last       []string // days of last year's runs
		this       []string
		value      int64
		first      bool
		projection int64
	}{
		// 2023: one run to 31 October, two in the full year; 2024: three by
		// 31 October. Seasonal: round(3 × 2 / 1) = 6 ≥ 5, and 2023's full
		// figure, 2, is below 5: for the first time.
		{"first time", []string{"2023-03-10", "2023-11-10"}, []string{"2024-03-10", "2024-09-10", "2024-10-10"}, 5, true, 6},
		// 2023: one run to 31 October, six in the full year; 2024: two by 31
		// October. Seasonal: round(2 × 6 / 1) = 12 ≥ 5, but 2023 already had
		// 6 ≥ 5: not for the first time.
		{"not the first time", []string{"2023-03-10", "2023-11-10", "2023-11-11", "2023-11-12", "2023-12-10", "2023-12-11"},
			[]string{"2024-03-10", "2024-10-10"}, 5, false, 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			createRoute(t, ts, "SCO-TJ-MOW", nil)
			sumRuns(t, ts, "SCO-TJ-MOW", append(append([]string{}, c.last...), c.this...)...)
			id := sumTarget(t, ts, 2024, "runs", sumRail, c.value, "年度开行5列")
			sumRollup(t, ts)
			s := sumGenerate(t, ts, "2024-10")
			var p models.Progress
			sumGetJSON(t, ts, fmt.Sprintf("/api/v1/targets/%d/progress?as_of=2024-10-31", id), &p)
			if p.ProjectedYearEnd != c.projection || p.ProjectionMethod != "seasonal" || !p.OnTrack || p.Reached {
				t.Fatalf("progress: projected %d (%s), on track %v, reached %v; want %d seasonal, on track, not reached",
					p.ProjectedYearEnd, p.ProjectionMethod, p.OnTrack, p.Reached, c.projection)
			}
			n := int64(len(c.this))
			yoy := sumPct(n-1, 1)
			zh := fmt.Sprintf("1—10月，累计开行中欧班列%d列，同比增长%.1f%%，综合重箱率100%%；预计全年首次超过5列。", n, *yoy)
			en := fmt.Sprintf("January–October: %d China–Europe trains, up %.1f%% year on year; loaded-container ratio 100%%; the full year is projected to exceed 5 trains for the first time.", n, *yoy)
			if !c.first {
				zh = strings.Replace(zh, "首次", "", 1)
				en = strings.Replace(en, " for the first time", "", 1)
				sumLacks(t, "text_zh", s.TextZh, "首次")
				sumLacks(t, "text_en", s.TextEn, "first time")
			}
			sumWantLines(t, "text_zh", s.TextZh, zh)
			sumWantLines(t, "text_en", s.TextEn, en)
			sumCheckFigures(t, ts, s)
		})
	}
}

// A target the year is projected to miss: how much short.
func TestSummaryTextTargetProjectedMissed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	// No 2023 data: run rate. 2024 is a leap year (366 days); 31 October is
	// day 305 (31+29+31+30+31+30+31+31+30+31).
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-03-10", "2024-09-10", "2024-10-10")
	id := sumTarget(t, ts, 2024, "runs", sumRail, 10, "年度开行10列")
	// A route target the text states in its own sentence: one run on the
	// route by 31 October, run rate round(1 × 366 / 305) = 1, 2 short of 3.
	sumRoute(t, ts, "SCO-HRS-ALA", "SCO Zone – Khorgos – Almaty", "上合示范区—霍尔果斯—阿拉木图", "2015-07-01")
	sumRun(t, ts, "SCO-HRS-ALA", "X9010", "2024-10-20T10:00:00+08:00")
	sumTarget(t, ts, 2024, "runs", map[string]any{"route": "SCO-HRS-ALA"}, 3, "阿拉木图线开行3列")
	sumRollup(t, ts)
	var p models.Progress
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/targets/%d/progress?as_of=2024-10-31", id), &p)
	// The main target counts every rail route: four runs by 31 October,
	// round(4 × 366 / 305) = round(4.8) = 5 for the year, 5 short of 10.
	if p.Actual != 4 || p.ProjectedYearEnd != 5 || p.ProjectionMethod != "run_rate" || p.OnTrack {
		t.Fatalf("progress: %+v; want 4, projected 5 by run rate, not on track", p)
	}
	s := sumGenerate(t, ts, "2024-10")
	sumWantLines(t, "text_zh", s.TextZh,
		"1—10月，累计开行中欧班列4列，综合重箱率100%；按目前进度预计全年5列，距10列的目标尚差5列。",
		"阿拉木图线开行3列：截至10月31日完成1列，完成进度33.3%，按目前进度预计全年1列，距3列的目标尚差2列。")
	sumWantLines(t, "text_en", s.TextEn,
		"January–October: 4 China–Europe trains; loaded-container ratio 100%; at the current pace the full year is projected at 5 trains, 5 trains short of the target of 10 trains.",
		"Target of 3 trains (SCO-HRS-ALA): 1 train by 31 October, 33.3%; at the current pace the full year is projected at 1 train, 2 trains short of the target of 3 trains.")
	sumCheckFigures(t, ts, s)
}

// The target reached in the month: the train that reached it, its date and
// route; in later months: reached earlier.
func TestSummaryTextTargetReached(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRoute(t, ts, "SCO-HRS-ALA", "SCO Zone – Khorgos – Almaty", "上合示范区—霍尔果斯—阿拉木图", "2015-07-01")
	sumRun(t, ts, "SCO-TJ-MOW", "X8001", "2024-09-05T09:30:00+08:00")
	sumRun(t, ts, "SCO-TJ-MOW", "X8003", "2024-10-08T09:30:00+08:00")
	// Runs that never count: cancelled, and planned.
	cancelled := runBody("SCO-TJ-MOW", "X8005", "2024-10-10T09:30:00+08:00")
	cancelled["status"] = "cancelled"
	createRun(t, ts, cancelled)
	planned := runBody("SCO-HRS-ALA", "X9001", "2024-10-12T09:30:00+08:00")
	planned["status"] = "planned"
	createRun(t, ts, planned)
	// The third counted run leaves at 07:30 on 19 October in Shanghai
	// (23:30 UTC on the 18th); another leaves later that day.
	third := sumRun(t, ts, "SCO-HRS-ALA", "X9011", "2024-10-18T23:30:00Z")
	sumRun(t, ts, "SCO-TJ-MOW", "X8007", "2024-10-19T20:00:00+08:00")
	sumRun(t, ts, "SCO-TJ-MOW", "X8009", "2024-11-05T09:30:00+08:00")
	id := sumTarget(t, ts, 2024, "runs", sumRail, 3, "年度开行3列")
	sumRollup(t, ts)

	s := sumGenerate(t, ts, "2024-10")
	var p models.Progress
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/targets/%d/progress?as_of=2024-10-31", id), &p)
	if p.ReachedBy == nil || p.ReachedBy.ID != third.ID || p.ReachedOn == nil || *p.ReachedOn != "2024-10-19" {
		t.Fatalf("progress does not name run %d of 2024-10-19: %s", third.ID, sumJSONText(p))
	}
	sumWantLines(t, "text_zh", s.TextZh,
		"1—10月，累计开行中欧班列4列，综合重箱率100%；10月19日，X9011次班列（上合示范区—霍尔果斯—阿拉木图）发出，为全年第3列，3列的目标达成。")
	sumWantLines(t, "text_en", s.TextEn,
		"January–October: 4 China–Europe trains; loaded-container ratio 100%; on 19 October train X9011 (SCO Zone – Khorgos – Almaty) became the year's 3rd, reaching the target of 3 trains.")
	sumCheckFigures(t, ts, s)

	nov := sumGenerate(t, ts, "2024-11")
	sumWantLines(t, "2024-11 text_zh", nov.TextZh, "1—11月，累计开行中欧班列5列，综合重箱率100%；全年3列的目标已于10月19日达成。")
	sumWantLines(t, "2024-11 text_en", nov.TextEn, "January–November: 5 China–Europe trains; loaded-container ratio 100%; the target of 3 trains was already reached on 19 October.")
	sumLacks(t, "2024-11 text_zh", nov.TextZh, "X9011")
	sumCheckFigures(t, ts, nov)

	// September: not reached yet. Two runs would be needed by year end.
	sep := sumGenerate(t, ts, "2024-09")
	sumLacks(t, "2024-09 text_zh", sep.TextZh, "达成")
	sumLacks(t, "2024-09 text_en", sep.TextEn, "reached")
}

// Sea-rail volumes in 万标箱 and with thousands separators, and a sea-rail
// target reached in the month.
func TestSummaryTextSeaRailLargeTEU(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-10-10")
	// October 2024: 1,000,000 + 723,153 = 1,723,153 TEU; with March's
	// 377,047, 2,100,200 in January–October. 2023: 1,000,000 in October.
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "export", 1000000))
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-10-12", "import", 723153))
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2024-03-01", "export", 377047))
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", seaRailBody("2023-10-12", "export", 1000000))
	sumTarget(t, ts, 2024, "sea_rail_teu", map[string]any{}, 2000000, "海铁联运箱量突破200万标箱")
	sumRollup(t, ts)
	s := sumGenerate(t, ts, "2024-10")
	// Month: 723,153 / 1,000,000 = 72.3153% → 72.3%; YTD: 1,100,200 /
	// 1,000,000 = 110.02% → 110.0%. The target: 2,100,200 / 2,000,000 =
	// 105.01% → 105.0%, reached on 12 October.
	sumWantLines(t, "text_zh", s.TextZh,
		"青岛港海铁联运10月完成172.32万标箱，同比增长72.3%；1—10月累计210.02万标箱，同比增长110.0%。",
		"海铁联运箱量突破200万标箱：截至10月31日完成210.02万标箱，完成进度105.0%，10月12日累计达到200万标箱，目标达成。")
	sumWantLines(t, "text_en", s.TextEn,
		"Sea-rail intermodal volume at Qingdao port: 1,723,153 TEU in October, up 72.3% year on year; 2,100,200 TEU in January–October, up 110.0% year on year.")
	sumContains(t, "text_en", s.TextEn, "Target of 2,000,000 TEU: 2,100,200 TEU by 31 October, 105.0%", "reached on 12 October")
	sumCheckFigures(t, ts, s)
}

// Routes opened in the month are named.
func TestSummaryTextRoutesOpened(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	sumRoute(t, ts, "SCO-TJ-MOW", "SCO Zone – Tongjiang – Moscow", "上合示范区—同江—莫斯科", "2024-10-15")
	sumRoute(t, ts, "SCO-ERC-ULN", "SCO Zone – Erenhot – Ulaanbaatar", "上合示范区—二连浩特—乌兰巴托", "2024-10-03")
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-10-15")
	sumRollup(t, ts)
	s := sumGenerate(t, ts, "2024-10")
	sumWantLines(t, "text_zh", s.TextZh, "本月开通上合示范区—二连浩特—乌兰巴托、上合示范区—同江—莫斯科等2条线路。")
	sumWantLines(t, "text_en", s.TextEn, "Opened this month: SCO Zone – Erenhot – Ulaanbaatar, SCO Zone – Tongjiang – Moscow.")
	sumCheckFigures(t, ts, s)
}

// Generating twice changes nothing; a change in the data does.
func TestSummaryGenerateIdempotent(t *testing.T) {
	t.Parallel()
	ts := sumYoYWorld(t, 2, 3)
	first := sumGenerate(t, ts, "2024-10")
	if at, err := time.Parse(time.RFC3339, first.GeneratedAt); err != nil || !at.Equal(ts.now) {
		t.Fatalf("generated_at %q, want the store clock %s", first.GeneratedAt, ts.now.Format(time.RFC3339))
	}
	got := sumGet(t, ts, "2024-10")
	ts.now = ts.now.Add(time.Hour)
	again := sumGenerate(t, ts, "2024-10")
	if again.GeneratedAt != first.GeneratedAt || string(again.body) != string(first.body) {
		t.Fatalf("unchanged data, yet the summary changed:\n%s\n%s", first.body, again.body)
	}
	if after := sumGet(t, ts, "2024-10"); string(after.body) != string(got.body) {
		t.Fatalf("GET answers differently after an idle regeneration:\n%s\n%s", got.body, after.body)
	}

	// A fourth run in October 2024: 4 against 2.
	sumRun(t, ts, "SCO-TJ-MOW", "X300", "2024-10-25T09:30:00+08:00")
	sumRollup(t, ts)
	ts.now = ts.now.Add(time.Hour)
	changed := sumGenerate(t, ts, "2024-10")
	if at, err := time.Parse(time.RFC3339, changed.GeneratedAt); err != nil || !at.Equal(ts.now) || changed.GeneratedAt == first.GeneratedAt {
		t.Fatalf("changed data: generated_at %q, want %s", changed.GeneratedAt, ts.now.Format(time.RFC3339))
	}
	f := changed.figures(t)
	if f.Month.Runs != 4 || f.YearToDate.Runs != 4 || !sumPctEq(f.Month.YoYPct.Runs, sumPct(2, 2)) {
		t.Fatalf("changed data: figures %+v", f.Month)
	}
	sumContains(t, "text_zh", changed.TextZh, "开行中欧班列4列，同比增长100.0%")
	var list struct {
		Items []struct {
			Period      string `json:"period"`
			GeneratedAt string `json:"generated_at"`
		} `json:"items"`
	}
	sumGetJSON(t, ts, "/api/v1/summaries", &list)
	if len(list.Items) != 1 || list.Items[0].Period != "2024-10" || list.Items[0].GeneratedAt != changed.GeneratedAt {
		t.Fatalf("list: %+v", list.Items)
	}
	sumCheckFigures(t, ts, changed)
}

// Periods: the month must have ended; the path must be a month.
func TestSummaryGenerateRefusesOpenMonths(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.do(t, "POST", "/api/v1/summaries/2026-11/generate", nil).problem(t, 422)
	ts.do(t, "POST", "/api/v1/summaries/2027-01/generate", nil).problem(t, 422)
	ts.do(t, "GET", "/api/v1/summaries/2024-13", nil).problem(t, 404)
	ts.do(t, "GET", "/api/v1/summaries/2024-10", nil).problem(t, 404)
	// A year without any figure has nothing to summarise.
	p := ts.do(t, "POST", "/api/v1/summaries/2026-10/generate", nil).problem(t, 422)
	if fields(p)[0] != "period" {
		t.Fatalf("fields %v", fields(p))
	}
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X1", "2026-03-01T10:00:00+08:00"))
	ts.mustDo(t, 200, "POST", "/api/v1/summaries/2026-10/generate", nil)
	ts.do(t, "GET", "/api/v1/summaries/2026-10?format=pdf", nil).problem(t, 400)
	ts.do(t, "GET", "/api/v1/summaries/2026-10?lang=fr", nil).problem(t, 400)
}

type sumListJSON struct {
	Items []struct {
		Period      string `json:"period"`
		GeneratedAt string `json:"generated_at"`
	} `json:"items"`
}

func sumPeriods(t testing.TB, ts *testServer) []string {
	t.Helper()
	var l sumListJSON
	sumGetJSON(t, ts, "/api/v1/summaries", &l)
	out := []string{}
	for _, it := range l.Items {
		out = append(out, it.Period)
	}
	return out
}

func sumMonths(from, to string) []string { // newest first
	var out []string
	f, _ := time.Parse("2006-01", from)
	for m, _ := time.Parse("2006-01", to); !m.Before(f); m = m.AddDate(0, -1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}

func sumJob(ts *testServer) jobs.Job {
	return jobs.SummaryJob(ts.Store, slog.New(slog.NewTextHandler(io.Discard, nil)), "@daily")
}

// At start-up the job writes every month with data; the months without
// data get none.
func TestSummaryJobCatchUp(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	for _, m := range sumMonths("2024-01", "2024-12") {
		sumRuns(t, ts, "SCO-TJ-MOW", m+"-15")
	}
	// Runs that never count do not make a month with data.
	planned := runBody("SCO-TJ-MOW", "X1", "2025-02-10T09:30:00+08:00")
	planned["status"] = "planned"
	createRun(t, ts, planned)
	cancelled := runBody("SCO-TJ-MOW", "X2", "2025-03-10T09:30:00+08:00")
	cancelled["status"] = "cancelled"
	createRun(t, ts, cancelled)
	// Nor does the current month (November 2026).
	sumRuns(t, ts, "SCO-TJ-MOW", "2026-11-02")

	job := sumJob(ts)
	ctx := context.Background()
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	want := sumMonths("2024-01", "2024-12")
	if got := sumPeriods(t, ts); !reflect.DeepEqual(got, want) {
		t.Fatalf("summaries %v, want %v", got, want)
	}
	for _, p := range want {
		s := sumGet(t, ts, p)
		if f := s.figures(t); f.Month.Runs != 1 {
			t.Errorf("%s: %d runs in the month, want 1", p, f.Month.Runs)
		}
	}
	sumCheckFigures(t, ts, sumGet(t, ts, "2024-12"))

	// The second run changes nothing.
	var before sumListJSON
	sumGetJSON(t, ts, "/api/v1/summaries", &before)
	bodies := map[string]string{}
	for _, p := range want {
		bodies[p] = string(sumGet(t, ts, p).body)
	}
	ts.now = ts.now.Add(24 * time.Hour)
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	var after sumListJSON
	sumGetJSON(t, ts, "/api/v1/summaries", &after)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("second run changed the list:\n%+v\n%+v", before, after)
	}
	for _, p := range want {
		if b := string(sumGet(t, ts, p).body); b != bodies[p] {
			t.Errorf("second run changed %s:\n%s\n%s", p, bodies[p], b)
		}
	}
}

// More than 24 months with data: every one is written, however old.
func TestSummaryJobCatchUpEveryMonth(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	all := sumMonths("2023-01", "2025-06") // 30 months
	for _, m := range all {
		sumRuns(t, ts, "SCO-TJ-MOW", m+"-15")
	}
	if err := sumJob(ts).Run(context.Background(), store.System); err != nil {
		t.Fatal(err)
	}
	if got := sumPeriods(t, ts); !reflect.DeepEqual(got, all) {
		t.Fatalf("summaries %v, want all 30: %v", got, all)
	}
}

var (
	sumExternalRef = regexp.MustCompile(`(?i)(src|href|xlink:href|action)\s*=\s*["']?\s*(https?:)?//`)
	sumParagraph   = regexp.MustCompile(`(?s)<p>(.*?)</p>`)
)

// Markdown and HTML in both languages; a route named like markup stays text.
func TestSummaryFormats(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	const xss = "<script>alert(1)</script>"
	sumRoute(t, ts, "XSS-1", xss, xss, "2024-10-05")
	sumRun(t, ts, "XSS-1", "X1", "2024-10-05T09:30:00+08:00")
	sumRun(t, ts, "XSS-1", "X2", "2024-10-06T09:30:00+08:00")
	sumRun(t, ts, "SCO-TJ-MOW", "X3", "2024-10-07T09:30:00+08:00")
	sumRun(t, ts, "SCO-TJ-MOW", "X4", "2023-10-07T09:30:00+08:00")
	sumRollup(t, ts)
	gen := sumGenerate(t, ts, "2024-10")

	// JSON: the name as plain text.
	s := sumGet(t, ts, "2024-10")
	if string(s.body) != string(gen.body) {
		t.Errorf("GET and generate answer differently:\n%s\n%s", gen.body, s.body)
	}
	if f := s.figures(t); len(f.BusiestRoutes) == 0 || f.BusiestRoutes[0].Code != "XSS-1" || f.BusiestRoutes[0].Name != xss {
		t.Fatalf("busiest routes %+v", f.BusiestRoutes)
	}
	sumWantLines(t, "text_zh", s.TextZh, "本月开行最多的线路是"+xss+"（2列）、上合示范区—同江—莫斯科（1列）。", "本月开通"+xss+"。")
	sumWantLines(t, "text_en", s.TextEn, "Busiest routes this month: "+xss+" (2), SCO Zone – Tongjiang – Moscow (1).", "Opened this month: "+xss+".")
	if js := sumGet(t, ts, "2024-10?format=json"); string(js.body) != string(s.body) {
		t.Errorf("format=json differs from the default")
	}

	for _, lang := range []string{"zh", "en"} {
		text, title := s.TextZh, "2024年10月中欧班列运行简报"
		if lang == "en" {
			text, title = s.TextEn, "China–Europe Railway Express: October 2024"
		}
		q := "/api/v1/summaries/2024-10?format=html"
		if lang == "en" {
			q += "&lang=en"
		}
		r := ts.mustDo(t, 200, "GET", q, nil)
		doc := string(r.Body)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "text/html") || !strings.Contains(strings.ToLower(ct), "charset=utf-8") {
			t.Errorf("html %s: content type %q", lang, ct)
		}
		if !strings.Contains(doc, "<svg") || !strings.Contains(doc, "</svg>") {
			t.Errorf("html %s: no inline SVG chart", lang)
		}
		// A bar for each month of last year, and for this year's months
		// through October.
		if n := strings.Count(doc, "<rect"); n != 12+10 {
			t.Errorf("html %s: %d bars in the chart, want 22", lang, n)
		}
		if m := sumExternalRef.FindString(doc); m != "" {
			t.Errorf("html %s: refers outside the page: %q", lang, m)
		}
		for _, bad := range []string{"<script", "<link", "@import", "<iframe", "<img"} {
			if strings.Contains(strings.ToLower(doc), bad) {
				t.Errorf("html %s: contains %q", lang, bad)
			}
		}
		if !strings.Contains(doc, `<html lang="`+lang+`"`) || !strings.Contains(doc, "<title>"+title+"</title>") || !strings.Contains(doc, "<h1>"+title+"</h1>") {
			t.Errorf("html %s: lang or title wrong:\n%s", lang, doc)
		}
		if !strings.Contains(doc, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("html %s: the route name is not there, escaped", lang)
		}
		// Each paragraph is one line of the text, escaped.
		var paras []string
		for _, m := range sumParagraph.FindAllStringSubmatch(doc, -1) {
			paras = append(paras, html.UnescapeString(m[1]))
		}
		if !reflect.DeepEqual(paras, sumLines(text)) {
			t.Errorf("html %s: paragraphs\n%q\nwant the text's lines\n%q", lang, paras, sumLines(text))
		}

		r = ts.mustDo(t, 200, "GET", strings.Replace(q, "format=html", "format=markdown", 1), nil)
		md := string(r.Body)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/markdown") || !strings.Contains(strings.ToLower(ct), "charset=utf-8") {
			t.Errorf("markdown %s: content type %q", lang, ct)
		}
		if !strings.HasPrefix(md, "# "+title+"\n") {
			t.Errorf("markdown %s: does not open with the title:\n%s", lang, md)
		}
		if strings.Contains(md, "<script") || !strings.Contains(md, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("markdown %s: the route name is not escaped:\n%s", lang, md)
		}
		month := "10月"
		if lang == "en" {
			month = "October"
		}
		if !strings.Contains(md, "| "+month+" | 3 | 1 |") {
			t.Errorf("markdown %s: no table row for the month (3 against 1):\n%s", lang, md)
		}
		if strings.Contains(md, "| 11月 |") || strings.Contains(md, "| November |") {
			t.Errorf("markdown %s: shows months after the period:\n%s", lang, md)
		}
	}

	// The feed carries the text escaped, too.
	r := ts.mustDo(t, 200, "GET", "/api/v1/summaries.atom", nil)
	var feed sumAtomFeed
	if err := xml.Unmarshal(r.Body, &feed); err != nil {
		t.Fatalf("feed: %v\n%s", err, r.Body)
	}
	if len(feed.Entries) != 1 {
		t.Fatalf("feed: %d entries", len(feed.Entries))
	}
	if c := feed.Entries[0].Content.Body; strings.Contains(c, "<script") || !strings.Contains(c, "&lt;script&gt;") {
		t.Errorf("feed entry content does not escape the route name: %s", c)
	}
}

type sumAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type sumAtomEntry struct {
	ID      string        `xml:"http://www.w3.org/2005/Atom id"`
	Title   string        `xml:"http://www.w3.org/2005/Atom title"`
	Updated string        `xml:"http://www.w3.org/2005/Atom updated"`
	Links   []sumAtomLink `xml:"http://www.w3.org/2005/Atom link"`
	Content struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	} `xml:"http://www.w3.org/2005/Atom content"`
	Authors []string `xml:"http://www.w3.org/2005/Atom author>name"`
}

type sumAtomFeed struct {
	XMLName xml.Name       `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string         `xml:"http://www.w3.org/2005/Atom id"`
	Title   string         `xml:"http://www.w3.org/2005/Atom title"`
	Updated string         `xml:"http://www.w3.org/2005/Atom updated"`
	Links   []sumAtomLink  `xml:"http://www.w3.org/2005/Atom link"`
	Authors []string       `xml:"http://www.w3.org/2005/Atom author>name"`
	Entries []sumAtomEntry `xml:"http://www.w3.org/2005/Atom entry"`
}

func sumFeed(t *testing.T, ts *testServer) (sumAtomFeed, response) {
	t.Helper()
	r := ts.mustDo(t, 200, "GET", "/api/v1/summaries.atom", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Errorf("feed content type %q", ct)
	}
	var feed sumAtomFeed
	if err := xml.Unmarshal(r.Body, &feed); err != nil {
		t.Fatalf("the feed is not Atom: %v\n%s", err, r.Body)
	}
	return feed, r
}

// The Atom feed: one entry per summary, unique ids, RFC 3339 times, links
// that answer the summary.
func TestSummariesAtom(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	feed, _ := sumFeed(t, ts)
	if feed.XMLName.Space != "http://www.w3.org/2005/Atom" || len(feed.Entries) != 0 || feed.ID == "" || feed.Title == "" {
		t.Fatalf("empty feed: %+v", feed)
	}
	if _, err := time.Parse(time.RFC3339, feed.Updated); err != nil {
		t.Errorf("empty feed: updated %q: %v", feed.Updated, err)
	}

	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-08-10", "2024-09-10", "2024-10-10", "2023-10-10")
	sumRollup(t, ts)
	for i, p := range []string{"2024-09", "2024-08", "2024-10"} {
		ts.now = ts.now.Add(time.Duration(i) * time.Hour)
		sumGenerate(t, ts, p)
	}
	feed, _ = sumFeed(t, ts)
	if feed.XMLName.Space != "http://www.w3.org/2005/Atom" || feed.XMLName.Local != "feed" {
		t.Fatalf("root element %v", feed.XMLName)
	}
	if feed.ID == "" || feed.Title == "" {
		t.Errorf("feed id %q, title %q", feed.ID, feed.Title)
	}
	var list sumListJSON
	sumGetJSON(t, ts, "/api/v1/summaries", &list)
	if len(feed.Entries) != len(list.Items) || len(list.Items) != 3 {
		t.Fatalf("%d entries for %d summaries", len(feed.Entries), len(list.Items))
	}
	// RFC 4287 §4.2.6: ids are absolute IRIs (a scheme, then a colon).
	absolute := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	if !absolute.MatchString(feed.ID) {
		t.Errorf("feed id %q is not an absolute IRI", feed.ID)
	}
	ids := map[string]bool{feed.ID: true}
	var newest time.Time
	for i, e := range feed.Entries {
		it := list.Items[i]
		if e.ID == "" || ids[e.ID] || !absolute.MatchString(e.ID) {
			t.Errorf("entry %d: id %q empty, repeated or not an absolute IRI", i, e.ID)
		}
		ids[e.ID] = true
		if e.Title == "" {
			t.Errorf("entry %d: no title", i)
		}
		up, err := time.Parse(time.RFC3339, e.Updated)
		gen, _ := time.Parse(time.RFC3339, it.GeneratedAt)
		if err != nil || !up.Equal(gen) {
			t.Errorf("entry %d (%s): updated %q, generated_at %q", i, it.Period, e.Updated, it.GeneratedAt)
		}
		if up.After(newest) {
			newest = up
		}
		var href string
		for _, l := range e.Links {
			if l.Rel == "" || l.Rel == "alternate" {
				href = l.Href
			}
		}
		// Links are absolute, on the server the feed was read from.
		if !strings.HasPrefix(href, ts.URL+"/api/v1/summaries/"+it.Period) {
			t.Errorf("entry %d: link %q does not lead to summary %s", i, href, it.Period)
			continue
		}
		r := ts.mustDo(t, 200, "GET", strings.TrimPrefix(href, ts.URL), nil)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("entry %d: link answers %q", i, r.Header.Get("Content-Type"))
		}
		if !strings.Contains(e.Title, it.Period[:4]) {
			t.Errorf("entry %d: title %q does not name %s", i, e.Title, it.Period)
		}
	}
	if up, err := time.Parse(time.RFC3339, feed.Updated); err != nil || !up.Equal(newest) {
		t.Errorf("feed updated %q, want the newest entry's %s", feed.Updated, newest.Format(time.RFC3339))
	}
}

// feedLinks answers a feed's links by rel, each checked to be an absolute
// http(s) URL.
func feedLinks(t *testing.T, feed sumAtomFeed) map[string]*url.URL {
	t.Helper()
	links := map[string]*url.URL{}
	for _, l := range feed.Links {
		u, err := url.Parse(l.Href)
		if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Errorf("feed link rel=%q href %q is not an absolute http(s) URL", l.Rel, l.Href)
			continue
		}
		if links[l.Rel] != nil {
			t.Errorf("two feed links rel=%q", l.Rel)
		}
		links[l.Rel] = u
	}
	return links
}

// Without --public-url the feed's links are absolute on the host the request
// named; a host that is not a valid host[:port] never reaches them, and the
// forwarded scheme and host count only behind a trusted proxy.
func TestSummariesAtomLinksFromRequest(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-10-10")
	sumRollup(t, ts)
	sumGenerate(t, ts, "2024-10")

	feed, _ := sumFeed(t, ts)
	links := feedLinks(t, feed)
	base := ts.URL // http://127.0.0.1:PORT
	if self := links["self"]; self == nil || self.String() != base+"/api/v1/summaries.atom" {
		t.Errorf("rel=self %v, want %s/api/v1/summaries.atom", self, base)
	}
	alt := links["alternate"]
	if alt == nil || alt.String() != base+"/#/summaries" {
		t.Fatalf("rel=alternate %v, want %s/#/summaries", alt, base)
	}
	// The alternate is the dashboard's summaries view: the page answers HTML.
	page := ts.mustDo(t, 200, "GET", alt.Path, nil)
	if !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page.Body), `id="view-summaries"`) {
		t.Errorf("%s answers %q without the summaries view", alt, page.Header.Get("Content-Type"))
	}

	feedFor := func(header ...string) sumAtomFeed {
		t.Helper()
		r := ts.mustDo(t, 200, "GET", "/api/v1/summaries.atom", nil, header...)
		var f sumAtomFeed
		if err := xml.Unmarshal(r.Body, &f); err != nil {
			t.Fatalf("the feed is not Atom: %v\n%s", err, r.Body)
		}
		return f
	}
	// Another valid Host: the links follow it, and the answer kept for the
	// first host is not served for this one.
	if self := feedLinks(t, feedFor("Host", "trains.example:8443"))["self"]; self == nil || self.String() != "http://trains.example:8443/api/v1/summaries.atom" {
		t.Errorf("Host trains.example:8443: rel=self %v", self)
	}
	if self := feedLinks(t, feedFor())["self"]; self == nil || self.String() != base+"/api/v1/summaries.atom" {
		t.Errorf("back on %s: rel=self %v", base, self)
	}
	// Forwarded headers are not trusted without --trust-proxy.
	f := feedFor("X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https")
	if self := feedLinks(t, f)["self"]; self == nil || self.String() != base+"/api/v1/summaries.atom" {
		t.Errorf("untrusted X-Forwarded-Host: rel=self %v", self)
	}

	proxied := newTestServerWith(t, shanghai, func(c *handlers.Config) { c.TrustProxy = true })
	pf := func(header ...string) map[string]*url.URL {
		t.Helper()
		r := proxied.mustDo(t, 200, "GET", "/api/v1/summaries.atom", nil, header...)
		var f sumAtomFeed
		if err := xml.Unmarshal(r.Body, &f); err != nil {
			t.Fatalf("the feed is not Atom: %v\n%s", err, r.Body)
		}
		return feedLinks(t, f)
	}
	if self := pf("X-Forwarded-Host", "banlie.example, proxy.internal", "X-Forwarded-Proto", "https")["self"]; self == nil || self.String() != "https://banlie.example/api/v1/summaries.atom" {
		t.Errorf("trusted proxy: rel=self %v, want https://banlie.example/api/v1/summaries.atom", self)
	}
	for _, bad := range []string{
		`evil.example/"><script>`, "evil.example:99999", "evil..example", "-evil.example", "[fe80::1%25eth0]",
		"user@evil.example", strings.Repeat("a", 64) + ".example", "999.1.1.1", "evil.example:8080:1",
	} {
		links := pf("X-Forwarded-Host", bad, "X-Forwarded-Proto", "javascript")
		if self := links["self"]; self == nil || self.String() != "http://localhost/api/v1/summaries.atom" {
			t.Errorf("X-Forwarded-Host %q: rel=self %v, want the fallback http://localhost/api/v1/summaries.atom", bad, self)
		}
	}
	if self := pf("X-Forwarded-Host", "[2001:db8::1]:8080")["self"]; self == nil || self.Host != "[2001:db8::1]:8080" {
		t.Errorf("X-Forwarded-Host [2001:db8::1]:8080: rel=self %v", self)
	}
}

// With --public-url the feed's links start with it, whatever host the
// request names.
func TestSummariesAtomLinksFromPublicURL(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, shanghai, func(c *handlers.Config) {
		c.PublicURL = "https://trains.example/banlie/"
		c.TrustProxy = true
	})
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-10-10")
	sumRollup(t, ts)
	sumGenerate(t, ts, "2024-10")
	for _, header := range [][]string{nil, {"Host", "other.example"}, {"X-Forwarded-Host", "proxy.example"}} {
		r := ts.mustDo(t, 200, "GET", "/api/v1/summaries.atom", nil, header...)
		var feed sumAtomFeed
		if err := xml.Unmarshal(r.Body, &feed); err != nil {
			t.Fatalf("the feed is not Atom: %v\n%s", err, r.Body)
		}
		links := feedLinks(t, feed)
		if self := links["self"]; self == nil || self.String() != "https://trains.example/banlie/api/v1/summaries.atom" {
			t.Errorf("%v: rel=self %v", header, self)
		}
		if alt := links["alternate"]; alt == nil || alt.String() != "https://trains.example/banlie/#/summaries" {
			t.Errorf("%v: rel=alternate %v", header, alt)
		}
		if len(feed.Entries) != 1 || len(feed.Entries[0].Links) != 1 ||
			feed.Entries[0].Links[0].Href != "https://trains.example/banlie/api/v1/summaries/2024-10?format=html" {
			t.Errorf("%v: entry links %+v", header, feed.Entries)
		}
		if feed.ID != "urn:banlie:summaries" {
			t.Errorf("feed id %q, want urn:banlie:summaries", feed.ID)
		}
	}
}

func TestParsePublicURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://trains.example":           "https://trains.example",
		"https://trains.example/":          "https://trains.example",
		"http://10.0.0.5:8080/banlie/":     "http://10.0.0.5:8080/banlie",
		"https://[2001:db8::1]:8443/a%20b": "https://[2001:db8::1]:8443/a%20b",
	} {
		if got, err := handlers.ParsePublicURL(in); err != nil || got != want {
			t.Errorf("ParsePublicURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "trains.example", "ftp://trains.example", "https://", "https://u:p@trains.example",
		"https://trains.example/?a=1", "https://trains.example/#x", "https://trains.example:0", "https://bad_host.example",
		"https://trains.example:65536", "/api/v1"} {
		if got, err := handlers.ParsePublicURL(in); err == nil {
			t.Errorf("ParsePublicURL(%q) = %q, want an error", in, got)
		}
	}
}

// RFC 4287 §4.1.1: a feed has an author unless every entry has one.
func TestSummariesAtomAuthor(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-10-10")
	sumRollup(t, ts)
	sumGenerate(t, ts, "2024-10")
	feed, r := sumFeed(t, ts)
	if len(feed.Authors) == 0 {
		for _, e := range feed.Entries {
			if len(e.Authors) == 0 {
				t.Fatalf("neither the feed nor entry %s names an author (atom:author is required):\n%s", e.ID, r.Body)
			}
		}
	}
}

// Months are taken in the reporting time zone.
func TestSummaryMonthInReportingZone(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRun(t, ts, "SCO-TJ-MOW", "X1", "2024-09-30T16:30:00Z") // 00:30 on 1 October in Shanghai
	sumRun(t, ts, "SCO-TJ-MOW", "X2", "2024-10-31T20:00:00Z") // 04:00 on 1 November in Shanghai
	sumRollup(t, ts)
	s := sumGenerate(t, ts, "2024-10")
	if f := s.figures(t); f.Month.Runs != 1 || f.YearToDate.Runs != 1 {
		t.Fatalf("October: %d runs, %d year to date; want 1 and 1", f.Month.Runs, f.YearToDate.Runs)
	}
	sumWantLines(t, "text_zh", s.TextZh, "1—10月，累计开行中欧班列1列，综合重箱率100%。")
	sumCheckFigures(t, ts, s)
}

// A projection equal to the target meets it but does not exceed it.
func TestSummaryTextTargetProjectedExactly(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	// 2023: one run to 31 October, two in the year; 2024: three by 31
	// October. Seasonal: round(3 × 2 / 1) = 6, the target's value.
	sumRuns(t, ts, "SCO-TJ-MOW", "2023-03-10", "2023-11-10", "2024-03-10", "2024-09-10", "2024-10-10")
	id := sumTarget(t, ts, 2024, "runs", sumRail, 6, "年度开行6列")
	sumRollup(t, ts)
	var p models.Progress
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/targets/%d/progress?as_of=2024-10-31", id), &p)
	if p.ProjectedYearEnd != 6 || !p.OnTrack || p.Reached {
		t.Fatalf("progress %+v; want projected 6, on track, not reached", p)
	}
	s := sumGenerate(t, ts, "2024-10")
	sumLacks(t, "text_zh", s.TextZh, "超过6列")
	sumLacks(t, "text_en", s.TextEn, "exceed 6 trains")
}

// "For the first time" is a claim about every earlier year, not only the
// last one.
func TestSummaryTextTargetFirstTimeLooksBeyondLastYear(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	// 2022: six runs, above 5. 2023: one run to 31 October, two in the year.
	// 2024: three by 31 October, projected round(3 × 2 / 1) = 6 ≥ 5.
	sumRuns(t, ts, "SCO-TJ-MOW", "2022-03-10", "2022-04-10", "2022-05-10", "2022-06-10", "2022-07-10", "2022-08-10",
		"2023-03-10", "2023-11-10", "2024-03-10", "2024-09-10", "2024-10-10")
	sumTarget(t, ts, 2024, "runs", sumRail, 5, "年度开行5列")
	sumRollup(t, ts)
	s := sumGenerate(t, ts, "2024-10")
	sumWantLines(t, "text_zh", s.TextZh, "1—10月，累计开行中欧班列3列，同比增长200.0%，综合重箱率100%；预计全年超过5列。")
	sumLacks(t, "text_zh", s.TextZh, "首次")
	sumLacks(t, "text_en", s.TextEn, "first time")
}

// In December the year is over: the text states the outcome, not a
// projection.
func TestSummaryTextDecemberTargetMissedIsFinal(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-03-10", "2024-09-10", "2024-12-10")
	sumTarget(t, ts, 2024, "runs", sumRail, 10, "年度开行10列")
	sumRollup(t, ts)
	s := sumGenerate(t, ts, "2024-12")
	sumContains(t, "text_zh", s.TextZh, "1—12月，累计开行中欧班列3列，综合重箱率100%", "7列")
	sumContains(t, "text_en", s.TextEn, "January–December: 3 China–Europe trains; loaded-container ratio 100%", "7 trains short")
	sumLacks(t, "text_zh", s.TextZh, "预计", "按目前进度")
	sumLacks(t, "text_en", s.TextEn, "projected", "at the current pace")
}

// Without any figure for last year the text cannot know that this is the
// first time.
func TestSummaryTextTargetFirstTimeNeedsLastYear(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	// No 2023 data: run rate. 30 September 2024 is day 274; six runs by
	// then: round(6 × 366 / 274) = round(8.01) = 8 ≥ 7.
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-01-10", "2024-02-10", "2024-03-10", "2024-05-10", "2024-07-10", "2024-09-10")
	id := sumTarget(t, ts, 2024, "runs", sumRail, 7, "年度开行7列")
	sumRollup(t, ts)
	var p models.Progress
	sumGetJSON(t, ts, fmt.Sprintf("/api/v1/targets/%d/progress?as_of=2024-09-30", id), &p)
	if p.ProjectedYearEnd != 8 || p.ProjectionMethod != "run_rate" || !p.OnTrack {
		t.Fatalf("progress %+v; want 8 by run rate, on track", p)
	}
	s := sumGenerate(t, ts, "2024-09")
	sumWantLines(t, "text_zh", s.TextZh, "1—9月，累计开行中欧班列6列，综合重箱率100%；预计全年超过7列。")
	sumWantLines(t, "text_en", s.TextEn, "January–September: 6 China–Europe trains; loaded-container ratio 100%; the full year is projected to exceed 7 trains.")
}

// A year whose previous year has no counted run at all: the table says "no
// data" for that year rather than a column of zeros, and the chart draws no
// bars for it.
func TestSummaryFormatsNoPreviousYear(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRun(t, ts, "SCO-TJ-MOW", "X1", "2024-01-07T09:30:00+08:00")
	sumRun(t, ts, "SCO-TJ-MOW", "X2", "2024-02-07T09:30:00+08:00")
	sumRollup(t, ts)
	sumGenerate(t, ts, "2024-02")
	for _, tc := range []struct{ lang, row, legend string }{
		{"zh", "| 2月 | 1 | — |", "2023年（无数据）"},
		{"en", "| February | 1 | — |", "2023 (no data)"},
	} {
		md := string(ts.mustDo(t, 200, "GET", "/api/v1/summaries/2024-02?format=markdown&lang="+tc.lang, nil).Body)
		if !strings.Contains(md, tc.row) || strings.Contains(md, "| 0 |") {
			t.Errorf("markdown %s: want the row %q and no zeros for 2023:\n%s", tc.lang, tc.row, md)
		}
		doc := string(ts.mustDo(t, 200, "GET", "/api/v1/summaries/2024-02?format=html&lang="+tc.lang, nil).Body)
		if n := strings.Count(doc, "<rect"); n != 2 {
			t.Errorf("html %s: %d bars, want 2 (this year's January and February only)", tc.lang, n)
		}
		if !strings.Contains(doc, tc.legend) {
			t.Errorf("html %s: legend does not say %q", tc.lang, tc.legend)
		}
	}
}

// The sea-rail sentence names the port only when every count comes from it;
// counts from several ports are said as all ports together.
func TestSummaryTextSeaRailPorts(t *testing.T) {
	t.Parallel()
	port := func(date, name string, teu int) map[string]any {
		b := seaRailBody(date, "export", teu)
		b["port"] = name
		return b
	}
	ts := newTestServer(t)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRuns(t, ts, "SCO-TJ-MOW", "2024-10-10")
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", port("2024-10-12", "CNRZH", 1500))
	sumRollup(t, ts)
	s := sumGenerate(t, ts, "2024-10")
	sumWantLines(t, "text_zh", s.TextZh, "日照港海铁联运10月完成1500标箱；1—10月累计1500标箱。")
	sumWantLines(t, "text_en", s.TextEn, "Sea-rail intermodal volume at Rizhao port: 1,500 TEU in October; 1,500 TEU in January–October.")
	rizhao := models.PortRef{Code: "CNRZH", NameEn: "Rizhao", NameZh: "日照港"}
	if f := s.figures(t); !reflect.DeepEqual(f.SeaRail.Ports, []models.PortRef{rizhao}) {
		t.Errorf("figures.sea_rail.ports = %q", f.SeaRail.Ports)
	}

	// A second port, last year: the figures add both, so the text names neither.
	ts.mustDo(t, 201, "POST", "/api/v1/sea-rail-counts", port("2023-10-12", "cntao", 1000))
	sumRollup(t, ts)
	s = sumGenerate(t, ts, "2024-10")
	sumWantLines(t, "text_zh", s.TextZh, "各港口海铁联运10月完成1500标箱，同比增长50.0%；1—10月累计1500标箱，同比增长50.0%。")
	sumWantLines(t, "text_en", s.TextEn, "Sea-rail intermodal volume, 2 ports together: 1,500 TEU in October, up 50.0% year on year; 1,500 TEU in January–October, up 50.0% year on year.")
	sumLacks(t, "text_zh", s.TextZh, "青岛港")
	qingdao := models.PortRef{Code: "CNQIN", NameEn: "Qingdao", NameZh: "青岛港"}
	if f := s.figures(t); !reflect.DeepEqual(f.SeaRail.Ports, []models.PortRef{qingdao, rizhao}) {
		t.Errorf("figures.sea_rail.ports = %q", f.SeaRail.Ports)
	}
	sumCheckFigures(t, ts, s)
}
