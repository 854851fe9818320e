package pgstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// Conversation is a citizen's hand-over to a person ("percakapan"): who
// holds it, where it stands, and when its timers run from. Its messages
// are ConversationMessage rows.
type Conversation struct {
	ID        int64 `gorm:"primaryKey"`
	CitizenID int64 `gorm:"not null;index"`
	// Citizen is loaded by the read methods; it is never written through
	// Conversation.
	Citizen *Citizen `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	Channel string   `gorm:"size:32;not null"`
	Unit    string   `gorm:"size:64;not null;index"`
	Holder  string   `gorm:"size:64;not null;default:''"`
	State   string   `gorm:"size:16;not null;index"`
	Topic   string   `gorm:"size:64;not null;default:''"`
	// OpenedAt is when the citizen asked; WaitingSince when it last went
	// to a unit with nobody holding it (opened, or transferred to a unit):
	// the escalation timer counts from there.
	OpenedAt     time.Time `gorm:"not null"`
	WaitingSince time.Time `gorm:"not null"`
	LastAt       time.Time `gorm:"not null"`
	AnsweredAt   *time.Time
	EscalatedAt  *time.Time
	ClosedAt     *time.Time
	ClosedBy     string `gorm:"size:64;not null;default:''"`
	Rating       int    `gorm:"not null;default:0"`
	// OpenKey is the citizen's id while the conversation is open and NULL
	// once closed: its unique index allows one open conversation a chat.
	OpenKey *int64 `gorm:"uniqueIndex"`
}

// ConversationMessage is one line of a conversation's history. The history
// is append-only: a trigger refuses every change but the erasure of a
// message's content (Erased set, Body and the file emptied), which a
// citizen's deletion request asks for. Body is sealed with the data keys:
// what citizens write to a person holds NIKs and family matters.
type ConversationMessage struct {
	ID             int64 `gorm:"primaryKey"`
	ConversationID int64 `gorm:"not null;index"`
	// Conversation exists for the foreign key; never loaded nor written.
	Conversation *Conversation `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	Sender       string        `gorm:"size:64;not null"` // citizen, bot or an officer id
	Body         string        `gorm:"not null"`
	FileKind     string        `gorm:"size:16;not null;default:''"`
	FileMIME     string        `gorm:"size:64;not null;default:''"`
	FileSHA      string        `gorm:"size:64;not null;default:''"`
	FileSize     int64         `gorm:"not null;default:0"`
	FilePath     string        `gorm:"size:300;not null;default:''"`
	At           time.Time     `gorm:"not null"`
	Erased       bool          `gorm:"not null;default:false"`
	// Source is the keyed hash of the chat message the line came from
	// (services.HandoverMessage.Source), NULL without one: its unique index
	// keeps a message handled twice to one line.
	Source *string `gorm:"size:80;uniqueIndex"`
}

// HandoverChange is what OnChange's function is told when a conversation
// changed: this prefix and its number, apart from any ticket.
const HandoverChange = "percakapan-"

// handoverChanged tells the OnChange function that a conversation changed.
func (s *Store) handoverChanged(number int64) {
	s.changed(HandoverChange + strconv.FormatInt(number, 10))
}

// handoverField is what a conversation message's body is sealed as.
const handoverField = "handover"

// migrateHandovers creates the conversation tables and the guard of their
// history, inside the migration's transaction.
func migrateHandovers(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&Conversation{}, &ConversationMessage{}, &ConversationRead{}); err != nil {
		return fmt.Errorf("create conversation tables: %w", err)
	}
	stmts := sqliteHandoverGuard
	if tx.Dialector.Name() == "postgres" {
		stmts = postgresHandoverGuard
	}
	for _, stmt := range stmts {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("install conversation_messages guard: %w", err)
		}
	}
	return nil
}

// The guards let through one kind of change only: the erasure of a
// message's content, everything else about it kept.
var postgresHandoverGuard = []string{
	`CREATE OR REPLACE FUNCTION conversation_messages_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.erased AND NEW.body = '' AND NEW.file_path = '' AND NEW.file_sha = ''
		AND NEW.id = OLD.id AND NEW.conversation_id = OLD.conversation_id
		AND NEW.sender = OLD.sender AND NEW.at = OLD.at THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'conversation_messages is append-only: % refused', TG_OP
		USING ERRCODE = 'restrict_violation';
END
$$`,
	`DROP TRIGGER IF EXISTS conversation_messages_append_only ON conversation_messages`,
	`CREATE TRIGGER conversation_messages_append_only
BEFORE UPDATE OR DELETE ON conversation_messages
FOR EACH ROW EXECUTE FUNCTION conversation_messages_append_only()`,
	`DROP TRIGGER IF EXISTS conversation_messages_no_truncate ON conversation_messages`,
	`CREATE TRIGGER conversation_messages_no_truncate
BEFORE TRUNCATE ON conversation_messages
FOR EACH STATEMENT EXECUTE FUNCTION conversation_messages_append_only()`,
}

