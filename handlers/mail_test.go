package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
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

	"github.com/prometheus/client_golang/prometheus"

	"banlie/jobs"
	"banlie/store"
)

// Mail is tested against a real SMTP server, Mailpit: its HTTP API says
// what it received.

// mailpitBin finds Mailpit: $BANLIE_MAILPIT, the CI cache, or PATH. Under
// CI=true a missing Mailpit fails the test; elsewhere it skips it.
func mailpitBin(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("BANLIE_MAILPIT"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("BANLIE_MAILPIT=%s: %v", p, err)
		}
		return p
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	if p := filepath.Join(cache, "banlie-ci", "mailpit-v1.33.1", "mailpit"); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	msg := "Mailpit not found (set BANLIE_MAILPIT, or: GOBIN=$HOME/.cache/banlie-ci/mailpit-v1.33.1 go install github.com/axllent/mailpit@v1.33.1)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// freePort answers a loopback port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type mailpit struct {
	smtpPort int
	api      string
}

// startMailpit runs Mailpit with its SMTP server on smtpPort (any AUTH
// accepted, without TLS) until the test ends, once its API answers.
func startMailpit(t testing.TB, bin string, smtpPort int) *mailpit {
	t.Helper()
	httpPort := freePort(t)
	cmd := exec.Command(bin, "--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort), "--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--database", filepath.Join(t.TempDir(), "mailpit.db"), "--quiet")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	m := &mailpit{smtpPort: smtpPort, api: "http://127.0.0.1:" + strconv.Itoa(httpPort)}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get(m.api + "/api/v1/messages"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(smtpPort)); err == nil {
					c.Close()
					return m
				}
			}
		}
		select {
		case <-exited:
			t.Fatalf("mailpit exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not answer within 20 s: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type mpAddr struct {
	Name, Address string
}

type mpSummary struct {
	ID      string
	To      []mpAddr
	Subject string
}

type mpMessage struct {
	ID      string
	From    mpAddr
	To      []mpAddr
	Subject string
	Text    string
	HTML    string
}

func (m *mailpit) get(t testing.TB, path string, v any) {
	t.Helper()
	res, err := http.Get(m.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("mailpit %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("mailpit %s: %v: %s", path, err, b)
	}
}

func (m *mailpit) messages(t testing.TB) []mpSummary {
	t.Helper()
	var list struct{ Messages []mpSummary }
	m.get(t, "/api/v1/messages?limit=500", &list)
	return list.Messages
}

// waitFor polls Mailpit until it holds a message to each address whose
// subject contains subject, and answers them by address.
func (m *mailpit) waitFor(t testing.TB, subject string, to ...string) map[string]mpSummary {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := map[string]mpSummary{}
		for _, s := range m.messages(t) {
			if strings.Contains(s.Subject, subject) && len(s.To) == 1 {
				got[s.To[0].Address] = s
			}
		}
		all := true
		for _, a := range to {
			if _, ok := got[a]; !ok {
				all = false
			}
		}
		if all {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, mail with %q to %v: got %v", subject, to, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (m *mailpit) message(t testing.TB, id string) (mpMessage, map[string][]string) {
	t.Helper()
	var msg mpMessage
	m.get(t, "/api/v1/message/"+id, &msg)
	var h map[string][]string
	m.get(t, "/api/v1/message/"+id+"/headers", &h)
	return msg, h
}

// startMailer runs a mailer on st through smtp://…@127.0.0.1:port until
// the test ends (or until the stop it answers is called), with links under
// base.
func startMailer(t testing.TB, st *store.Store, port int, base string) (*jobs.Mailer, func()) {
	t.Helper()
	srv, err := jobs.ParseSMTPURL(fmt.Sprintf("smtp://banlie:s3cret@127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	cfg := jobs.MailConfig{Server: srv, From: "banlie@example.com", PublicURL: base,
		Timeout: 5 * time.Second, Backoff: 20 * time.Millisecond, Poll: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	m := jobs.NewMailer(st, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	go func() { defer close(done); m.Run(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stop)
	return m, stop
}

type subscriberJSON struct {
	ID       int64    `json:"id"`
	Address  string   `json:"address"`
	Language string   `json:"language"`
	Events   []string `json:"events"`
	Active   bool     `json:"active"`
}

func createSubscriber(t testing.TB, ts *testServer, body map[string]any) subscriberJSON {
	t.Helper()
	var s subscriberJSON
	ts.mustDo(t, 201, "POST", "/api/v1/subscribers", body).decode(t, &s)
	return s
}

func listSubscribers(t testing.TB, ts *testServer) []subscriberJSON {
	t.Helper()
	var page struct {
		Items []subscriberJSON `json:"items"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/subscribers", nil).decode(t, &page)
	return page.Items
}

func TestMailSummaryToSubscribers(t *testing.T) {
	t.Parallel()
	testMailSummary(t, newTestServer(t))
}

func TestMailSummaryToSubscribersPG(t *testing.T) {
	t.Parallel()
	testMailSummary(t, newTestServerPG(t))
}

func testMailSummary(t *testing.T, ts *testServer) {
	mp := startMailpit(t, mailpitBin(t), freePort(t))
	startMailer(t, ts.Store, mp.smtpPort, ts.URL)
	zh := createSubscriber(t, ts, map[string]any{"address": "Zhang San <zhang@example.com>", "language": "zh", "events": []string{"*"}})
	if zh.Address != "zhang@example.com" || !zh.Active {
		t.Fatalf("created %+v", zh)
	}
	createSubscriber(t, ts, map[string]any{"address": "anna@example.org", "language": "en", "events": []string{"summary.published", "summary.revised"}})
	createSubscriber(t, ts, map[string]any{"address": "both@example.net", "language": "both", "events": []string{"summary.published"}})
	// Not subscribed to summaries, or inactive: not mailed.
	createSubscriber(t, ts, map[string]any{"address": "milestones@example.com", "language": "en", "events": []string{"milestone.reached"}})
	createSubscriber(t, ts, map[string]any{"address": "off@example.com", "language": "en", "events": []string{"*"}, "active": false})

	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8024", "2026-10-03T10:00:00+08:00"))
	sum := sumGenerate(t, ts, "2026-10")

	got := mp.waitFor(t, "2026", "zhang@example.com", "anna@example.org", "both@example.net")
	if n := len(mp.messages(t)); n != 3 {
		t.Fatalf("%d messages, want 3: %v", n, mp.messages(t))
	}
	unsubscribe := ""
	for addr, want := range map[string]struct{ subject, text, lang string }{
		"zhang@example.com": {"上合示范区中欧班列月报 2026年10月", sum.TextZh, "zh"},
		"anna@example.org":  {"SCO Zone China–Europe trains: October 2026 summary", sum.TextEn, "en"},
		"both@example.net":  {"上合示范区中欧班列月报 2026年10月 / SCO Zone China–Europe trains: October 2026 summary", sum.TextZh, "zh"},
	} {
		msg, h := mp.message(t, got[addr].ID)
		// Lines end in CRLF on the wire.
		msg.Text, msg.HTML = strings.ReplaceAll(msg.Text, "\r\n", "\n"), strings.ReplaceAll(msg.HTML, "\r\n", "\n")
		if msg.Subject != want.subject {
			t.Errorf("%s: subject %q, want %q", addr, msg.Subject, want.subject)
		}
		if msg.From.Address != "banlie@example.com" || len(msg.To) != 1 || msg.To[0].Address != addr {
			t.Errorf("%s: from %v to %v", addr, msg.From, msg.To)
		}
		if !strings.Contains(msg.Text, strings.TrimSpace(want.text)) {
			t.Errorf("%s: text part lacks the summary text:\n%s", addr, msg.Text)
		}
		if addr == "both@example.net" && !strings.Contains(msg.Text, strings.TrimSpace(sum.TextEn)) {
			t.Errorf("%s: text part lacks the English text:\n%s", addr, msg.Text)
		}
		// The HTML part is the page ?format=html renders, chart included.
		page := ts.mustDo(t, 200, "GET", "/api/v1/summaries/2026-10?format=html&lang="+want.lang, nil)
		if strings.TrimSpace(msg.HTML) != strings.TrimSpace(string(page.Body)) || !strings.Contains(msg.HTML, "<svg") {
			t.Errorf("%s: HTML part is not the page (%d bytes vs %d)", addr, len(msg.HTML), len(page.Body))
		}
		lu := first(h["List-Unsubscribe"])
		if !strings.HasPrefix(lu, "<"+ts.URL+"/api/v1/unsubscribe/") || !strings.HasSuffix(lu, ">") {
			t.Errorf("%s: List-Unsubscribe %q", addr, lu)
		}
		if first(h["List-Unsubscribe-Post"]) != "List-Unsubscribe=One-Click" {
			t.Errorf("%s: List-Unsubscribe-Post %q", addr, h["List-Unsubscribe-Post"])
		}
		ct := first(h["Content-Type"])
		if !strings.HasPrefix(ct, "multipart/alternative;") {
			t.Errorf("%s: Content-Type %q", addr, ct)
		}
		for _, k := range []string{"Date", "Message-ID", "MIME-Version"} {
			if len(headerFold(h, k)) == 0 {
				t.Errorf("%s: no %s header: %v", addr, k, h)
			}
		}
		if addr == "zhang@example.com" {
			unsubscribe = strings.Trim(lu, "<>")
		}
	}

	// The one-click link, without a token: the subscriber is gone.
	req, _ := http.NewRequest("POST", unsubscribe, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("unsubscribe: %d", res.StatusCode)
	}
	for _, s := range listSubscribers(t, ts) {
		if s.Address == "zhang@example.com" {
			t.Fatalf("still subscribed: %+v", s)
		}
	}
	token := strings.TrimPrefix(unsubscribe, ts.URL+"/api/v1/unsubscribe/")
	ts.do(t, "POST", "/api/v1/unsubscribe/"+token, nil).problem(t, 404)
	var audit struct {
		Items []struct {
			Action string `json:"action"`
			Actor  string `json:"actor"`
		} `json:"items"`
	}
	ts.mustDo(t, 200, "GET", "/api/v1/audit", nil).decode(t, &audit)
	if len(audit.Items) == 0 || audit.Items[0].Action != "subscribers.unsubscribe" {
		t.Fatalf("audit: %+v", audit.Items)
	}

	// The next summary reaches the others, not the address that left.
	createRun(t, ts, runBody("SCO-TJ-MOW", "X8025", "2026-09-03T10:00:00+08:00"))
	sumGenerate(t, ts, "2026-09")
	next := mp.waitFor(t, "9月", "both@example.net")
	mp.waitFor(t, "September 2026", "anna@example.org")
	if _, ok := next["zhang@example.com"]; ok {
		t.Fatal("mailed after unsubscribing")
	}
	if n := len(mp.messages(t)); n != 5 {
		t.Fatalf("%d messages, want 5", n)
	}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// headerFold finds a header whatever its case.
func headerFold(h map[string][]string, k string) []string {
	for name, v := range h {
		if strings.EqualFold(name, k) {
			return v
		}
	}
	return nil
}

// SMTP down: the write succeeds at once, and the message is sent once the
// server answers.
func TestMailRetriedWhileSMTPDown(t *testing.T) {
	t.Parallel()
	bin := mailpitBin(t)
	ts := newTestServer(t)
	port := freePort(t) // nothing listens there yet
	startMailer(t, ts.Store, port, ts.URL)
	createSubscriber(t, ts, map[string]any{"address": "late@example.com", "language": "en", "events": []string{"*"}})
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X1", "2026-10-03T10:00:00+08:00"))
	start := time.Now()
	sumGenerate(t, ts, "2026-10")
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the write took %v with the SMTP server down", took)
	}
	// Wait for a failed attempt to be recorded, then start the server.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var attempts int
		if err := ts.Store.DB().Raw(`SELECT COALESCE(MAX(attempts), 0) FROM mail_deliveries WHERE status = 'pending' AND last_error IS NOT NULL`).Scan(&attempts).Error; err != nil {
			t.Fatal(err)
		}
		if attempts > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no failed attempt recorded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mp := startMailpit(t, bin, port)
	mp.waitFor(t, "October 2026", "late@example.com")
}

// Subscribers: validation, PATCH, DELETE, admin only.
func TestSubscribersCRUD(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, bad := range []map[string]any{
		{"address": "not an address", "language": "zh", "events": []string{"*"}},
		{"address": "a@example.com, b@example.com", "language": "zh", "events": []string{"*"}},
		{"address": strings.Repeat("a", 250) + "@example.com", "language": "zh", "events": []string{"*"}},
		{"address": "a@example.com", "language": "fr", "events": []string{"*"}},
		{"address": "a@example.com", "language": "zh", "events": []string{"run.created"}},
		{"address": "a@example.com", "language": "zh", "events": []string{}},
	} {
		ts.do(t, "POST", "/api/v1/subscribers", bad).problem(t, 422)
	}
	ts.do(t, "POST", "/api/v1/subscribers", map[string]any{"address": "a@example.com", "language": "zh", "events": []string{"*"}, "token": "x"}).problem(t, 400)
	s := createSubscriber(t, ts, map[string]any{"address": "a@example.com", "language": "zh", "events": []string{"*"}})
	res := ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/subscribers/%d", s.ID), nil)
	if strings.Contains(string(res.Body), "token") {
		t.Fatalf("the token is shown: %s", res.Body)
	}
	ts.mustDo(t, 200, "HEAD", fmt.Sprintf("/api/v1/subscribers/%d", s.ID), nil)
	ts.mustDo(t, 200, "HEAD", "/api/v1/subscribers", nil)
	var patched subscriberJSON
	ts.mustDo(t, 200, "PATCH", fmt.Sprintf("/api/v1/subscribers/%d", s.ID), map[string]any{"language": "both", "active": false}).decode(t, &patched)
	if patched.Language != "both" || patched.Active || patched.Address != "a@example.com" {
		t.Fatalf("patched %+v", patched)
	}
	ts.do(t, "PATCH", fmt.Sprintf("/api/v1/subscribers/%d", s.ID), map[string]any{"events": []string{"nope"}}).problem(t, 422)
	// Admins only.
	for _, tok := range []string{ts.Viewer, ts.Operator} {
		ts.do(t, "GET", "/api/v1/subscribers", nil, "Authorization", "Bearer "+tok).problem(t, 403)
	}
	ts.mustDo(t, 204, "DELETE", fmt.Sprintf("/api/v1/subscribers/%d", s.ID), nil)
	ts.do(t, "GET", fmt.Sprintf("/api/v1/subscribers/%d", s.ID), nil).problem(t, 404)
	ts.do(t, "GET", "/api/v1/unsubscribe/nope", nil).problem(t, 404)

	// The link opened: GET and HEAD only ask to confirm (a mail scanner
	// opening links unsubscribes no one); the page's button POSTs, as a
	// browser does (asking for HTML), and that ends it, no token needed.
	b := createSubscriber(t, ts, map[string]any{"address": "b@example.com", "language": "en", "events": []string{"*"}})
	var token string
	if err := ts.Store.DB().Raw(`SELECT token FROM subscribers WHERE id = ?`, b.ID).Scan(&token).Error; err != nil || len(token) < 30 {
		t.Fatalf("token %q: %v", token, err)
	}
	ts.mustDo(t, 200, "HEAD", "/api/v1/unsubscribe/"+token, nil, "Authorization", "")
	page := ts.mustDo(t, 200, "GET", "/api/v1/unsubscribe/"+token, nil, "Authorization", "")
	if !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page.Body), `<form method="post">`) {
		t.Fatalf("page %s %s", page.Header.Get("Content-Type"), page.Body)
	}
	ts.mustDo(t, 200, "GET", fmt.Sprintf("/api/v1/subscribers/%d", b.ID), nil)
	done := ts.mustDo(t, 200, "POST", "/api/v1/unsubscribe/"+token, nil, "Authorization", "", "Accept", "text/html,application/xhtml+xml")
	if !strings.HasPrefix(done.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(done.Body), "Unsubscribed") {
		t.Fatalf("after the button: %s %s", done.Header.Get("Content-Type"), done.Body)
	}
	ts.do(t, "GET", fmt.Sprintf("/api/v1/subscribers/%d", b.ID), nil).problem(t, 404)
	ts.do(t, "GET", "/api/v1/unsubscribe/"+token, nil, "Authorization", "").problem(t, 404)
}

// A target reached: a short notice per language, to those subscribed.
func TestMailMilestoneNotices(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	mp := startMailpit(t, mailpitBin(t), freePort(t))
	startMailer(t, ts.Store, mp.smtpPort, ts.URL)
	createSubscriber(t, ts, map[string]any{"address": "zh@example.com", "language": "zh", "events": []string{"target.reached"}})
	createSubscriber(t, ts, map[string]any{"address": "en@example.com", "language": "en", "events": []string{"milestone.reached", "target.reached"}})
	createSubscriber(t, ts, map[string]any{"address": "sums@example.com", "language": "en", "events": []string{"summary.published"}})
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	sumRun(t, ts, "SCO-TJ-MOW", "X8001", "2024-09-05T09:30:00+08:00")
	sumRun(t, ts, "SCO-TJ-MOW", "X8003", "2024-10-08T09:30:00+08:00")
	sumRun(t, ts, "SCO-TJ-MOW", "X8024", "2024-10-19T07:30:00+08:00")
	sumTarget(t, ts, 2024, "runs", sumRail, 3, "年度开行3列")
	sumRollup(t, ts)

	zh := mp.waitFor(t, "年度开行3列 已达成", "zh@example.com")["zh@example.com"]
	msg, h := mp.message(t, zh.ID)
	if want := "2024年全年第3列中欧班列X8024次于2024年10月19日发出，目标“年度开行3列”达成。"; !strings.Contains(msg.Text, want) {
		t.Errorf("zh notice:\n%s\nwant %s", msg.Text, want)
	}
	if ct := first(h["Content-Type"]); !strings.HasPrefix(ct, "text/plain; charset=utf-8") || msg.HTML != "" {
		t.Errorf("notice Content-Type %q, HTML %q", ct, msg.HTML)
	}
	if !strings.HasPrefix(first(h["List-Unsubscribe"]), "<"+ts.URL+"/api/v1/unsubscribe/") {
		t.Errorf("List-Unsubscribe %q", h["List-Unsubscribe"])
	}
	// en hears both events: the target reached, and its milestone.
	deadline := time.Now().Add(30 * time.Second)
	var texts []string
	for {
		texts = texts[:0]
		for _, s := range mp.messages(t) {
			if s.To[0].Address == "en@example.com" {
				m, _ := mp.message(t, s.ID)
				texts = append(texts, m.Text)
			}
		}
		if len(texts) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"The year's 3rd China–Europe train, X8024, departed on 19 October 2024, reaching the target “年度开行3列”.",
		"Milestone “年度开行3列”: reached by China–Europe train X8024, which departed on 19 October 2024.",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("en notices lack %q:\n%s", want, all)
		}
	}
	for _, s := range mp.messages(t) {
		if s.To[0].Address == "sums@example.com" {
			t.Errorf("a summary subscriber was sent %q", s.Subject)
		}
	}
}

// Two mailers (two instances) on one PostgreSQL database: each message is
// sent once; the metrics count them.
func TestMailSentOncePG(t *testing.T) {
	t.Parallel()
	ts := newTestServerPG(t)
	mp := startMailpit(t, mailpitBin(t), freePort(t))
	var addrs []string
	for i := range 6 {
		a := fmt.Sprintf("s%d@example.com", i)
		addrs = append(addrs, a)
		createSubscriber(t, ts, map[string]any{"address": a, "language": "en", "events": []string{"*"}})
	}
	m1, stop1 := startMailer(t, ts.Store, mp.smtpPort, ts.URL)
	m2, stop2 := startMailer(t, ts.Store, mp.smtpPort, ts.URL)
	createRoute(t, ts, "SCO-TJ-MOW", nil)
	createRun(t, ts, runBody("SCO-TJ-MOW", "X1", "2026-10-03T10:00:00+08:00"))
	sumGenerate(t, ts, "2026-10")
	createRun(t, ts, runBody("SCO-TJ-MOW", "X2", "2026-09-03T10:00:00+08:00"))
	sumGenerate(t, ts, "2026-09")
	mp.waitFor(t, "October 2026", addrs...)
	mp.waitFor(t, "September 2026", addrs...)
	// Every message recorded as sent, then both stopped: nothing more
	// can be on its way.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int64
		if err := ts.Store.DB().Raw(`SELECT COUNT(*) FROM mail_deliveries WHERE status = 'sent'`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n == 12 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages recorded as sent, want 12", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop1()
	stop2()
	if n := len(mp.messages(t)); n != 12 {
		t.Fatalf("%d messages in Mailpit, want 12 (each once)", n)
	}
	sent, gauges := 0.0, 0
	for _, m := range []*jobs.Mailer{m1, m2} {
		reg := prometheus.NewRegistry()
		reg.MustRegister(m.Collectors()...)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, metric := range mf.GetMetric() {
				switch mf.GetName() {
				case "banlie_mail_messages_total":
					for _, l := range metric.GetLabel() {
						if l.GetName() == "outcome" && l.GetValue() == "sent" {
							sent += metric.GetCounter().GetValue()
						}
					}
				case "banlie_mail_messages_pending":
					gauges++
					if v := metric.GetGauge().GetValue(); v != 0 {
						t.Errorf("pending gauge %v, want 0", v)
					}
				}
			}
		}
	}
	if gauges != 2 {
		t.Errorf("%d banlie_mail_messages_pending gauges, want 2", gauges)
	}
	if sent != 12 {
		t.Errorf("banlie_mail_messages_total{outcome=sent} %v over both, want 12", sent)
	}
}
