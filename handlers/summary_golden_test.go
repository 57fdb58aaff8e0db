package handlers_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateSummaryGolden = flag.Bool("update-summary-golden", false, "write testdata/summary-2024-10.{zh,en}.txt from the demo data set")

// The summary of October 2024 on the demo data set, word for word, in both
// languages: the release's pattern (year to date with 去程/回程, the
// corridors and the laden ratio), the sea-rail port, the targets, routes
// and transit times. Any change of wording or figure shows here.
func TestSummaryDemoGolden(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	sumSeedDemo(t, ts)
	oct := sumGenerate(t, ts, "2024-10")
	// The split the paragraph quotes is the one /totals/yearly answers.
	type yt struct {
		Runs          int64    `json:"runs"`
		LadenRatioPct *float64 `json:"laden_ratio_pct"`
		ByCorridor    []struct {
			Corridor string `json:"corridor"`
			Runs     int64  `json:"runs"`
		} `json:"by_corridor"`
	}
	var out, in, all yt
	sumGetJSON(t, ts, "/api/v1/totals/yearly?year=2024&through=2024-10&mode=rail&direction=outbound", &out)
	sumGetJSON(t, ts, "/api/v1/totals/yearly?year=2024&through=2024-10&mode=rail&direction=inbound", &in)
	sumGetJSON(t, ts, "/api/v1/totals/yearly?year=2024&through=2024-10&mode=rail&by=corridor", &all)
	if out.Runs != 567 || in.Runs != 348 || all.Runs != 915 || all.LadenRatioPct == nil || *all.LadenRatioPct != 98.3 || len(all.ByCorridor) != 3 ||
		all.ByCorridor[0].Runs != 526 || all.ByCorridor[1].Runs != 111 || all.ByCorridor[2].Runs != 278 {
		t.Errorf("totals: outbound %d, inbound %d, all %+v; the golden texts quote 567, 348, 915 at 98.3%% and 526/111/278", out.Runs, in.Runs, all)
	}
	for lang, text := range map[string]string{"zh": oct.TextZh, "en": oct.TextEn} {
		path := filepath.Join("testdata", "summary-2024-10."+lang+".txt")
		if *updateSummaryGolden {
			if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := text + "\n"; got != string(want) {
			t.Errorf("text_%s of 2024-10 differs from %s:\n--- got\n%s--- want\n%s", lang, path, got, want)
		}
	}
}
