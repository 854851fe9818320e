package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/conversation"
)

// Defaults of Begin's rate limit and chat lock.
const (
	// DefaultRateCapacity is how many messages a sender may send in a burst.
	DefaultRateCapacity = 20
	// DefaultRatePerMinute is how many messages a minute refill the bucket.
	DefaultRatePerMinute = 20
	// DefaultLockTTL is how long a chat's lock lives when its holder dies
	// without releasing it: longer than any message takes to handle.
	DefaultLockTTL = 30 * time.Second
	// NoticeInterval is the least time between two notices to a limited
	// sender.
	NoticeInterval = time.Minute
)

// gateConfig are the settings of Begin; the zero value means the defaults.
type gateConfig struct {
	rateSet   bool
	capacity  int
	perMinute float64
	lockTTL   time.Duration
}

// WithRateLimit sets the token bucket of each sender: capacity messages in a
// burst, refilled at perMinute messages a minute. Capacity 0 turns the limit
// off. Default 20 and 20. It panics on a negative capacity, or a positive
// capacity with a rate under 0.001 a minute (which would never refill).
func WithRateLimit(capacity int, perMinute float64) Option {
	if capacity < 0 || (capacity > 0 && perMinute < 0.001) {
		panic(fmt.Sprintf("redisstore: rate limit %d at %v per minute is invalid", capacity, perMinute))
	}
	return func(s *Store) { s.gate.rateSet, s.gate.capacity, s.gate.perMinute = true, capacity, perMinute }
}

// WithLockTTL sets how long a chat's lock survives a process that took it
// and died. Default 30s. It panics under a millisecond.
func WithLockTTL(d time.Duration) Option {
	if d < time.Millisecond {
		panic(fmt.Sprintf("redisstore: lock TTL %v under 1ms", d))
	}
	return func(s *Store) { s.gate.lockTTL = d }
}

func (s *Store) rateLimit() (int, float64) {
	if !s.gate.rateSet {
		return DefaultRateCapacity, DefaultRatePerMinute
	}
	return s.gate.capacity, s.gate.perMinute
}

func (s *Store) lockTTL() time.Duration {
	if s.gate.lockTTL == 0 {
		return DefaultLockTTL
	}
	return s.gate.lockTTL
}

// Begun is conversation.Begun: what Begin found.
type Begun = conversation.Begun

// ChatLease is conversation.ChatLease: a held lock on one chat.
type ChatLease = conversation.ChatLease

// gateKeys are the keys of Begin, in the chat's hash slot.
type gateKeys struct {
	keys
	rate, notice, lock string
}

// gateKeysFor names the keys of chat: the rate bucket and notice marker
// are per sender within the chat ("<base>rate" when the sender is the chat
// itself or unknown, "<base>rate:<sender>" in a group), the lock per chat.
func (s *Store) gateKeysFor(chat conversation.ChatKey, messageID, sender string) (gateKeys, error) {
	k, err := s.keysFor(chat, messageID)
	if err != nil {
		return gateKeys{}, err
	}
	base := k.state[:len(k.state)-len("state")]
	suffix := ""
	if sender != "" && sender != chat.ChatID {
		if err := checkID("sender id", sender); err != nil {
			return gateKeys{}, err
		}
		suffix = ":" + escape(sender)
	}
	return gateKeys{keys: k, rate: base + "rate" + suffix, notice: base + "notice" + suffix, lock: base + "lock"}, nil
}

