package handlers_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"banlie/store"
)

// Summaries follow the data: a correction to October, found by the next
// run of the summary job, writes October again as revision 2, keeps
// revision 1, says so in both texts and updates the feed's entry; a run of
// the job with nothing changed writes nothing; a month logged late gets its
// summary on the next run.
func TestSummaryRevisions(t *testing.T) { testSummaryRevisions(t, newTestServer(t)) }

func TestSummaryRevisionsPG(t *testing.T) { testSummaryRevisions(t, newTestServerPG(t)) }

// sumRevision is a summary with its revision fields.
type sumRevision struct {
	Period           string  `json:"period"`
	GeneratedAt      string  `json:"generated_at"`
	Revision         int     `json:"revision"`
	FirstGeneratedAt string  `json:"first_generated_at"`
	RevisedAt        *string `json:"revised_at"`
	TextZh           string  `json:"text_zh"`
	TextEn           string  `json:"text_en"`
	Figures          struct {
		Month struct {
			Runs int64 `json:"runs"`
		} `json:"month"`
	} `json:"figures"`
}

type sumRevisionsJSON struct {
	Period   string `json:"period"`
	Revision int    `json:"revision"`
	Items    []struct {
		Period       string `json:"period"`
		Revision     int    `json:"revision"`
		GeneratedAt  string `json:"generated_at"`
		SupersededAt string `json:"superseded_at"`
		TextZh       string `json:"text_zh"`
		TextEn       string `json:"text_en"`
		Figures      struct {
			Month struct {
				Runs int64 `json:"runs"`
			} `json:"month"`
		} `json:"figures"`
	} `json:"items"`
}

func sumRevGet(t *testing.T, ts *testServer, period string) sumRevision {
	t.Helper()
	var s sumRevision
	sumGetJSON(t, ts, "/api/v1/summaries/"+period, &s)
	return s
}

func sumRevisionsOf(t *testing.T, ts *testServer, period string) sumRevisionsJSON {
	t.Helper()
	var r sumRevisionsJSON
	sumGetJSON(t, ts, "/api/v1/summaries/"+period+"/revisions", &r)
	return r
}

func sumTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return v
}

