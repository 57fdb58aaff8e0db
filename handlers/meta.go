package handlers

import (
	"bytes"
	"io/fs"
	"net/http"
	"time"

	"banlie/models"

	"github.com/labstack/echo/v4"
)

// Meta tells clients what they need to present the data: the reporting time
// zone, and which years have figures.
type Meta struct {
	TimeZone           string    `json:"time_zone"`
	UTCOffset          string    `json:"utc_offset"`
	Now                time.Time `json:"now"`
	YearsWithData      []int     `json:"years_with_data"`
	LatestCountedMonth *string   `json:"latest_counted_month"`
	PrivateReads       bool      `json:"private_reads"`
}

func metaHandler(store *models.Store, privateReads bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		years, latest, err := store.DataYears(c.Request().Context())
		if err != nil {
			return err
		}
		now := store.Now().In(store.Loc)
		m := Meta{TimeZone: store.Loc.String(), UTCOffset: now.Format("-07:00"), Now: now.Truncate(time.Second),
			YearsWithData: years, PrivateReads: privateReads}
		if latest != "" {
			m.LatestCountedMonth = &latest
		}
		return c.JSON(http.StatusOK, m)
	}
}

// indexHandler serves the dashboard's page with the reporting time zone
// filled in, so that the page shows and enters times in the server's zone.
func indexHandler(web fs.FS, store *models.Store) echo.HandlerFunc {
	page, err := fs.ReadFile(web, "index.html")
	return func(c echo.Context) error {
		if err != nil {
			return echo.ErrNotFound
		}
		offset := store.Now().In(store.Loc).Format("-07:00")
		out := bytes.Replace(page, []byte(`data-zone="Asia/Shanghai" data-zone-offset="+08:00"`),
			[]byte(`data-zone="`+escape(store.Loc.String())+`" data-zone-offset="`+offset+`"`), 1)
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		return c.HTMLBlob(http.StatusOK, out)
	}
}
