package handlers

import (
	"net/http"
	"net/url"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

type portHandlers struct{ st *store.Store }

func (h portHandlers) create(c echo.Context) error {
	var in models.PortInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	p, err := h.st.CreatePort(c.Request().Context(), writeOf(c, h.st), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/ports/"+url.PathEscape(p.Code))
	return c.JSON(http.StatusCreated, p)
}

func (h portHandlers) list(c echo.Context) error {
	var f models.PortFilter
	var err error
	if f.Unresolved, err = qBool(c, "unresolved"); err != nil {
		return err
	}
	if f.Limit, f.Cursor, err = qPage(c); err != nil {
		return err
	}
	page, err := h.st.ListPorts(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h portHandlers) get(c echo.Context) error {
	p, err := h.st.GetPort(c.Request().Context(), pathCode(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h portHandlers) update(c echo.Context) error {
	var p models.PortPatch
	err := decodePatch(c, patchFields{
		"code":    into(&p.Code),
		"name_en": into(&p.NameEn),
		"name_zh": into(&p.NameZh),
		"aliases": into(&p.Aliases),
	})
	if err != nil {
		return err
	}
	out, err := h.st.UpdatePort(c.Request().Context(), writeOf(c, h.st), pathCode(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h portHandlers) delete(c echo.Context) error {
	if err := h.st.DeletePort(c.Request().Context(), writeOf(c, h.st), pathCode(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h portHandlers) merge(c echo.Context) error {
	var m models.PortMerge
	if err := decodeStrict(c, &m); err != nil {
		return err
	}
	p, err := h.st.MergePort(c.Request().Context(), writeOf(c, h.st), pathCode(c), m)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
