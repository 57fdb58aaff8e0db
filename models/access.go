package models

import (
	"encoding/json"
	"time"
)

// Roles, lowest first.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// Roles lists the roles in order of rank.
var Roles = []string{RoleViewer, RoleOperator, RoleAdmin}

// RoleRank orders roles; 0 is no role.
func RoleRank(role string) int {
	for i, r := range Roles {
		if r == role {
			return i + 1
		}
	}
	return 0
}

// TokenPrefix starts every token, so that one is recognised in a log or a leak scan.
const TokenPrefix = "bnl_"

// Token is an access token as listed (the secret itself is never stored).
type Token struct {
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// Principal is who a request acts as.
type Principal struct {
	ID   int64
	Name string
	Role string
}

// Actor is who does a write, as the audit log records it.
type Actor struct {
	Name      string
	RequestID string
}

// AuditEntry is one audited write.
type AuditEntry struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`
	Entity    string          `json:"entity"`
	EntityID  string          `json:"entity_id"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
	RequestID string          `json:"request_id"`
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Actor    *string
	Action   *string
	Entity   *string
	EntityID *string
	From     *Day
	To       *Day
	Limit    int
	Cursor   string
}
