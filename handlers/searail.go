package handlers

import (
	"net/http"
	"strconv"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

type seaRailHandlers struct{ st *store.Store }

func (h seaRailHandlers) create(c echo.Context) error {
	var in models.SeaRailInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	r, err := h.st.CreateSeaRailCount(c.Request().Context(), writeOf(c, h.st), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/sea-rail-counts/"+strconv.FormatInt(r.ID, 10))
	return c.JSON(http.StatusCreated, r)
}

func (h seaRailHandlers) list(c echo.Context) error {
	var f models.SeaRailFilter
	var err error
	f.Port = qString(c, "port")
	if f.Direction, err = qEnum(c, "direction", models.SeaRailDirections); err != nil {
		return err
	}
	from, to, err := qRange(c)
	if err != nil {
		return err
	}
	f.From, f.To = from, to
	if f.Limit, f.Cursor, err = qPage(c); err != nil {
		return err
	}
	page, err := h.st.ListSeaRailCounts(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h seaRailHandlers) get(c echo.Context) error {
	id, err := pathID(c, "sea-rail count")
	if err != nil {
		return err
	}
	r, err := h.st.GetSeaRailCount(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h seaRailHandlers) update(c echo.Context) error {
	id, err := pathID(c, "sea-rail count")
	if err != nil {
		return err
	}
	var p models.SeaRailPatch
	err = decodePatch(c, patchFields{
		"date":      into(&p.Date),
		"port":      into(&p.Port),
		"direction": into(&p.Direction),
		"teu":       into(&p.TEU),
		"note":      into(&p.Note),
	})
	if err != nil {
		return err
	}
	r, err := h.st.UpdateSeaRailCount(c.Request().Context(), writeOf(c, h.st), id, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h seaRailHandlers) delete(c echo.Context) error {
	id, err := pathID(c, "sea-rail count")
	if err != nil {
		return err
	}
	if err := h.st.DeleteSeaRailCount(c.Request().Context(), writeOf(c, h.st), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
