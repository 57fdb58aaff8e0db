package models

import "strings"

// Field error codes: what is wrong with a field, stable for programs. A
// client builds its own text from a FieldError's Code and Params; Message
// is the server's English wording of the same.
const (
	CodeRequired         = "required"
	CodeInvalidFormat    = "invalid_format"
	CodeOutOfRange       = "out_of_range"
	CodeTooLong          = "too_long"
	CodeTooMany          = "too_many"
	CodeTooFew           = "too_few"
	CodeInvalidValue     = "invalid_value"
	CodeCheckDigit       = "check_digit"
	CodeUnknownField     = "unknown_field"
	CodeUnknownParameter = "unknown_parameter"
	CodeReadOnly         = "read_only"
	CodeDuplicateKey     = "duplicate_key"
	CodeDuplicate        = "duplicate"
	CodeConflict         = "conflict"
	CodeNotFound         = "not_found"
	CodeInvalidText      = "invalid_text"
	CodeOrder            = "order"
	CodeExclusive        = "exclusive"
	CodeNoData           = "no_data"
	CodeUnknownPort      = "unknown_port"
	CodePrivateAddress   = "private_address"
)

// FieldCode documents one code: what it means and the params it carries.
type FieldCode struct {
	Code string
	// Requires lists the params every error with the code has; an entry
	// "a|b" is met by either.
	Requires []string
	// Doc says what the code means and what each param holds.
	Doc string
}

// FieldCodes are all the codes, each with its params. The OpenAPI
// document's FieldError enum and the README list the same.
var FieldCodes = []FieldCode{
	{CodeRequired, nil, "A value is needed. `if` and `equals` name a condition when it applies only then (arrived_at is required when status is arrived)."},
	{CodeInvalidFormat, []string{"format|type"}, "The value cannot be read. `format` names the format expected: `instant` (RFC 3339 with an offset), `date` (YYYY-MM-DD), `month` (YYYY-MM), `year`, `integer`, `json`, `csv`, `cursor`, `route_code` (with `pattern`), `country_code` (ISO 3166-1 alpha-2), `locode` (UN/LOCODE; `prefix` when it must start with the stop's country code, `unknown_country` when its first two letters are no country), `container_number` (ISO 6346; `part` says which is wrong: `length`, `owner`, `category` or `serial`), `printable_ascii` (with `max` characters). `type` names the JSON type expected (`string`, `integer`, `number`, `boolean`, `array`, `object`) and `got` the one given (`null` too), with `value` for a number as written."},
	{CodeOutOfRange, []string{"max"}, "The value must be from `min` to `max` (numbers, or months YYYY-MM); without `min`, it must not be over `max`. `unit` is `year` when the bounds are years of an instant; `relative_to` and `factor` say when the bounds derive from another field (teu: from containers to 2.5 × containers), or from the server's clock: `relative_to` `now` (`max` is an instant: a departure or arrival that has happened is not in the future, a planned one at most a year ahead) or `today` (`max` is a date in the reporting time zone)."},
	{CodeTooLong, []string{"max"}, "The text has more than `max` characters (Unicode code points)."},
	{CodeTooMany, []string{"max"}, "The list, file or line has more than `max` items; `count` is how many it has."},
	{CodeTooFew, []string{"min"}, "The list has fewer than `min` items."},
	{CodeInvalidValue, []string{"allowed"}, "The value is not one of `allowed` (a list). `value` is the value given where it helps (a Content-Type, or its charset when `param` is `charset`), `stop` is `first`, `last` or `between` when the role a stop may have depends on its place, `metric` when the allowed scopes depend on the target's metric (`allowed` is then `[{}]`). `if` and `equals` say when the field is given only with another field's value (`allowed` is then empty: a journey event's `reason` only with type `held`). For a journey event's `stop`, `allowed` lists the stop indexes where its type may happen."},
	{CodeCheckDigit, []string{"expected"}, "The ISO 6346 container number's check digit is wrong: `expected` is the right digit, `got` the one given when it is a digit."},
	{CodeUnknownField, nil, "The resource has no such field, or (in a PATCH) the field cannot be changed. On a CSV import's header (field `header: name`), the import reads no such column (`allowed` lists those it reads), or reads it in another mode only (`mode`: the `id` column in `upsert`)."},
	{CodeUnknownParameter, nil, "The endpoint takes no query parameter of this name (the `field`; a name over 64 bytes is cut short and ends in `…`). `allowed` lists the query parameters the endpoint takes, when it takes any."},
	{CodeReadOnly, nil, "The field exists but cannot be changed (a route's code)."},
	{CodeDuplicateKey, nil, "The JSON member is given twice in one object."},
	{CodeDuplicate, []string{"value"}, "The list holds `value` twice (a container number); a CSV import's header a column, or its lines a run's id (`line` is the line that has it first)."},
	{CodeConflict, []string{"resource"}, "A stored `resource` already has this unique key: `run` (with `route`, `number`, `date`), `sea_rail_count` (with `port`, `direction`, `date`) or `idempotency_key` (used within `hours` for another request); `run_event` (with `count`) when the run's journey events hold the field as it is (its route, direction or status); on `container_numbers`, `run` with the `container` and the `id`, `route` and `number` of the run that holds it at the same time."},
	{CodeNotFound, []string{"resource", "value"}, "No `resource` (`route`) has the code `value`; on a CSV import's line, no `run` has the id `value`."},
	{CodeInvalidText, []string{"reason"}, "The text holds what it must not: `reason` is `utf8` (invalid UTF-8), `control` (control characters), `invisible` (invisible formatting characters) or `line_break` (a line break or tab in a one-line value); for a CSV import's `csv`, `gb18030` or `gbk` when the file is not valid text in the charset it was declared in."},
	{CodeOrder, []string{"other|min|before|other_stop"}, "The value is on the wrong side of another: it must not be before the field `other`, not before the value `min`, or it must be before the value `before` (`other_event` names the journey event that sets the bound). A journey event out of the route's order of stops has `other_stop`, `other_type` and `other_at` (and `other_event` when that event is stored): the event it contradicts."},
	{CodeExclusive, []string{"fields"}, "The `fields` (a list) exclude each other; give one of them."},
	{CodeNoData, []string{"year"}, "There are no figures (runs or sea-rail counts) for `year`."},
	{CodeUnknownPort, []string{"value", "known"}, "No port has the code or alias `value` (a sea-rail count's `port`); `known` lists the codes of the known ports."},
	{CodePrivateAddress, []string{"host"}, "A webhook's `url` names a `host` that is, or resolves to, a private, loopback, link-local, unspecified or multicast `address` (or, with `reason` `unresolved`, does not resolve): banlie delivers only to public addresses unless it runs with --webhook-allow-private."},
}

// Required records that field has no value.
func (p *Problems) Required(field string) {
	p.Add(field, CodeRequired, nil, "is required")
}

// OutOfRange records that field is not from min to max.
func (p *Problems) OutOfRange(field string, min, max int64) {
	p.Add(field, CodeOutOfRange, Params{"min": min, "max": max}, "must be between %d and %d", min, max)
}

// TooLong records that field has more than max characters.
func (p *Problems) TooLong(field string, max int) {
	p.Add(field, CodeTooLong, Params{"max": max}, "must be at most %d characters", max)
}

// NotOneOf records that field is none of allowed.
func (p *Problems) NotOneOf(field string, allowed []string) {
	p.Add(field, CodeInvalidValue, Params{"allowed": allowed}, "must be one of %s", strings.Join(allowed, ", "))
}
