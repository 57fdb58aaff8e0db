package handlers

import (
	"net/http"
	"strconv"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

// webhookHandlers serve /api/v1/webhooks: admins subscribe receivers to
// the outbox's events.
type webhookHandlers struct {
	st           *store.Store
	allowPrivate bool
}

func (h webhookHandlers) create(c echo.Context) error {
	var in models.WebhookInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	wh, err := h.st.CreateWebhook(c.Request().Context(), writeOf(c, h.st), in, h.allowPrivate)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/webhooks/"+strconv.FormatInt(wh.ID, 10))
	return c.JSON(http.StatusCreated, wh)
}

func (h webhookHandlers) list(c echo.Context) error {
	limit, cursor, err := qPage(c)
	if err != nil {
		return err
	}
	page, err := h.st.ListWebhooks(c.Request().Context(), limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h webhookHandlers) get(c echo.Context) error {
	id, err := pathID(c, "webhook")
	if err != nil {
		return err
	}
	wh, err := h.st.GetWebhook(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wh)
}

func (h webhookHandlers) update(c echo.Context) error {
	id, err := pathID(c, "webhook")
	if err != nil {
		return err
	}
	var p models.WebhookPatch
	if err := decodePatch(c, patchFields{
		"url":         into(&p.URL),
		"events":      into(&p.Events),
		"active":      into(&p.Active),
		"description": into(&p.Description),
	}); err != nil {
		return err
	}
	wh, err := h.st.UpdateWebhook(c.Request().Context(), writeOf(c, h.st), id, p, h.allowPrivate)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wh)
}

func (h webhookHandlers) delete(c echo.Context) error {
	id, err := pathID(c, "webhook")
	if err != nil {
		return err
	}
	if err := h.st.DeleteWebhook(c.Request().Context(), writeOf(c, h.st), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h webhookHandlers) rotateSecret(c echo.Context) error {
	id, err := pathID(c, "webhook")
	if err != nil {
		return err
	}
	wh, err := h.st.RotateWebhookSecret(c.Request().Context(), writeOf(c, h.st), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wh)
}

func (h webhookHandlers) deliveries(c echo.Context) error {
	id, err := pathID(c, "webhook")
	if err != nil {
		return err
	}
	limit, cursor, err := qPage(c)
	if err != nil {
		return err
	}
	page, err := h.st.ListWebhookDeliveries(c.Request().Context(), id, limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h webhookHandlers) retry(c echo.Context) error {
	id, err := pathID(c, "webhook")
	if err != nil {
		return err
	}
	did, err := strconv.ParseInt(c.Param("delivery_id"), 10, 64)
	if err != nil || did < 1 {
		return models.Errorf(models.ENOTFOUND, "no delivery with id %q", c.Param("delivery_id"))
	}
	d, err := h.st.RetryWebhookDelivery(c.Request().Context(), writeOf(c, h.st), id, did)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}
