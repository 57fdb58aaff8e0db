package handlers

import (
	"net/http"
	"strconv"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

type totalsHandlers struct{ st *store.Store }

func qYear(c echo.Context, def int) (int, error) {
	v := qString(c, "year")
	if v == nil {
		return def, nil
	}
	const msg = "year must be a year such as 2024"
	y, err := strconv.Atoi(*v)
	switch {
	case err != nil:
		return 0, models.BadField("year", models.CodeInvalidFormat, models.Params{"format": "year"}, msg)
	case y < models.MinYear || y > models.MaxYear:
		return 0, models.BadField("year", models.CodeOutOfRange, models.Params{"min": models.MinYear, "max": models.MaxYear}, msg)
	}
	return y, nil
}

func qScope(c echo.Context) (models.Scope, error) {
	var sc models.Scope
	var err error
	sc.Route = qString(c, "route")
	if sc.Mode, err = qEnum(c, "mode", models.Modes); err != nil {
		return sc, err
	}
	if sc.Direction, err = qEnum(c, "direction", models.Directions); err != nil {
		return sc, err
	}
	if sc.Route != nil && sc.Mode != nil {
		return sc, models.BadField("mode", models.CodeExclusive, models.Params{"fields": []string{"route", "mode"}}, "give route or mode, not both")
	}
	return sc, nil
}

// splits are the values of ?by=.
var splits = []string{"corridor"}

// qBy reads ?by=corridor: the figures of each corridor's rail runs beside
// the scope's own. Corridors are rail's, so a route or another mode is
// refused with it.
func qBy(c echo.Context, sc models.Scope) (*string, error) {
	by, err := qEnum(c, "by", splits)
	if err != nil || by == nil {
		return by, err
	}
	if sc.Route != nil {
		return nil, models.BadField("by", models.CodeExclusive, models.Params{"fields": []string{"route", "by"}}, "give route or by, not both: a route has one corridor")
	}
	if sc.Mode != nil && *sc.Mode != "rail" {
		return nil, models.BadField("mode", models.CodeInvalidValue, models.Params{"allowed": []string{"rail"}, "if": "by", "equals": "corridor"}, "corridors are rail's: with by=corridor, mode is rail or not given")
	}
	return by, nil
}

func (h totalsHandlers) monthly(c echo.Context) error {
	year, err := qYear(c, h.st.Now().In(h.st.Loc).Year())
	if err != nil {
		return err
	}
	sc, err := qScope(c)
	if err != nil {
		return err
	}
	by, err := qBy(c, sc)
	if err != nil {
		return err
	}
	t, err := h.st.MonthlyTotalsBy(c.Request().Context(), year, sc, by)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (h totalsHandlers) yearly(c echo.Context) error {
	thisYear := h.st.Now().In(h.st.Loc).Year()
	through := 0
	var throughYear *int
	if v := qString(c, "through"); v != nil {
		m, err := models.ParseMonth(*v)
		if err != nil {
			return models.BadField("through", models.CodeInvalidFormat, models.Params{"format": "month"}, "through must be a month YYYY-MM")
		}
		through = int(m.Month)
		y := int(m.Year)
		throughYear = &y
	}
	def := thisYear
	if throughYear != nil {
		def = *throughYear
	}
	year, err := qYear(c, def)
	if err != nil {
		return err
	}
	if throughYear != nil && *throughYear != year {
		return models.BadField("through", models.CodeOutOfRange, models.Params{"min": models.Year(year).Month(1).String(), "max": models.Year(year).Month(12).String()},
			"through must be a month of %d", year)
	}
	if through == 0 {
		through = h.st.DefaultThrough(year)
	}
	sc, err := qScope(c)
	if err != nil {
		return err
	}
	by, err := qBy(c, sc)
	if err != nil {
		return err
	}
	t, err := h.st.Polled().YearlyTotalsBy(c.Request().Context(), year, through, sc, by)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}
