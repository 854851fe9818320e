package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/conversation"
)

// moveTries bounds the attempts of MoveChat when a message of the target
// chat commits between its read and its write.
const moveTries = 3

// moveInScript writes a moved state into the target chat if the target's
// version is still the one read, with a version above both chats' so a
// message in flight in either conflicts and is handled again on the moved
// state.
//
// KEYS: target state, target draft marker. ARGV: expected target version
// ("0": none), new version, state JSON ("": only the marker moves), state
// TTL ms, draft service ("": leave the marker), draft TTL ms.
var moveInScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then
	v = '0'
end
if v ~= ARGV[1] then
	return 'CONFLICT'
end
if ARGV[3] ~= '' then
	redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3])
	redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
if ARGV[5] ~= '' then
	redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6])
end
return 'OK'
`)

// moveOutScript deletes the source chat's state and draft marker unless a
// message committed to it after it was read.
//
// KEYS: source state, source draft marker. ARGV: version read ("0": none).
var moveOutScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then
	v = '0'
end
if v ~= ARGV[1] then
	return 'CONFLICT'
end
redis.call('DEL', KEYS[1], KEYS[2])
return 'OK'
`)

// MoveChat moves what is kept of chat from to chat to, for one person who
// was known under two chat ids (WhatsApp's LID before their phone number
// was known, then the number): the state, when to has none or an older
// one, and the marker of an unfinished draft. The state is moved as stored,
// sealed answers sealed. from is emptied either way. It reports whether a
// state was moved. The two chats may live in different cluster slots, so
// the move is two atomic steps, each checked against a message committing
// meanwhile; a message of from handled during the move may leave a state
// under from that expires with its TTL.
func (s *Store) MoveChat(ctx context.Context, from, to conversation.ChatKey) (bool, error) {
	if from == to {
		return false, nil
	}
	kf, err := s.keysFor(from, "")
	if err != nil {
		return false, fmt.Errorf("move %s to %s: %w", from, to, err)
	}
	kt, err := s.keysFor(to, "")
	if err != nil {
		return false, fmt.Errorf("move %s to %s: %w", from, to, err)
	}
	for try := 1; ; try++ {
		moved, err := s.moveOnce(ctx, kf, kt)
		if err == nil {
			return moved, nil
		}
		if !errors.Is(err, conversation.ErrConflict) || try >= moveTries {
			return false, fmt.Errorf("move %s to %s: %w", from, to, err)
		}
	}
}

// stored is what MoveChat reads of one chat.
type stored struct {
	version string // "0" without a state
	js      string
	ttl     time.Duration
	updated time.Time
}

func (s *Store) moveOnce(ctx context.Context, kf, kt keys) (bool, error) {
	var src, dst stored
	var srcHash, dstHash *redis.SliceCmd
	var srcTTL, draftTTL *redis.DurationCmd
	var srcDraft *redis.StringCmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		srcHash = p.HMGet(ctx, kf.state, "v", "s")
		srcTTL = p.PTTL(ctx, kf.state)
		srcDraft = p.Get(ctx, kf.draft)
		draftTTL = p.PTTL(ctx, kf.draft)
		dstHash = p.HMGet(ctx, kt.state, "v", "s")
		return nil
	})
	if err := readStored(srcHash, &src); err != nil {
		return false, err
	}
	if err := readStored(dstHash, &dst); err != nil {
		return false, err
	}
	draft, err := srcDraft.Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("read draft marker: %w", err)
	}
	if src.version == "0" && draft == "" {
		return false, nil
	}
	if src.ttl, err = srcTTL.Result(); err != nil {
		return false, fmt.Errorf("read state ttl: %w", err)
	}
	dttl, err := draftTTL.Result()
	if err != nil {
		return false, fmt.Errorf("read draft ttl: %w", err)
	}

	// The newer state wins; the draft marker goes with the state, or to a
	// chat that has none, since it only tells a returning citizen that a
	// form expired.
	move := src.version != "0" && (dst.version == "0" || src.updated.After(dst.updated))
	js := ""
	if move {
		js = src.js
	}
	movedDraft := ""
	if draft != "" && dttl > 0 && (move || dst.version == "0") {
		movedDraft = draft
	}
	if js != "" || movedDraft != "" {
		next := max(atoi(src.version), atoi(dst.version)) + 1
		ttl := src.ttl
		if ttl <= 0 {
			ttl = s.draftTTL // a state without expiry: keep it a while, not for ever
		}
		res, err := moveInScript.Run(ctx, s.rdb, []string{kt.state, kt.draft},
			dst.version, strconv.FormatInt(next, 10), js, ttl.Milliseconds(),
			movedDraft, max(dttl, time.Millisecond).Milliseconds()).Text()
		if err != nil {
			return false, fmt.Errorf("write moved state: %w", err)
		}
		if res != "OK" {
			return false, fmt.Errorf("target changed meanwhile: %w", conversation.ErrConflict)
		}
	}
	res, err := moveOutScript.Run(ctx, s.rdb, []string{kf.state, kf.draft}, src.version).Text()
	if err != nil {
		return false, fmt.Errorf("delete moved state: %w", err)
	}
	if res != "OK" {
		return false, fmt.Errorf("source changed meanwhile: %w", conversation.ErrConflict)
	}
	return move, nil
}

// readStored reads the HMGET v s reply of a state hash into st: version
// "0" when there is none, and the time of the citizen's last message.
func readStored(cmd *redis.SliceCmd, st *stored) error {
	vals, err := cmd.Result()
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	st.version = "0"
	if len(vals) != 2 || vals[0] == nil {
		return nil
	}
	v, okV := vals[0].(string)
	js, okS := vals[1].(string)
	if !okV || !okS {
		return errors.New("read state: hash lacks field v or s")
	}
	var r struct {
		UpdatedAt time.Time `json:"updated_at"`
	}
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	st.version, st.js, st.updated = v, js, r.UpdatedAt
	return nil
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
