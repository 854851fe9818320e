package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

// PostgreSQL unreachable at start-up used to end the bot at once. A store
// from OpenLater starts without it, says it is not ready, and reaches it
// when it comes; Open still fails at once (for `bot check`), saying the
// database did not answer.
func TestOpenLaterReachesTheDatabaseWhenItComes(t *testing.T) {
	dsn, proxy := storetest.PostgresBehindProxy(t)
	proxy.Cut()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	if _, err := pgstore.Open(ctx, dsn, options(t)); !errors.Is(err, pgstore.ErrUnreachable) {
		t.Errorf("Open with the database down = %v, want ErrUnreachable", err)
	}
	s, err := pgstore.OpenLater(ctx, dsn, options(t))
	if err != nil {
		t.Fatalf("OpenLater with the database down: %v", err)
	}
	defer s.Close()
	if err := s.Ping(ctx); !errors.Is(err, pgstore.ErrNotReady) {
		t.Errorf("Ping before the database came = %v, want ErrNotReady", err)
	}
	if err := s.Connect(ctx); !errors.Is(err, pgstore.ErrUnreachable) {
		t.Errorf("Connect with the database down = %v, want ErrUnreachable", err)
	}
	connected := make(chan error, 1)
	go func() { connected <- s.KeepConnecting(ctx) }()
	proxy.Restore()
	if err := wait.Receive(t, "the store to reach the database", 60*time.Second, connected); err != nil {
		t.Fatalf("KeepConnecting = %v", err)
	}
	wait.Done(t, "Ready", time.Second, s.Ready())
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping once reached = %v", err)
	}
	if _, err := s.SubmitCase(ctx, sample(1)); err != nil {
		t.Errorf("submit once reached: %v", err)
	}
}

// A database that answers and refuses (keys it was not sealed with) is not
// waited for: KeepConnecting returns the refusal.
func TestKeepConnectingStopsOnARefusal(t *testing.T) {
	dsn := storetest.Postgres(t)
	ctx := context.Background()
	s, err := pgstore.Open(ctx, dsn, options(t))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	o := options(t)
	o.Keys = parseKeys(t, "k5:"+key32(5))
	later, err := pgstore.OpenLater(ctx, dsn, o)
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	var kerr *pgstore.KeysError
	if err := later.KeepConnecting(ctx); !errors.As(err, &kerr) {
		t.Errorf("KeepConnecting with other keys = %v, want a KeysError", err)
	}
}

func TestConnectTimeoutIsSetUnlessGiven(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u@h:5432/db?sslmode=disable": "postgres://u@h:5432/db?connect_timeout=5&sslmode=disable",
		"postgres://u@h/db?connect_timeout=9":    "postgres://u@h/db?connect_timeout=9",
		"host=h user=u dbname=db":                "host=h user=u dbname=db connect_timeout=5",
		"host=h connect_timeout=2":               "host=h connect_timeout=2",
		"postgresql://u:p%40ss@h/db":             "postgresql://u:p%40ss@h/db?connect_timeout=5",
	} {
		if got := pgstore.WithConnectTimeout(dsn); got != want {
			t.Errorf("%s: %s, want %s", dsn, got, want)
		}
	}
}