// beginScript checks, in order: the message was handled (DUP); the sender's
// bucket has a token (else LIMITED, with whether a notice is due); the
// chat's lock is free (else BUSY, spending no token); then takes the lock
// and a token and reads the state and draft marker. Times are the caller's
// clock in ms, so all processes must keep their clocks in sync (NTP).
//
// KEYS: message (ignored when ARGV[1] is '0'), rate, notice, lock, state,
// draft. ARGV: has message, now ms, capacity, tokens per minute, lock
// token, lock TTL ms, notice interval ms.
var beginScript = redis.NewScript(`
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
	return {'DUP'}
end
local now = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local tokens, last = cap, now
if cap > 0 then
	local perMs = tonumber(ARGV[4]) / 60000
	local b = redis.call('HMGET', KEYS[2], 't', 'k')
	if b[1] and b[2] then
		last, tokens = tonumber(b[1]), tonumber(b[2])
		if now > last then
			tokens = math.min(cap, tokens + (now - last) * perMs)
			last = now
		end
	end
	local keep = math.ceil(cap / perMs) + 1000
	if tokens < 1 then
		redis.call('HSET', KEYS[2], 't', tostring(last), 'k', tostring(tokens))
		redis.call('PEXPIRE', KEYS[2], keep)
		local told = redis.call('GET', KEYS[3])
		if (not told) or now - tonumber(told) >= tonumber(ARGV[7]) then
			redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[7])
			return {'LIMITED', '1'}
		end
		return {'LIMITED', '0'}
	end
	if not redis.call('SET', KEYS[4], ARGV[5], 'NX', 'PX', ARGV[6]) then
		return {'BUSY'}
	end
	redis.call('HSET', KEYS[2], 't', tostring(last), 'k', tostring(tokens - 1))
	redis.call('PEXPIRE', KEYS[2], keep)
elseif not redis.call('SET', KEYS[4], ARGV[5], 'NX', 'PX', ARGV[6]) then
	return {'BUSY'}
end
local h = redis.call('HMGET', KEYS[5], 'v', 's')
return {'OK', h[1], h[2], redis.call('GET', KEYS[6])}
`)

// Begin starts handling message messageID of sender in chat at now, in one
// round trip (one script; plus one the first time a server meets it): it
// checks the message was not handled yet, spends a token of the sender's
// rate limit, takes the chat's lock and loads the state. See Begun for what
// each outcome asks of the caller. When the lease is held, end it with
// CommitWithLease, or Release on an error path; a holder that dies frees it
// after the lock TTL. An empty messageID skips the duplicate check; an
// empty sender, or the chat id itself, limits the chat as one sender.
func (s *Store) Begin(ctx context.Context, chat conversation.ChatKey, messageID, sender string, now time.Time) (Begun, ChatLease, error) {
	k, err := s.gateKeysFor(chat, messageID, sender)
	if err != nil {
		return Begun{}, ChatLease{}, fmt.Errorf("begin message of %s: %w", chat, err)
	}
	token, err := newToken()
	if err != nil {
		return Begun{}, ChatLease{}, fmt.Errorf("begin message of %s: %w", chat, err)
	}
	msgKey, hasMsg := k.msg, "1"
	if msgKey == "" {
		// A key of the chat's slot that the script does not read.
		msgKey, hasMsg = k.state, "0"
	}
	capacity, perMinute := s.rateLimit()
	res, err := s.scripts.run(ctx, beginScript,
		[]string{msgKey, k.rate, k.notice, k.lock, k.state, k.draft},
		hasMsg,
		now.UnixMilli(),
		capacity,
		strconv.FormatFloat(perMinute, 'g', -1, 64),
		token,
		s.lockTTL().Milliseconds(),
		NoticeInterval.Milliseconds(),
	).Slice()
	if err != nil {
		return Begun{}, ChatLease{}, fmt.Errorf("begin message of %s: %w", chat, err)
	}
	if len(res) == 0 {
		return Begun{}, ChatLease{}, fmt.Errorf("begin message of %s: empty script reply", chat)
	}
	switch res[0] {
	case "DUP":
		return Begun{Loaded: conversation.Loaded{Duplicate: true}}, ChatLease{}, nil
	case "LIMITED":
		return Begun{Limited: true, NoticeDue: len(res) > 1 && res[1] == "1"}, ChatLease{}, nil
	case "BUSY":
		return Begun{Busy: true}, ChatLease{}, nil
	case "OK":
	default:
		return Begun{}, ChatLease{}, fmt.Errorf("begin message of %s: unexpected script reply %v", chat, res[0])
	}
	lease := ChatLease{Chat: chat, Token: token}
	if len(res) != 4 {
		return Begun{}, ChatLease{}, s.releaseAfter(ctx, lease, fmt.Errorf("begin message of %s: %d values in script reply, want 4", chat, len(res)))
	}
	st, err := s.decode(chat, res[1:3])
	if err != nil {
		return Begun{}, ChatLease{}, s.releaseAfter(ctx, lease, fmt.Errorf("begin message of %s: %w", chat, err))
	}
	out := Begun{Loaded: conversation.Loaded{State: st}}
	if st == nil {
		if d, ok := res[3].(string); ok {
			out.ExpiredDraft = d
		}
		out.Lost = out.ExpiredDraft == "" && s.drafts.lost(chat)
	}
	return out, lease, nil
}

