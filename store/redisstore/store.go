// Package redisstore keeps conversation states in Redis. Each chat's keys
// share a Redis Cluster hash tag, so one Lua script can check the version,
// write the state and record the handled message atomically, in one round
// trip.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// ErrTooLarge is returned by Commit, wrapped, when the encoded state exceeds
// the store's maximum size. Nothing is stored then.
var ErrTooLarge = errors.New("conversation state too large")

// Defaults of the options.
const (
	DefaultDedupTTL     = 48 * time.Hour
	DefaultDraftTTL     = 30 * 24 * time.Hour
	DefaultMaxStateSize = 64 << 10
)

// Store is a conversation.StateStore on Redis. Keys, for chat C on channel H
// (both escaped, see keysFor):
//
//	<prefix>{H:C}:state       hash: v = version, s = state JSON; expires after the commit's ttl
//	<prefix>{H:C}:draft       service code of an unfinished draft; expires after the draft TTL
//	<prefix>{H:C}:msg:<id>    message id handled; expires after the dedup TTL
//
// A Store is safe for concurrent use.
type Store struct {
	rdb          redis.UniversalClient
	prefix       string
	dedupTTL     time.Duration
	draftTTL     time.Duration
	maxStateSize int
	gate         gateConfig // rate limit and chat lock of Begin, see begin.go
	scripts      *scriptBatcher
	sealer       FieldSealer     // nil: answers are stored as typed
	sealed       map[string]bool // fields whose answers sealer seals
	sealAll      bool            // sealer seals every answer
	drafts       drafts          // the drafts this process left, to tell a lost one
}

var _ conversation.StateStore = (*Store)(nil)

// Option changes a setting of New.
type Option func(*Store)

// WithDedupTTL sets how long a handled message ID is remembered, so that a
// platform redelivering it is answered only once. Default 48h.
func WithDedupTTL(d time.Duration) Option { return func(s *Store) { s.dedupTTL = d } }

// WithDraftTTL sets how long, after the last commit of an unfinished form,
// the store remembers that a draft existed, so that a citizen returning after
// the state expired is told so. Default 30 days.
func WithDraftTTL(d time.Duration) Option { return func(s *Store) { s.draftTTL = d } }

// WithMaxStateSize sets the largest encoded state, in bytes, that Commit
// accepts. Default 64 KiB.
func WithMaxStateSize(n int) Option { return func(s *Store) { s.maxStateSize = n } }

// FieldSealer encrypts a form answer for one field and decrypts it back.
// pgstore.Keys implements it.
type FieldSealer interface {
	Seal(field, plaintext string) (string, error)
	Open(field, sealed string) (string, error)
}

// WithSealedFields has the answers to fields (NIK and KK numbers) sealed by
// sealer in every stored state: an unfinished form rests in Redis for up to
// a day, and so in its memory, dumps and replicas. States stored before keep
// being read; the keys must still open what they sealed until those states
// expire (the state TTL), so a retired key stays that long after rotation.
func WithSealedFields(sealer FieldSealer, fields ...string) Option {
	return func(s *Store) {
		s.sealer = sealer
		s.sealed = map[string]bool{}
		for _, f := range fields {
			s.sealed[f] = true
		}
	}
}

// WithEveryAnswerSealed has every answer of a form sealed by sealer in
// every stored state, whatever its field: a name, an address, a phone
// number or a complaint's text is as much the citizen's as a NIK, and an
// unfinished form rests in Redis (its memory, append-only file, dumps,
// replicas) for up to a day. Each answer is sealed for its own field.
func WithEveryAnswerSealed(sealer FieldSealer) Option {
	return func(s *Store) {
		s.sealer, s.sealAll, s.sealed = sealer, true, nil
	}
}

// New returns a Store that keeps its keys under prefix (for example "sapa:").
// It panics when the prefix holds '{' or '}', which would break the hash tag
// of every key, or when an option sets a TTL under a millisecond or a size
// under one byte: both are programming errors, not runtime conditions.
func New(rdb redis.UniversalClient, prefix string, opts ...Option) *Store {
	if strings.ContainsAny(prefix, "{}") {
		panic(fmt.Sprintf("redisstore: prefix %q holds a brace, which breaks the keys' hash tags", prefix))
	}
	s := &Store{
		rdb:          rdb,
		prefix:       prefix,
		dedupTTL:     DefaultDedupTTL,
		draftTTL:     DefaultDraftTTL,
		maxStateSize: DefaultMaxStateSize,
		scripts:      &scriptBatcher{rdb: rdb},
	}
	for _, o := range opts {
		o(s)
	}
	if s.dedupTTL < time.Millisecond || s.draftTTL < time.Millisecond {
		panic(fmt.Sprintf("redisstore: dedup TTL %v and draft TTL %v must be at least 1ms", s.dedupTTL, s.draftTTL))
	}
	if s.maxStateSize < 1 {
		panic(fmt.Sprintf("redisstore: max state size %d must be positive", s.maxStateSize))
	}
	return s
}

