package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"banlie/app"

	"github.com/chromedp/chromedp"
)

// request sends a request with token and a JSON body (nil: none) and
// answers the status and the body.
func (s server) request(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// webhookReceiver answers a run.created with 200, a run.updated with 400
// (the delivery fails at once) and anything else with 500 (tried again).
// Each request's path and event type is sent on heard, if there is room.
func webhookReceiver(t *testing.T) *httptest.Server {
	recv, _ := webhookReceiverHeard(t)
	return recv
}

func webhookReceiverHeard(t *testing.T) (*httptest.Server, chan string) {
	t.Helper()
	heard := make(chan string, 64)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct{ Type string }
		_ = json.NewDecoder(r.Body).Decode(&ev)
		select {
		case heard <- r.URL.Path + " " + ev.Type:
		default:
		}
		switch ev.Type {
		case "run.created":
			fmt.Fprint(w, `{"ok":true}`)
		case "run.updated":
			http.Error(w, "no thanks", http.StatusBadRequest)
		default:
			http.Error(w, "receiver down", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(recv.Close)
	return recv, heard
}

// TestAdminWebhooks: the admin view asks for an admin token, says a 403
// and a 401 at the token, and with an admin token lists the webhooks and
// the last deliveries of each, as the API has them.
func TestAdminWebhooks(t *testing.T) {
	s := startServerWith(t, func(c *app.Config) {
		c.WebhookAllowPrivate = true   // the receiver is on 127.0.0.1
		c.Webhooks.Backoff = time.Hour // a 500 stays pending, its next try far off
	})
	recv, heard := webhookReceiverHeard(t)
	code, b := s.request(t, http.MethodPost, "/api/v1/webhooks", s.admin, map[string]any{
		"url": recv.URL + "/hook", "events": []string{"run.created", "run.updated", "run.deleted"}, "description": "ops board",
	})
	var hook1 struct{ ID int64 }
	if code != http.StatusCreated || json.Unmarshal(b, &hook1) != nil {
		t.Fatalf("creating a webhook: %d %s", code, b)
	}
	if code, b := s.request(t, http.MethodPost, "/api/v1/webhooks", s.admin, map[string]any{
		"url": recv.URL + "/off", "events": []string{"*"}, "active": false,
	}); code != http.StatusCreated {
		t.Fatalf("creating an inactive webhook: %d %s", code, b)
	}
	// A run logged, changed and deleted: three events, three deliveries.
	code, b = s.request(t, http.MethodPost, "/api/v1/runs", s.token, map[string]any{
		"route": "SCO-TJ-MOW", "number": "X9950", "direction": "outbound", "departed_at": "2024-12-30T10:00:00+08:00",
	})
	var run struct{ ID int64 }
	if code != http.StatusCreated || json.Unmarshal(b, &run) != nil {
		t.Fatalf("logging a run: %d %s", code, b)
	}
	if code, b := s.request(t, http.MethodPatch, fmt.Sprintf("/api/v1/runs/%d", run.ID), s.token, map[string]any{"cargo": "auto parts"}); code != http.StatusOK {
		t.Fatalf("changing the run: %d %s", code, b)
	}
	if code, b := s.request(t, http.MethodDelete, fmt.Sprintf("/api/v1/runs/%d", run.ID), s.token, nil); code != http.StatusNoContent {
		t.Fatalf("deleting the run: %d %s", code, b)
	}

	tb := newTab(t, 1280, 800)
	tb.do(chromedp.Navigate(s.url + "/?refresh=1&live=0&lang=en#/admin"))
	// No token: the view says what it needs and lists nothing.
	tb.wait("the request for an admin token", `document.getElementById("adm-status").textContent.includes("needs an admin token")`, 10*time.Second)
	if n := eval[int](tb, `document.querySelectorAll("#adm-hooks .hook").length`); n != 0 {
		t.Errorf("%d webhooks listed without a token", n)
	}
	if got := tb.text("nav a[data-view=admin]"); got != "Admin" {
		t.Errorf("the navigation's link: %q", got)
	}

	// An operator's token: the 403 in words, at the token.
	tb.do(chromedp.SendKeys(chromedp.ID("adm-token"), s.token), chromedp.Click(chromedp.ID("adm-show")))
	tb.wait("the 403 at the token", `document.getElementById("adm-token-err").textContent.includes("role is too low")`, 10*time.Second)
	if got := eval[string](tb, `document.getElementById("adm-token").getAttribute("aria-invalid") + " " + document.getElementById("adm-token").getAttribute("aria-describedby")`); !strings.Contains(got, "true") || !strings.Contains(got, "adm-token-err") {
		t.Errorf("the token field is not marked invalid and described by its error: %q", got)
	}
	if got := tb.text("#adm-error"); !strings.Contains(got, "403") {
		t.Errorf("the view's error: %q", got)
	}

	// An unknown token: the 401, and the token is forgotten.
	tb.do(chromedp.SendKeys(chromedp.ID("adm-token"), "bnl_wrong"), chromedp.Click(chromedp.ID("adm-show")))
	tb.wait("the 401 at the token", `document.getElementById("adm-token-err").textContent.includes("unknown or revoked")`, 10*time.Second)
	if kept := eval[bool](tb, `sessionStorage.getItem("banlie.token") !== null`); kept {
		t.Error("the refused token is still kept")
	}
	if eval[bool](tb, `!document.getElementById("signin").hidden`) {
		t.Error("the 401 of an admin read showed the sign-in form of private reads")
	}

	// The admin's token: both webhooks, and the deliveries of the first as
	// the receiver answered them, newest first.
	tb.do(chromedp.SendKeys(chromedp.ID("adm-token"), s.admin), chromedp.Click(chromedp.ID("adm-show")))
	const rows = `[...document.querySelectorAll("#adm-hooks .hook tbody tr")].map((r) => r.dataset.type + ":" + r.dataset.status).join(" ")`
	tb.wait("the three deliveries", rows+` === "run.deleted:pending run.updated:failed run.created:delivered"`, 20*time.Second)
	if got := eval[string](tb, `document.getElementById("adm-token-err").hidden + " " + document.getElementById("adm-error").hidden`); got != "true true" {
		t.Errorf("an error is still shown with the admin's token: %s %q", got, tb.text("#adm-token-err"))
	}
	hookSel := fmt.Sprintf(`#adm-hooks .hook[data-id="%d"]`, hook1.ID)
	hook := `document.querySelector(` + jsString(hookSel) + `)`
	card := eval[string](tb, hook+`.textContent`)
	for _, want := range []string{recv.URL + "/hook", "run.created", "run.updated", "run.deleted", "ops board", "active", "Last 5 deliveries"} {
		if !strings.Contains(card, want) {
			t.Errorf("the webhook's card lacks %q: %q", want, card)
		}
	}
	cells := func(status string) []string {
		return eval[[]string](tb, hook+`.querySelector('tbody tr[data-status="`+status+`"]') ? [...`+hook+`.querySelector('tbody tr[data-status="`+status+`"]').cells].map((c) => c.textContent.trim()) : []`)
	}
	// event type, status, attempts, last status, latency, next try, when, answer, action
	if c := cells("delivered"); len(c) != 9 || c[1] != "delivered" || c[2] != "1" || c[3] != "200" || !strings.HasSuffix(c[4], " ms") || c[5] != "—" || !strings.HasPrefix(c[7], "Response") || c[8] != "—" {
		t.Errorf("the delivered row: %q", c)
	}
	if c := cells("failed"); len(c) != 9 || c[1] != "failed" || c[3] != "400" || c[5] != "—" || c[8] != "Retry" {
		t.Errorf("the failed row: %q", c)
	}
	if c := cells("pending"); len(c) != 9 || c[1] != "pending" || c[3] != "500" || c[5] == "—" || c[6] == "—" {
		t.Errorf("the pending row (its next try): %q", c)
	}
	// The answer's start is folded behind a details element.
	if got := eval[string](tb, hook+`.querySelector('tbody tr[data-status="pending"] details pre').textContent`); !strings.Contains(got, "receiver down") {
		t.Errorf("the pending delivery's answer: %q", got)
	}
	off := eval[string](tb, `document.querySelector('#adm-hooks .hook[data-active="false"]').textContent`)
	for _, want := range []string{recv.URL + "/off", "disabled", "turned off by hand", "every event (*)", "No deliveries yet"} {
		if !strings.Contains(off, want) {
			t.Errorf("the inactive webhook's card lacks %q: %q", want, off)
		}
	}

	// Retrying the failed delivery sends it again at once.
	for len(heard) > 0 {
		<-heard
	}
	tb.click(hookSel + ` tbody tr[data-status="failed"] button.retry`)
	timeout := time.After(10 * time.Second)
	for got := ""; got != "/hook run.updated"; {
		select {
		case got = <-heard:
		case <-timeout:
			t.Fatal("the failed delivery was not sent again within 10 s of Retry")
		}
	}
	tb.wait("the retry's note", hook+`.querySelector(".hook-note").textContent.includes("Retry scheduled")`, 5*time.Second)

	// Deactivated by hand.
	tb.click(hookSel + ` button.toggle`)
	tb.wait("the webhook deactivated", fmt.Sprintf(`document.querySelector('#adm-hooks .hook[data-id="%d"][data-active="false"]')`, hook1.ID), 5*time.Second)
	var got struct{ Active bool }
	s.getJSONWith(t, fmt.Sprintf("/api/v1/webhooks/%d", hook1.ID), s.admin, &got)
	if got.Active {
		t.Error("the webhook is still active in the API after Deactivate")
	}
	if card := eval[string](tb, fmt.Sprintf(`document.querySelector('#adm-hooks .hook[data-id="%d"]').textContent`, hook1.ID)); !strings.Contains(card, "turned off by hand") || !strings.Contains(card, "Activate") {
		t.Errorf("the deactivated webhook's card: %q", card)
	}

	// Adding one: the server's field errors next to their fields, then the
	// secret shown once.
	tb.do(chromedp.SendKeys(chromedp.ID("adm-url"), "ftp://hooks.example/x"), chromedp.Click(chromedp.ID("adm-add")))
	tb.wait("the field errors", `!document.getElementById("adm-url-err").hidden && !document.getElementById("adm-events-err").hidden`, 5*time.Second)
	if got := eval[string](tb, `document.getElementById("adm-url").getAttribute("aria-invalid") + " " + document.getElementById("adm-url").getAttribute("aria-describedby")`); got != "true adm-url-err" {
		t.Errorf("the URL field is not marked: %q", got)
	}
	if got := tb.text("#adm-url-err"); !strings.Contains(got, "http") {
		t.Errorf("next to the URL: %q", got)
	}
	eval[bool](tb, `(document.getElementById("adm-url").value = "", true)`)
	tb.do(chromedp.SendKeys(chromedp.ID("adm-url"), recv.URL+"/new"), chromedp.Click(`#adm-events-list input[value="run.created"]`),
		chromedp.SendKeys(chromedp.ID("adm-description"), "added here"), chromedp.Click(chromedp.ID("adm-add")))
	tb.wait("the secret, once", `!document.getElementById("adm-secret").hidden && document.getElementById("adm-secret-value").value.startsWith("whsec_")`, 5*time.Second)
	if note := tb.text("#adm-secret-note"); !strings.Contains(note, "shown this once") {
		t.Errorf("the secret's note: %q", note)
	}
	tb.wait("the new webhook listed", `[...document.querySelectorAll("#adm-hooks .hook h4")].some((e) => e.textContent === `+jsString(recv.URL+"/new")+`)`, 5*time.Second)
	if got := tb.text("#adm-url-err") + tb.text("#adm-events-err"); got != "" {
		t.Errorf("field errors left after the webhook was added: %q", got)
	}

	// Deleting it (the browser's confirmation answered yes).
	newID := eval[string](tb, `[...document.querySelectorAll("#adm-hooks .hook")].find((e) => e.querySelector("h4").textContent === `+jsString(recv.URL+"/new")+`).dataset.id`)
	eval[bool](tb, `(window.confirm = () => true, true)`)
	tb.click(`#adm-hooks .hook[data-id="` + newID + `"] button.remove`)
	tb.wait("the webhook deleted", `document.querySelectorAll("#adm-hooks .hook").length === 2`, 5*time.Second)
	if code, _ := s.request(t, http.MethodGet, "/api/v1/webhooks/"+newID, s.admin, nil); code != http.StatusNotFound {
		t.Errorf("GET of the deleted webhook: %d", code)
	}

	// In Chinese.
	tb.do(chromedp.Click(chromedp.ID("lang")))
	tb.wait("the deliveries in Chinese", hook+`.textContent.includes("已送达") && `+hook+`.textContent.includes("等待重试") && `+hook+`.textContent.includes("手动停用")`, 5*time.Second)
	if got := tb.text("nav a[data-view=admin]"); got != "管理" {
		t.Errorf("the navigation's link in Chinese: %q", got)
	}
}

// getJSONWith is getJSON with a token.
func (s server) getJSONWith(t *testing.T, path, token string, v any) {
	t.Helper()
	code, b := s.request(t, http.MethodGet, path, token, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