// releaseAfter releases lease after a failure err and returns err, joined
// with the release's own failure if any.
func (s *Store) releaseAfter(ctx context.Context, lease ChatLease, err error) error {
	if rerr := s.Release(ctx, lease); rerr != nil {
		return fmt.Errorf("%w; %w", err, rerr)
	}
	return err
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("lock token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// releaseScript deletes the lock only when it still holds the caller's
// token: a holder whose lock expired must not free its successor's.
//
// KEYS: lock. ARGV: token.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Release frees the chat's lock if lease still holds it, for the error
// paths where no commit follows Begin. Releasing a zero lease does nothing.
func (s *Store) Release(ctx context.Context, lease ChatLease) error {
	if !lease.Held() {
		return nil
	}
	k, err := s.gateKeysFor(lease.Chat, "", "")
	if err != nil {
		return fmt.Errorf("release lock of %s: %w", lease.Chat, err)
	}
	if err := releaseScript.Run(ctx, s.rdb, []string{k.lock}, lease.Token).Err(); err != nil {
		return fmt.Errorf("release lock of %s: %w", lease.Chat, err)
	}
	return nil
}

// commitLeaseScript is commitScript followed, on every outcome, by the
// release of the chat's lock when it still holds the caller's token.
//
// KEYS: state, draft marker, message, lock. ARGV: as commitScript, then
// the lock token.
var commitLeaseScript = redis.NewScript(commitLua(`
local function finish()
	if redis.call('GET', KEYS[4]) == ARGV[8] then
		redis.call('DEL', KEYS[4])
	end
end`))

// CommitWithLease is Commit that also releases the chat's lock held by
// lease, in the same script and round trip, whatever the outcome (also on
// ErrDuplicate and ErrConflict, after which the caller begins again). The
// version check still guards the write: a holder whose lock expired
// commits only if nobody advanced the state meanwhile. A lease of another
// chat than st.Chat is refused before anything is written.
func (s *Store) CommitWithLease(ctx context.Context, st conversation.State, messageID string, ttl time.Duration, lease ChatLease) error {
	if !lease.Held() || lease.Chat != st.Chat {
		return fmt.Errorf("commit state of %s: lease of %s does not cover it: %w", st.Chat, lease.Chat, ErrInvalidKey)
	}
	if messageID == "" {
		return fmt.Errorf("commit state of %s: empty message id: %w", st.Chat, ErrInvalidKey)
	}
	k, err := s.gateKeysFor(st.Chat, messageID, "")
	if err != nil {
		return fmt.Errorf("commit state of %s: %w", st.Chat, err)
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("commit state of %s: ttl %v under 1ms", st.Chat, ttl)
	}
	js, err := s.encode(st)
	if err != nil {
		// Nothing will be written: free the chat for its next message.
		return s.releaseAfter(ctx, lease, fmt.Errorf("commit state of %s: %w", st.Chat, err))
	}
	res, err := s.scripts.run(ctx, commitLeaseScript,
		[]string{k.state, k.draft, k.msg, k.lock},
		strconv.FormatInt(st.Version, 10),
		strconv.FormatInt(st.Version+1, 10),
		js,
		ttl.Milliseconds(),
		s.dedupTTL.Milliseconds(),
		st.Draft,
		s.draftTTL.Milliseconds(),
		lease.Token,
	).Text()
	return s.committed(st, ttl, commitResult(st, res, err))
}
