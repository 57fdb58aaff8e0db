// Package jobs runs banlie's named jobs (rollup, rebuild, summary, …) on
// robfig/cron schedules in the reporting time zone. Every run is recorded;
// runs of one job never overlap; a panic is recorded as an error; and when
// several instances share a database, each scheduled tick runs once, on the
// instance that claims it. A run left running by a process that died is
// marked abandoned: at the next start, and, where several instances share
// a PostgreSQL database, by any instance once the run's heartbeat lapsed.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"banlie/models"
	"banlie/store"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Job is a named task with a schedule.
type Job struct {
	Name string
	// Spec is a cron spec of five fields, six with leading seconds, or a
	// descriptor such as @hourly.
	Spec string
	Run  func(ctx context.Context, w store.Write) error
}

// Parser accepts the schedules of the contract: 5 fields, 6 with seconds, descriptors.
var Parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

type entry struct {
	job Job
	id  cron.EntryID
	mu  sync.Mutex // held while the job runs: no overlapping runs
	// trigger is held while a run by hand is claimed; queued is the run by
	// hand that waits for the one in progress (Scheduler.mu guards it).
	trigger sync.Mutex
	queued  *models.JobRun
}

// Default lease figures: a running run's heartbeat is renewed every
// DefaultHeartbeat; one not renewed for DefaultLease is taken for abandoned.
const (
	DefaultHeartbeat = 10 * time.Second
	DefaultLease     = 60 * time.Second
)

// Attempt is how the last attempt at a job, on this instance, ended.
type Attempt struct {
	At time.Time
	// Err is nil when the run succeeded; otherwise its message is fit for
	// a client (no internals).
	Err error
}

// Scheduler runs jobs on their schedules.
type Scheduler struct {
	st       *store.Store
	log      *slog.Logger
	cron     *cron.Cron
	instance string
	ctx      context.Context
	cancel   context.CancelFunc
	mu       sync.Mutex
	entries  map[string]*entry
	// Heartbeat and Lease: see DefaultHeartbeat; set before Start.
	Heartbeat, Lease time.Duration
	running          map[int64]bool     // ids of this instance's runs under way
	last             map[string]Attempt // by job name
	lease            chan struct{}      // closed when the lease loop ends
	metrics          metrics
	// ended has a channel per run started by Trigger, closed when the run
	// has ended and its end is recorded; background counts those runs.
	ended      map[int64]chan struct{}
	background sync.WaitGroup
}

type metrics struct {
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	rows     *prometheus.HistogramVec
	lag      prometheus.GaugeFunc
}

// New builds a scheduler in the st's reporting time zone.
func New(st *store.Store, log *slog.Logger) *Scheduler {
	host, _ := os.Hostname()
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		st:       st,
		log:      log,
		cron:     cron.New(cron.WithLocation(st.Loc), cron.WithParser(Parser)),
		instance: fmt.Sprintf("%s-%d", host, os.Getpid()),
		ctx:      ctx,
		cancel:   cancel,
		entries:  map[string]*entry{},

		Heartbeat: DefaultHeartbeat,
		Lease:     DefaultLease,
		running:   map[int64]bool{},
		last:      map[string]Attempt{},
		ended:     map[int64]chan struct{}{},
		metrics: metrics{
			runs: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "banlie_job_runs_total",
				Help: "Job runs by job and outcome: ok, failed (including runs that could not be recorded), abandoned (left by a dead process and marked by this instance).",
			}, []string{"job_name", "outcome"}),
			duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
				Name:    "banlie_job_duration_seconds",
				Help:    "How long job runs took, by job.",
				Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
			}, []string{"job_name"}),
			rows: prometheus.NewHistogramVec(prometheus.HistogramOpts{
				Name:    "banlie_rollup_rows",
				Help:    "Roll-up rows (days and months) recomputed per successful roll-up, by job (rollup, rebuild).",
				Buckets: prometheus.ExponentialBuckets(1, 4, 9),
			}, []string{"job_name"}),
			lag: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "banlie_rollup_lag_seconds",
				Help: "Age of the oldest change not yet rolled up (0 when totals are up to date; NaN when the database cannot say).",
			}, func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				lag, err := st.RollupLag(ctx)
				if err != nil {
					return math.NaN()
				}
				return lag.Seconds()
			}),
		},
	}
}

