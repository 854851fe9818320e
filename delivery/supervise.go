package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/leksono/sapa/internal/pause"
)

// Job is one long-running part of the bot: a chat channel, or a job
// beside the channels (an outbox, the reminders, the operations listener).
// Run serves until ctx is done.
type Job struct {
	Name string
	Run  func(ctx context.Context) error
}

// JobReporter is told when a supervised job fails (err set, running false)
// and when it runs again; *metrics.Metrics is one.
type JobReporter interface {
	JobState(name string, running bool, err error)
}

// Supervisor runs jobs side by side until the stop. A job that ends before
// the stop (a channel that cannot pair, a store it cannot open) stops only
// itself: one log line says which and why, /readyz shows it through Err,
// the reporter counts it, and the job is started again after a backoff.
// So WhatsApp trouble leaves Telegram, the terminal and the notifications
// on other channels running.
type Supervisor struct {
	log      *slog.Logger
	report   JobReporter
	min, max time.Duration

	mu     sync.Mutex
	failed map[string]error
}

// Restart waits of a Supervisor: the first after a failure, doubled after
// each further one up to the last.
const (
	RestartFirst = time.Minute
	RestartMax   = 30 * time.Minute
)

// NewSupervisor returns a supervisor logging to log and reporting to r
// (nil: nobody).
func NewSupervisor(log *slog.Logger, r JobReporter) *Supervisor {
	return &Supervisor{log: cmp.Or(log, slog.Default()), report: r, min: RestartFirst, max: RestartMax, failed: map[string]error{}}
}

// Run runs every job until ctx is done and they all returned. It returns
// nil: a failing job is restarted, never the reason to stop the others.
func (s *Supervisor) Run(ctx context.Context, jobs []Job) error {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { s.keep(ctx, j) })
	}
	wg.Wait()
	return nil
}

// Err is why job name is not running now, nil while it runs (or was never
// started): what /readyz shows for it.
func (s *Supervisor) Err(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed[name]
}

// keep runs j until ctx is done, starting it again each time it ends
// before.
func (s *Supervisor) keep(ctx context.Context, j Job) {
	wait := pause.Backoff{Min: s.min, Max: s.max}
	for {
		start := time.Now()
		err := j.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("stopped by itself")
		}
		if time.Since(start) > s.max {
			wait.Reset() // it had been running fine: this is a new failure
		}
		delay := wait.Next()
		s.setFailed(j.Name, fmt.Errorf("stopped at %s: %w; starting it again in %s", time.Now().Format("15:04:05"), err, delay))
		s.log.Error(j.Name+" stopped; everything else keeps running, and it is started again after a pause",
			"job", j.Name, "err", err, "retry_in", delay)
		if !pause.For(ctx, delay) {
			return
		}
		s.setFailed(j.Name, nil)
		s.log.Info(j.Name+" starting again", "job", j.Name)
	}
}

func (s *Supervisor) setFailed(name string, err error) {
	s.mu.Lock()
	if err == nil {
		delete(s.failed, name)
	} else {
		s.failed[name] = err
	}
	s.mu.Unlock()
	if s.report != nil {
		s.report.JobState(name, err == nil, err)
	}
}
