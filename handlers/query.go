package handlers

import (
	"strconv"
	"strings"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

// Query parameters that cannot be parsed answer 400 naming the parameter.

func qString(c echo.Context, name string) *string {
	if !c.QueryParams().Has(name) {
		return nil
	}
	v := c.QueryParam(name)
	return &v
}

func qEnum(c echo.Context, name string, allowed []string) (*string, error) {
	v := qString(c, name)
	if v == nil {
		return nil, nil
	}
	for _, a := range allowed {
		if *v == a {
			return v, nil
		}
	}
	return nil, models.BadField(name, models.CodeInvalidValue, models.Params{"allowed": allowed}, "%s must be one of %s", name, strings.Join(allowed, ", "))
}

func qBool(c echo.Context, name string) (*bool, error) {
	v := qString(c, name)
	if v == nil {
		return nil, nil
	}
	b, err := strconv.ParseBool(*v)
	if err != nil {
		return nil, models.BadField(name, models.CodeInvalidValue, models.Params{"allowed": []string{"true", "false"}}, "%s must be true or false", name)
	}
	return &b, nil
}

func qDate(c echo.Context, name string) (*models.Day, error) {
	v := qString(c, name)
	if v == nil {
		return nil, nil
	}
	d, err := models.ParseDay(*v)
	if err != nil {
		return nil, models.BadField(name, models.CodeInvalidFormat, models.Params{"format": "date"}, "%s must be a date YYYY-MM-DD", name)
	}
	return &d, nil
}

// qRange reads from and to (inclusive dates) and refuses from after to.
func qRange(c echo.Context) (from, to *models.Day, err error) {
	if from, err = qDate(c, "from"); err != nil {
		return
	}
	if to, err = qDate(c, "to"); err != nil {
		return
	}
	if from != nil && to != nil && to.Before(*from) {
		err = models.BadField("to", models.CodeOrder, models.Params{"other": "from"}, "to must not be before from")
	}
	return
}

// qPage reads limit (1–500, default 50; larger values are capped at 500) and cursor.
func qPage(c echo.Context) (limit int, cursor string, err error) {
	if v := qString(c, "limit"); v != nil {
		const msg = "limit must be an integer from 1 to %d"
		limit, err = strconv.Atoi(*v)
		switch {
		case err != nil:
			return 0, "", models.BadField("limit", models.CodeInvalidFormat, models.Params{"format": "integer"}, msg, store.MaxLimit)
		case limit < 1:
			return 0, "", models.BadField("limit", models.CodeOutOfRange, models.Params{"min": 1, "max": store.MaxLimit}, msg, store.MaxLimit)
		}
	}
	return limit, c.QueryParam("cursor"), nil
}

// pathID reads a numeric id; anything else names no resource.
func pathID(c echo.Context, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, models.Errorf(models.ENOTFOUND, "no %s with id %q", what, c.Param("id"))
	}
	return id, nil
}
