package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/leksono/sapa/store/redisstore"
)

// handOver moves the Telegram updates a stopped process left in the other
// mode's Redis queues (taken and not handled, or not taken yet) to put, so
// switching between long polling and webhook loses none: the poll journal's
// go to the webhook shards by chat, the shards' to the journal. Each queue
// keeps its order, so each chat does. An update is removed only after put
// took it; a failure leaves the rest for the next start, and an update put
// twice is dropped by the engine as a repeat.
func handOver(ctx context.Context, from []*redisstore.Queue, put func(ctx context.Context, raw []byte) error, log *slog.Logger) error {
	moved := 0
	for _, q := range from {
		if _, err := q.Requeue(ctx); err != nil {
			return fmt.Errorf("hand over updates: %w", err)
		}
		for {
			msgs, err := q.Pop(ctx, 100, 0)
			if err != nil {
				return fmt.Errorf("hand over updates: %w", err)
			}
			if len(msgs) == 0 {
				break
			}
			for _, m := range msgs {
				if err := put(ctx, m); err != nil {
					return fmt.Errorf("hand over updates: %w", err)
				}
				if err := q.Ack(ctx, m); err != nil {
					return fmt.Errorf("hand over updates: %w", err)
				}
				moved++
			}
		}
	}
	if moved > 0 {
		log.Info("telegram updates moved from the other mode's queues", "updates", moved)
	}
	return nil
}
