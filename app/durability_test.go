package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
)

// buildBinary builds banlie once per test into its temp directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "banlie")
	cmd := exec.Command("go", "build", "-o", bin, "banlie")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// startServer starts `banlie serve` as a child process and answers its
// address once it listens.
func startServer(t *testing.T, bin, db string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--rate-limit", "0"}, extra...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addrc <- line.Addr
			}
		}
	}()
	select {
	case addr := <-addrc:
		waitReady(t, addr)
		return cmd, addr
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not start listening")
	}
	return nil, ""
}

func runCLI(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("banlie %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// streamRuns posts runs from several clients until stop is closed and
// answers the ids of those acknowledged with 201.
func streamRuns(addr, token string, stop <-chan struct{}, acked func(id int64)) (wait func()) {
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				dep := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c*100000+i) * time.Minute)
				body := fmt.Sprintf(`{"route":"SCO-TJ-MOW","number":"C%d-%d","direction":"outbound","departed_at":%q,"containers":50,"teu":100}`, c, i, dep.Format(time.RFC3339))
				req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/runs", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					continue // the server is gone: not acknowledged
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode == 201 {
					var r struct{ ID int64 }
					if json.Unmarshal(b, &r) == nil {
						acked(r.ID)
					}
				}
			}
		}()
	}
	return wg.Wait
}

const routeJSON = `{"code":"SCO-TJ-MOW","name":"SCO Zone – Tongjiang – Moscow","mode":"rail","stops":[{"name":"Jiaozhou","country":"CN","role":"origin"},{"name":"Moscow","country":"RU","locode":"RUMOW","role":"destination"}]}`

func post(t *testing.T, addr, token, path, body string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
	}
}

