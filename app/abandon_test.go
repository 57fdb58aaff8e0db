package app

import (
	"banlie/store/storetest"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"banlie/jobs"
	"banlie/models"
	"banlie/store"
)

type recordedRun struct {
	ID         int64
	Status     string
	FinishedAt *string `json:"finished_at"`
	Error      *string
	Instance   string
}

func jobRuns(t *testing.T, addr, job string) []recordedRun {
	t.Helper()
	res, err := http.Get("http://" + addr + "/api/v1/jobs/" + job + "/runs")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var page struct{ Items []recordedRun }
	if res.StatusCode != 200 || json.Unmarshal(b, &page) != nil {
		t.Fatalf("runs of %s: %d %s", job, res.StatusCode, b)
	}
	return page.Items
}

// Runs that a killed process left running (as its rows stay: running, no
// end) are marked abandoned when banlie serve next starts on the database.
func TestRunsLeftRunningAbandonedAtStart(t *testing.T) {
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	// Four runs, as kill -9 left them in the issue.
	for _, job := range []string{"rollup", "rollup", "summary", "rebuild"} {
		if _, _, err := st.ClaimJobRun(ctx, store.System, job, nil, "deadhost-4242"); err != nil {
			t.Fatal(err)
		}
	}
	store.Close(st.DB())

	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, quiet, ServeHooks{Listening: func(a string) { addrc <- a }}) }()
	addr := <-addrc
	waitReady(t, addr)
	abandoned := 0
	for _, job := range []string{"rollup", "summary", "rebuild"} {
		for _, r := range jobRuns(t, addr, job) {
			switch {
			case r.Instance == "deadhost-4242":
				if r.Status != models.JobAbandoned || r.FinishedAt == nil || r.Error == nil {
					t.Errorf("%s run %d left by the dead process: %+v", job, r.ID, r)
				}
				abandoned++
			case r.Status == models.JobRunning:
				// Only the live server's own runs may be under way.
			case r.Status != models.JobOK:
				t.Errorf("%s run %d of this server: %+v", job, r.ID, r)
			}
		}
	}
	if abandoned != 4 {
		t.Fatalf("%d runs of the dead process listed, want 4", abandoned)
	}
	if got := jobRuns(t, addr, "rollup")[0]; got.Instance == "deadhost-4242" || got.Status != models.JobOK {
		t.Fatalf("newest roll-up %+v, want the start-up one, ok", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// On PostgreSQL, a real banlie serve is killed (kill -9) while its start-up
// roll-up runs; another instance sharing the database marks the run
// abandoned once its lease lapses (no heartbeat renews it), and not before.
func TestLapsedLeaseAbandonedByAnotherInstance(t *testing.T) {
	dsn, drop, err := storetest.CreateScratchDatabase(storetest.TestPostgresURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is needed for this test: %v", err)
		}
		t.Skipf("no PostgreSQL at %s: %v", storetest.TestPostgresURL(), err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	cfg := Config{DB: dsn, TZ: "Asia/Shanghai", Synchronous: "FULL"}
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(st.DB())
	// Hold the roll-up's lock from another session: the server's start-up
	// roll-up starts (its run is recorded) and waits.
	sqlDB, _ := st.DB().DB()
	lockConn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lockConn.Close()
	if _, err := lockConn.ExecContext(ctx, `SELECT pg_advisory_lock(7262)`); err != nil {
		t.Fatal(err)
	}

	bin := buildBinary(t)
	cmd := exec.Command(bin, "serve", "--db", dsn, "--addr", "127.0.0.1:0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var left *models.JobRun
	for deadline := time.Now().Add(60 * time.Second); left == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the server's start-up roll-up was never recorded")
		}
		last, _, err := st.LastJobRun(ctx, jobs.NameRollup)
		if err != nil {
			t.Fatal(err)
		}
		if last.Status == models.JobRunning {
			left = &last
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := lockConn.ExecContext(ctx, `SELECT pg_advisory_unlock(7262)`); err != nil {
		t.Fatal(err)
	}

	// Another instance, with a lease of a second.
	other := jobs.New(st, quiet)
	other.Heartbeat, other.Lease = 100*time.Millisecond, time.Second
	other.Start()
	defer other.Stop()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the killed instance's run was never marked abandoned")
		}
		last, _, err := st.LastJobRun(ctx, jobs.NameRollup)
		if err != nil {
			t.Fatal(err)
		}
		if last.ID != left.ID {
			t.Fatalf("newest roll-up run %d, want %d", last.ID, left.ID)
		}
		if last.Status == models.JobAbandoned {
			if last.Error == nil || last.FinishedAt == nil {
				t.Fatalf("abandoned run %+v", last)
			}
			break
		}
		if last.Status != models.JobRunning {
			t.Fatalf("run left by the killed instance: %+v", last)
		}
	}
	// Not before its lease lapsed: its heartbeat was last renewed at its
	// claim at the earliest.
	final, _, err := st.LastJobRun(ctx, jobs.NameRollup)
	if err != nil {
		t.Fatal(err)
	}
	if final.FinishedAt.Sub(left.StartedAt) < other.Lease {
		t.Fatalf("abandoned at %v, less than a lease after it started at %v", final.FinishedAt, left.StartedAt)
	}
}
