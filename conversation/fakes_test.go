package conversation_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// memStates is a hand-written StateStore for engine tests, with the same
// contract as the Redis store (versions, dedup, draft markers) and expiry
// driven by the test's clock so that 24 hours pass in no time. The Redis
// store itself is tested against real Redis in store/redisstore.
type memStates struct {
	mu      sync.Mutex
	now     func() time.Time
	states  map[conversation.ChatKey]memEntry
	markers map[conversation.ChatKey]string
	handled map[string]bool
}

type memEntry struct {
	state   conversation.State
	expires time.Time
}

func newMemStates(now func() time.Time) *memStates {
	return &memStates{now: now, states: map[conversation.ChatKey]memEntry{}, markers: map[conversation.ChatKey]string{}, handled: map[string]bool{}}
}

func (m *memStates) Load(_ context.Context, chat conversation.ChatKey, messageID string) (conversation.Loaded, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := conversation.Loaded{Duplicate: m.handled[chat.String()+"/"+messageID]}
	entry, ok := m.states[chat]
	if ok && m.now().Before(entry.expires) {
		s := entry.state
		s.Data = copyMap(s.Data)
		out.State = &s
	} else {
		out.ExpiredDraft = m.markers[chat]
	}
	return out, nil
}

func (m *memStates) Commit(_ context.Context, s conversation.State, messageID string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := s.Chat.String() + "/" + messageID
	if m.handled[key] {
		return conversation.ErrDuplicate
	}
	var stored int64
	if entry, ok := m.states[s.Chat]; ok && m.now().Before(entry.expires) {
		stored = entry.state.Version
	}
	if stored != s.Version {
		return conversation.ErrConflict
	}
	s.Version++
	s.Data = copyMap(s.Data)
	m.states[s.Chat] = memEntry{state: s, expires: m.now().Add(ttl)}
	m.handled[key] = true
	if s.Draft != "" {
		m.markers[s.Chat] = s.Draft
	} else {
		delete(m.markers, s.Chat)
	}
	return nil
}

func copyMap(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// memCases is a hand-written CaseStore: tickets numbered per day, one case
// per source message. PostgreSQL's version is tested in store/pgstore.
type memCases struct {
	mu       sync.Mutex
	loc      *time.Location
	cases    []services.NewCase
	bySource map[string]services.Receipt
	perDay   map[string]int
	fail     error
}

func newMemCases(loc *time.Location) *memCases {
	return &memCases{loc: loc, bySource: map[string]services.Receipt{}, perDay: map[string]int{}}
}

func (m *memCases) SubmitCase(_ context.Context, c services.NewCase) (services.Receipt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return services.Receipt{}, m.fail
	}
	if r, ok := m.bySource[c.SourceMessage]; ok {
		return r, nil
	}
	day := c.SubmittedAt.In(m.loc).Format("060102")
	m.perDay[day]++
	r := services.Receipt{Ticket: fmt.Sprintf("LKS-%s-%04d", day, m.perDay[day]), DueAt: c.DueAt}
	m.bySource[c.SourceMessage] = r
	m.cases = append(m.cases, c)
	return r, nil
}
