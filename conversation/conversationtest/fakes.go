// Package conversationtest holds hand-written, in-memory stand-ins for what the
// conversation engine needs (state, cases, media, privacy, notifications), with
// the same contracts as the real stores, for tests of the engine and of the
// channels that replay its transcripts. The real stores are tested against
// real Redis and PostgreSQL in store/redisstore and store/pgstore.
package conversationtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// States is a hand-written StateStore for engine tests, with the same
// contract as the Redis store (versions, dedup, draft markers) and expiry
// driven by the test's clock so that 24 hours pass in no time. The Redis
// store itself is tested against real Redis in store/redisstore.
type States struct {
	mu      sync.Mutex
	now     func() time.Time
	states  map[conversation.ChatKey]entry
	markers map[conversation.ChatKey]string
	handled map[string]bool
}

type entry struct {
	state   conversation.State
	expires time.Time
}

func NewStates(now func() time.Time) *States {
	return &States{now: now, states: map[conversation.ChatKey]entry{}, markers: map[conversation.ChatKey]string{}, handled: map[string]bool{}}
}

// Load implements conversation.StateStore.
func (m *States) Load(_ context.Context, chat conversation.ChatKey, messageID string) (conversation.Loaded, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := conversation.Loaded{Duplicate: m.handled[chat.Channel+":"+chat.ChatID+"/"+messageID]}
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

// Commit implements conversation.StateStore.
func (m *States) Commit(_ context.Context, s conversation.State, messageID string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := s.Chat.Channel + ":" + s.Chat.ChatID + "/" + messageID
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
	m.states[s.Chat] = entry{state: s, expires: m.now().Add(ttl)}
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

// Cases is a hand-written CaseStore and CaseDesk: tickets numbered per
// day, one case per source message, the lifecycle checked by the same
// services.CheckTransition. PostgreSQL's version is tested in store/pgstore.
type Cases struct {
	mu       sync.Mutex
	loc      *time.Location
	Filed    []services.NewCase // every case filed, in order
	views    map[string]*services.CaseView
	events   map[string][]services.Event
	bySource map[string]services.Receipt
	perDay   map[string]int
	langs    map[string]string
	Surveys  map[string]map[string]int    // answers by ticket and element
	Profiles map[string]map[string]string // profile answers by ticket and question
	Comments map[string]string            // comments of completed surveys, by ticket
	Fail     error                        // when set, SubmitCase fails with it
	// Erasing, when set, reports a chat whose request to erase its data
	// is open: LastRequest offers it nothing (Privacy.Erasing fits).
	Erasing func(channel, chatID string) bool
}

func NewCases(loc *time.Location) *Cases {
	return &Cases{loc: loc, bySource: map[string]services.Receipt{}, perDay: map[string]int{},
		views: map[string]*services.CaseView{}, events: map[string][]services.Event{}, langs: map[string]string{},
		Surveys: map[string]map[string]int{}, Profiles: map[string]map[string]string{}, Comments: map[string]string{}}
}

// SubmitCase implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) SubmitCase(_ context.Context, c services.NewCase) (services.Receipt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return services.Receipt{}, m.Fail
	}
	if r, ok := m.bySource[c.SourceMessage]; ok {
		return r, nil
	}
	day := c.SubmittedAt.In(m.loc).Format("060102")
	m.perDay[day]++
	r := services.Receipt{Ticket: fmt.Sprintf("LKS-%s-%04d", day, m.perDay[day]), DueAt: c.DueAt}
	m.bySource[c.SourceMessage] = r
	m.Filed = append(m.Filed, c)
	status := services.StatusReceived
	if c.Incomplete {
		status = services.StatusIncomplete
	}
	m.views[r.Ticket] = &services.CaseView{
		Ticket: r.Ticket, Kind: c.Kind, ServiceCode: c.ServiceCode, Unit: c.Unit, Status: status,
		Channel: c.Channel, ChatID: c.ChatID, CitizenName: c.CitizenName, VillageCode: c.VillageCode,
		Form: c.Form, DueAt: c.DueAt, CreatedAt: c.SubmittedAt, UpdatedAt: c.SubmittedAt,
		Confidentiality: c.Confidentiality, Attachments: c.Attachments,
	}
	m.events[r.Ticket] = []services.Event{{Kind: services.EventSubmit, Actor: "citizen", At: c.SubmittedAt, To: status}}
	return r, nil
}

