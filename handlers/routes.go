package handlers

import (
	"net/http"
	"net/url"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

type routeHandlers struct{ st *store.Store }

func (h routeHandlers) create(c echo.Context) error {
	var in models.RouteInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	r, err := h.st.CreateRoute(c.Request().Context(), writeOf(c, h.st), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/routes/"+url.PathEscape(r.Code))
	return c.JSON(http.StatusCreated, r)
}

func (h routeHandlers) list(c echo.Context) error {
	var f models.RouteFilter
	var err error
	if f.Mode, err = qEnum(c, "mode", models.Modes); err != nil {
		return err
	}
	if f.Active, err = qBool(c, "active"); err != nil {
		return err
	}
	f.Tag = qString(c, "tag")
	if f.Limit, f.Cursor, err = qPage(c); err != nil {
		return err
	}
	page, err := h.st.ListRoutes(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h routeHandlers) get(c echo.Context) error {
	r, err := h.st.GetRoute(c.Request().Context(), pathCode(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h routeHandlers) update(c echo.Context) error {
	var p models.RoutePatch
	err := decodePatch(c, patchFields{
		"code":                 into(&p.Code),
		"name":                 into(&p.Name),
		"name_zh":              opt(&p.NameZh),
		"mode":                 into(&p.Mode),
		"stops":                into(&p.Stops),
		"opened_on":            opt(&p.OpenedOn),
		"tags":                 into(&p.Tags),
		"active":               into(&p.Active),
		"planned_transit_days": opt(&p.PlannedTransitDays),
		"corridor":             opt(&p.Corridor),
		"corridor_source":      into(&p.CorridorSource),
	})
	if err != nil {
		return err
	}
	r, err := h.st.UpdateRoute(c.Request().Context(), writeOf(c, h.st), pathCode(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h routeHandlers) delete(c echo.Context) error {
	if err := h.st.DeleteRoute(c.Request().Context(), writeOf(c, h.st), pathCode(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// pathCode answers the route code in the path, percent-decoded.
func pathCode(c echo.Context) string {
	if code, err := url.PathUnescape(c.Param("code")); err == nil {
		return code
	}
	return c.Param("code")
}
