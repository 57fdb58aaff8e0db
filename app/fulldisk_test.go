package app

import (
	"banlie/store"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A full disk, for real: the database lives on a small tmpfs that a filler
// file fills. Writes answer 503 with Retry-After, the scheduled roll-up
// fails and /readyz says so; once space is freed, the next scheduled
// roll-up makes it ready again, with no restart. Mounting needs root.
func TestFullDiskSQLite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })

	cfg := testConfig(t)
	cfg.DB = filepath.Join(dir, "banlie.db")
	cfg.RollupSchedule = "@every 1s"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pre, err := openStore(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := pre.CreateToken(ctx, store.System, "ops", "admin")
	if err != nil {
		t.Fatal(err)
	}
	store.Close(pre.DB())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, quiet, ServeHooks{Listening: func(a string) { addrc <- a }}) }()
	addr := <-addrc
	waitReady(t, addr)
	post(t, addr, admin, "/api/v1/routes", routeJSON)

	logRun := func(i int) (int, http.Header, string) {
		body := fmt.Sprintf(`{"route":"SCO-TJ-MOW","number":"F%d","direction":"outbound","departed_at":"2024-10-12T09:30:00+08:00","containers":50,"teu":100}`, i)
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/runs", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	readyz := func() (int, string) {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var p struct{ Detail string }
		b, _ := io.ReadAll(res.Body)
		json.Unmarshal(b, &p)
		return res.StatusCode, p.Detail
	}

	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()

	// The disk is full: a write fails as soon as the log has no room left.
	var st int
	var hdr http.Header
	var body string
	for i := 0; i < 500; i++ {
		if st, hdr, body = logRun(i); st != 201 {
			break
		}
	}
	if st != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(body, `"the database is full; retry later"`) {
		t.Fatalf("a write on a full disk answered %d (Retry-After %q): %s", st, hdr.Get("Retry-After"), body)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		st, detail := readyz()
		if st == 503 && strings.Contains(detail, "the last roll-up failed") && strings.Contains(detail, "the database is full") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("on a full disk /readyz still answers %d %q", st, detail)
		}
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		st, detail := readyz()
		if st == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the disk was freed /readyz still answers %d %q", st, detail)
		}
	}
	if st, _, body := logRun(100000); st != 201 {
		t.Fatalf("a write after the disk was freed: %d %s", st, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