var sqliteHandoverGuard = []string{
	`CREATE TRIGGER IF NOT EXISTS conversation_messages_no_update
BEFORE UPDATE ON conversation_messages
WHEN NOT (NEW.erased AND NEW.body = '' AND NEW.file_path = '' AND NEW.file_sha = ''
	AND NEW.id = OLD.id AND NEW.conversation_id = OLD.conversation_id
	AND NEW.sender = OLD.sender AND NEW.at = OLD.at)
BEGIN SELECT RAISE(ABORT, 'conversation_messages is append-only: UPDATE refused'); END`,
	`CREATE TRIGGER IF NOT EXISTS conversation_messages_no_delete
BEFORE DELETE ON conversation_messages
BEGIN SELECT RAISE(ABORT, 'conversation_messages is append-only: DELETE refused'); END`,
}

// OpenHandover opens a conversation for the chat, with its first message,
// and reports true; when the chat has one open already, it adds the message
// to that one and reports false.
func (s *Store) OpenHandover(ctx context.Context, n services.NewHandover) (services.Handover, bool, error) {
	at := dbTime(n.At)
	var (
		conv    Conversation
		created bool
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		citizen, err := upsertCitizen(tx, n.Channel, n.ChatID, n.Name)
		if err != nil {
			return err
		}
		res := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Where("open_key = ?", citizen).Limit(1).Find(&conv)
		if res.Error != nil {
			return fmt.Errorf("find open conversation: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			key := citizen
			conv = Conversation{
				CitizenID: citizen, Channel: n.Channel, Unit: n.Unit, State: string(services.HandoverWaiting),
				Topic: n.Topic, OpenedAt: at, WaitingSince: at, LastAt: at, OpenKey: &key,
			}
			if err := tx.Create(&conv).Error; err != nil {
				return fmt.Errorf("create conversation: %w", err)
			}
			created = true
		}
		first := n.First
		first.At = n.At
		return s.appendMessage(tx, &conv, first)
	})
	if err != nil {
		return services.Handover{}, false, fmt.Errorf("open a conversation for a %s chat: %w", n.Channel, err)
	}
	s.handoverChanged(conv.ID)
	h, err := s.handoverView(ctx, conv.ID)
	return h, created, err
}

// appendMessage adds m to conv's history and moves its clocks, inside a
// transaction that holds conv's row.
func (s *Store) appendMessage(tx *gorm.DB, conv *Conversation, m services.HandoverMessage) error {
	at := dbTime(m.At)
	body := m.Text
	if s.sec.keys != nil && body != "" {
		sealed, err := s.sec.keys.Seal(handoverField, body)
		if err != nil {
			return fmt.Errorf("seal message: %w", err)
		}
		body = sealed
	}
	row := ConversationMessage{ConversationID: conv.ID, Sender: m.From, Body: body, At: at}
	if f := m.File; f != nil {
		row.FileKind, row.FileMIME, row.FileSHA, row.FileSize, row.FilePath = f.Kind, f.MIME, f.SHA256, f.Size, f.Path
	}
	if m.Source != "" {
		src := s.sec.sourceKey(m.Source)
		row.Source = &src
	}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return fmt.Errorf("append message: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil // this message's line is there already
	}
	set := map[string]any{"last_at": at}
	if m.From != services.HandoverFromCitizen && m.From != services.HandoverFromBot && conv.AnsweredAt == nil {
		set["answered_at"] = at
	}
	if err := tx.Model(&Conversation{}).Where("id = ?", conv.ID).UpdateColumns(set).Error; err != nil {
		return fmt.Errorf("update conversation: %w", err)
	}
	return nil
}

// lockHandover loads and locks an open conversation: services.ErrNoHandover
// when there is none with that number, services.ErrHandoverClosed when it is
// closed.
func lockHandover(tx *gorm.DB, number int64) (Conversation, error) {
	var conv Conversation
	res := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Where("id = ?", number).Limit(1).Find(&conv)
	switch {
	case res.Error != nil:
		return conv, fmt.Errorf("lock conversation %d: %w", number, res.Error)
	case res.RowsAffected == 0:
		return conv, fmt.Errorf("conversation %d: %w", number, services.ErrNoHandover)
	case conv.State == string(services.HandoverClosed):
		return conv, fmt.Errorf("conversation %d: %w", number, services.ErrHandoverClosed)
	}
	return conv, nil
}