func testSummaryRevisions(t *testing.T, ts *testServer) {
	t.Parallel()
	ctx := context.Background()
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	var oct []runJSON
	for i, d := range []string{"2024-10-08", "2024-10-15", "2024-10-22"} {
		oct = append(oct, sumRun(t, ts, "SCO-TJ-MOW", fmt.Sprintf("X%d", 7100+i), d+"T09:30:00+08:00"))
	}
	ts.now = time.Date(2024, 11, 3, 9, 0, 0, 0, shanghai)
	job := sumJob(ts)
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	first := sumRevGet(t, ts, "2024-10")
	written := ts.now
	if first.Revision != 1 || first.RevisedAt != nil || first.Figures.Month.Runs != 3 ||
		!sumTime(t, first.FirstGeneratedAt).Equal(written) || !sumTime(t, first.GeneratedAt).Equal(written) {
		t.Fatalf("first summary: revision %d, revised_at %v, %d runs, first generated %s, generated %s; want 1, null, 3, %s",
			first.Revision, first.RevisedAt, first.Figures.Month.Runs, first.FirstGeneratedAt, first.GeneratedAt, written)
	}
	sumLacks(t, "first text_zh", first.TextZh, "修订")
	sumLacks(t, "first text_en", first.TextEn, "Revised")
	if r := sumRevisionsOf(t, ts, "2024-10"); r.Revision != 1 || len(r.Items) != 0 {
		t.Fatalf("revisions before any correction: %+v", r)
	}

	// A correction: one of October's trains was cancelled.
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/runs/%d", oct[1].ID), map[string]any{"status": "cancelled"})
	ts.now = time.Date(2024, 11, 20, 1, 15, 0, 0, shanghai)
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	rev := sumRevGet(t, ts, "2024-10")
	if rev.Revision != 2 || rev.Figures.Month.Runs != 2 || rev.RevisedAt == nil || !sumTime(t, *rev.RevisedAt).Equal(ts.now) ||
		!sumTime(t, rev.GeneratedAt).Equal(ts.now) || !sumTime(t, rev.FirstGeneratedAt).Equal(written) {
		t.Fatalf("after the correction: revision %d, %d runs, revised %v, generated %s, first %s; want 2, 2, %s, %s, %s",
			rev.Revision, rev.Figures.Month.Runs, rev.RevisedAt, rev.GeneratedAt, rev.FirstGeneratedAt, ts.now, ts.now, written)
	}
	sumContains(t, "revised text_zh", rev.TextZh, "2024年10月，上合示范区开行中欧班列2列")
	sumContains(t, "revised text_en", rev.TextEn, "ran 2 China–Europe trains")
	zhLines, enLines := sumLines(rev.TextZh), sumLines(rev.TextEn)
	if got, want := zhLines[len(zhLines)-1], "（本文于2024年11月20日根据更正后的数据修订，10月开行中欧班列由3列更正为2列。）"; got != want {
		t.Errorf("revised text_zh ends %q, want %q", got, want)
	}
	if got, want := enLines[len(enLines)-1], "(Revised on 20 November 2024 after corrections to the data: 2 trains in October, not 3.)"; got != want {
		t.Errorf("revised text_en ends %q, want %q", got, want)
	}
	// The texts are those of the corrected figures, the note aside.
	if strings.Join(zhLines[:len(zhLines)-1], "\n") == first.TextZh {
		t.Errorf("revised text_zh is the old text with a note")
	}

	revs := sumRevisionsOf(t, ts, "2024-10")
	if revs.Period != "2024-10" || revs.Revision != 2 || len(revs.Items) != 1 {
		t.Fatalf("revisions: %+v", revs)
	}
	old := revs.Items[0]
	if old.Revision != 1 || old.Figures.Month.Runs != 3 || old.TextZh != first.TextZh || old.TextEn != first.TextEn ||
		!sumTime(t, old.GeneratedAt).Equal(written) || !sumTime(t, old.SupersededAt).Equal(ts.now) {
		t.Errorf("revision 1: %+v; want 3 runs, the first texts, generated %s, superseded %s", old, written, ts.now)
	}
	ts.mustDo(t, 200, "HEAD", "/api/v1/summaries/2024-10/revisions", nil)
	ts.mustDo(t, 404, "GET", "/api/v1/summaries/2024-09/revisions", nil)
	ts.mustDo(t, 404, "GET", "/api/v1/summaries/2024-13/revisions", nil)

	// The feed: the same entry, updated; published when it was first written.
	feed, r := sumFeed(t, ts)
	if len(feed.Entries) != 1 || feed.Entries[0].ID != "urn:banlie:summary:2024-10" {
		t.Fatalf("feed entries: %+v", feed.Entries)
	}
	var pub struct {
		Entries []struct {
			Published string `xml:"http://www.w3.org/2005/Atom published"`
		} `xml:"http://www.w3.org/2005/Atom entry"`
	}
	if err := xml.Unmarshal(r.Body, &pub); err != nil {
		t.Fatal(err)
	}
	e := feed.Entries[0]
	if !sumTime(t, e.Updated).Equal(ts.now) || len(pub.Entries) != 1 || !sumTime(t, pub.Entries[0].Published).Equal(written) {
		t.Errorf("entry updated %s, published %+v; want %s and %s", e.Updated, pub.Entries, ts.now, written)
	}
	if !strings.Contains(e.Content.Body, "根据更正后的数据修订") {
		t.Errorf("entry content lacks the revision note: %s", e.Content.Body)
	}

	// Nothing changed: the next run writes nothing.
	before := string(ts.mustDo(t, 200, "GET", "/api/v1/summaries/2024-10", nil).Body)
	ts.now = ts.now.Add(24 * time.Hour)
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	if after := string(ts.mustDo(t, 200, "GET", "/api/v1/summaries/2024-10", nil).Body); after != before {
		t.Errorf("a run with nothing changed rewrote October:\n%s\n%s", before, after)
	}
	if r := sumRevisionsOf(t, ts, "2024-10"); len(r.Items) != 1 {
		t.Errorf("a run with nothing changed added a revision: %+v", r)
	}

	// A month logged late, long past: its summary comes with the next run.
	ts.mustDo(t, 404, "GET", "/api/v1/summaries/2021-03", nil)
	sumRun(t, ts, "SCO-TJ-MOW", "X6001", "2021-03-09T09:30:00+08:00")
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	late := sumRevGet(t, ts, "2021-03")
	if late.Revision != 1 || late.Figures.Month.Runs != 1 || !sumTime(t, late.GeneratedAt).Equal(ts.now) {
		t.Errorf("the late month: revision %d, %d runs, generated %s", late.Revision, late.Figures.Month.Runs, late.GeneratedAt)
	}
	// The late run is in 2021, not 2024: October stays as it was.
	if after := string(ts.mustDo(t, 200, "GET", "/api/v1/summaries/2024-10", nil).Body); after != before {
		t.Errorf("a run in 2021 rewrote October 2024")
	}
}
