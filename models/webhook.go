package models

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Webhook limits and states.
const (
	MaxWebhookURL         = 2000
	MaxWebhookDescription = 500
	// WebhookAllEvents subscribes a webhook to every event type.
	WebhookAllEvents = "*"
	// WebhookSecretPrefix starts every signing secret; the rest is the
	// base64 of the key.
	WebhookSecretPrefix = "whsec_"

	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Webhook is a receiver the outbox's events are POSTed to. Its secret is
// shown only when it is made (WebhookSecret).
type Webhook struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Active      bool     `json:"active"`
	Description string   `json:"description"`
	// FailingSince is the first failed attempt since the last delivery
	// that succeeded; DisabledReason says why banlie made it inactive.
	FailingSince   *time.Time `json:"failing_since"`
	DisabledReason *string    `json:"disabled_reason"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// WebhookWithSecret is a webhook as its creation and a secret's rotation
// answer it: the only times the secret is shown.
type WebhookWithSecret struct {
	Webhook
	Secret string `json:"secret"`
}

// Wants reports whether the webhook is subscribed to events of type typ.
func (w Webhook) Wants(typ string) bool {
	for _, e := range w.Events {
		if e == WebhookAllEvents || e == typ {
			return true
		}
	}
	return false
}

// WebhookInput is a webhook as a client sends it for a create.
type WebhookInput struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Active      *bool    `json:"active"`
	Description *string  `json:"description"`
}

// WebhookPatch holds the fields a PATCH changes.
type WebhookPatch struct {
	URL         *string
	Events      *[]string
	Active      *bool
	Description *string
}

// Apply patches the stored webhook cur; the result is checked by Validate.
func (patch WebhookPatch) Apply(cur Webhook) WebhookInput {
	in := WebhookInput{URL: cur.URL, Events: cur.Events, Active: &cur.Active, Description: &cur.Description}
	set(&in.URL, patch.URL)
	if patch.Events != nil {
		in.Events = *patch.Events
	}
	if patch.Active != nil {
		in.Active = patch.Active
	}
	if patch.Description != nil {
		in.Description = patch.Description
	}
	return in
}

// Validate checks the input and answers the parsed URL (nil when it is
// not valid). Whether its host is a private address is the store's check.
func (in *WebhookInput) Validate(p *Problems) *url.URL {
	in.URL = strings.TrimSpace(in.URL)
	var u *url.URL
	switch {
	case in.URL == "":
		p.Required("url")
	case len([]rune(in.URL)) > MaxWebhookURL:
		p.TooLong("url", MaxWebhookURL)
	default:
		parsed, err := url.Parse(in.URL)
		switch {
		case err != nil || parsed.Host == "" || parsed.Hostname() == "":
			p.Add("url", CodeInvalidFormat, Params{"format": "url"}, "must be an absolute http or https URL")
		case parsed.Scheme != "http" && parsed.Scheme != "https":
			p.Add("url", CodeInvalidValue, Params{"allowed": []string{"http", "https"}, "param": "scheme", "value": parsed.Scheme},
				"must be an http or https URL")
		case parsed.User != nil:
			p.Add("url", CodeInvalidFormat, Params{"format": "url", "part": "userinfo"}, "must not carry a user name or password")
		default:
			u = parsed
		}
	}
	if len(in.Events) == 0 {
		p.Add("events", CodeTooFew, Params{"min": 1}, "must list at least one event type, or \"*\" for all")
	}
	seen := map[string]bool{}
	for i, e := range in.Events {
		field := fmt.Sprintf("events[%d]", i)
		switch {
		case e == WebhookAllEvents && len(in.Events) == 1:
		case !OneOf(e, OutboxEventTypes...):
			p.NotOneOf(field, OutboxEventTypes)
		case seen[e]:
			p.Add(field, CodeDuplicate, Params{"value": e}, "lists %s twice", e)
		}
		seen[e] = true
	}
	if in.Description != nil {
		checkText(p, "description", *in.Description, false, MaxWebhookDescription)
	}
	return u
}

// WebhookDelivery is one event sent (or to be sent) to one webhook, with
// its last attempt.
type WebhookDelivery struct {
	ID             int64      `json:"id"`
	WebhookID      int64      `json:"webhook_id"`
	EventID        int64      `json:"event_id"`
	Type           string     `json:"type"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	FirstAttemptAt *time.Time `json:"first_attempt_at"`
	LastAttemptAt  *time.Time `json:"last_attempt_at"`
	LastStatusCode *int       `json:"last_status_code"`
	LastLatencyMS  *int64     `json:"last_latency_ms"`
	LastResponse   *string    `json:"last_response"`
	LastError      *string    `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Envelope is the event as the stream's data and a webhook's body carry
// it: {"type","timestamp","data"}.
func (e OutboxEvent) Envelope() ([]byte, error) {
	return json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{e.Type, e.At.Format(time.RFC3339Nano), e.Data})
}
