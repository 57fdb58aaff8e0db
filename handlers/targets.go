package handlers

import (
	"net/http"
	"strconv"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

type targetHandlers struct{ st *store.Store }

func (h targetHandlers) create(c echo.Context) error {
	var in models.TargetInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	t, err := h.st.CreateTarget(c.Request().Context(), writeOf(c, h.st), in)
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
	page, err := h.st.ListTargetsPage(c.Request().Context(), year, limit, cursor)
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
	t, err := h.st.GetTarget(c.Request().Context(), id)
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
	if err := h.st.DeleteTarget(c.Request().Context(), writeOf(c, h.st), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h targetHandlers) progress(c echo.Context) error {
	id, err := pathID(c, "target")
	if err != nil {
		return err
	}
	asOf := h.st.Today()
	if v, err := qDate(c, "as_of"); err != nil {
		return err
	} else if v != nil {
		asOf = *v
	}
	t, err := h.st.GetTarget(c.Request().Context(), id)
	if err != nil {
		return err
	}
	p, err := h.st.ProgressAsOf(c.Request().Context(), t, asOf)
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
	page, err := h.st.ListMilestones(c.Request().Context(), year, limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}
