package handlers

import (
	"context"
	"net/http"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

// JobRunner is the scheduler as the API sees it.
type JobRunner interface {
	List(ctx context.Context) ([]models.JobInfo, error)
	RunNow(ctx context.Context, w store.Write, name string) (models.JobRun, error)
	Has(name string) bool
}

type jobHandlers struct {
	st   *store.Store
	jobs JobRunner
}

func (h jobHandlers) list(c echo.Context) error {
	js, err := h.jobs.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, js)
}

// jobRunAnswer is the answer of POST /jobs/{name}/run.
type jobRunAnswer struct {
	Name       string  `json:"name"`
	Status     string  `json:"status"`
	StartedAt  string  `json:"started_at"`
	FinishedAt *string `json:"finished_at"`
	Error      *string `json:"error"`
	ID         int64   `json:"id"`
}

func (h jobHandlers) run(c echo.Context) error {
	r, err := h.jobs.RunNow(c.Request().Context(), writeOf(c, h.st), c.Param("name"))
	if err != nil {
		return err
	}
	a := jobRunAnswer{Name: r.Name, Status: r.Status, StartedAt: r.StartedAt.Format(timeLayout), Error: r.Error, ID: r.ID}
	if r.FinishedAt != nil {
		f := r.FinishedAt.Format(timeLayout)
		a.FinishedAt = &f
	}
	return c.JSON(http.StatusOK, a)
}

const timeLayout = "2006-01-02T15:04:05.999999999Z07:00"

func (h jobHandlers) runs(c echo.Context) error {
	name := c.Param("name")
	if !h.jobs.Has(name) {
		return models.Errorf(models.ENOTFOUND, "no job named %q", name)
	}
	limit, cursor, err := qPage(c)
	if err != nil {
		return err
	}
	page, err := h.st.ListJobRuns(c.Request().Context(), name, limit, cursor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}