// record is the stored form of a State. It has its own JSON names so that
// renaming a Go field does not orphan the states of live chats. Chat and
// Version are not in it: the key holds the chat, the hash field v the
// version.
type record struct {
	Step      conversation.Step     `json:"step"`
	Service   string                `json:"service,omitempty"`
	Field     int                   `json:"field,omitempty"`
	Data      map[string]string     `json:"data"`
	Sealed    map[string]string     `json:"sealed,omitempty"` // answers sealed by the FieldSealer, by field
	Retries   int                   `json:"retries,omitempty"`
	Editing   bool                  `json:"editing,omitempty"`
	Lang      string                `json:"lang,omitempty"`
	Draft     string                `json:"draft,omitempty"`
	Showing   string                `json:"showing,omitempty"`
	Awaiting  string                `json:"awaiting,omitempty"`
	Questions []string              `json:"questions,omitempty"`
	Replied   string                `json:"replied,omitempty"`
	Listed    []string              `json:"listed,omitempty"`
	Offered   []string              `json:"offered,omitempty"`
	Files     []services.StoredFile `json:"files,omitempty"`
	Matter    string                `json:"matter,omitempty"`
	Booking   string                `json:"booking,omitempty"`
	Slots     []string              `json:"slots,omitempty"`
	Consult   string                `json:"consult,omitempty"`
	Survey    string                `json:"survey,omitempty"`
	SurveyQ   int                   `json:"survey_q,omitempty"`
	Last      string                `json:"last,omitempty"`
	Ticket    string                `json:"ticket,omitempty"`
	UpdatedAt time.Time             `json:"updated_at"`

	SurveyKind services.Kind `json:"survey_kind,omitempty"`

	Handover     int64 `json:"handover,omitempty"`
	HandoverRate int64 `json:"handover_rate,omitempty"`
}

// Load returns chat's state, whether messageID was already handled, and,
// when no state is left, the service of a draft that expired with it. It
// costs one round trip: a MULTI/EXEC of three reads, so they see one
// snapshot. An empty messageID skips the duplicate check.
func (s *Store) Load(ctx context.Context, chat conversation.ChatKey, messageID string) (conversation.Loaded, error) {
	k, err := s.keysFor(chat, messageID)
	if err != nil {
		return conversation.Loaded{}, fmt.Errorf("load state of %s: %w", chat, err)
	}

	var (
		exists *redis.IntCmd
		hash   *redis.SliceCmd
		draft  *redis.StringCmd
	)
	// The pipeline's own error is that of its first failed command, and GET
	// of an absent marker "fails" with redis.Nil: check each command instead.
	_, _ = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if k.msg != "" {
			exists = p.Exists(ctx, k.msg)
		}
		hash = p.HMGet(ctx, k.state, "v", "s")
		draft = p.Get(ctx, k.draft)
		return nil
	})

	var out conversation.Loaded
	if exists != nil {
		n, err := exists.Result()
		if err != nil {
			return conversation.Loaded{}, fmt.Errorf("load state of %s: check message: %w", chat, err)
		}
		out.Duplicate = n > 0
	}
	vals, err := hash.Result()
	if err != nil {
		return conversation.Loaded{}, fmt.Errorf("load state of %s: %w", chat, err)
	}
	marker, err := draft.Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return conversation.Loaded{}, fmt.Errorf("load state of %s: read draft marker: %w", chat, err)
	}

	st, err := s.decode(chat, vals)
	if err != nil {
		return conversation.Loaded{}, fmt.Errorf("load state of %s: %w", chat, err)
	}
	out.State = st
	if st == nil {
		out.ExpiredDraft = marker
		out.Lost = marker == "" && s.drafts.lost(chat)
	}
	return out, nil
}