// ChangeStatus implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) ChangeStatus(_ context.Context, c services.StatusChange) (services.CaseView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[c.Ticket]
	if !ok {
		return services.CaseView{}, conversation.ErrNoCase
	}
	if err := services.CheckTransition(v.Status, c.To); err != nil {
		return services.CaseView{}, err
	}
	kind := c.Kind
	if kind == "" {
		kind = services.EventStatus
	}
	m.events[c.Ticket] = append(m.events[c.Ticket], services.Event{Kind: kind, Actor: c.Actor, At: c.At, From: v.Status, To: c.To, Note: c.Note})
	v.Status, v.UpdatedAt = c.To, c.At
	if c.DueAt != nil {
		v.DueAt = *c.DueAt
	}
	v.CitizenLang = m.langs[v.Channel+":"+v.ChatID]
	return *v, nil
}

// Assign implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) Assign(_ context.Context, ticket, assignee, actor string, at time.Time) (services.CaseView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[ticket]
	if !ok {
		return services.CaseView{}, conversation.ErrNoCase
	}
	v.Assignee = assignee
	m.events[ticket] = append(m.events[ticket], services.Event{Kind: services.EventAssign, Actor: actor, At: at, From: v.Status, To: v.Status, Note: assignee})
	return *v, nil
}

// AddEvent implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) AddEvent(_ context.Context, ticket, kind, actor, note string, at time.Time) (services.CaseView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[ticket]
	if !ok {
		return services.CaseView{}, conversation.ErrNoCase
	}
	m.events[ticket] = append(m.events[ticket], services.Event{Kind: kind, Actor: actor, At: at, From: v.Status, To: v.Status, Note: note})
	return *v, nil
}

// Case implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) Case(_ context.Context, ticket string) (services.CaseView, []services.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[ticket]
	if !ok {
		return services.CaseView{}, nil, conversation.ErrNoCase
	}
	return *v, append([]services.Event(nil), m.events[ticket]...), nil
}

// OpenCases implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) OpenCases(_ context.Context, f services.CaseFilter) ([]services.CaseView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []services.CaseView
	for _, v := range m.sorted() {
		switch {
		case !v.Status.Open(), f.Unit != "" && v.Unit != f.Unit, f.Assignee != "" && v.Assignee != f.Assignee,
			f.DueBefore != nil && (v.Status == services.StatusIncomplete || !v.DueAt.Before(*f.DueBefore)):
			continue
		}
		out = append(out, *v)
	}
	return out, nil
}

// CitizenCases implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) CitizenCases(_ context.Context, channel, chatID string, limit int) ([]services.CaseView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []services.CaseView
	all := m.sorted()
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		if all[i].Channel == channel && all[i].ChatID == chatID {
			out = append(out, *all[i])
		}
	}
	return out, nil
}

// LastRequest implements conversation.PastRequests: the chat's newest
// request not rejected, none while its erasure is open.
func (m *Cases) LastRequest(_ context.Context, channel, chatID string) (services.CaseView, error) {
	if m.Erasing != nil && m.Erasing(channel, chatID) {
		return services.CaseView{}, conversation.ErrNoCase
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	all := m.sorted()
	for i := len(all) - 1; i >= 0; i-- {
		if c := all[i]; c.Channel == channel && c.ChatID == chatID && c.Kind == services.KindRequest && c.Status != services.StatusRejected {
			return *c, nil
		}
	}
	return services.CaseView{}, conversation.ErrNoCase
}

// CitizenCase implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) CitizenCase(ctx context.Context, ticket, channel, chatID string) (services.CaseView, []services.Event, error) {
	v, events, err := m.Case(ctx, ticket)
	if err != nil || v.Channel != channel || v.ChatID != chatID {
		return services.CaseView{}, nil, conversation.ErrNoCase
	}
	return v, events, nil
}

// CitizenLang implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) CitizenLang(_ context.Context, channel, chatID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.langs[channel+":"+chatID], nil
}

// SetCitizenLang implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) SetCitizenLang(_ context.Context, channel, chatID, lang string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.langs[channel+":"+chatID] = lang
	return nil
}

// StartSurvey implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) StartSurvey(_ context.Context, ticket string, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.Surveys[ticket]; ok {
		return false, nil
	}
	m.Surveys[ticket] = map[string]int{}
	return true, nil
}