// Collectors are the scheduler's metrics, for the /metrics registry.
func (s *Scheduler) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.metrics.runs, s.metrics.duration, s.metrics.rows, s.metrics.lag}
}

// LastAttempt answers how this instance's last attempt at a job ended,
// whether it ran the job or failed to record its start; ok is false while
// no attempt has ended.
func (s *Scheduler) LastAttempt(name string) (a Attempt, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok = s.last[name]
	return a, ok
}

func (s *Scheduler) attempted(name string, err error) {
	s.mu.Lock()
	s.last[name] = Attempt{At: time.Now(), Err: err}
	s.mu.Unlock()
}

// AbandonLeftRuns marks abandoned the runs that a dead process left
// running. On SQLite, where one process serves a database, that is every
// run left running but this scheduler's own; on PostgreSQL, shared by
// several instances, only those whose heartbeat is older than the lease.
// Call it at start; on PostgreSQL the lease loop (Start) calls it again
// every heartbeat.
func (s *Scheduler) AbandonLeftRuns(ctx context.Context) error {
	var staleBefore *time.Time
	if s.st.DB().Dialector.Name() == "postgres" {
		t := time.Now().Add(-s.Lease)
		staleBefore = &t
	}
	s.mu.Lock()
	keep := make([]int64, 0, len(s.running))
	for id := range s.running {
		keep = append(keep, id)
	}
	s.mu.Unlock()
	runs, err := s.st.AbandonJobRuns(ctx, keep, staleBefore)
	for _, r := range runs {
		s.metrics.runs.WithLabelValues(r.Name, models.JobAbandoned).Inc()
		s.log.Warn("job run abandoned", "job", r.Name, "job_run_id", r.ID, "instance", r.Instance, "started_at", r.StartedAt)
	}
	return err
}

