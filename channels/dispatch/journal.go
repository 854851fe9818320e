package dispatch

import (
	"context"
	"fmt"
	"time"
)

// Journal keeps the messages a channel has taken from its platform and not
// finished, so they can be confirmed to the platform at once (Telegram's
// offset, WhatsApp's acknowledgement) and a crash still loses none. An
// entry is the channel's own encoding of a message. redisstore.Queue
// implements it; it must be durable: a Redis server, never the in-process
// store.
type Journal interface {
	// Hold records taken as being handled and removes handled, in one
	// step; when it returns nil, taken survives a crash of this process.
	Hold(ctx context.Context, taken, handled [][]byte) error
	// Requeue puts back what a stopped process held and did not remove;
	// Pop then takes it, oldest first, holding it again.
	Requeue(ctx context.Context) (int, error)
	Pop(ctx context.Context, max int, wait time.Duration) ([][]byte, error)
}

// replayBatch is how many entries Replay takes from the journal at a time.
const replayBatch = 100

// Replay hands each what a stopped process left in j, oldest first: it puts
// the entries back and takes them again, so they stay held until the
// channel removes them (Hold with handled). Those messages are older than
// anything the platform still has, so a channel replays before it reads
// anew. It returns how many entries were put back; on an error the channel
// tries again later, and each may see an entry it was already given.
func Replay(ctx context.Context, j Journal, each func(raw []byte)) (int, error) {
	n, err := j.Requeue(ctx)
	if err != nil {
		return 0, fmt.Errorf("replay journal: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	for ctx.Err() == nil {
		entries, err := j.Pop(ctx, replayBatch, 0)
		if err != nil {
			return n, fmt.Errorf("replay journal: %w", err)
		}
		if len(entries) == 0 {
			return n, nil
		}
		for _, raw := range entries {
			each(raw)
		}
	}
	return n, fmt.Errorf("replay journal: %w", ctx.Err())
}
