package jobs

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"banlie/models"
	"banlie/store"
	"banlie/summary"
)

// Message is an e-mail ready to send: its envelope and its bytes.
type Message struct {
	From, To string
	Subject  string
	Bytes    []byte
}

// ComposeMail builds the message of a claimed event for its subscriber:
// from is the From address, unsubscribe the absolute URL of its
// unsubscribe link. A summary is multipart/alternative (its text, and the
// printable page with its chart, as ?format=html renders it); a target or
// milestone reached is a short plain-text notice.
func ComposeMail(c *store.MailClaim, from, unsubscribe string, now time.Time) (Message, error) {
	langs := []string{c.Language}
	if c.Language == models.MailLangBoth {
		langs = []string{models.MailLangZh, models.MailLangEn}
	}
	var subject []string
	var text []string
	var html string
	switch c.Type {
	case models.EventSummaryPublished, models.EventSummaryRevised:
		var s models.Summary
		if err := json.Unmarshal(c.Data, &s); err != nil {
			return Message{}, fmt.Errorf("mail: %s: %w", c.Type, err)
		}
		revised := c.Type == models.EventSummaryRevised
		for _, l := range langs {
			subject = append(subject, summarySubject(s, l, revised))
			if l == models.MailLangZh {
				text = append(text, s.TextZh)
			} else {
				text = append(text, s.TextEn)
			}
		}
		// The page is in the first language (Chinese for both): the text
		// part carries both.
		page, err := summary.HTML(s, langs[0])
		if err != nil {
			return Message{}, err
		}
		html = page
	case models.EventTargetReached:
		var p models.Progress
		if err := json.Unmarshal(c.Data, &p); err != nil {
			return Message{}, fmt.Errorf("mail: %s: %w", c.Type, err)
		}
		for _, l := range langs {
			subject = append(subject, reachedSubject(p.Target.Label, l))
			text = append(text, targetNotice(p, l))
		}
	case models.EventMilestoneReached:
		var m models.Milestone
		if err := json.Unmarshal(c.Data, &m); err != nil {
			return Message{}, fmt.Errorf("mail: %s: %w", c.Type, err)
		}
		for _, l := range langs {
			subject = append(subject, reachedSubject(m.Label, l))
			text = append(text, milestoneNotice(m, l))
		}
	default:
		return Message{}, fmt.Errorf("mail: no message for events of type %s", c.Type)
	}
	body := strings.Join(text, "\n\n----\n\n") + "\n\n-- \n" + footer(langs, unsubscribe)
	msg := Message{From: from, To: c.Address, Subject: strings.Join(subject, " / ")}

	var b bytes.Buffer
	h := []string{
		"Date: " + now.Format(time.RFC1123Z),
		"Message-ID: " + messageID(c, from),
		"From: " + (&mail.Address{Address: from}).String(),
		"To: " + (&mail.Address{Address: c.Address}).String(),
		"Subject: " + mime.BEncoding.Encode("utf-8", msg.Subject),
		"MIME-Version: 1.0",
		"List-Unsubscribe: <" + unsubscribe + ">",
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"Auto-Submitted: auto-generated",
	}
	for _, l := range h {
		b.WriteString(l + "\r\n")
	}
	if html == "" {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		if err := writeQP(&b, body); err != nil {
			return Message{}, err
		}
		msg.Bytes = b.Bytes()
		return msg, nil
	}
	mw := multipart.NewWriter(&b)
	fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n", mw.Boundary())
	for _, part := range []struct{ typ, body string }{{"text/plain", body}, {"text/html", html}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return Message{}, err
		}
		if err := writeQP(w, part.body); err != nil {
			return Message{}, err
		}
	}
	if err := mw.Close(); err != nil {
		return Message{}, err
	}
	msg.Bytes = b.Bytes()
	return msg, nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return err
	}
	return qp.Close()
}

