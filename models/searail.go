package models

import (
	"strings"
	"time"
)

// Sea-rail directions are seen from the port.
var SeaRailDirections = []string{"import", "export"}

// MaxSeaRailTEU bounds one day's count at one port.
const MaxSeaRailTEU = 1_000_000

// SeaRailCount is one day's sea-rail intermodal volume at a port, in one direction.
type SeaRailCount struct {
	ID   int64  `json:"id"`
	Date string `json:"date"`
	// Port is the port's code (see Port); PortName its names.
	Port      string    `json:"port"`
	PortName  PortName  `json:"port_name"`
	Direction string    `json:"direction"`
	TEU       int       `json:"teu"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SeaRailInput is a count as a client sends it for a create. Port is the
// code of a known port, or one of its aliases.
type SeaRailInput struct {
	Date      string  `json:"date"`
	Port      string  `json:"port"`
	Direction string  `json:"direction"`
	TEU       *int    `json:"teu"`
	Note      *string `json:"note"`
}

// SeaRailPatch holds the fields a PATCH changes.
type SeaRailPatch struct {
	Date      *string
	Port      *string
	Direction *string
	TEU       *int
	Note      *string
}

// SeaRailFilter selects counts for a list; From and To are inclusive dates.
type SeaRailFilter struct {
	Port      *string
	Direction *string
	From      *Day
	To        *Day
	Limit     int
	Cursor    string
}

func (in *SeaRailInput) Validate(p *Problems) {
	in.Port = strings.Join(strings.Fields(NormalizeText(in.Port)), " ")
	if in.Date == "" {
		p.Required("date")
	} else if _, err := ParseDay(in.Date); err != nil {
		p.AddErr("date", err)
	}
	CheckLine(p, "port", in.Port, true, 100)
	if !OneOf(in.Direction, SeaRailDirections...) {
		p.Add("direction", CodeInvalidValue, Params{"allowed": SeaRailDirections}, "must be import or export")
	}
	if in.TEU == nil {
		p.Required("teu")
	} else if *in.TEU < 0 || *in.TEU > MaxSeaRailTEU {
		p.OutOfRange("teu", 0, MaxSeaRailTEU)
	}
	if in.Note != nil {
		checkText(p, "note", *in.Note, false, 1000)
	}
}

// CheckDay adds the rule that depends on the calendar: a count is for a day
// that has begun (today, in the reporting zone, or before).
func (in SeaRailInput) CheckDay(p *Problems, today Day) {
	if p.Has("date") {
		return
	}
	if d, err := ParseDay(in.Date); err == nil && today.Before(d) {
		p.Add("date", CodeOutOfRange, Params{"max": today.String(), "relative_to": "today"},
			"must not be after today (%s in the reporting time zone)", today)
	}
}

// Apply patches the stored count cur; the result is checked by Validate.
func (patch SeaRailPatch) Apply(cur SeaRailCount) SeaRailInput {
	in := SeaRailInput{Date: cur.Date, Port: cur.Port, Direction: cur.Direction, TEU: &cur.TEU, Note: &cur.Note}
	set(&in.Date, patch.Date)
	set(&in.Port, patch.Port)
	set(&in.Direction, patch.Direction)
	if patch.TEU != nil {
		in.TEU = patch.TEU
	}
	if patch.Note != nil {
		in.Note = patch.Note
	}
	return in
}
