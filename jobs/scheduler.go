// Package jobs runs banlie's named jobs (rollup, rebuild, summary, …) on
// robfig/cron schedules in the reporting time zone. Every run is recorded;
// runs of one job never overlap; a panic is recorded as an error; and when
// several instances share a database, each scheduled tick runs once, on the
// instance that claims it.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"banlie/models"

	"github.com/robfig/cron/v3"
)

// Job is a named task with a schedule.
type Job struct {
	Name string
	// Spec is a cron spec of five fields, six with leading seconds, or a
	// descriptor such as @hourly.
	Spec string
	Run  func(ctx context.Context) error
}

// Parser accepts the schedules of the contract: 5 fields, 6 with seconds, descriptors.
var Parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

type entry struct {
	job Job
	id  cron.EntryID
	mu  sync.Mutex // held while the job runs: no overlapping runs
}

// Scheduler runs jobs on their schedules.
type Scheduler struct {
	store    *models.Store
	log      *slog.Logger
	cron     *cron.Cron
	instance string
	ctx      context.Context
	cancel   context.CancelFunc
	mu       sync.Mutex
	entries  map[string]*entry
}

// New builds a scheduler in the store's reporting time zone.
func New(store *models.Store, log *slog.Logger) *Scheduler {
	host, _ := os.Hostname()
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		store:    store,
		log:      log,
		cron:     cron.New(cron.WithLocation(store.Loc), cron.WithParser(Parser)),
		instance: fmt.Sprintf("%s-%d", host, os.Getpid()),
		ctx:      ctx,
		cancel:   cancel,
		entries:  map[string]*entry{},
	}
}

// Add registers a job; a spec that does not parse is an error naming the job.
func (s *Scheduler) Add(job Job) error {
	sched, err := Parser.Parse(job.Spec)
	if err != nil {
		return fmt.Errorf("schedule of job %s (%q): %w", job.Name, job.Spec, err)
	}
	e := &entry{job: job}
	e.id = s.cron.Schedule(sched, cron.FuncJob(func() { s.tick(e, tickTime(sched, s.cron.Entry(e.id).Prev)) }))
	s.mu.Lock()
	s.entries[job.Name] = e
	s.mu.Unlock()
	return nil
}

// tickTime names a scheduled occurrence so that every instance names it
// alike: an @every schedule counts from each instance's start, so its ticks
// are named by the interval they fall in.
func tickTime(sched cron.Schedule, prev time.Time) time.Time {
	if every, ok := sched.(cron.ConstantDelaySchedule); ok && every.Delay > 0 {
		return prev.Truncate(every.Delay)
	}
	return prev
}

// Start starts the schedules.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops the schedules, cancels running jobs and waits for them to end.
func (s *Scheduler) Stop() {
	done := s.cron.Stop()
	s.cancel()
	<-done.Done()
	s.mu.Lock()
	entries := make([]*entry, 0, len(s.entries))
	for _, e := range s.entries {
		entries = append(entries, e)
	}
	s.mu.Unlock()
	for _, e := range entries { // manual runs, too
		e.mu.Lock()
		e.mu.Unlock() //nolint:staticcheck // waiting for a run to end
	}
}

// tick runs a scheduled occurrence, unless the previous run is still going
// or another instance claimed this tick.
func (s *Scheduler) tick(e *entry, scheduled time.Time) {
	if !e.mu.TryLock() {
		s.log.Warn("job still running; tick skipped", "job", e.job.Name, "scheduled_at", scheduled)
		return
	}
	defer e.mu.Unlock()
	run, claimed, err := s.store.ClaimJobRun(s.ctx, e.job.Name, &scheduled, s.instance)
	if err != nil {
		s.log.Error("job not started", "job", e.job.Name, "err", err)
		return
	}
	if !claimed {
		s.log.Info("tick claimed by another instance", "job", e.job.Name, "scheduled_at", scheduled)
		return
	}
	s.execute(s.ctx, e, run)
}

// RunNow runs a job at once (waiting for a running one to end first) and
// answers the recorded run. An unknown name is ENOTFOUND.
func (s *Scheduler) RunNow(ctx context.Context, name string) (models.JobRun, error) {
	s.mu.Lock()
	e := s.entries[name]
	s.mu.Unlock()
	if e == nil {
		return models.JobRun{}, models.Errorf(models.ENOTFOUND, "no job named %q", name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	run, _, err := s.store.ClaimJobRun(ctx, name, nil, s.instance)
	if err != nil {
		return models.JobRun{}, err
	}
	// The job stops when the caller goes away or the scheduler stops; its
	// own writes are not the request's (no Idempotency-Key of its own).
	jctx, cancel := context.WithCancel(models.WithoutIdempotencyClaim(ctx))
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	return s.execute(jctx, e, run), nil
}

func (s *Scheduler) execute(ctx context.Context, e *entry, run models.JobRun) models.JobRun {
	start := time.Now()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("job panicked", "job", e.job.Name, "panic", p, "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return e.job.Run(ctx)
	}()
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
	}
	s.log.Log(ctx, level, "job finished", "job", e.job.Name, "job_run_id", run.ID, "took", time.Since(start), "err", err)
	// Record the end even if ctx was cancelled by shutdown. The recorded
	// error is one a client may read: internals stay in the log.
	if err != nil {
		var coded *models.Error
		if !errors.As(err, &coded) || models.ErrorCode(err) == models.EINTERNAL {
			err = fmt.Errorf("the job failed; the server log has the cause (job run %d)", run.ID)
		} else {
			err = errors.New(coded.Message)
		}
	}
	done, ferr := s.store.FinishJobRun(context.WithoutCancel(ctx), run.ID, err)
	if ferr != nil {
		s.log.Error("job end not recorded", "job", e.job.Name, "err", ferr)
		return run
	}
	return done
}

// List answers every job with its schedule, last run and next run.
func (s *Scheduler) List(ctx context.Context) ([]models.JobInfo, error) {
	s.mu.Lock()
	names := make([]string, 0, len(s.entries))
	for n := range s.entries {
		names = append(names, n)
	}
	s.mu.Unlock()
	sort.Strings(names)
	out := make([]models.JobInfo, 0, len(names))
	for _, n := range names {
		s.mu.Lock()
		e := s.entries[n]
		s.mu.Unlock()
		info := models.JobInfo{Name: n, Schedule: e.job.Spec}
		last, err := s.store.LastJobRun(ctx, n)
		if err != nil {
			return nil, err
		}
		info.LastRun = last
		if next := s.cron.Entry(e.id).Next; !next.IsZero() {
			t := next.In(s.store.Loc)
			info.NextRunAt = &t
		}
		out = append(out, info)
	}
	return out, nil
}

// Has reports whether a job of that name is registered.
func (s *Scheduler) Has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries[name] != nil
}