// AppendHandover adds a message to an open conversation: the citizen's,
// or a line of the bot's.
func (s *Store) AppendHandover(ctx context.Context, number int64, m services.HandoverMessage) (services.Handover, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		conv, err := lockHandover(tx, number)
		if err != nil {
			return err
		}
		return s.appendMessage(tx, &conv, m)
	})
	if err != nil {
		return services.Handover{}, fmt.Errorf("append to conversation %d: %w", number, err)
	}
	s.handoverChanged(number)
	return s.handoverView(ctx, number)
}

// HoldHandover gives an open conversation to officer, who holds it from
// then on, and adds m to it when m is not nil (the officer's reply). A
// conversation another officer holds is refused with
// services.ErrHandoverHeld, returned with the conversation as it stands.
func (s *Store) HoldHandover(ctx context.Context, number int64, officer string, at time.Time, m *services.HandoverMessage) (services.Handover, error) {
	var held bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		conv, err := lockHandover(tx, number)
		if err != nil {
			return err
		}
		if conv.Holder != "" && conv.Holder != officer {
			held = true
			return nil
		}
		if err := tx.Model(&Conversation{}).Where("id = ?", number).UpdateColumns(map[string]any{
			"holder": officer, "state": string(services.HandoverHeld), "last_at": dbTime(at),
		}).Error; err != nil {
			return fmt.Errorf("hold: %w", err)
		}
		if m != nil {
			return s.appendMessage(tx, &conv, *m)
		}
		return nil
	})
	if err != nil {
		return services.Handover{}, fmt.Errorf("hold conversation %d for %s: %w", number, officer, err)
	}
	if !held {
		s.handoverChanged(number)
	}
	h, err := s.handoverView(ctx, number)
	if err == nil && held {
		err = fmt.Errorf("hold conversation %d for %s: %w", number, officer, services.ErrHandoverHeld)
	}
	return h, err
}

// TransferHandover gives an open conversation to another unit (holder
// "": it waits there for whoever answers first, and its escalation timer
// starts again) or to one officer, and records the transfer as a line of
// the bot's.
func (s *Store) TransferHandover(ctx context.Context, number int64, unit, holder, note string, at time.Time) (services.Handover, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		conv, err := lockHandover(tx, number)
		if err != nil {
			return err
		}
		set := map[string]any{"unit": unit, "holder": holder, "state": string(services.HandoverHeld), "escalated_at": nil}
		if holder == "" {
			set["state"], set["waiting_since"] = string(services.HandoverWaiting), dbTime(at)
		}
		if err := tx.Model(&Conversation{}).Where("id = ?", number).UpdateColumns(set).Error; err != nil {
			return fmt.Errorf("transfer: %w", err)
		}
		return s.appendMessage(tx, &conv, services.HandoverMessage{From: services.HandoverFromBot, Text: note, At: at})
	})
	if err != nil {
		return services.Handover{}, fmt.Errorf("transfer conversation %d: %w", number, err)
	}
	s.handoverChanged(number)
	return s.handoverView(ctx, number)
}

// CloseHandover closes an open conversation on behalf of by (an officer
// id, "citizen" or "bot").
func (s *Store) CloseHandover(ctx context.Context, number int64, by string, at time.Time) (services.Handover, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := lockHandover(tx, number); err != nil {
			return err
		}
		return closeConversation(tx, number, by, at)
	})
	if err != nil {
		return services.Handover{}, fmt.Errorf("close conversation %d: %w", number, err)
	}
	s.handoverChanged(number)
	return s.handoverView(ctx, number)
}

