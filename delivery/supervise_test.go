package delivery

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/internal/wait"
)

type jobStates struct {
	mu  sync.Mutex
	got []string
}

func (r *jobStates) JobState(name string, running bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if running {
		r.got = append(r.got, name+" up")
	} else {
		r.got = append(r.got, name+" down")
	}
}

func (r *jobStates) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// TestSupervisorKeepsTheOthersWhenOneFails: a job that fails at start
// (WhatsApp that cannot pair) stops neither the other jobs nor the
// supervisor; it is reported, visible in Err, logged once per failure and
// started again after the backoff.
func TestSupervisorKeepsTheOthersWhenOneFails(t *testing.T) {
	var logs syncBuf
	states := &jobStates{}
	s := NewSupervisor(slog.New(slog.NewTextHandler(&logs, nil)), states)
	s.min, s.max = 20*time.Millisecond, time.Second

	var tries atomic.Int32
	retried := make(chan struct{})
	telegram := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, []Job{
			{Name: "telegram", Run: func(ctx context.Context) error {
				close(telegram)
				<-ctx.Done()
				return nil
			}},
			{Name: "whatsapp", Run: func(ctx context.Context) error {
				if tries.Add(1) == 2 {
					close(retried)
					<-ctx.Done()
					return nil
				}
				return errors.New("pairing failed: websocket: bad handshake")
			}},
		})
	}()
	<-telegram
	select {
	case <-retried:
	case <-time.After(5 * time.Second):
		t.Fatal("the failed job was not started again")
	}
	if err := s.Err("whatsapp"); err != nil {
		t.Errorf("Err(whatsapp) = %v while it runs again", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v after the stop", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the stop")
	}
	if got := strings.Join(states.list(), ","); got != "whatsapp down,whatsapp up" {
		t.Errorf("reported %q", got)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 || !strings.Contains(logs.String(), "bad handshake") {
		t.Errorf("%d error lines, want one with the cause:\n%s", n, logs.String())
	}
}

func TestSupervisorErrWhileWaiting(t *testing.T) {
	s := NewSupervisor(slog.New(slog.DiscardHandler), nil)
	s.min, s.max = time.Hour, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, []Job{{Name: "whatsapp", Run: func(context.Context) error { return errors.New("store: unsupported database schema version") }}})
	wait.Until(t, "Err(whatsapp) to report the failure", 5*time.Second, func() bool { return s.Err("whatsapp") != nil })
	if err := s.Err("whatsapp"); !strings.Contains(err.Error(), "unsupported database schema version") || !strings.Contains(err.Error(), "again in 1h") {
		t.Errorf("Err = %v", err)
	}
}

// syncBuf is a log buffer several goroutines write.
type syncBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