// messageID is unique per attempt's message: the event, the subscriber and
// random bytes, at the From address's domain.
func messageID(c *store.MailClaim, from string) string {
	domain := "banlie.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	r := make([]byte, 8)
	_, _ = rand.Read(r)
	return fmt.Sprintf("<%d.%d.%s@%s>", c.EventID, c.SubscriberID, hex.EncodeToString(r), domain)
}

func summarySubject(s models.Summary, lang string, revised bool) string {
	m, err := models.ParseMonth(s.Period)
	if lang == models.MailLangZh {
		subj := "上合示范区中欧班列月报 " + s.Period
		if err == nil {
			subj = fmt.Sprintf("上合示范区中欧班列月报 %d年%d月", m.Year, int(m.Month))
		}
		if revised {
			subj += fmt.Sprintf("（修订，第%d版）", s.Revision)
		}
		return subj
	}
	subj := "SCO Zone China–Europe trains: " + s.Period + " summary"
	if err == nil {
		subj = fmt.Sprintf("SCO Zone China–Europe trains: %s %d summary", m.Month, m.Year)
	}
	if revised {
		subj += fmt.Sprintf(" (revised, revision %d)", s.Revision)
	}
	return subj
}

func reachedSubject(label, lang string) string {
	if lang == models.MailLangZh {
		return "上合示范区中欧班列：" + label + " 已达成"
	}
	return "SCO Zone China–Europe trains: " + label + " reached"
}

func zhDate(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

func dayOf(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// targetNotice: "全年第1000列中欧班列X8024次于…发出" for a target on the
// number of trains; the target's label otherwise. The day is the one the
// target was reached on, in the reporting zone.
func targetNotice(p models.Progress, lang string) string {
	t := p.Target
	on, ok := "", false
	var day time.Time
	if p.ReachedOn != nil {
		on = *p.ReachedOn
		day, ok = dayOf(on)
	}
	if lang == models.MailLangZh {
		if ok {
			on = zhDate(day)
		}
		if p.ReachedBy != nil && t.Metric == "runs" {
			return fmt.Sprintf("%d年全年第%d列中欧班列%s次于%s发出，目标“%s”达成。", t.Year, t.Value, p.ReachedBy.Number, on, t.Label)
		}
		return fmt.Sprintf("目标“%s”（%d）已于%s达成。", t.Label, t.Value, on)
	}
	if ok {
		on = day.Format("2 January 2006")
	}
	if p.ReachedBy != nil && t.Metric == "runs" {
		return fmt.Sprintf("The year's %s China–Europe train, %s, departed on %s, reaching the target “%s”.", summary.Ordinal(t.Value), p.ReachedBy.Number, on, t.Label)
	}
	return fmt.Sprintf("The target “%s” (%s) was reached on %s.", t.Label, summary.Count(t.Value), on)
}

func milestoneNotice(m models.Milestone, lang string) string {
	on := m.ReachedOn
	d, ok := dayOf(on)
	if lang == models.MailLangZh {
		if ok {
			on = zhDate(d)
		}
		if m.ReachedBy != nil {
			return fmt.Sprintf("里程碑“%s”：中欧班列%s次于%s发出，目标达成。", m.Label, m.ReachedBy.Number, on)
		}
		return fmt.Sprintf("里程碑“%s”已于%s达成。", m.Label, on)
	}
	if ok {
		on = d.Format("2 January 2006")
	}
	if m.ReachedBy != nil {
		return fmt.Sprintf("Milestone “%s”: reached by China–Europe train %s, which departed on %s.", m.Label, m.ReachedBy.Number, on)
	}
	return fmt.Sprintf("Milestone “%s”: reached on %s.", m.Label, on)
}

func footer(langs []string, unsubscribe string) string {
	var lines []string
	for _, l := range langs {
		if l == models.MailLangZh {
			lines = append(lines, "退订：打开 "+unsubscribe+"（或使用邮件客户端的“退订”按钮）。")
		} else {
			lines = append(lines, "Unsubscribe: open "+unsubscribe+" (or use your mail client's unsubscribe button).")
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
