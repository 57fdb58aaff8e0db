package handlers

import (
	"net/http"
	"strconv"

	"banlie/models"

	"github.com/labstack/echo/v4"
)

type targetHandlers struct{ store *models.Store }

func (h targetHandlers) create(c echo.Context) error {
	var in models.TargetInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	t, err := h.store.CreateTarget(c.Request().Context(), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/targets/"+strconv.FormatInt(t.ID, 10))
	return c.JSON(http.StatusCreated, t)
}

// qOptionalYear reads year when it is given.
func qOptionalYear(c echo.Context) (*int, error) {
	if qString(c, "year") == nil {
		return nil, nil
	}
	y, err := qYear(c, 0)
	return &y, err
}

func (h targetHandlers) list(c echo.Context) error {
	year, err := qOptionalYear(c)
	if err != nil {
		return err
	}
	limit, cursor, err := qPage(c)
	if err != nil {
		return err
	}
	page, err := h.store.ListTargetsPage(c.Request().Context(), year, limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h targetHandlers) get(c echo.Context) error {
	id, err := pathID(c, "target")
	if err != nil {
		return err
	}
	t, err := h.store.GetTarget(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (h targetHandlers) delete(c echo.Context) error {
	id, err := pathID(c, "target")
	if err != nil {
		return err
	}
	if err := h.store.DeleteTarget(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h targetHandlers) progress(c echo.Context) error {
	id, err := pathID(c, "target")
	if err != nil {
		return err
	}
	asOf := h.store.Today()
	if v, err := qDate(c, "as_of"); err != nil {
		return err
	} else if v != nil {
		asOf = *v
	}
	t, err := h.store.GetTarget(c.Request().Context(), id)
	if err != nil {
		return err
	}
	p, err := h.store.ProgressAsOf(c.Request().Context(), t, asOf)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h targetHandlers) milestones(c echo.Context) error {
	year, err := qOptionalYear(c)
	if err != nil {
		return err
	}
	limit, cursor, err := qPage(c)
	if err != nil {
		return err
	}
	page, err := h.store.ListMilestones(c.Request().Context(), year, limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}
