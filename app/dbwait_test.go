package app

import (
	"banlie/store"
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeGivesUpAfterDBWait: with nothing listening at the database's
// address, serve retries for --db-wait and then fails saying so.
func TestServeGivesUpAfterDBWait(t *testing.T) {
	var errb bytes.Buffer
	start := time.Now()
	err := Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db-wait", "2s",
		"--db", "postgres://postgres@127.0.0.1:1/banlie?sslmode=disable&connect_timeout=1"}, &bytes.Buffer{}, &errb)
	took := time.Since(start)
	if err == nil {
		t.Fatal("serve started without a database")
	}
	if !strings.Contains(err.Error(), "not reachable after waiting 2s") {
		t.Errorf("error does not say it waited: %v", err)
	}
	if took < 2*time.Second || took > 6*time.Second {
		t.Errorf("gave up after %s, want about the 2s bound", took)
	}
	retries := strings.Count(errb.String(), "database not reachable yet; retrying")
	if retries < 2 {
		t.Errorf("%d retries logged, want several:\n%s", retries, errb.String())
	}
	if strings.Contains(errb.String(), "listening") {
		t.Error("serve listened without a database")
	}
}

// signalWriter is a log destination that closes seen when a line contains want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestDBWaitSucceedsWhenTheDatabaseAppears: the SQLite file's folder does not
// exist at first; it is created once the first failed attempt is logged, and
// the open that was waiting succeeds.
func TestDBWaitSucceedsWhenTheDatabaseAppears(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "later")
	cfg := testConfig(t)
	cfg.DB = filepath.Join(dir, "banlie.db")
	cfg.DBWait = 30 * time.Second
	w := &signalWriter{want: "database not reachable yet; retrying", seen: make(chan struct{})}
	log := slog.New(slog.NewJSONHandler(w, nil))
	mkdirErr := make(chan error, 1)
	go func() {
		select {
		case <-w.seen:
			mkdirErr <- os.Mkdir(dir, 0o755)
		case <-time.After(30 * time.Second):
			mkdirErr <- nil
		}
	}()
	start := time.Now()
	st, err := openStore(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("open while waiting: %v\n%s", err, w.String())
	}
	defer store.Close(st.DB())
	if err := <-mkdirErr; err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 15*time.Second {
		t.Errorf("took %s to notice the database", time.Since(start))
	}
	if !strings.Contains(w.String(), `"msg":"database reachable"`) {
		t.Errorf("no log line for the successful attempt:\n%s", w.String())
	}
	if err := store.Ready(context.Background(), st.DB()); err != nil {
		t.Fatalf("database opened but not migrated: %v", err)
	}
}
