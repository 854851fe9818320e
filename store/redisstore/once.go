package redisstore

import (
	"context"
	"fmt"
	"time"
)

// Once reports true to exactly one caller per key within ttl, across every
// process sharing this Redis (SET NX): daily reminders run once even with
// several replicas. It implements conversation.OnceGuard.
func (s *Store) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.prefix+"once:"+escape(key), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", key, err)
	}
	return ok, nil
}