// decode turns the HMGET v s reply into a State, nil when the hash is absent.
func (s *Store) decode(chat conversation.ChatKey, vals []any) (*conversation.State, error) {
	if len(vals) != 2 {
		return nil, fmt.Errorf("state hash: %d values, want 2", len(vals))
	}
	if vals[0] == nil && vals[1] == nil {
		return nil, nil
	}
	v, okV := vals[0].(string)
	js, okS := vals[1].(string)
	if !okV || !okS {
		return nil, fmt.Errorf("state hash lacks field v or s")
	}
	version, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("state version %q: %w", v, err)
	}
	var r record
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	if err := s.open(&r); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	return &conversation.State{
		Chat:      chat,
		Step:      r.Step,
		Service:   r.Service,
		Field:     r.Field,
		Data:      r.Data,
		Retries:   r.Retries,
		Editing:   r.Editing,
		Lang:      r.Lang,
		Draft:     r.Draft,
		Showing:   r.Showing,
		Awaiting:  r.Awaiting,
		Questions: r.Questions,
		Replied:   r.Replied,
		Listed:    r.Listed,
		Offered:   r.Offered,
		Files:     r.Files,
		Matter:    r.Matter,
		Booking:   r.Booking,
		Slots:     r.Slots,
		Consult:   r.Consult,
		Survey:    r.Survey,
		SurveyQ:   r.SurveyQ,
		Last:      r.Last,
		Ticket:    r.Ticket,
		Version:   version,
		UpdatedAt: r.UpdatedAt,

		SurveyKind: r.SurveyKind,

		Handover:     r.Handover,
		HandoverRate: r.HandoverRate,
	}, nil
}

// commitScript does Commit's checks and writes atomically. Versions travel
// as decimal strings and are compared as such, so no int64 passes through
// Lua's doubles.
//
// KEYS: state, draft marker, message. ARGV: expected version, next version,
// state JSON, state TTL ms, dedup TTL ms, draft service ("" for none),
// draft TTL ms.
var commitScript = redis.NewScript(commitLua(noRelease))

// commitLua is the commit script's source; release, when not empty, is Lua
// run before every return (CommitWithLease frees the chat's lock with it).
func commitLua(release string) string {
	return release + `
if redis.call('EXISTS', KEYS[3]) == 1 then
	finish()
	return 'DUP'
end
local v = redis.call('HGET', KEYS[1], 'v')
if not v then
	v = '0'
end
if v ~= ARGV[1] then
	finish()
	return 'CONFLICT'
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[5])
if ARGV[6] ~= '' then
	redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[7])
else
	redis.call('DEL', KEYS[2])
end
finish()
return 'OK'
`
}

// noRelease is the finish step of a commit that holds no lock.
const noRelease = "local function finish() end\n"

// Commit implements conversation.StateStore. It costs one round trip
// (EVALSHA), plus one (EVAL) the first time a Redis server meets the
// script. It fails with conversation.ErrDuplicate, conversation.ErrConflict,
// ErrTooLarge or ErrInvalidKey, each wrapped; messageID must not be empty,
// and ttl must be at least a millisecond.
func (s *Store) Commit(ctx context.Context, st conversation.State, messageID string, ttl time.Duration) error {
	if messageID == "" {
		return fmt.Errorf("commit state of %s: empty message id: %w", st.Chat, ErrInvalidKey)
	}
	k, err := s.keysFor(st.Chat, messageID)
	if err != nil {
		return fmt.Errorf("commit state of %s: %w", st.Chat, err)
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("commit state of %s: ttl %v under 1ms", st.Chat, ttl)
	}
	js, err := s.encode(st)
	if err != nil {
		return fmt.Errorf("commit state of %s: %w", st.Chat, err)
	}

	res, err := commitScript.Run(ctx, s.rdb,
		[]string{k.state, k.draft, k.msg},
		strconv.FormatInt(st.Version, 10),
		strconv.FormatInt(st.Version+1, 10),
		js,
		ttl.Milliseconds(),
		s.dedupTTL.Milliseconds(),
		st.Draft,
		s.draftTTL.Milliseconds(),
	).Text()
	return s.committed(st, ttl, commitResult(st, res, err))
}

// committed remembers a committed state's draft (see drafts) and returns
// the commit's error.
func (s *Store) committed(st conversation.State, ttl time.Duration, err error) error {
	if err == nil {
		s.drafts.remember(st.Chat, st.Draft != "", time.Now().Add(ttl))
	}
	return err
}

