package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"banlie/models"
	"banlie/store"

	"github.com/labstack/echo/v4"
)

// JobRunner is the scheduler as the API sees it.
type JobRunner interface {
	List(ctx context.Context) ([]models.JobInfo, error)
	// Trigger starts a run and answers it at once, still running.
	Trigger(ctx context.Context, w store.Write, name string) (models.JobRun, error)
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

// run starts a job run and answers 202 with it, still running, and where
// to follow it (GET /jobs/{name}/runs/{id}) until it is ok or failed.
func (h jobHandlers) run(c echo.Context) error {
	name := c.Param("name")
	r, err := h.jobs.Trigger(c.Request().Context(), writeOf(c, h.st), name)
	if err != nil {
		return err
	}
	a := jobRunAnswer{Name: r.Name, Status: r.Status, StartedAt: r.StartedAt.Format(timeLayout), Error: r.Error, ID: r.ID}
	if r.FinishedAt != nil {
		f := r.FinishedAt.Format(timeLayout)
		a.FinishedAt = &f
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/jobs/"+url.PathEscape(name)+"/runs/"+strconv.FormatInt(r.ID, 10))
	return c.JSON(http.StatusAccepted, a)
}

// getRun answers one recorded run of a job.
func (h jobHandlers) getRun(c echo.Context) error {
	name := c.Param("name")
	if !h.jobs.Has(name) {
		return models.Errorf(models.ENOTFOUND, "no job named %q", name)
	}
	id, err := pathID(c, "run of job "+name)
	if err != nil {
		return err
	}
	r, err := h.st.GetJobRun(c.Request().Context(), name, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
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
