package dispatch_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/leksono/sapa/channels/dispatch"
)

// BenchmarkDispatcher is the runtime's cost per message on the burst's
// shape: 64 workers, messages added round-robin over the chats (500, as
// the load benchmark's citizens, or one chat taking them all) with a
// handler that does nothing. Compare allocs/op before changing the
// dispatcher's data structures: the hot path allocates nothing in steady
// state.
func BenchmarkDispatcher(b *testing.B) {
	type update struct {
		id   int
		chat int64
	}
	for _, chats := range []int{1, 500} {
		b.Run(fmt.Sprintf("chats=%d", chats), func(b *testing.B) {
			var wg sync.WaitGroup
			pool := dispatch.NewPool(64)
			ctx := context.Background()
			d := dispatch.New(ctx, ctx, pool, dispatch.Config[int64, update]{
				Name:     "bench update",
				Handle:   func(context.Context, int64, update) error { return nil },
				Finished: func(int64, update) { wg.Done() },
				Log:      quiet(),
			})
			b.ReportAllocs()
			wg.Add(b.N)
			for i := range b.N {
				d.Add(int64(i%chats), update{id: i, chat: int64(i % chats)})
			}
			wg.Wait()
			b.StopTimer()
			d.Close()
			pool.Close()
		})
	}
}
