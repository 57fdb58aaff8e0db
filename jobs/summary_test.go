package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"banlie/jobs"
	"banlie/models"
	"banlie/store"
)

// summaryClock is a settable clock for the store.
type summaryClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *summaryClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *summaryClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var summaryShanghai, _ = time.LoadLocation("Asia/Shanghai")

// openSummaryStore opens a migrated store in t.TempDir() whose clock says now.
func openSummaryStore(t *testing.T, now time.Time) (*store.Store, *summaryClock) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "banlie.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := store.Migrate(context.Background(), db, log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	clock := &summaryClock{now: now}
	st := store.NewStore(db, summaryShanghai, clock.Now)
	if _, err := st.EnsureReportingZone(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateRoute(context.Background(), store.System, models.RouteInput{
		Code: "SCO-TJ-MOW", Name: "SCO Zone – Tongjiang – Moscow", Mode: "rail",
		Stops: []models.Stop{
			{Name: "Jiaozhou (SCO Zone)", Country: "CN", Role: "origin"},
			{Name: "Moscow", Country: "RU", Role: "destination"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	return st, clock
}

func summaryJob(st *store.Store) jobs.Job {
	return jobs.SummaryJob(st, slog.New(slog.NewTextHandler(io.Discard, nil)), "@daily")
}

// summaryRun logs a run on SCO-TJ-MOW departing at the RFC 3339 instant at
// (one a day: the number is made of the date).
func summaryRun(t *testing.T, st *store.Store, at, status string) {
	t.Helper()
	c, teu := 50, 100
	if _, err := st.CreateRun(context.Background(), store.System, models.RunInput{Route: "SCO-TJ-MOW", Number: "X" + strings.ReplaceAll(at[:10], "-", ""),
		Direction: "outbound", DepartedAt: at, Status: status, Containers: &c, TEU: &teu}); err != nil {
		t.Fatal(err)
	}
}

// summaryMonthsDesc lists the months from..to, newest first.
func summaryMonthsDesc(from, to string) []string {
	var out []string
	f, _ := time.Parse("2006-01", from)
	for m, _ := time.Parse("2006-01", to); !m.Before(f); m = m.AddDate(0, -1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}

func summaryPeriods(t *testing.T, st *store.Store) []string {
	t.Helper()
	page, err := st.ListSummaries(context.Background(), 500, "")
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, it := range page.Items {
		out = append(out, it.Period)
	}
	return out
}

// summarySnapshot is every stored summary.
func summarySnapshot(t *testing.T, st *store.Store) map[string]models.Summary {
	t.Helper()
	out := map[string]models.Summary{}
	for _, p := range summaryPeriods(t, st) {
		s, err := st.GetSummary(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = s
	}
	return out
}

// Start-up catch-up: every month with data gets its summary, months without
// counted runs get none, and the second run changes nothing.
func TestSummaryJobWritesMissingMonths(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, clock := openSummaryStore(t, time.Date(2026, 11, 26, 12, 0, 0, 0, summaryShanghai))
	months := summaryMonthsDesc("2024-01", "2024-12")
	for _, m := range months {
		summaryRun(t, st, m+"-15T09:30:00+08:00", "departed")
	}
	summaryRun(t, st, "2025-02-10T09:30:00+08:00", "planned")
	summaryRun(t, st, "2025-03-10T09:30:00+08:00", "cancelled")
	summaryRun(t, st, "2026-11-02T09:30:00+08:00", "departed") // the current month

	job := summaryJob(st)
	if job.Name != "summary" || job.Spec != "@daily" {
		t.Fatalf("job %q %q", job.Name, job.Spec)
	}
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	if got := summaryPeriods(t, st); !reflect.DeepEqual(got, months) {
		t.Fatalf("summaries %v, want %v", got, months)
	}
	first := summarySnapshot(t, st)
	for p, s := range first {
		if s.Figures.Month.Runs != 1 || !s.GeneratedAt.Equal(clock.Now()) {
			t.Errorf("%s: %d runs, generated at %s", p, s.Figures.Month.Runs, s.GeneratedAt)
		}
		n := strings.TrimPrefix(p[5:], "0")
		if !strings.Contains(s.TextZh, "2024年"+n+"月，上合示范区开行中欧班列1列") {
			t.Errorf("%s: text_zh %q", p, s.TextZh)
		}
	}

	clock.Set(clock.Now().Add(48 * time.Hour))
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	if again := summarySnapshot(t, st); !reflect.DeepEqual(again, first) {
		t.Fatalf("the second run changed the summaries")
	}
}

// Every month with data is written, however old: 30 months, the oldest
// two and a half years back.
func TestSummaryJobWritesEveryMonth(t *testing.T) {
	t.Parallel()
	st, _ := openSummaryStore(t, time.Date(2026, 11, 26, 12, 0, 0, 0, summaryShanghai))
	all := summaryMonthsDesc("2023-01", "2025-06")
	for _, m := range all {
		summaryRun(t, st, m+"-15T09:30:00+08:00", "departed")
	}
	if err := summaryJob(st).Run(context.Background(), store.System); err != nil {
		t.Fatal(err)
	}
	if got := summaryPeriods(t, st); !reflect.DeepEqual(got, all) {
		t.Fatalf("summaries %v, want %v", got, all)
	}
}

// Shortly after a month ends in the reporting zone the job writes it, and
// writes it again when its figures change; the month under way is left.
func TestSummaryJobLastCompletedMonth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// 00:05 on 1 November in Shanghai is still 31 October in UTC.
	st, clock := openSummaryStore(t, time.Date(2024, 11, 1, 0, 5, 0, 0, summaryShanghai))
	summaryRun(t, st, "2024-10-12T09:30:00+08:00", "departed")
	summaryRun(t, st, "2024-10-31T16:01:00Z", "departed") // 00:01 on 1 November in Shanghai
	job := summaryJob(st)
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	if got := summaryPeriods(t, st); !reflect.DeepEqual(got, []string{"2024-10"}) {
		t.Fatalf("summaries %v, want [2024-10]", got)
	}
	oct, err := st.GetSummary(ctx, "2024-10")
	if err != nil {
		t.Fatal(err)
	}
	if oct.Figures.Month.Runs != 1 {
		t.Fatalf("October: %d runs, want 1 (the run at 00:01 on 1 November is November's)", oct.Figures.Month.Runs)
	}

	// A late entry for October: the next run rewrites October.
	summaryRun(t, st, "2024-10-20T09:30:00+08:00", "departed")
	clock.Set(clock.Now().Add(time.Hour))
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	again, err := st.GetSummary(ctx, "2024-10")
	if err != nil {
		t.Fatal(err)
	}
	if again.Figures.Month.Runs != 2 || !again.GeneratedAt.Equal(clock.Now()) {
		t.Fatalf("October after a late entry: %d runs, generated at %s; want 2 at %s", again.Figures.Month.Runs, again.GeneratedAt, clock.Now())
	}
	if !strings.Contains(again.TextZh, "开行中欧班列2列") || !strings.Contains(again.TextEn, "ran 2 China–Europe trains") {
		t.Fatalf("texts not rewritten:\n%s\n%s", again.TextZh, again.TextEn)
	}
}

// A summary written by a server that gathered fewer figures (here: no
// corridors, no directions) is rewritten in the new wording under the same
// revision: the figures both quote are unchanged, so nothing was corrected.
// A change in one of those figures is a revision.
func TestSummaryJobNewWordingIsNoRevision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, clock := openSummaryStore(t, time.Date(2024, 11, 3, 9, 0, 0, 0, summaryShanghai))
	summaryRun(t, st, "2024-10-12T09:30:00+08:00", "departed")
	job := summaryJob(st)
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	written, err := st.GetSummary(ctx, "2024-10")
	if err != nil {
		t.Fatal(err)
	}
	// As an older server stored it: figures without the newer keys, texts
	// without the laden ratio, another hash.
	var fig map[string]any
	if err := json.Unmarshal(mustJSON(t, written.Figures), &fig); err != nil {
		t.Fatal(err)
	}
	delete(fig, "corridors")
	delete(fig, "directions")
	oldZh := strings.Replace(written.TextZh, "，综合重箱率100%", "", 1)
	if oldZh == written.TextZh {
		t.Fatalf("text_zh has no laden ratio to remove:\n%s", written.TextZh)
	}
	if err := st.DB().Exec("UPDATE summaries SET figures = ?, text_zh = ?, hash = 'older' WHERE period = '2024-10'", string(mustJSON(t, fig)), oldZh).Error; err != nil {
		t.Fatal(err)
	}
	clock.Set(clock.Now().Add(24 * time.Hour))
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	again, err := st.GetSummary(ctx, "2024-10")
	if err != nil {
		t.Fatal(err)
	}
	if again.Revision != 1 || again.RevisedAt != nil || again.TextZh != written.TextZh || !again.GeneratedAt.Equal(clock.Now()) {
		t.Fatalf("after a new wording: revision %d, revised_at %v, generated %s, text_zh\n%s", again.Revision, again.RevisedAt, again.GeneratedAt, again.TextZh)
	}
	if revs, err := st.SummaryRevisions(ctx, "2024-10"); err != nil || len(revs.Items) != 0 {
		t.Fatalf("revisions %+v, %v; want none", revs, err)
	}

	// A figure both quote changed: a revision.
	summaryRun(t, st, "2024-10-20T09:30:00+08:00", "departed")
	clock.Set(clock.Now().Add(24 * time.Hour))
	if err := job.Run(ctx, store.System); err != nil {
		t.Fatal(err)
	}
	rev, err := st.GetSummary(ctx, "2024-10")
	if err != nil {
		t.Fatal(err)
	}
	if rev.Revision != 2 || rev.RevisedAt == nil || !rev.RevisedAt.Equal(clock.Now()) || !strings.HasSuffix(rev.TextEn, "(Revised on 5 November 2024 after corrections to the data: 2 trains in October, not 1.)") {
		t.Fatalf("after a late run: revision %d, revised_at %v, text_en\n%s", rev.Revision, rev.RevisedAt, rev.TextEn)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
