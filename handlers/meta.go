package handlers

import (
	"banlie/store"
	"bytes"
	"io/fs"
	"net/http"
	"strconv"
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

func metaHandler(st *store.Store, privateReads bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		years, latest, err := st.DataYears(c.Request().Context())
		if err != nil {
			return err
		}
		now := st.Now().In(st.Loc)
		m := Meta{TimeZone: st.Loc.String(), UTCOffset: now.Format("-07:00"), Now: now.Truncate(time.Second),
			YearsWithData: years, PrivateReads: privateReads}
		if latest != "" {
			m.LatestCountedMonth = &latest
		}
		return c.JSON(http.StatusOK, m)
	}
}

// indexHandler serves the dashboard's page with the reporting time zone
// filled in, so that the page shows and enters times in the server's zone,
// and the figure from which Chinese figures are written in 万.
func indexHandler(web fs.FS, st *store.Store) echo.HandlerFunc {
	page, err := fs.ReadFile(web, "index.html")
	return func(c echo.Context) error {
		if err != nil {
			return echo.ErrNotFound
		}
		offset := st.Now().In(st.Loc).Format("-07:00")
		out := bytes.Replace(page, []byte(`data-zone="Asia/Shanghai" data-zone-offset="+08:00"`),
			[]byte(`data-zone="`+escape(st.Loc.String())+`" data-zone-offset="`+offset+`" data-wan-from="`+strconv.Itoa(models.WanFrom)+`"`), 1)
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		return c.HTMLBlob(http.StatusOK, out)
	}
}
