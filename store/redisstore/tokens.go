package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Tokens keeps short-lived values by name, each with its own expiry: the
// office console's login codes, sessions and spent one-time links. Callers
// store hashes, never the secrets themselves, so whoever reads Redis cannot
// log in with what they find.
type Tokens struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewTokens keeps tokens under <prefix>tok:.
func NewTokens(rdb redis.UniversalClient, prefix string) *Tokens {
	return &Tokens{rdb: rdb, prefix: prefix + "tok:"}
}

// Put stores value under name for ttl, replacing what was there.
func (t *Tokens) Put(ctx context.Context, name string, value []byte, ttl time.Duration) error {
	if err := t.rdb.Set(ctx, t.prefix+escape(name), value, ttl).Err(); err != nil {
		return fmt.Errorf("put token: %w", err)
	}
	return nil
}

// Get returns the value under name, and false when there is none (never
// set, expired or deleted). With refresh above zero it also gives the token
// refresh more to live, in the same step: a session's idle timeout.
func (t *Tokens) Get(ctx context.Context, name string, refresh time.Duration) ([]byte, bool, error) {
	var cmd *redis.StringCmd
	if refresh > 0 {
		cmd = t.rdb.GetEx(ctx, t.prefix+escape(name), refresh)
	} else {
		cmd = t.rdb.Get(ctx, t.prefix+escape(name))
	}
	v, err := cmd.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get token: %w", err)
	}
	return v, true, nil
}

// Delete removes the token under name and reports whether it was there: of
// two callers racing to spend one token, exactly one gets true.
func (t *Tokens) Delete(ctx context.Context, name string) (bool, error) {
	n, err := t.rdb.Del(ctx, t.prefix+escape(name)).Result()
	if err != nil {
		return false, fmt.Errorf("delete token: %w", err)
	}
	return n == 1, nil
}

// countScript adds one to a counter and starts its expiry with the first.
var countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// Count adds one to the counter under name, which lives ttl from its first
// count, and returns the count: the tries at a code, the codes sent to one
// officer in an hour.
func (t *Tokens) Count(ctx context.Context, name string, ttl time.Duration) (int64, error) {
	n, err := countScript.Run(ctx, t.rdb, []string{t.prefix + escape(name)}, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("count token: %w", err)
	}
	return n, nil
}

// Claim reports true to exactly one caller per name within ttl (SET NX),
// across every process: a one-time link is spent once.
func (t *Tokens) Claim(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	ok, err := t.rdb.SetNX(ctx, t.prefix+escape(name), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim token: %w", err)
	}
	return ok, nil
}

// Changes carries the tickets of changed cases between processes, through
// Redis pub/sub: whichever process writes a change, every process's
// console hears of it. A ticket names no person; nothing else is sent.
type Changes struct {
	rdb     redis.UniversalClient
	channel string
	log     *slog.Logger
}

// NewChanges publishes and listens on <prefix>case-changed.
func NewChanges(rdb redis.UniversalClient, prefix string, log *slog.Logger) *Changes {
	if log == nil {
		log = slog.Default()
	}
	return &Changes{rdb: rdb, channel: prefix + "case-changed", log: log}
}

// Publish tells every listener that the case with ticket changed.
func (c *Changes) Publish(ctx context.Context, ticket string) error {
	if err := c.rdb.Publish(ctx, c.channel, ticket).Err(); err != nil {
		return fmt.Errorf("publish change of %s: %w", ticket, err)
	}
	return nil
}

// Tell is Publish for the case store's change hook (pgstore's OnChange):
// it waits at most a second, and a failure is logged, never the writer's:
// the change is stored, the consoles will see it at their next refresh.
func (c *Changes) Tell(ticket string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Publish(ctx, ticket); err != nil {
		c.log.Warn("consoles not told of a case change", "ticket", ticket, "err", err)
	}
}

// Listen calls tell with the ticket of every change published until ctx is
// done, and ready once it listens (what is published before may be
// missed). A dropped connection is taken up again by the client.
func (c *Changes) Listen(ctx context.Context, ready func(), tell func(ticket string)) error {
	ps := c.rdb.Subscribe(ctx, c.channel)
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for case changes: %w", err)
	}
	if ready != nil {
		ready()
	}
	msgs := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			tell(m.Payload)
		}
	}
}
