package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"unicode/utf8"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

type containerHandlers struct{ st *store.Store }

// get answers the runs that list a container, newest departure first.
func (h containerHandlers) get(c echo.Context) error {
	raw := c.Param("number")
	if v, err := url.PathUnescape(raw); err == nil {
		raw = v
	}
	n, err := containerParam("number", raw)
	if err != nil {
		return err
	}
	limit, cursor, err := qPage(c)
	if err != nil {
		return err
	}
	res, err := h.st.ContainerRuns(c.Request().Context(), n, limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// maxContainerQuery is the longest container number a request names, in
// characters: 11, with room for the spaces and hyphens people write in it.
const maxContainerQuery = 64

// containerParam reads the container number a path or query parameter
// names, in any spelling writes accept (see models.ParseContainerNumber):
// one that is no ISO 6346 number at all answers 400 naming the parameter,
// with the field error a write's container_numbers would get.
func containerParam(name, v string) (string, error) {
	if utf8.RuneCountInString(v) > maxContainerQuery {
		return "", models.BadField(name, models.CodeTooLong, models.Params{"max": maxContainerQuery},
			"%s must be at most %d characters", name, maxContainerQuery)
	}
	n, err := models.ParseContainerNumber(v)
	var f *models.FieldError
	if errors.As(err, &f) {
		fe := *f
		fe.Field = name
		return "", &models.Error{Code: models.EBADREQUEST, Message: name + " is not an ISO 6346 container number: " + f.Message,
			Fields: []models.FieldError{fe}}
	}
	return n, err
}
