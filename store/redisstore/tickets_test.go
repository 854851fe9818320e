package redisstore_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// Ticket numbers come from one Redis counter per office day, seeded from
// the database when it is missing; numbers taken at the same moment (they
// share a pipeline) are all different.
func TestNextTicketNumber(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s, rdb, prefix, _ := newStore(t, b)
		ctx := context.Background()
		var seeded atomic.Int32
		seed := func(context.Context) (int64, error) { seeded.Add(1); return 41, nil }

		if n, err := s.NextTicketNumber(ctx, "2026-11-27", seed); err != nil || n != 42 {
			t.Fatalf("first number = %d, %v; want 42, seeded from the database's 41", n, err)
		}
		const n = 50
		got := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { got[i], errs[i] = s.NextTicketNumber(ctx, "2026-11-27", seed) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("concurrent numbers: %v", err)
		}
		slices.Sort(got)
		for i, v := range got {
			if v != int64(43+i) {
				t.Fatalf("concurrent numbers = %v, want 43..92 each once", got)
			}
		}
		if c := seeded.Load(); c != 1 {
			t.Errorf("seeded %d times, want once", c)
		}

		// Another day has its own counter.
		if n, err := s.NextTicketNumber(ctx, "2026-11-28", func(context.Context) (int64, error) { return 0, nil }); err != nil || n != 1 {
			t.Errorf("next day's first number = %d, %v; want 1", n, err)
		}

		// Redis lost the counter (a restart without persistence): it is
		// seeded again from the database instead of starting over.
		keys := keysUnder(t, rdb, prefix)
		for _, k := range keys {
			if err := rdb.Del(ctx, k).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.NextTicketNumber(ctx, "2026-11-27", func(context.Context) (int64, error) { return 92, nil }); err != nil || n != 93 {
			t.Errorf("number after the counter was lost = %d, %v; want 93", n, err)
		}

		// Without a counter and without the database no number is given:
		// one could repeat a ticket already handed out.
		down := errors.New("database unreachable")
		if n, err := s.NextTicketNumber(ctx, "2026-11-29", func(context.Context) (int64, error) { return 0, down }); !errors.Is(err, down) || n != 0 {
			t.Errorf("number with no counter and no database = %d, %v; want an error", n, err)
		}
	})
}

// A counter found behind the database is raised past its last ticket,
// never lowered, and a missing one is set.
func TestRaiseTicketNumber(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s, _, _, _ := newStore(t, b)
		ctx := context.Background()
		zero := func(context.Context) (int64, error) { return 0, nil }
		if _, err := s.NextTicketNumber(ctx, "2026-11-27", zero); err != nil {
			t.Fatal(err)
		}
		if err := s.RaiseTicketNumber(ctx, "2026-11-27", 7); err != nil {
			t.Fatal(err)
		}
		if n, err := s.NextTicketNumber(ctx, "2026-11-27", zero); err != nil || n != 8 {
			t.Errorf("after raising to 7: %d, %v; want 8", n, err)
		}
		if err := s.RaiseTicketNumber(ctx, "2026-11-27", 3); err != nil {
			t.Fatal(err)
		}
		if n, err := s.NextTicketNumber(ctx, "2026-11-27", zero); err != nil || n != 9 {
			t.Errorf("after a lower raise: %d, %v; want 9", n, err)
		}
		if err := s.RaiseTicketNumber(ctx, "2026-11-28", 4); err != nil {
			t.Fatal(err)
		}
		if n, err := s.NextTicketNumber(ctx, "2026-11-28", zero); err != nil || n != 5 {
			t.Errorf("a missing counter raised to 4: %d, %v; want 5", n, err)
		}
	})
}