// AnswerSurvey implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) AnswerSurvey(_ context.Context, ticket, element string, score int, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Surveys[ticket] == nil || score < 1 || score > 4 {
		return fmt.Errorf("answer survey %s: no survey or bad score %d", ticket, score)
	}
	if v := m.views[ticket]; v == nil || !slices.Contains(services.SurveyElementsFor(v.Kind), element) {
		return fmt.Errorf("answer survey %s: %s is not asked about this case", ticket, element)
	}
	m.Surveys[ticket][element] = score
	return nil
}

// AnswerProfile implements conversation.SurveyDesk.
func (m *Cases) AnswerProfile(_ context.Context, ticket, question, value string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Surveys[ticket] == nil || !services.ValidProfileAnswer(question, value) {
		return fmt.Errorf("answer profile %s: no survey or bad answer %s=%q", ticket, question, value)
	}
	if m.Profiles[ticket] == nil {
		m.Profiles[ticket] = map[string]string{}
	}
	m.Profiles[ticket][question] = value
	return nil
}

// CompleteSurvey implements conversation.CaseStore, CaseDesk, SurveyDesk and AttachmentDesk.
func (m *Cases) CompleteSurvey(_ context.Context, ticket, comment string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.views[ticket]
	if v == nil || len(m.Surveys[ticket]) != len(services.SurveyElementsFor(v.Kind)) {
		return fmt.Errorf("complete survey %s: %d answers", ticket, len(m.Surveys[ticket]))
	}
	m.Comments[ticket] = comment
	return nil
}

// sorted returns the cases oldest first, as the stores list them.
func (m *Cases) sorted() []*services.CaseView {
	out := make([]*services.CaseView, 0, len(m.views))
	for _, v := range m.views {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].Ticket < out[j].Ticket
	})
	return out
}

// Notifier records notifications in the order they were sent.
type Notifier struct {
	mu   sync.Mutex
	sent []Notification
	// Fail, when set, is what Notify fails with: nothing is queued.
	Fail error
}

type Notification struct {
	To    conversation.ChatKey
	Reply conversation.Reply
}

// Notify implements conversation.Notifier.
func (n *Notifier) Notify(_ context.Context, to conversation.ChatKey, r conversation.Reply) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.Fail != nil {
		return n.Fail
	}
	n.sent = append(n.sent, Notification{To: to, Reply: r})
	return nil
}

// Take returns the notifications sent since the last Take.
func (n *Notifier) Take() []Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.sent
	n.sent = nil
	return out
}

// Media is a hand-written MediaStore: files by content hash, stored once.
// The disk store is tested in store/mediastore.
type Media struct {
	mu    sync.Mutex
	files map[string][]byte
}

// Save implements conversation.MediaStore.
func (m *Media) Save(_ context.Context, kind string, data []byte) (services.StoredFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	m.files[hash] = data
	return services.StoredFile{Kind: kind, MIME: "image/jpeg", Size: int64(len(data)), SHA256: hash, Path: hash[:2] + "/" + hash + ".jpg"}, nil
}

// Bytes returns what Save stored under the SHA-256 hash, nil if nothing.
func (m *Media) Bytes(hash string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.files[hash]
}

// AddAttachments implements conversation.AttachmentDesk for Cases.
func (m *Cases) AddAttachments(_ context.Context, ticket string, files []services.StoredFile, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[ticket]
	if !ok {
		return conversation.ErrNoCase
	}
	v.Attachments = append(v.Attachments, files...)
	return nil
}

// AddDocuments implements conversation.DocumentDesk for Cases, as pgstore
// does: counts merged into the form, and a complete file out of
// perlu_perbaikan with its due date.
func (m *Cases) AddDocuments(_ context.Context, d services.DocumentsAdded) (services.CaseView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[d.Ticket]
	if !ok {
		return services.CaseView{}, conversation.ErrNoCase
	}
	form := maps.Clone(v.Form)
	maps.Copy(form, d.Counts)
	v.Form = form
	v.Attachments = append(v.Attachments, d.Files...)
	from := v.Status
	if d.Complete && v.Status == services.StatusIncomplete {
		v.Status, v.DueAt = services.StatusVerifying, d.DueAt
	}
	v.UpdatedAt = d.At
	m.events[d.Ticket] = append(m.events[d.Ticket], services.Event{Kind: services.EventReply, Actor: "citizen", At: d.At, From: from, To: v.Status, Note: d.Note})
	return *v, nil
}