func closeConversation(tx *gorm.DB, number int64, by string, at time.Time) error {
	err := tx.Model(&Conversation{}).Where("id = ?", number).UpdateColumns(map[string]any{
		"state": string(services.HandoverClosed), "closed_at": dbTime(at), "closed_by": by, "open_key": nil,
	}).Error
	if err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// RateHandover keeps the citizen's rating (1 to 4) of a closed
// conversation; a conversation is rated once.
func (s *Store) RateHandover(ctx context.Context, number int64, rating int) error {
	if rating < 1 || rating > 4 {
		return fmt.Errorf("rate conversation %d: rating %d is not 1 to 4", number, rating)
	}
	err := s.db.WithContext(ctx).Model(&Conversation{}).
		Where("id = ? AND state = ? AND rating = 0", number, string(services.HandoverClosed)).
		UpdateColumn("rating", rating).Error
	if err != nil {
		return fmt.Errorf("rate conversation %d: %w", number, err)
	}
	return nil
}

// MarkHandoverEscalated records that a waiting conversation was reported to
// the kasi, and reports whether this call did (one process of several
// sends the report).
func (s *Store) MarkHandoverEscalated(ctx context.Context, number int64, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&Conversation{}).
		Where("id = ? AND state = ? AND escalated_at IS NULL", number, string(services.HandoverWaiting)).
		UpdateColumn("escalated_at", dbTime(at))
	if res.Error != nil {
		return false, fmt.Errorf("mark conversation %d escalated: %w", number, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Handover returns a conversation with its history, oldest first, the
// messages opened.
func (s *Store) Handover(ctx context.Context, number int64) (services.Handover, []services.HandoverMessage, error) {
	h, err := s.handoverView(ctx, number)
	if err != nil {
		return services.Handover{}, nil, err
	}
	var rows []ConversationMessage
	if err := s.db.WithContext(ctx).Where("conversation_id = ?", number).Order("at, id").Find(&rows).Error; err != nil {
		return services.Handover{}, nil, fmt.Errorf("history of conversation %d: %w", number, err)
	}
	out := make([]services.HandoverMessage, 0, len(rows))
	for _, r := range rows {
		m, err := s.messageView(r)
		if err != nil {
			return services.Handover{}, nil, fmt.Errorf("history of conversation %d: %w", number, err)
		}
		out = append(out, m)
	}
	return h, out, nil
}

func (s *Store) messageView(r ConversationMessage) (services.HandoverMessage, error) {
	text := r.Body
	if Sealed(text) {
		if s.sec.keys == nil {
			return services.HandoverMessage{}, fmt.Errorf("message %d is sealed and no %s are configured", r.ID, EnvDataKeys)
		}
		plain, err := s.sec.keys.Open(handoverField, text)
		if err != nil {
			return services.HandoverMessage{}, fmt.Errorf("open message %d: %w", r.ID, err)
		}
		text = plain
	}
	m := services.HandoverMessage{From: r.Sender, Text: text, At: r.At.In(s.loc)}
	if r.FileSHA != "" {
		m.File = &services.StoredFile{Kind: r.FileKind, MIME: r.FileMIME, SHA256: r.FileSHA, Size: r.FileSize, Path: r.FilePath}
	}
	return m, nil
}

// OpenHandovers lists the open conversations of unit ("" every unit),
// oldest first.
func (s *Store) OpenHandovers(ctx context.Context, unit string) ([]services.Handover, error) {
	q := s.db.WithContext(ctx).Preload("Citizen").Where("state <> ?", string(services.HandoverClosed))
	if unit != "" {
		q = q.Where("unit = ?", unit)
	}
	var convs []Conversation
	if err := q.Order("opened_at, id").Find(&convs).Error; err != nil {
		return nil, fmt.Errorf("list open conversations: %w", err)
	}
	out := make([]services.Handover, 0, len(convs))
	for _, c := range convs {
		out = append(out, s.conversationView(c))
	}
	return out, nil
}

// CitizenHandovers lists a chat's conversations, newest first: what "data
// saya" shows of them.
func (s *Store) CitizenHandovers(ctx context.Context, channel, chatID string) ([]services.Handover, error) {
	var convs []Conversation
	err := s.db.WithContext(ctx).Preload("Citizen").
		Where("citizen_id IN (?)", citizenIDQuery(s.db.WithContext(ctx), channel, chatID)).
		Order("opened_at DESC, id DESC").Find(&convs).Error
	if err != nil {
		return nil, fmt.Errorf("conversations of a %s chat: %w", channel, err)
	}
	out := make([]services.Handover, 0, len(convs))
	for _, c := range convs {
		out = append(out, s.conversationView(c))
	}
	return out, nil
}

// HandoverRatings counts the ratings of the conversations closed from
// from to to, by score (index 1 to 4): reported beside the satisfaction
// survey, never inside the IKM.
func (s *Store) HandoverRatings(ctx context.Context, from, to time.Time) ([5]int, error) {
	var rows []struct {
		Rating int
		N      int
	}
	var out [5]int
	err := s.db.WithContext(ctx).Model(&Conversation{}).Select("rating, count(*) AS n").
		Where("rating > 0 AND closed_at >= ? AND closed_at < ?", dbTime(from), dbTime(to)).
		Group("rating").Scan(&rows).Error
	if err != nil {
		return out, fmt.Errorf("count conversation ratings: %w", err)
	}
	for _, r := range rows {
		if r.Rating >= 1 && r.Rating <= 4 {
			out[r.Rating] = r.N
		}
	}
	return out, nil
}

func (s *Store) handoverView(ctx context.Context, number int64) (services.Handover, error) {
	var conv Conversation
	res := s.db.WithContext(ctx).Preload("Citizen").Where("id = ?", number).Limit(1).Find(&conv)
	if res.Error != nil {
		return services.Handover{}, fmt.Errorf("load conversation %d: %w", number, res.Error)
	}
	if res.RowsAffected == 0 {
		return services.Handover{}, fmt.Errorf("conversation %d: %w", number, services.ErrNoHandover)
	}
	return s.conversationView(conv), nil
}

func (s *Store) conversationView(c Conversation) services.Handover {
	h := services.Handover{
		Number: c.ID, Channel: c.Channel, Unit: c.Unit, Holder: c.Holder, State: services.HandoverState(c.State),
		Topic: c.Topic, OpenedAt: c.OpenedAt.In(s.loc), LastAt: c.LastAt.In(s.loc), ClosedBy: c.ClosedBy, Rating: c.Rating,
		WaitingSince: c.WaitingSince.In(s.loc),
	}
	for _, t := range []struct {
		from *time.Time
		to   *time.Time
	}{{c.AnsweredAt, &h.AnsweredAt}, {c.EscalatedAt, &h.EscalatedAt}, {c.ClosedAt, &h.ClosedAt}} {
		if t.from != nil {
			*t.to = t.from.In(s.loc)
		}
	}
	if c.Citizen != nil && !strings.HasPrefix(c.Citizen.ExternalID, erasedPrefix) {
		h.ChatID, h.CitizenName, h.CitizenLang = c.Citizen.ExternalID, c.Citizen.Name, c.Citizen.Lang
	}
	return h
}

// eraseHandovers erases what a citizen said and was sent in their
// conversations, inside CompleteDeletion's transaction: each message keeps
// who wrote it and when, its content goes. An open conversation is closed.
func eraseHandovers(tx *gorm.DB, citizenID int64, at time.Time) error {
	ids := tx.Model(&Conversation{}).Select("id").Where("citizen_id = ?", citizenID)
	err := tx.Model(&ConversationMessage{}).Where("conversation_id IN (?) AND NOT erased", ids).
		UpdateColumns(map[string]any{"body": "", "file_kind": "", "file_mime": "", "file_sha": "", "file_size": 0, "file_path": "", "erased": true}).Error
	if err != nil {
		return fmt.Errorf("erase conversation messages: %w", err)
	}
	var open []int64
	if err := tx.Model(&Conversation{}).Where("citizen_id = ? AND state <> ?", citizenID, string(services.HandoverClosed)).Pluck("id", &open).Error; err != nil {
		return fmt.Errorf("find open conversations: %w", err)
	}
	for _, id := range open {
		if err := closeConversation(tx, id, "erasure", at); err != nil {
			return err
		}
	}
	if err := tx.Model(&Conversation{}).Where("citizen_id = ?", citizenID).UpdateColumn("topic", "").Error; err != nil {
		return fmt.Errorf("erase conversation topics: %w", err)
	}
	return nil
}

// The store is where the engine keeps the conversations.
var _ conversation.HandoverDesk = (*Store)(nil)

// ConversationRead records that an officer read a conversation (or one of
// its files): the audit trail the personal data law asks for, as CaseRead
// is for cases.
type ConversationRead struct {
	ID             int64 `gorm:"primaryKey"`
	ConversationID int64 `gorm:"not null;index"`
	// Conversation exists for the foreign key; never loaded nor written.
	Conversation *Conversation `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	Officer      string        `gorm:"size:64;not null;index"`
	At           time.Time     `gorm:"not null"`
	Purpose      string        `gorm:"size:300;not null;default:''"`
}

// RecordHandoverRead keeps that officer read conversation number at at,
// for purpose ("" for its thread, "berkas <sha>" for a file).
func (s *Store) RecordHandoverRead(ctx context.Context, number int64, officer, purpose string, at time.Time) error {
	err := s.db.WithContext(ctx).Create(&ConversationRead{ConversationID: number, Officer: officer, At: dbTime(at), Purpose: purpose}).Error
	if err != nil {
		return fmt.Errorf("record that %s read conversation %d: %w", officer, number, err)
	}
	return nil
}

// HandoverReads lists the reads of a conversation, oldest first.
func (s *Store) HandoverReads(ctx context.Context, number int64) ([]ConversationRead, error) {
	var out []ConversationRead
	if err := s.db.WithContext(ctx).Where("conversation_id = ?", number).Order("at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("reads of conversation %d: %w", number, err)
	}
	return out, nil
}
