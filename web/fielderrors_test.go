package web_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"banlie/models"

	"github.com/chromedp/chromedp"
)

// rawProblem sends a request with the operator token and answers the
// field errors of its problem as the server wrote them.
func (s server) rawProblem(t *testing.T, method, path, contentType, body string) []json.RawMessage {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var p struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(b, &p); err != nil || len(p.Errors) == 0 {
		t.Fatalf("%s %s: %d %s; want field errors", method, path, res.StatusCode, b)
	}
	return p.Errors
}

// TestFieldErrorTexts: the page says every field error of the server from
// its code and params, in Chinese and in English, whatever the code.
func TestFieldErrorTexts(t *testing.T) {
	s := startServer(t)
	run := func(kv ...any) string {
		b := map[string]any{"route": "SCO-TJ-MOW", "number": "X9990", "direction": "outbound", "departed_at": "2024-10-13T09:30:00+08:00", "containers": 10, "teu": 20}
		for i := 0; i+1 < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		out, _ := json.Marshal(b)
		return string(out)
	}
	var errs []json.RawMessage
	add := func(method, path, ct, body string) { errs = append(errs, s.rawProblem(t, method, path, ct, body)...) }
	const js = "application/json"
	add("POST", "/api/v1/runs", js, run("route", "NOPE", "number", strings.Repeat("9", 33), "direction", "west", "status", "lost",
		"departed_at", "12 Oct", "containers", 600, "teu", 2000, "cargo", "a\x00b", "container_numbers", []string{"CSQU3054384", "CSQU305438", "CSQU305438X", "MSKU9070323", "MSKU9070323"}))
	add("POST", "/api/v1/runs", js, run("number", "", "status", "arrived", "teu", 30, "container_numbers", strings.Split(strings.Repeat("MSKU9070323 ", 11), " ")[:11]))
	add("POST", "/api/v1/runs", js, run("arrived_at", "2024-10-12T09:30:00+08:00", "number", "X\tY", "cargo", "a\u200bb"))
	// A box on two trains at once: the first is logged, the second refused.
	box := models.ContainerNumber("WEB", 'U', 1)
	req, _ := http.NewRequest("POST", s.url+"/api/v1/runs", strings.NewReader(run("number", "X9991", "container_numbers", []string{box})))
	req.Header.Set("Content-Type", js)
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var holder struct{ ID int64 }
	if err := json.NewDecoder(res.Body).Decode(&holder); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("logging X9991: %d %v", res.StatusCode, err)
	}
	res.Body.Close()
	add("POST", "/api/v1/runs", js, run("number", "X9992", "container_numbers", []string{box}))
	add("POST", "/api/v1/runs", js, run("departed_at", "1960-01-01T00:00:00Z"))
	add("POST", "/api/v1/runs", js, `{"route":1,"teu":2.5,"extra":true,"containers":null,"status":"planned","status":"x"}`)
	add("POST", "/api/v1/runs", "text/plain", run())
	add("POST", "/api/v1/runs", "application/json; charset=latin1", run())
	add("PATCH", "/api/v1/runs/1", js, `{"teu":null,"id":3}`)
	add("POST", "/api/v1/sea-rail-counts", js, `{"date":"2024-02-30","port":"","direction":"in","teu":-1}`)
	add("POST", "/api/v1/sea-rail-counts", js, `{"date":"2024-10-12","port":"Qindao","direction":"export","teu":1}`)
	add("GET", "/api/v1/runs?from=2024-10-10&to=2024-10-01", "", "")
	add("GET", "/api/v1/runs?counted=maybe", "", "")
	add("GET", "/api/v1/runs?limit=x", "", "")
	add("GET", "/api/v1/runs?cursor=x", "", "")
	add("GET", "/api/v1/runs?rout=SCO-TJ-MOW", "", "")
	add("GET", "/api/v1/totals/monthly?route=SCO-TJ-MOW&mode=rail", "", "")
	add("GET", "/api/v1/totals/yearly?year=2024&through=2023-10", "", "")
	add("POST", "/api/v1/runs/import", "text/csv", "route,number,direction,departed_at,containers\nSCO-TJ-MOW,X1,west,2024-10-14T09:30:00+08:00,x\nA,B,C,D,E,F\n\"A\n")
	// A header's problems, and the lines of an upsert.
	add("POST", "/api/v1/runs/import", "text/csv", "id,route,线路,wagons\n")
	add("POST", "/api/v1/runs/import?mode=upsert", "text/csv", "id,route,number,direction,departed_at\n999999,SCO-TJ-MOW,X1,outbound,2024-10-14T09:30:00+08:00\n999999,SCO-TJ-MOW,X2,outbound,2024-10-14T09:30:00+08:00\n")
	add("POST", "/api/v1/runs/import", "text/csv; charset=gbk", "route,number,direction,departed_at\n\xff\xff,X1,outbound,2024-10-14T09:30:00+08:00\n")
	// Routes need an administrator; their validation is the model's.
	var p models.Problems
	(&models.RouteInput{Code: "bad code", Mode: "ship", OpenedOn: ptr("2024-13-01"), Tags: make([]string, 21),
		Stops: []models.Stop{{Name: "A", Country: "XX", Locode: ptr("CNQIN"), Role: "border"}, {Name: "B", Country: "RU", Locode: ptr("KXALA"), Role: "origin"},
			{Name: "C", Country: "RU", Locode: ptr("RUMO1"), Role: "transit"}}}).Validate(&p)
	(&models.RouteInput{Code: "ONE-STOP", Name: "One stop", Mode: "rail", Stops: []models.Stop{{Name: "A", Country: "CN", Role: "start"}}}).Validate(&p)
	var e *models.Error
	if !errors.As(p.Err(), &e) {
		t.Fatal("a bad route validates")
	}
	for _, f := range e.Fields {
		b, _ := json.Marshal(f)
		errs = append(errs, b)
	}
	all, _ := json.Marshal(errs)
	var codes []string
	for _, c := range models.FieldCodes {
		codes = append(codes, c.Code)
	}
	allCodes, _ := json.Marshal(codes)

	tb := newTab(t, 1280, 900)
	tb.do(chromedp.Navigate(s.url + "/?refresh=0&lang=en#/runs"))
	tb.wait("the page", `document.querySelector("#r-form-err")`, 20*time.Second)
	type said struct {
		Field, Code, Message, En, Zh string
	}
	var got []said
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`import("/js/i18n.js").then((m) => {
		const say = (lang, fe) => { m.setLang(lang); return m.fieldText(fe); };
		window.__said = %s.map((fe) => ({ field: fe.field, code: fe.code, message: fe.message, en: say("en", fe), zh: say("zh", fe) }));
		window.__unknown = %s.filter((code) => m.fieldText({ field: "f", code, params: {}, message: "\u0001" }) === "\u0001");
		m.setLang("en");
	})`, all, allCodes), chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	got = eval[[]said](tb, `window.__said`)
	if unknown := eval[[]string](tb, `window.__unknown`); len(unknown) != 0 {
		t.Errorf("the page has no text for the codes %q", unknown)
	}
	if len(got) < 40 {
		t.Fatalf("only %d field errors said", len(got))
	}
	hasHan := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff })
	}
	seen := map[string]bool{}
	for _, g := range got {
		seen[g.Code] = true
		for _, text := range []string{g.En, g.Zh} {
			if text == "" || strings.Contains(text, "undefined") || strings.Contains(text, "[object") || strings.Contains(text, "NaN") {
				t.Errorf("%s (%s, %q): said as %q", g.Field, g.Code, g.Message, text)
			}
		}
		if !hasHan(g.Zh) {
			t.Errorf("%s (%s, %q): in Chinese %q", g.Field, g.Code, g.Message, g.Zh)
		}
		if hasHan(g.En) {
			t.Errorf("%s (%s): in English %q", g.Field, g.Code, g.En)
		}
	}
	for _, code := range []string{"required", "invalid_format", "out_of_range", "too_long", "too_many", "too_few", "invalid_value",
		"check_digit", "unknown_field", "duplicate_key", "duplicate", "not_found", "invalid_text", "order", "exclusive"} {
		if !seen[code] {
			t.Errorf("no answer had the code %s", code)
		}
	}
	// Some texts in full, both languages.
	want := map[string][2]string{
		"container_numbers[0] check_digit": {"check digit must be 3, not 4", "校验位应为3，而不是4"},
		"teu out_of_range":                 {"must be between 0 and 1250", "须在0到1250之间"},
		"arrived_at order":                 {"must not be before departed_at", "不能早于发车时间"},
		"arrived_at required":              {"is required when status is arrived", "状态为已到达时必填"},
		"route not_found":                  {`no route with code "NOPE"`, "没有代码为NOPE的线路"},
		"port unknown_port":                {`no port has the code "Qindao"; known ports: CNQIN, CNRZH`, "没有代码为Qindao的港口；已知港口：CNQIN、CNRZH"},
		"to order":                         {"must not be before from", "不能早于开始日期"},
		"container_numbers too_many":       {"lists 11 containers but containers is 10", "列出了11个箱号，但集装箱数为10"},
		"container_numbers conflict": {fmt.Sprintf("container %s is on train X9991 (run %d, route SCO-TJ-MOW) at the same time", box, holder.ID),
			fmt.Sprintf("箱号%s同一时间在SCO-TJ-MOW线路的X9991次班列上（班列记录%d）", box, holder.ID)},
	}
	for _, g := range got {
		if w, ok := want[g.Field+" "+g.Code]; ok {
			if g.En != w[0] || g.Zh != w[1] {
				t.Errorf("%s %s: said %q / %q, want %q / %q", g.Field, g.Code, g.En, g.Zh, w[0], w[1])
			}
			delete(want, g.Field+" "+g.Code)
		}
	}
	for k := range want {
		t.Errorf("no answer had %s", k)
	}

	// A refusal's summary in Chinese: its one field error, or its status
	// (with the wait of a 429); in English the server's detail.
	summaries, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`(async () => {
		const m = await import("/js/i18n.js");
		const one = { status: 400, problem: { detail: "to must not be before from", errors: [{ field: "to", code: "order", params: { other: "from" }, message: "to must not be before from" }] } };
		const wait = { status: 429, problem: { detail: "too many requests; retry after 3 s", errors: [] }, retryAfter: "3" };
		const many = { status: 422, problem: { detail: "the request has invalid values", errors: [{ field: "teu", code: "required", params: {} }, { field: "number", code: "required", params: {} }] } };
		const out = [];
		for (const lang of ["zh", "en"]) {
			m.setLang(lang);
			out.push(m.problemText(one), m.problemText(wait), m.problemText(many), m.serverDetail(one));
		}
		m.setLang("en");
		return out;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"结束日期：不能早于开始日期", "请求过于频繁，请3秒后重试", "有字段不符合要求", "to must not be before from",
		"to must not be before from", "too many requests; retry after 3 s", "the request has invalid values", ""}; !slices.Equal(summaries, want) {
		t.Errorf("the summaries of refusals read %q, want %q", summaries, want)
	}
}
