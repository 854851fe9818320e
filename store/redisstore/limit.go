package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// takeScript spends one token of a bucket holding at most ARGV[2] tokens
// and refilled with one every ARGV[3] ms, at the caller's clock ARGV[1]
// (ms). It returns 0 when a token was spent, else the ms until one will be
// there. The bucket expires once it would be full again.
var takeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local tokens, last = burst, now
local b = redis.call('HMGET', KEYS[1], 't', 'k')
if b[1] and b[2] then
	last, tokens = tonumber(b[1]), tonumber(b[2])
	if now > last then
		tokens = math.min(burst, tokens + (now - last) / interval)
		last = now
	end
end
local wait = 0
if tokens < 1 then
	wait = math.ceil((1 - tokens) * interval)
else
	tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 't', tostring(last), 'k', tostring(tokens))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * interval) + 1000)
return wait
`)

// Take spends one token of key's bucket at now: burst tokens at most, one
// more every interval. It returns 0 when there was a token, else how long
// until there will be one, having spent nothing. One round trip; every
// process sharing the Redis counts in the same bucket (clocks kept in sync
// by NTP, as Begin assumes). It implements letters.Limiter.
func (s *Store) Take(ctx context.Context, key string, burst int, interval time.Duration, now time.Time) (time.Duration, error) {
	if burst < 1 || interval < time.Millisecond {
		return 0, fmt.Errorf("take from %s: burst %d every %s is not a limit", key, burst, interval)
	}
	ms, err := takeScript.Run(ctx, s.rdb, []string{s.prefix + "limit:" + escape(key)},
		now.UnixMilli(), burst, interval.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("take from %s: %w", key, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
