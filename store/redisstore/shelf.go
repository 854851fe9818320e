package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Shelf keeps entries by id in one Redis hash, for the few that wait for an
// operator rather than a consumer (the dead letters): put one, list them,
// take one off. Entries are opaque bytes: a caller that stores personal
// data seals it first.
type Shelf struct {
	rdb redis.UniversalClient
	key string
}

// NewShelf opens the shelf at key.
func NewShelf(rdb redis.UniversalClient, key string) *Shelf { return &Shelf{rdb: rdb, key: key} }

// Put stores raw under id, replacing what was there.
func (s *Shelf) Put(ctx context.Context, id string, raw []byte) error {
	if err := s.rdb.HSet(ctx, s.key, id, raw).Err(); err != nil {
		return fmt.Errorf("put %s on %s: %w", id, s.key, err)
	}
	return nil
}

// Get returns the entry id; ok is false when there is none.
func (s *Shelf) Get(ctx context.Context, id string) (raw []byte, ok bool, err error) {
	raw, err = s.rdb.HGet(ctx, s.key, id).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get %s from %s: %w", id, s.key, err)
	}
	return raw, true, nil
}

// All returns every entry by id.
func (s *Shelf) All(ctx context.Context) (map[string][]byte, error) {
	all, err := s.rdb.HGetAll(ctx, s.key).Result()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.key, err)
	}
	out := make(map[string][]byte, len(all))
	for id, v := range all {
		out[id] = []byte(v)
	}
	return out, nil
}

// Delete takes the entry id off the shelf and reports whether it was there.
func (s *Shelf) Delete(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.HDel(ctx, s.key, id).Result()
	if err != nil {
		return false, fmt.Errorf("delete %s from %s: %w", id, s.key, err)
	}
	return n > 0, nil
}

// Len counts the entries.
func (s *Shelf) Len(ctx context.Context) (int, error) {
	n, err := s.rdb.HLen(ctx, s.key).Result()
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", s.key, err)
	}
	return int(n), nil
}
