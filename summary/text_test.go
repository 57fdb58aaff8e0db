package summary

import (
	"banlie/models"
	"strings"
	"testing"
)

// Unit tests of the number, percentage, date and ordinal formats the
// summaries' sentences are written with.

func TestSummaryHelperEnNum(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {9999, "9,999"}, {10000, "10,000"},
		{100000, "100,000"}, {1024, "1,024"}, {1234567, "1,234,567"}, {2100200, "2,100,200"},
		{-1, "-1"}, {-999, "-999"}, {-1234, "-1,234"}, {-1234567, "-1,234,567"},
	} {
		if got := enNum(c.n); got != c.want {
			t.Errorf("enNum(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestSummaryHelperZhWan(t *testing.T) {
	for _, c := range []struct {
		n        int64
		wan, teu string
	}{
		{0, "0", "0标箱"},
		{915, "915", "915标箱"},
		{9999, "9999", "9999标箱"},
		{10000, "1万", "1万标箱"},
		{10049, "1万", "1万标箱"},       // 1.0049万 rounds to 1.00万: no trailing zeros
		{10050, "1.01万", "1.01万标箱"}, // half up
		{15000, "1.5万", "1.5万标箱"},   // one decimal when the second is 0
		{100000, "10万", "10万标箱"},    // the zeros of the integer part stay
		{1000000, "100万", "100万标箱"},
		{1723153, "172.32万", "172.32万标箱"},
		{2100200, "210.02万", "210.02万标箱"},
		{1962800, "196.28万", "196.28万标箱"},
		{2000000, "200万", "200万标箱"},
	} {
		if got := zhWan(c.n); got != c.wan {
			t.Errorf("zhWan(%d) = %q, want %q", c.n, got, c.wan)
		}
		if got := zhTEU(c.n); got != c.teu {
			t.Errorf("zhTEU(%d) = %q, want %q", c.n, got, c.teu)
		}
	}
}

func TestSummaryHelperGrowth(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		name   string
		p      *float64
		zh, en string
	}{
		{"no base", nil, "", ""},
		{"growth", f(18.1), "同比增长18.1%", "up 18.1% year on year"},
		{"growth, whole", f(50), "同比增长50.0%", "up 50.0% year on year"},
		{"doubled", f(100), "同比增长100.0%", "up 100.0% year on year"},
		{"small growth", f(0.1), "同比增长0.1%", "up 0.1% year on year"},
		{"decline", f(-66.7), "同比下降66.7%", "down 66.7% year on year"},
		{"halved", f(-50), "同比下降50.0%", "down 50.0% year on year"},
		{"to nothing", f(-100), "同比下降100.0%", "down 100.0% year on year"},
		{"flat", f(0), "与上年同期持平", "unchanged year on year"},
		{"Pct's flat", models.Pct(0, 5), "与上年同期持平", "unchanged year on year"},
		{"Pct's 18.1", models.YoY(915, 775), "同比增长18.1%", "up 18.1% year on year"},
		{"Pct's -66.7", models.YoY(1, 3), "同比下降66.7%", "down 66.7% year on year"},
	} {
		if got := zhGrowth(c.p); got != c.zh {
			t.Errorf("%s: zhGrowth = %q, want %q", c.name, got, c.zh)
		}
		if got := enGrowth(c.p); got != c.en {
			t.Errorf("%s: enGrowth = %q, want %q", c.name, got, c.en)
		}
	}
}

func TestSummaryHelperOrdinal(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{1, "1st"}, {2, "2nd"}, {3, "3rd"}, {4, "4th"}, {10, "10th"},
		{11, "11th"}, {12, "12th"}, {13, "13th"}, {14, "14th"},
		{21, "21st"}, {22, "22nd"}, {23, "23rd"}, {101, "101st"},
		{111, "111th"}, {112, "112th"}, {113, "113th"},
		{1000, "1,000th"}, {1001, "1,001st"}, {1002, "1,002nd"}, {1011, "1,011th"}, {1021, "1,021st"},
	} {
		if got := ordinal(c.n); got != c.want {
			t.Errorf("ordinal(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestSummaryHelperDatesAndAmounts(t *testing.T) {
	for _, c := range []struct{ day, zh, en string }{
		{"2024-12-19", "12月19日", "19 December"},
		{"2024-01-01", "1月1日", "1 January"},
		{"2024-10-31", "10月31日", "31 October"},
		{"2024-02-29", "2月29日", "29 February"},
	} {
		if got := zhDate(c.day); got != c.zh {
			t.Errorf("zhDate(%s) = %q, want %q", c.day, got, c.zh)
		}
		if got := enDate(c.day); got != c.en {
			t.Errorf("enDate(%s) = %q, want %q", c.day, got, c.en)
		}
	}
	for _, c := range []struct {
		metric string
		n      int64
		zh, en string
	}{
		{"runs", 1000, "1000列", "1,000 trains"},
		{"runs", 85, "85列", "85 trains"},
		{"containers", 48000, "4.8万箱", "48,000 containers"},
		{"containers", 4620, "4620箱", "4,620 containers"},
		{"teu", 95000, "9.5万标箱", "95,000 TEU"},
		{"sea_rail_teu", 2000000, "200万标箱", "2,000,000 TEU"},
	} {
		if got := zhAmount(c.metric, c.n); got != c.zh {
			t.Errorf("zhAmount(%s, %d) = %q, want %q", c.metric, c.n, got, c.zh)
		}
		if got := enAmount(c.metric, c.n); got != c.en {
			t.Errorf("enAmount(%s, %d) = %q, want %q", c.metric, c.n, got, c.en)
		}
	}
}

// The summary chart's scale ends just above the largest bar on a round step.
func TestSummaryChartScale(t *testing.T) {
	for _, c := range []struct {
		top  int64
		want string
	}{
		{0, "0 1"},
		{7, "0 2 4 6 8"},
		{99, "0 20 40 60 80 100"},
		{100, "0 20 40 60 80 100"},
		{101, "0 25 50 75 100 125"},
		{1024, "0 250 500 750 1000 1250"},
		{2600, "0 1000 2000 3000"},
	} {
		months := make([]models.MonthRuns, 12)
		months[3].RunsLastYear = c.top
		ch := buildChart(months, 12, "en")
		var labels []string
		for _, tk := range ch.Ticks {
			labels = append(labels, tk.Label)
		}
		if got := strings.Join(labels, " "); got != c.want {
			t.Errorf("top %d: ticks %q, want %q", c.top, got, c.want)
		}
		if bar := ch.Months[3]; bar.LastY < ch.Ticks[len(ch.Ticks)-1].Y {
			t.Errorf("top %d: the bar rises above the scale", c.top)
		}
	}
}
