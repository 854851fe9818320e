package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// nextTicketScript takes the next number of a day's counter, or answers -1
// when the counter is gone (a Redis restart), so the caller seeds it from
// the database first.
var nextTicketScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
	return -1
end
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
`)

// ticketKeyTTL keeps a day's counter a little past the day.
const ticketKeyTTL = 72 * time.Hour

// NextTicketNumber hands out the next ticket number of an office day
// ("2006-01-02"). Every process takes numbers here, so a number handed out
// while the database is down is never given again; when the counter is
// missing it is first set from seed (the database's last number), and a
// missing counter with no seed fails rather than risk a duplicate.
func (s *Store) NextTicketNumber(ctx context.Context, day string, seed func(ctx context.Context) (int64, error)) (int64, error) {
	key := s.prefix + "tickets:" + escape(day)
	for attempt := 0; attempt < 3; attempt++ {
		// Through the batcher: submissions at the same moment share a round
		// trip with each other and with the chats' Begin and Commit.
		n, err := s.scripts.run(ctx, nextTicketScript, []string{key}, ticketKeyTTL.Milliseconds()).Int64()
		if err != nil {
			return 0, fmt.Errorf("next ticket number of %s: %w", day, err)
		}
		if n > 0 {
			return n, nil
		}
		last, err := seed(ctx)
		if err != nil {
			return 0, fmt.Errorf("seed ticket counter of %s: %w", day, err)
		}
		// SET NX: another process may have seeded it meanwhile, with the
		// same database value.
		if err := s.rdb.SetNX(ctx, key, last, ticketKeyTTL).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return 0, fmt.Errorf("seed ticket counter of %s: %w", day, err)
		}
	}
	return 0, fmt.Errorf("next ticket number of %s: counter kept vanishing", day)
}

// SeedTicketNumber sets a day's counter to last unless it exists already,
// so numbers can be handed out on that day even if the database is down
// when its first case comes.
func (s *Store) SeedTicketNumber(ctx context.Context, day string, last int64) error {
	if err := s.rdb.SetNX(ctx, s.prefix+"tickets:"+escape(day), last, ticketKeyTTL).Err(); err != nil {
		return fmt.Errorf("seed ticket counter of %s: %w", day, err)
	}
	return nil
}

// raiseTicketScript sets a counter to a number when it is below it.
//
// KEYS: counter. ARGV: number, ttl ms.
var raiseTicketScript = redis.NewScript(`
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v < tonumber(ARGV[1]) then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0
`)

// RaiseTicketNumber moves a day's counter up to last when it is below it:
// the database holds a ticket the counter would give again (a counter
// another process did not share, or one Redis lost and seeded lower).
func (s *Store) RaiseTicketNumber(ctx context.Context, day string, last int64) error {
	err := raiseTicketScript.Run(ctx, s.rdb, []string{s.prefix + "tickets:" + escape(day)}, last, ticketKeyTTL.Milliseconds()).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("raise ticket counter of %s: %w", day, err)
	}
	return nil
}
