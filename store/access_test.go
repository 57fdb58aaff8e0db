package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"banlie/models"
	"banlie/store"
)

func TestTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx, w := context.Background(), store.Write{Actor: models.Actor{Name: "ops-admin", RequestID: "req-7"}}
		if ok, err := e.st.HasAdminToken(ctx); err != nil || ok {
			t.Fatalf("a new database has an admin token: %v %v", ok, err)
		}
		secret, tok, err := e.st.CreateToken(ctx, w, "deploy-bot", models.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, models.TokenPrefix) || len(secret) != len(models.TokenPrefix)+32 || tok.Prefix != secret[:len(models.TokenPrefix)+4] ||
			tok.Name != "deploy-bot" || tok.Role != models.RoleOperator || !tok.CreatedAt.Equal(e.clock.Now()) || tok.RevokedAt != nil {
			t.Fatalf("created %q %+v", secret, tok)
		}
		p, err := e.st.Authenticate(ctx, secret)
		if err != nil || p.Name != "deploy-bot" || p.Role != models.RoleOperator || p.ID <= 0 {
			t.Fatalf("authenticate: %+v %v", p, err)
		}
		for _, bad := range []string{"", secret + "x", secret[:len(secret)-1], strings.ToUpper(secret)} {
			if _, err := e.st.Authenticate(ctx, bad); !errors.Is(err, store.ErrUnauthenticated) {
				t.Fatalf("authenticate %q: %v, want ErrUnauthenticated", bad, err)
			}
		}
		if ok, err := e.st.TouchToken(ctx, p.ID); err != nil || !ok {
			t.Fatalf("touch: %v %v", ok, err)
		}

		_, _, err = e.st.CreateToken(ctx, w, "deploy-bot", models.RoleViewer)
		wantCode(t, err, models.ECONFLICT)
		_, _, err = e.st.CreateToken(ctx, w, "", "root")
		wantFields(t, err, models.EINVALID, "name", "role")
		adminSecret, _, err := e.st.CreateToken(ctx, w, "admin", models.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := e.st.HasAdminToken(ctx); err != nil || !ok {
			t.Fatalf("no admin token after creating one: %v", err)
		}

		e.clock.Advance(time.Hour)
		if err := e.st.RevokeToken(ctx, w, "deploy-bot"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.Authenticate(ctx, secret); !errors.Is(err, store.ErrUnauthenticated) {
			t.Fatalf("a revoked token authenticates: %v", err)
		}
		if p, err := e.st.Authenticate(ctx, adminSecret); err != nil || p.Name != "admin" {
			t.Fatalf("revoking one token affected another: %+v %v", p, err)
		}
		// Revoking again is no change; an unknown name is not found.
		e.clock.Advance(time.Hour)
		if err := e.st.RevokeToken(ctx, w, "deploy-bot"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.st.RevokeToken(ctx, w, "nobody"), models.ENOTFOUND)

		list, err := e.st.ListTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "admin" || list[1].Name != "deploy-bot" || list[1].RevokedAt == nil ||
			!list[1].RevokedAt.Equal(e.clock.Now().Add(-time.Hour)) || list[1].LastUsedAt == nil || list[0].RevokedAt != nil {
			t.Fatalf("tokens %+v", list)
		}

		entries := e.audit(t, "token", "deploy-bot")
		if got := actions(entries); !slices.Equal(got, []string{"tokens.revoke", "tokens.create"}) {
			t.Fatalf("audit actions %q", got)
		}
		for _, a := range entries {
			if a.Actor != "ops-admin" || a.RequestID != "req-7" {
				t.Fatalf("audit entry %+v, want actor ops-admin and request req-7", a)
			}
			if strings.Contains(string(a.After), secret) || strings.Contains(string(a.After), secret[len(models.TokenPrefix)+4:]) {
				t.Fatalf("the audit log holds the secret: %s", a.After)
			}
		}
	})
}

// A write by store.System is audited as the system's; the audit log pages
// newest first and filters by actor.
func TestAuditActorsAndPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		if _, err := e.st.CreateRoute(context.Background(), store.System, routeInput("SYS-1", "rail")); err != nil {
			t.Fatal(err)
		}
		for i, name := range []string{"alice", "bob", "alice", "alice"} {
			w := store.Write{Actor: models.Actor{Name: name, RequestID: "r" + idOf(int64(i))}}
			e.clock.Advance(time.Minute)
			if _, err := e.st.CreateSeaRailCount(context.Background(), w, seaInput("2026-10-0"+idOf(int64(i+1)), "CNQIN", "import", i)); err != nil {
				t.Fatal(err)
			}
		}
		sys := e.audit(t, "route", "SYS-1")
		if len(sys) != 1 || sys[0].Actor != "system" || sys[0].RequestID != "" {
			t.Fatalf("audit of a write without actor: %+v", sys)
		}
		var got []models.AuditEntry
		cursor := ""
		for range 4 {
			page, err := e.st.ListAudit(context.Background(), models.AuditFilter{Actor: ptr("alice"), Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page.Items...)
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if len(got) != 3 || got[0].RequestID != "r3" || got[1].RequestID != "r2" || got[2].RequestID != "r0" {
			t.Fatalf("alice's entries %+v", got)
		}
		if !got[0].At.Equal(e.clock.Now()) || !got[2].At.Equal(e.clock.Now().Add(-3*time.Minute)) {
			t.Fatalf("entries at %v and %v, want the clock's times", got[0].At, got[2].At)
		}
		_, err := e.st.ListAudit(context.Background(), models.AuditFilter{Cursor: "bm9wZQ"})
		wantFields(t, err, models.EBADREQUEST, "cursor")
	})
}