// leaseLoop renews the heartbeat of this instance's running runs and, on
// PostgreSQL, abandons the runs of instances whose lease lapsed.
func (s *Scheduler) leaseLoop() {
	defer close(s.lease)
	t := time.NewTicker(s.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		ids := make([]int64, 0, len(s.running))
		for id := range s.running {
			ids = append(ids, id)
		}
		s.mu.Unlock()
		if err := s.st.HeartbeatJobRuns(s.ctx, ids); err != nil && s.ctx.Err() == nil {
			s.log.Error("job heartbeat not recorded", "err", err)
		}
		if s.st.DB().Dialector.Name() == "postgres" {
			if err := s.AbandonLeftRuns(s.ctx); err != nil && s.ctx.Err() == nil {
				s.log.Error("abandoned job runs not marked", "err", err)
			}
		}
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

// Start starts the schedules and the lease loop.
func (s *Scheduler) Start() {
	s.mu.Lock()
	if s.lease == nil {
		s.lease = make(chan struct{})
		go s.leaseLoop()
	}
	s.mu.Unlock()
	s.cron.Start()
}

// Stop stops the schedules, cancels running jobs and waits for them to end.
func (s *Scheduler) Stop() {
	done := s.cron.Stop()
	s.cancel()
	<-done.Done()
	s.mu.Lock()
	if s.lease != nil {
		lease := s.lease
		s.mu.Unlock()
		<-lease
		s.mu.Lock()
	}
	entries := make([]*entry, 0, len(s.entries))
	for _, e := range s.entries {
		entries = append(entries, e)
	}
	s.mu.Unlock()
	for _, e := range entries { // manual runs, too
		e.mu.Lock()
		//lint:ignore SA2001 taking the lock was waiting for the entry's run to end
		e.mu.Unlock()
	}
	s.background.Wait()
}

// tick runs a scheduled occurrence, unless the previous run is still going
// or another instance claimed this tick.
func (s *Scheduler) tick(e *entry, scheduled time.Time) {
	if !e.mu.TryLock() {
		s.log.Warn("job still running; tick skipped", "job", e.job.Name, "scheduled_at", scheduled)
		return
	}
	defer e.mu.Unlock()
	run, claimed, err := s.st.ClaimJobRun(s.ctx, store.System, e.job.Name, &scheduled, s.instance)
	if err != nil {
		s.log.Error("job not started", "job", e.job.Name, "err", err)
		if s.ctx.Err() == nil {
			s.notStarted(e.job.Name, err)
		}
		return
	}
	if !claimed {
		s.log.Info("tick claimed by another instance", "job", e.job.Name, "scheduled_at", scheduled)
		return
	}
	s.execute(s.ctx, store.System, e, run)
}

// RunNow runs a job at once (waiting for a running one to end first) and
// answers the recorded run. An unknown name is ENOTFOUND.
func (s *Scheduler) RunNow(ctx context.Context, w store.Write, name string) (models.JobRun, error) {
	s.mu.Lock()
	e := s.entries[name]
	s.mu.Unlock()
	if e == nil {
		return models.JobRun{}, models.Errorf(models.ENOTFOUND, "no job named %q", name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	run, _, err := s.st.ClaimJobRun(ctx, w, name, nil, s.instance)
	if err != nil {
		if ctx.Err() == nil {
			s.notStarted(name, err)
		}
		return models.JobRun{}, err
	}
	// The job stops when the caller goes away or the scheduler stops; its
	// own writes are not the request's (no Idempotency-Key of its own).
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	return s.execute(jctx, w.Unclaimed(), e, run)
}

// Trigger starts a run of a job now and answers the recorded run, still
// running, at once: the run goes on in the background, after a run of the
// same job in progress on this instance has ended, and stops when the
// scheduler stops. While a run by hand waits so, Trigger answers that run
// again instead of recording another. Ended(id) says when it is over. An unknown name is
// ENOTFOUND. The run is claimed under w (its Idempotency-Key claim is
// recorded with it); the job's own writes are not the request's.
func (s *Scheduler) Trigger(ctx context.Context, w store.Write, name string) (models.JobRun, error) {
	s.mu.Lock()
	e := s.entries[name]
	s.mu.Unlock()
	if e == nil {
		return models.JobRun{}, models.Errorf(models.ENOTFOUND, "no job named %q", name)
	}
	// One run by hand waits at most: asked again meanwhile, the job answers
	// that run, so that retries cannot queue rebuild after rebuild.
	e.trigger.Lock()
	defer e.trigger.Unlock()
	s.mu.Lock()
	if q := e.queued; q != nil {
		s.mu.Unlock()
		return *q, nil
	}
	s.mu.Unlock()
	run, _, err := s.st.ClaimJobRun(ctx, w, name, nil, s.instance)
	if err != nil {
		if ctx.Err() == nil {
			s.notStarted(name, err)
		}
		return models.JobRun{}, err
	}
	ended := make(chan struct{})
	s.mu.Lock()
	// Its heartbeat is renewed while it waits for the run before it.
	s.running[run.ID] = true
	s.ended[run.ID] = ended
	queued := run
	e.queued = &queued
	s.mu.Unlock()
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer func() {
			s.mu.Lock()
			delete(s.ended, run.ID)
			delete(s.running, run.ID)
			s.mu.Unlock()
			close(ended)
		}()
		e.mu.Lock()
		defer e.mu.Unlock()
		s.mu.Lock()
		if e.queued != nil && e.queued.ID == run.ID {
			e.queued = nil // it runs: the next run by hand waits for it
		}
		s.mu.Unlock()
		if _, err := s.execute(s.ctx, w.Unclaimed(), e, run); err != nil {
			s.log.Error("job run by hand", "job", name, "job_run_id", run.ID, "err", err)
		}
	}()
	return run, nil
}

// Ended answers a channel closed when a run this instance started with
// Trigger has ended (its end recorded); for any other run, a closed one.
func (s *Scheduler) Ended(id int64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.ended[id]; ok {
		return ch
	}
	ch := make(chan struct{})
	close(ch)
	return ch
}

// notStarted counts an attempt whose start could not be recorded.
func (s *Scheduler) notStarted(name string, err error) {
	s.metrics.runs.WithLabelValues(name, models.JobFailed).Inc()
	s.attempted(name, errors.New("the run could not be recorded: "+clientReason(err, 0)))
}

// clientReason is the cause of a failure in words fit for a client: the
// database's state, a coded error's message, or a pointer to the log.
func clientReason(err error, runID int64) string {
	if reason, ok := store.Unavailable(err); ok {
		return reason
	}
	var coded *models.Error
	if errors.As(err, &coded) && coded.Code != models.EINTERNAL {
		return coded.Message
	}
	if runID > 0 {
		return fmt.Sprintf("the server log has the cause (job run %d)", runID)
	}
	return "the server log has the cause"
}

type rowsKey struct{}

// reportRows lets a job say how many rows it wrote, for the metrics.
func reportRows(ctx context.Context, n int) {
	if f, ok := ctx.Value(rowsKey{}).(func(int)); ok {
		f(n)
	}
}

// execute runs a claimed run and records how it ended. It answers the
// recorded run, or an error when its end could not be recorded (the run
// stays running until its lease lapses or the next start).
func (s *Scheduler) execute(ctx context.Context, w store.Write, e *entry, run models.JobRun) (models.JobRun, error) {
	s.mu.Lock()
	s.running[run.ID] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, run.ID)
		s.mu.Unlock()
	}()
	rows := -1
	ctx = context.WithValue(ctx, rowsKey{}, func(n int) { rows = n })
	start := time.Now()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("job panicked", "job", e.job.Name, "panic", p, "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return e.job.Run(ctx, w)
	}()
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
	}
	took := time.Since(start)
	s.log.Log(ctx, level, "job finished", "job", e.job.Name, "job_run_id", run.ID, "took", took, "err", err)
	s.metrics.duration.WithLabelValues(e.job.Name).Observe(took.Seconds())
	// Record the end even if ctx was cancelled by shutdown. The recorded
	// error is one a client may read: internals stay in the log.
	if err != nil {
		var coded *models.Error
		if reason, ok := store.Unavailable(err); ok {
			err = errors.New("the job failed: " + reason)
		} else if !errors.As(err, &coded) || models.ErrorCode(err) == models.EINTERNAL {
			err = fmt.Errorf("the job failed; the server log has the cause (job run %d)", run.ID)
		} else {
			err = errors.New(coded.Message)
		}
	} else if rows >= 0 {
		s.metrics.rows.WithLabelValues(e.job.Name).Observe(float64(rows))
	}
	done, ferr := s.st.FinishJobRun(context.WithoutCancel(ctx), run.ID, err)
	if ferr != nil {
		s.log.Error("job end not recorded", "job", e.job.Name, "job_run_id", run.ID, "err", ferr)
		s.metrics.runs.WithLabelValues(e.job.Name, models.JobFailed).Inc()
		if err == nil {
			err = errors.New("the run's end could not be recorded: " + clientReason(ferr, run.ID))
		}
		s.attempted(e.job.Name, err)
		return run, fmt.Errorf("job %s, run %d: %w", e.job.Name, run.ID, ferr)
	}
	outcome := models.JobOK
	if err != nil {
		outcome = models.JobFailed
	}
	s.metrics.runs.WithLabelValues(e.job.Name, outcome).Inc()
	s.attempted(e.job.Name, err)
	return done, nil
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
		last, ran, err := s.st.LastJobRun(ctx, n)
		if err != nil {
			return nil, err
		}
		if ran {
			info.LastRun = &last
		}
		if next := s.cron.Entry(e.id).Next; !next.IsZero() {
			t := next.In(s.st.Loc)
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