// Privacy is a hand-written PrivacyDesk; pgstore's is tested on
// PostgreSQL and SQLite.
type Privacy struct {
	mu sync.Mutex
	// AssumeConsent answers HasConsent true for everyone, so transcripts
	// about other flows need not agree to the notice each time; the
	// privacy transcript turns it off.
	AssumeConsent bool
	consents      map[string]time.Time
	requests      []services.DeletionRequest
	done          map[int64]string
	Reads         []string // "officer ticket" of every recorded read
	// Cases, when set, are the cases a completed deletion keeps open.
	Cases *Cases
}

func NewPrivacy() *Privacy {
	return &Privacy{consents: map[string]time.Time{}, done: map[int64]string{}, AssumeConsent: true}
}

// RecordConsent implements conversation.PrivacyDesk.
func (p *Privacy) RecordConsent(_ context.Context, channel, chatID, purpose string, at time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.consents[channel+":"+chatID+":"+purpose]; !ok {
		p.consents[channel+":"+chatID+":"+purpose] = at
	}
	return nil
}

// HasConsent implements conversation.PrivacyDesk.
func (p *Privacy) HasConsent(_ context.Context, channel, chatID, purpose string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.consents[channel+":"+chatID+":"+purpose]
	return ok || p.AssumeConsent, nil
}

// RequestDeletion implements conversation.PrivacyDesk.
func (p *Privacy) RequestDeletion(_ context.Context, channel, chatID string, at time.Time) (services.DeletionRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.requests {
		if r.Channel == channel && r.ChatID == chatID && p.done[r.ID] == "" {
			return r, nil
		}
	}
	r := services.DeletionRequest{ID: int64(len(p.requests) + 1), Channel: channel, ChatID: chatID, RequestedAt: at, DueAt: at.Add(72 * time.Hour)}
	p.requests = append(p.requests, r)
	return r, nil
}

// Erasing reports whether the chat has an open deletion request.
func (p *Privacy) Erasing(channel, chatID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.requests {
		if r.Channel == channel && r.ChatID == chatID && p.done[r.ID] == "" {
			return true
		}
	}
	return false
}

// DeletionRequests implements conversation.PrivacyDesk.
func (p *Privacy) DeletionRequests(context.Context) ([]services.DeletionRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var open []services.DeletionRequest
	for _, r := range p.requests {
		if p.done[r.ID] == "" {
			open = append(open, r)
		}
	}
	return open, nil
}

// CompleteDeletion implements conversation.PrivacyDesk: the chat's open
// cases in Cases, when set, are kept until they are finished.
func (p *Privacy) CompleteDeletion(_ context.Context, id int64, officer string, _ time.Time) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id < 1 || int(id) > len(p.requests) || p.done[id] != "" {
		return nil, conversation.ErrNoCase
	}
	p.done[id] = officer
	if p.Cases == nil {
		return nil, nil
	}
	r := p.requests[id-1]
	return p.Cases.keepOpen(r.Channel, r.ChatID), nil
}

// keepOpen marks the chat's open cases EraseWhenClosed and returns their
// tickets.
func (m *Cases) keepOpen(channel, chatID string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var kept []string
	for _, v := range m.sorted() {
		if v.Channel == channel && v.ChatID == chatID && v.Status.Open() {
			v.EraseWhenClosed = true
			kept = append(kept, v.Ticket)
		}
	}
	return kept
}

// RecordRead implements conversation.PrivacyDesk.
func (p *Privacy) RecordRead(_ context.Context, ticket, officer, _ string, _ time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Reads = append(p.Reads, officer+" "+ticket)
	return nil
}

// The fakes keep the engine's contracts.
var (
	_ conversation.StateStore     = (*States)(nil)
	_ conversation.CaseStore      = (*Cases)(nil)
	_ conversation.CaseDesk       = (*Cases)(nil)
	_ conversation.SurveyDesk     = (*Cases)(nil)
	_ conversation.AttachmentDesk = (*Cases)(nil)
	_ conversation.Notifier       = (*Notifier)(nil)
	_ conversation.MediaStore     = (*Media)(nil)
	_ conversation.PrivacyDesk    = (*Privacy)(nil)
	_ conversation.PastRequests   = (*Cases)(nil)
)