func integrityOK(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path, store.Options{Synchronous: "FULL"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	var res string
	if err := db.Raw("PRAGMA integrity_check").Scan(&res).Error; err != nil || res != "ok" {
		t.Fatalf("integrity_check of %s: %q %v", path, res, err)
	}
}

// TestCrashLosesNoAcknowledgedRun kills the server with SIGKILL while
// clients stream runs, restarts it, and finds every acknowledged run, its
// event on the stream, and its webhook delivered.
func TestCrashLosesNoAcknowledgedRun(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "crash.db")
	runCLI(t, bin, "migrate", "--db", db)
	admin := strings.TrimSpace(runCLI(t, bin, "token", "create", "--role", "admin", "--name", "ops", "--db", db))
	if !strings.HasPrefix(admin, models.TokenPrefix) || strings.Contains(admin, "\n") {
		t.Fatalf("token create printed %q, want the token alone", admin)
	}
	srv, addr := startServer(t, bin, db, "--webhook-allow-private")
	post(t, addr, admin, "/api/v1/routes", routeJSON)
	// A receiver of run.created webhooks, in this process: it survives the
	// server's crash. It records each run once (a webhook-id seen again is
	// a retry).
	var hmu sync.Mutex
	delivered := map[int64]bool{}
	seenIDs := map[string]bool{}
	got := make(chan struct{}, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct{ Data struct{ ID int64 } }
		if json.Unmarshal(body, &ev) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		hmu.Lock()
		if id := r.Header.Get("webhook-id"); !seenIDs[id] {
			seenIDs[id] = true
			delivered[ev.Data.ID] = true
		}
		hmu.Unlock()
		select {
		case got <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(receiver.Close)
	post(t, addr, admin, "/api/v1/webhooks", fmt.Sprintf(`{"url":%q,"events":["run.created"]}`, receiver.URL))

	var mu sync.Mutex
	acked := map[int64]bool{}
	enough := make(chan struct{})
	stop := make(chan struct{})
	wait := streamRuns(addr, admin, stop, func(id int64) {
		mu.Lock()
		acked[id] = true
		if len(acked) == 300 {
			close(enough)
		}
		mu.Unlock()
	})
	select {
	case <-enough:
	case <-time.After(120 * time.Second):
		t.Fatal("300 runs were not acknowledged in time")
	}
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	close(stop)
	wait()
	mu.Lock()
	defer mu.Unlock()

	_, addr = startServer(t, bin, db, "--webhook-allow-private")
	for id := range acked {
		res, err := http.Get(fmt.Sprintf("http://%s/api/v1/runs/%d", addr, id))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("run %d was acknowledged before the crash but answers %d after it", id, res.StatusCode)
		}
	}
	t.Logf("%d acknowledged runs, all present after SIGKILL and restart", len(acked))

	// The outbox lost none of them and announced nothing that did not
	// commit: reading the stream from the start, up to a run logged after
	// the restart, gives a run.created for every acknowledged run, and
	// every run it announces exists.
	post(t, addr, admin, "/api/v1/runs", `{"route":"SCO-TJ-MOW","number":"MARK","direction":"outbound","departed_at":"2023-06-01T00:00:00Z","containers":1,"teu":1}`)
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/stream", nil)
	req.Header.Set("Last-Event-ID", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	announced := map[int64]bool{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Type string
			Data struct {
				ID     int64
				Number string
			}
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event data %q: %v", line, err)
		}
		if ev.Type != models.EventRunCreated {
			continue
		}
		if ev.Data.Number == "MARK" {
			break
		}
		announced[ev.Data.ID] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	for id := range acked {
		if !announced[id] {
			t.Errorf("run %d was acknowledged before the crash but never announced", id)
		}
	}
	for id := range announced {
		r, err := http.Get(fmt.Sprintf("http://%s/api/v1/runs/%d", addr, id))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 {
			t.Errorf("run %d was announced but answers %d", id, r.StatusCode)
		}
	}
	t.Logf("%d runs announced, every acknowledged one among them", len(announced))

	// The webhook: every announced run (the MARK run included) is
	// delivered after the restart, and nothing else.
	deadline := time.After(90 * time.Second)
	for {
		hmu.Lock()
		missing := 0
		for id := range announced {
			if !delivered[id] {
				missing++
			}
		}
		n := len(delivered)
		hmu.Unlock()
		if missing == 0 && n >= len(announced)+1 {
			break
		}
		select {
		case <-got:
		case <-deadline:
			t.Fatalf("after the restart the receiver has %d runs; %d announced runs are missing", n, missing)
		}
	}
	hmu.Lock()
	for id := range delivered {
		if !announced[id] {
			r, err := http.Get(fmt.Sprintf("http://%s/api/v1/runs/%d", addr, id))
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Errorf("run %d was delivered by webhook but answers %d", id, r.StatusCode)
			}
		}
	}
	t.Logf("%d runs delivered by webhook across the crash (duplicates dropped by webhook-id)", len(delivered))
	hmu.Unlock()
	integrityOK(t, db)
}

// TestBackupWhileWriting takes a backup while runs stream in: the copy is
// sound and holds every run acknowledged before the backup began.
func TestBackupWhileWriting(t *testing.T) {
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := st.CreateToken(ctx, store.System, "ops", "admin")
	if err != nil {
		t.Fatal(err)
	}
	store.Close(st.DB())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, quiet, ServeHooks{Listening: func(a string) { addrc <- a }}) }()
	addr := <-addrc
	waitReady(t, addr)
	post(t, addr, admin, "/api/v1/routes", routeJSON)

	var mu sync.Mutex
	acked := map[int64]bool{}
	enough := make(chan struct{})
	stop := make(chan struct{})
	wait := streamRuns(addr, admin, stop, func(id int64) {
		mu.Lock()
		acked[id] = true
		if len(acked) == 200 {
			close(enough)
		}
		mu.Unlock()
	})
	<-enough
	mu.Lock()
	before := make([]int64, 0, len(acked))
	for id := range acked {
		before = append(before, id)
	}
	mu.Unlock()
	out := filepath.Join(t.TempDir(), "backup.db")
	if err := Backup(context.Background(), cfg, out); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	integrityOK(t, out)
	bcfg := cfg
	bcfg.DB = out
	bdb, err := openDB(bcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(bdb)
	bstore := store.NewStore(bdb, cfg.Loc, nil)
	for _, id := range before {
		if _, err := bstore.GetRun(context.Background(), id); err != nil {
			t.Errorf("run %d, acknowledged before the backup began, is not in it: %v", id, err)
		}
	}
	if err := Backup(context.Background(), cfg, out); err == nil {
		t.Fatal("a backup over an existing file must be refused")
	}
}
