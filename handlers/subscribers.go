package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

// subscriberHandlers serve /api/v1/subscribers: admins subscribe e-mail
// addresses to the summaries and milestones.
type subscriberHandlers struct {
	st *store.Store
}

func (h subscriberHandlers) create(c echo.Context) error {
	var in models.SubscriberInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	s, err := h.st.CreateSubscriber(c.Request().Context(), writeOf(c, h.st), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/subscribers/"+strconv.FormatInt(s.ID, 10))
	return c.JSON(http.StatusCreated, s)
}

func (h subscriberHandlers) list(c echo.Context) error {
	limit, cursor, err := qPage(c)
	if err != nil {
		return err
	}
	page, err := h.st.ListSubscribers(c.Request().Context(), limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h subscriberHandlers) get(c echo.Context) error {
	id, err := pathID(c, "subscriber")
	if err != nil {
		return err
	}
	s, err := h.st.GetSubscriber(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s)
}

func (h subscriberHandlers) update(c echo.Context) error {
	id, err := pathID(c, "subscriber")
	if err != nil {
		return err
	}
	var p models.SubscriberPatch
	if err := decodePatch(c, patchFields{
		"address":  into(&p.Address),
		"language": into(&p.Language),
		"events":   into(&p.Events),
		"active":   into(&p.Active),
	}); err != nil {
		return err
	}
	s, err := h.st.UpdateSubscriber(c.Request().Context(), writeOf(c, h.st), id, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s)
}

func (h subscriberHandlers) delete(c echo.Context) error {
	id, err := pathID(c, "subscriber")
	if err != nil {
		return err
	}
	if err := h.st.DeleteSubscriber(c.Request().Context(), writeOf(c, h.st), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// unsubscribeActor is who the audit log says unsubscribed: the holder of
// the link, not a token.
const unsubscribeActor = "unsubscribe-link"

// unsubscribe deletes the subscriber whose link this is, on POST: the
// mail client's one click (RFC 8058) answers JSON, the confirmation page's
// button (a browser, which asks for HTML) a page. GET (and HEAD) only asks
// to confirm: mail scanners open links, and must not unsubscribe anyone.
func (h subscriberHandlers) unsubscribe(c echo.Context) error {
	token := c.Param("token")
	if c.Request().Method != http.MethodPost {
		if _, err := h.st.SubscriptionOf(c.Request().Context(), token); err != nil {
			return err
		}
		return c.HTML(http.StatusOK, confirmPage)
	}
	w := writeOf(c, h.st)
	w.Actor.Name = unsubscribeActor
	if _, err := h.st.Unsubscribe(c.Request().Context(), w, token); err != nil {
		return err
	}
	if strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html") {
		return c.HTML(http.StatusOK, unsubscribedPage)
	}
	return c.JSON(http.StatusOK, map[string]any{"unsubscribed": true})
}

// confirmPage asks to confirm with a button that POSTs to the same link
// (the form sends what a mail client's one click sends).
const confirmPage = `<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>退订 / Unsubscribe</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em">
<h1>退订上合示范区中欧班列邮件</h1><p>此地址将不再收到月报和里程碑邮件。</p>
<h1 lang="en">Unsubscribe from the SCO Zone China–Europe train mail</h1><p lang="en">This address will no longer receive the summaries and milestones.</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">退订 / Unsubscribe</button></form>
</body></html>
`

const unsubscribedPage = `<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>已退订 / Unsubscribed</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em">
<h1>已退订</h1><p>此地址不再收到上合示范区中欧班列的月报和里程碑邮件。</p>
<h1 lang="en">Unsubscribed</h1><p lang="en">This address no longer receives the SCO Zone China–Europe train summaries and milestones.</p>
</body></html>
`
