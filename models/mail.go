package models

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Mail limits, languages and states.
const (
	// MaxMailAddress is the longest address a subscriber may have (RFC 5321's
	// path limit, less the angle brackets).
	MaxMailAddress = 254

	MailLangZh   = "zh"
	MailLangEn   = "en"
	MailLangBoth = "both"

	MailPending = "pending"
	MailSent    = "sent"
	MailFailed  = "failed"
)

// MailLanguages are the languages a subscriber may read in.
var MailLanguages = []string{MailLangZh, MailLangEn, MailLangBoth}

// MailEventTypes are the events that are e-mailed; "*" stands for all of them.
var MailEventTypes = []string{EventSummaryPublished, EventSummaryRevised, EventTargetReached, EventMilestoneReached}

// Subscriber is an address the summaries and milestones are e-mailed to.
// Its unsubscribe token is in the messages only, never in an answer.
type Subscriber struct {
	ID        int64     `json:"id"`
	Address   string    `json:"address"`
	Language  string    `json:"language"`
	Events    []string  `json:"events"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Wants reports whether the subscriber is subscribed to events of type typ.
func (s Subscriber) Wants(typ string) bool {
	if !OneOf(typ, MailEventTypes...) {
		return false
	}
	for _, e := range s.Events {
		if e == WebhookAllEvents || e == typ {
			return true
		}
	}
	return false
}

// SubscriberInput is a subscriber as a client sends it for a create.
type SubscriberInput struct {
	Address  string   `json:"address"`
	Language string   `json:"language"`
	Events   []string `json:"events"`
	Active   *bool    `json:"active"`
}

// SubscriberPatch holds the fields a PATCH changes.
type SubscriberPatch struct {
	Address  *string
	Language *string
	Events   *[]string
	Active   *bool
}

// Apply patches the stored subscriber cur; the result is checked by Validate.
func (patch SubscriberPatch) Apply(cur Subscriber) SubscriberInput {
	in := SubscriberInput{Address: cur.Address, Language: cur.Language, Events: cur.Events, Active: &cur.Active}
	set(&in.Address, patch.Address)
	set(&in.Language, patch.Language)
	if patch.Events != nil {
		in.Events = *patch.Events
	}
	if patch.Active != nil {
		in.Active = patch.Active
	}
	return in
}

// Validate checks the input; the address is kept as its bare addr-spec
// (a display name is dropped).
func (in *SubscriberInput) Validate(p *Problems) {
	in.Address = strings.TrimSpace(in.Address)
	switch {
	case in.Address == "":
		p.Required("address")
	case len(in.Address) > MaxMailAddress:
		p.TooLong("address", MaxMailAddress)
	default:
		a, err := mail.ParseAddress(in.Address)
		if err != nil || strings.ContainsAny(a.Address, "\r\n") {
			p.Add("address", CodeInvalidFormat, Params{"format": "email"}, "must be one e-mail address, e.g. name@example.com")
		} else {
			in.Address = a.Address
		}
	}
	if in.Language == "" {
		p.Required("language")
	} else if !OneOf(in.Language, MailLanguages...) {
		p.NotOneOf("language", MailLanguages)
	}
	if len(in.Events) == 0 {
		p.Add("events", CodeTooFew, Params{"min": 1}, "must list at least one event type, or \"*\" for all those e-mailed")
	}
	seen := map[string]bool{}
	for i, e := range in.Events {
		field := fmt.Sprintf("events[%d]", i)
		switch {
		case e == WebhookAllEvents && len(in.Events) == 1:
		case !OneOf(e, MailEventTypes...):
			p.NotOneOf(field, MailEventTypes)
		case seen[e]:
			p.Add(field, CodeDuplicate, Params{"value": e}, "lists %s twice", e)
		}
		seen[e] = true
	}
}
