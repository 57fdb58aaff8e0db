package jobs_test

import (
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"banlie/jobs"
	"banlie/models"
	"banlie/store"
)

func claim(t *testing.T, typ, lang string, data any) *store.MailClaim {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return &store.MailClaim{ID: 1, SubscriberID: 2, EventID: 3, Type: typ, Data: b, Address: "ops@example.com", Language: lang, Token: "tok", Attempt: 1}
}

// A revised summary says so in its subject, encoded for the headers; the
// message parses as multipart/alternative with both parts in UTF-8.
func TestComposeRevisedSummary(t *testing.T) {
	s := models.Summary{Period: "2024-10", Revision: 2, TextZh: "2024年10月，开行中欧班列1列。", TextEn: "In October 2024 the SCO zone ran 1 train."}
	msg, err := jobs.ComposeMail(claim(t, models.EventSummaryRevised, models.MailLangBoth, s), "banlie@example.com", "https://banlie.example/api/v1/unsubscribe/tok", time.Date(2024, 11, 1, 1, 15, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(msg.Bytes)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "上合示范区中欧班列月报 2024年10月（修订，第2版） / SCO Zone China–Europe trains: October 2024 summary (revised, revision 2)"; subject != want {
		t.Fatalf("subject %q, want %q", subject, want)
	}
	if strings.Contains(m.Header.Get("Subject"), "上合") {
		t.Fatal("the subject is not encoded")
	}
	if m.Header.Get("List-Unsubscribe") != "<https://banlie.example/api/v1/unsubscribe/tok>" || m.Header.Get("Date") == "" || m.Header.Get("Message-ID") == "" {
		t.Fatalf("headers %v", m.Header)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	var types []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // quoted-printable is decoded by the reader
		types = append(types, p.Header.Get("Content-Type"))
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") && (!strings.Contains(string(b), s.TextZh) || !strings.Contains(string(b), s.TextEn)) {
			t.Errorf("text part lacks a text:\n%s", b)
		}
	}
	if strings.Join(types, ",") != "text/plain; charset=utf-8,text/html; charset=utf-8" {
		t.Fatalf("parts %v", types)
	}
}

// A target on trains names the train by its ordinal; a notice is plain text.
func TestComposeTargetNotice(t *testing.T) {
	on := "2024-10-19"
	p := models.Progress{Target: models.Target{Year: 2024, Metric: "runs", Value: 1000, Label: "年度开行1000列"}, Reached: true, ReachedOn: &on,
		ReachedBy: &models.ReachedBy{Number: "X8024", DepartedAt: time.Date(2024, 10, 18, 23, 30, 0, 0, time.UTC)}}
	for lang, want := range map[string]string{
		"zh": "2024年全年第1000列中欧班列X8024次于2024年10月19日发出",
		"en": "The year's 1,000th China–Europe train, X8024, departed on 19 October 2024",
	} {
		msg, err := jobs.ComposeMail(claim(t, models.EventTargetReached, lang, p), "banlie@example.com", "https://x/api/v1/unsubscribe/tok", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(msg.Bytes)))
		if err != nil {
			t.Fatal(err)
		}
		if m.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", lang, m.Header.Get("Content-Type"))
		}
		body, _ := io.ReadAll(m.Body)
		if dec := qpDecode(t, string(body)); !strings.Contains(dec, want) {
			t.Errorf("%s notice:\n%s\nwant %s", lang, dec, want)
		}
	}
	for n, want := range map[int64]string{1: "1st", 2: "2nd", 3: "3rd", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 112: "112th", 1000: "1,000th", 1234567: "1,234,567th"} {
		p.Target.Value = n
		msg, _ := jobs.ComposeMail(claim(t, models.EventTargetReached, "en", p), "banlie@example.com", "https://x/u", time.Now())
		m, _ := mail.ReadMessage(strings.NewReader(string(msg.Bytes)))
		body, _ := io.ReadAll(m.Body)
		if !strings.Contains(qpDecode(t, string(body)), "The year's "+want+" ") {
			t.Errorf("%d: %s", n, qpDecode(t, string(body)))
		}
	}
}

func qpDecode(t *testing.T, s string) string {
	t.Helper()
	b, err := io.ReadAll(quotedPrintable(s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func quotedPrintable(s string) io.Reader { return quotedprintable.NewReader(strings.NewReader(s)) }
