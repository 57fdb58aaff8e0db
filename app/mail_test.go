package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"banlie/store"
)

// The mail flags are refused clearly, and a password is never echoed.
func TestMailFlagsRefusedClearly(t *testing.T) {
	var help bytes.Buffer
	Run(context.Background(), []string{"serve", "--help"}, io.Discard, &help)
	for _, want := range []string{"-smtp-url", "BANLIE_SMTP_URL", "-mail-from", "BANLIE_MAIL_FROM", "STARTTLS"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("serve --help does not mention %s", want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--smtp-url", "http://u:hunter2@mail.example"}, "--smtp-url"},
		{[]string{"--smtp-url", "smtp://u:hunter2@mail.example/x?y"}, "--smtp-url"},
		{[]string{"--smtp-url", "smtp://u:hunter2@mail.example:587"}, "--mail-from"},
		{[]string{"--smtp-url", "smtp://u:hunter2@mail.example:587", "--mail-from", "a@b, c@d"}, "--mail-from"},
		{[]string{"--smtp-url", "smtps://u:hunter2@mail.example", "--mail-from", "banlie@example.com"}, "--public-url"},
	} {
		err := Run(context.Background(), append([]string{"serve", "--db", filepath.Join(t.TempDir(), "x.db")}, c.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: got %v, want an error naming %s without the password", c.args, err, c.want)
		}
	}
}

// lockedBuffer is a log sink a test reads while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Serve with --smtp-url starts the mailer, and stops it on shutdown; the
// password is not in the log.
func TestServeSendsMail(t *testing.T) {
	bin := os.Getenv("BANLIE_MAILPIT")
	if bin == "" {
		home, _ := os.UserHomeDir()
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			cache = filepath.Join(home, ".cache")
		}
		bin = filepath.Join(cache, "banlie-ci", "mailpit-v1.33.1", "mailpit")
		if _, err := os.Stat(bin); err != nil {
			if p, err := exec.LookPath("mailpit"); err == nil {
				bin = p
			} else if os.Getenv("CI") == "true" {
				t.Fatal("Mailpit not found (set BANLIE_MAILPIT)")
			} else {
				t.Skip("Mailpit not found (set BANLIE_MAILPIT, or: GOBIN=$HOME/.cache/banlie-ci/mailpit-v1.33.1 go install github.com/axllent/mailpit@v1.33.1)")
			}
		}
	}
	port := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	smtpPort, apiPort := port(), port()
	mp := exec.Command(bin, "--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort), "--listen", "127.0.0.1:"+strconv.Itoa(apiPort),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--database", filepath.Join(t.TempDir(), "mp.db"), "--quiet")
	if err := mp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mp.Process.Kill(); _ = mp.Wait() })
	api := "http://127.0.0.1:" + strconv.Itoa(apiPort) + "/api/v1/messages"
	// Mailpit answers once it has started: wait for its API and its SMTP port.
	for up := time.Now().Add(20 * time.Second); ; {
		res, err := http.Get(api)
		if err == nil {
			res.Body.Close()
			if c, derr := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(smtpPort)); derr == nil {
				c.Close()
				break
			}
		}
		if time.Now().After(up) {
			t.Fatalf("Mailpit did not answer within 20 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}

	cfg := testConfig(t)
	cfg.SMTPURL = "smtp://banlie:hunter2@127.0.0.1:" + strconv.Itoa(smtpPort)
	cfg.MailFrom, cfg.PublicURL = "banlie@example.com", "https://banlie.example"
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	cfg.Mail.Poll, cfg.Mail.Backoff = 20*time.Millisecond, 20*time.Millisecond
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
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, log, ServeHooks{Listening: func(a string) { addrc <- a }}) }()
	addr := <-addrc
	waitReady(t, addr)
	call := func(path, body string, want int) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
		}
	}
	call("/api/v1/subscribers", `{"address":"ops@example.com","language":"en","events":["*"]}`, 201)
	call("/api/v1/routes", `{"code":"SCO-TJ-MOW","name":"SCO Zone – Tongjiang – Moscow","mode":"rail","stops":[{"name":"Jiaozhou","country":"CN","role":"origin"},{"name":"Moscow","country":"RU","locode":"RUMOW","role":"destination"}]}`, 201)
	call("/api/v1/runs", `{"route":"SCO-TJ-MOW","number":"X1","departed_at":"2026-10-03T10:00:00+08:00","status":"departed","direction":"outbound","containers":40,"teu":80}`, 201)
	call("/api/v1/summaries/2026-10/generate", "", 200)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(api)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Messages []struct {
				Subject string
				To      []struct{ Address string }
			}
		}
		_ = json.NewDecoder(res.Body).Decode(&list)
		res.Body.Close()
		found := false
		for _, m := range list.Messages {
			if strings.Contains(m.Subject, "October 2026") && len(m.To) == 1 && m.To[0].Address == "ops@example.com" {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail after 30 s: %+v\n%s", list, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Contains(out, "hunter2") {
		t.Fatalf("the SMTP password is in the log:\n%s", out)
	}
	for _, want := range []string{"smtp://banlie:xxxxx@127.0.0.1", "mail stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}