// encode is the stored JSON of st. It fails, wrapping ErrTooLarge, when
// the JSON exceeds the store's maximum size.
func (s *Store) encode(st conversation.State) ([]byte, error) {
	data, sealed, err := s.seal(st.Data)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	js, err := json.Marshal(record{
		Step:      st.Step,
		Service:   st.Service,
		Field:     st.Field,
		Data:      data,
		Sealed:    sealed,
		Retries:   st.Retries,
		Editing:   st.Editing,
		Lang:      st.Lang,
		Draft:     st.Draft,
		Showing:   st.Showing,
		Awaiting:  st.Awaiting,
		Questions: st.Questions,
		Replied:   st.Replied,
		Listed:    st.Listed,
		Offered:   st.Offered,
		Files:     st.Files,
		Matter:    st.Matter,
		Booking:   st.Booking,
		Slots:     st.Slots,
		Consult:   st.Consult,
		Survey:    st.Survey,
		SurveyQ:   st.SurveyQ,
		Last:      st.Last,
		Ticket:    st.Ticket,
		UpdatedAt: st.UpdatedAt,

		SurveyKind: st.SurveyKind,

		Handover:     st.Handover,
		HandoverRate: st.HandoverRate,
	})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	if len(js) > s.maxStateSize {
		return nil, fmt.Errorf("%d bytes, limit %d: %w", len(js), s.maxStateSize, ErrTooLarge)
	}
	return js, nil
}

// seal splits a state's answers into those stored as typed and those the
// sealer seals; data itself is not changed.
func (s *Store) seal(data map[string]string) (plain, sealed map[string]string, err error) {
	plain = data
	if s.sealer == nil {
		return plain, nil, nil
	}
	fields := s.sealed
	if s.sealAll {
		fields = make(map[string]bool, len(data))
		for f := range data {
			fields[f] = true
		}
	}
	for f := range fields {
		v := data[f]
		if v == "" {
			continue
		}
		if sealed == nil {
			plain, sealed = maps.Clone(data), map[string]string{}
		}
		if sealed[f], err = s.sealer.Seal(f, v); err != nil {
			return nil, nil, fmt.Errorf("seal answer %s: %w", f, err)
		}
		delete(plain, f)
	}
	return plain, sealed, nil
}

// open puts the sealed answers of r back among its answers.
func (s *Store) open(r *record) error {
	if len(r.Sealed) == 0 {
		return nil
	}
	if s.sealer == nil {
		return fmt.Errorf("%d sealed answers and no keys to open them", len(r.Sealed))
	}
	if r.Data == nil {
		r.Data = make(map[string]string, len(r.Sealed))
	}
	for f, v := range r.Sealed {
		plain, err := s.sealer.Open(f, v)
		if err != nil {
			return fmt.Errorf("open answer %s: %w", f, err)
		}
		r.Data[f] = plain
	}
	return nil
}

// Delete forgets chat's state and draft marker, for a citizen who asks that
// their data be removed. The records of handled message IDs stay until they
// expire: they hold no personal data, and dropping them would let a
// redelivered message be handled twice.
func (s *Store) Delete(ctx context.Context, chat conversation.ChatKey) error {
	k, err := s.keysFor(chat, "")
	if err != nil {
		return fmt.Errorf("delete state of %s: %w", chat, err)
	}
	if err := s.rdb.Unlink(ctx, k.state, k.draft).Err(); err != nil {
		return fmt.Errorf("delete state of %s: %w", chat, err)
	}
	s.drafts.forget(chat)
	return nil
}

// commitResult reads the reply of a commit script: OK, DUP or CONFLICT.
func commitResult(st conversation.State, res string, err error) error {
	if err != nil {
		return fmt.Errorf("commit state of %s: %w", st.Chat, err)
	}
	switch res {
	case "OK":
		return nil
	case "DUP":
		return fmt.Errorf("commit state of %s: %w", st.Chat, conversation.ErrDuplicate)
	case "CONFLICT":
		return fmt.Errorf("commit state of %s at version %d: %w", st.Chat, st.Version, conversation.ErrConflict)
	default:
		return fmt.Errorf("commit state of %s: unexpected script reply %q", st.Chat, res)
	}
}

// Reach connects to the Redis server of url and pings it, within ctx:
// what `bot check` asks of REDIS_URL. It returns the server's address.
func Reach(ctx context.Context, url string) (string, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return "", fmt.Errorf("reach Redis: %w", err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return opts.Addr, fmt.Errorf("reach Redis at %s: %w", opts.Addr, err)
	}
	return opts.Addr, nil
}
