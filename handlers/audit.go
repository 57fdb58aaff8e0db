package handlers

import (
	"net/http"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

type auditHandlers struct{ st *store.Store }

func (h auditHandlers) list(c echo.Context) error {
	var f models.AuditFilter
	var err error
	f.Actor, f.Action, f.Entity, f.EntityID = qString(c, "actor"), qString(c, "action"), qString(c, "entity"), qString(c, "entity_id")
	if f.From, f.To, err = qRange(c); err != nil {
		return err
	}
	if f.Limit, f.Cursor, err = qPage(c); err != nil {
		return err
	}
	page, err := h.st.ListAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}
