package models

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Port is a port whose sea-rail counts are logged: reference data, named
// by its UN/LOCODE. Aliases are other codes that name the same port when a
// count is logged (Qingdao is CNQIN; carriers write CNTAO, SMDG CNQDG).
//
// A port that NeedsReview was made by the migration that turned the free
// text of older counts into ports, for a text it could not match to a
// known port (or whose counts would have collided with the port's own):
// its Code is provisional (UNRESOLVED-n, never a UN/LOCODE), its names are
// the text, and an admin merges it into a real port.
type Port struct {
	Code        string   `json:"code"`
	NameEn      string   `json:"name_en"`
	NameZh      string   `json:"name_zh"`
	Aliases     []string `json:"aliases"`
	NeedsReview bool     `json:"needs_review"`
	// Text is the text the counts of a port under review were logged with.
	Text *string `json:"text"`
	// Suggested is the known port that text names, when the migration left
	// some of its counts here because they would have collided there.
	Suggested *string `json:"suggested"`
	// Counts is how many sea-rail counts name the port.
	Counts    int64     `json:"counts"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PortInput is a port as a client sends it for a create.
type PortInput struct {
	Code    string   `json:"code"`
	NameEn  string   `json:"name_en"`
	NameZh  string   `json:"name_zh"`
	Aliases []string `json:"aliases"`
}

// PortPatch holds the fields a PATCH changes.
type PortPatch struct {
	Code    *string
	NameEn  *string
	NameZh  *string
	Aliases *[]string
}

// PortFilter selects ports for a list.
type PortFilter struct {
	// Unresolved: only ports under review (true), or only known ones (false).
	Unresolved *bool
	Limit      int
	Cursor     string
}

// PortMerge says which port a port's counts move to.
type PortMerge struct {
	Into string `json:"into"`
}

// PortName is a port's names, in a sea-rail count's answer.
type PortName struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// PortRef names a port in a summary's figures.
type PortRef struct {
	Code   string `json:"code"`
	NameEn string `json:"name_en"`
	NameZh string `json:"name_zh"`
}

// UnmarshalJSON also reads a port as summaries written while ports were
// free text name it: the text alone, which is then both names.
func (r *PortRef) UnmarshalJSON(b []byte) error {
	var text string
	if json.Unmarshal(b, &text) == nil {
		*r = PortRef{NameEn: text, NameZh: text}
		return nil
	}
	type plain PortRef
	return json.Unmarshal(b, (*plain)(r))
}

// PortCode is a port code as people write it, in the form it is stored:
// without blanks, upper case (" cnqin" is CNQIN).
func PortCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, NormalizeText(s))
	return strings.ToUpper(s)
}

// Validate checks every field and normalises the codes in place.
func (in *PortInput) Validate(p *Problems) {
	in.Code = PortCode(in.Code)
	if in.Code == "" {
		p.Required("code")
	} else if err := ValidLocode(in.Code, ""); err != nil {
		p.AddErr("code", err)
	}
	in.NameEn = strings.Join(strings.Fields(NormalizeText(in.NameEn)), " ")
	in.NameZh = strings.Join(strings.Fields(NormalizeText(in.NameZh)), " ")
	CheckLine(p, "name_en", in.NameEn, true, 100)
	CheckLine(p, "name_zh", in.NameZh, true, 100)
	if len(in.Aliases) > MaxPortAliases {
		p.Add("aliases", CodeTooMany, Params{"max": MaxPortAliases, "count": len(in.Aliases)}, "must hold at most %d codes", MaxPortAliases)
		return
	}
	out := []string{}
	for i, a := range in.Aliases {
		f := "aliases[" + strconv.Itoa(i) + "]"
		a = PortCode(a)
		switch {
		case a == "":
			p.Required(f)
		case ValidLocode(a, "") != nil:
			p.AddErr(f, ValidLocode(a, ""))
		case a == in.Code:
			p.Add(f, CodeDuplicate, Params{"value": a}, "is the port's own code")
		case slices.Contains(out, a):
			p.Add(f, CodeDuplicate, Params{"value": a}, "%s is listed twice", a)
		default:
			out = append(out, a)
		}
	}
	slices.Sort(out)
	in.Aliases = out
}

// MaxPortAliases bounds a port's list of aliases.
const MaxPortAliases = 10
