package handlers

import (
	"net/http"
	"strconv"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

type runHandlers struct{ st *store.Store }

func (h runHandlers) create(c echo.Context) error {
	var in models.RunInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	r, err := h.st.CreateRun(c.Request().Context(), writeOf(c, h.st), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/runs/"+strconv.FormatInt(r.ID, 10))
	return c.JSON(http.StatusCreated, r)
}

func (h runHandlers) list(c echo.Context) error {
	f, err := runFilterQuery(c)
	if err != nil {
		return err
	}
	if f.Limit, f.Cursor, err = qPage(c); err != nil {
		return err
	}
	page, err := h.st.ListRuns(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h runHandlers) get(c echo.Context) error {
	id, err := pathID(c, "run")
	if err != nil {
		return err
	}
	r, err := h.st.RunDetail(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h runHandlers) update(c echo.Context) error {
	id, err := pathID(c, "run")
	if err != nil {
		return err
	}
	var p models.RunPatch
	err = decodePatch(c, patchFields{
		"route":             into(&p.Route),
		"number":            into(&p.Number),
		"direction":         into(&p.Direction),
		"departed_at":       into(&p.DepartedAt),
		"arrived_at":        opt(&p.ArrivedAt),
		"status":            into(&p.Status),
		"containers":        into(&p.Containers),
		"empty_containers":  into(&p.EmptyContainers),
		"teu":               into(&p.TEU),
		"cargo":             opt(&p.Cargo),
		"container_numbers": opt(&p.ContainerNumbers),
	})
	if err != nil {
		return err
	}
	r, err := h.st.UpdateRun(c.Request().Context(), writeOf(c, h.st), id, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h runHandlers) delete(c echo.Context) error {
	id, err := pathID(c, "run")
	if err != nil {
		return err
	}
	if err := h.st.DeleteRun(c.Request().Context(), writeOf(c, h.st), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
