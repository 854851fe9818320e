package pgstore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/services"
)

// ErrConsultationExists is returned when a consultation or announcement is
// published under a code already used: a code names one publication for
// good, so a file published twice is not sent twice.
var ErrConsultationExists = errors.New("a consultation or announcement with this code was already published")

// Consultation is a consultation as published. Nothing in it is personal.
type Consultation struct {
	ID         int64  `gorm:"primaryKey"`
	Code       string `gorm:"size:32;not null;uniqueIndex"`
	Kind       string `gorm:"size:16;not null"`
	Village    string `gorm:"size:32;not null;default:''"`
	Title      string `gorm:"not null"`
	Background string `gorm:"not null"`
	Question   string `gorm:"not null"`
	// Options is the JSON list of the options, in their order.
	Options     string    `gorm:"not null"`
	Comment     bool      `gorm:"not null;default:false"`
	Status      string    `gorm:"size:16;not null;index"`
	PublishedAt time.Time `gorm:"not null"`
	Closes      time.Time `gorm:"not null"`
	ClosedAt    *time.Time
	Response    string `gorm:"not null;default:''"`
	ResponseAt  *time.Time
}

// ConsultationAnswer is one person's answer to one consultation. The
// unique index on (consultation, identity) is what makes it one answer per
// person: a second answer by the same person, on any channel, replaces the
// first.
type ConsultationAnswer struct {
	ID             int64         `gorm:"primaryKey"`
	ConsultationID int64         `gorm:"not null;uniqueIndex:idx_consultation_answers_identity,priority:1"`
	Consultation   *Consultation `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	// Identity is the keyed hash of the person (identityOf): their phone
	// number when the bot knows it, else their chat.
	Identity string `gorm:"size:80;not null;uniqueIndex:idx_consultation_answers_identity,priority:2"`
	// Channel and ChatID are where the person last answered from: the
	// result is sent there.
	Channel string `gorm:"size:32;not null"`
	ChatID  string `gorm:"size:128;not null"`
	Village string `gorm:"size:32;not null;default:''"`
	Choice  string `gorm:"size:32;not null;default:''"`
	// Ranking is the option codes in order, comma-separated.
	Ranking string `gorm:"not null;default:''"`
	// Comment is sealed (the citizen's own words); "" for none.
	Comment string `gorm:"not null;default:''"`
	// Quoted: an officer marked the comment for the public result.
	Quoted bool `gorm:"not null;default:false"`
	// NewIdentity: the person had never written to the office a day
	// before answering (see consultation.Bursts).
	NewIdentity bool      `gorm:"not null;default:false"`
	AnsweredAt  time.Time `gorm:"not null;index"`
	UpdatedAt   time.Time `gorm:"not null"`
}

// Subscription is one chat following the announcements of the kecamatan
// (Scope "") or of a village (its code).
type Subscription struct {
	ID        int64     `gorm:"primaryKey"`
	Channel   string    `gorm:"size:32;not null;uniqueIndex:idx_subscriptions_chat_scope,priority:1"`
	ChatID    string    `gorm:"size:128;not null;uniqueIndex:idx_subscriptions_chat_scope,priority:2"`
	Scope     string    `gorm:"size:32;not null;uniqueIndex:idx_subscriptions_chat_scope,priority:3;index"`
	CreatedAt time.Time `gorm:"not null"`
}

// PhoneLink is the phone number a chat's person gave (a Telegram user
// sharing their own contact): the link that makes their Telegram and
// WhatsApp chats one person. Only its keyed hash is kept.
type PhoneLink struct {
	Channel   string    `gorm:"size:32;primaryKey"`
	ChatID    string    `gorm:"size:128;primaryKey"`
	PhoneHash string    `gorm:"size:80;not null;index"`
	LinkedAt  time.Time `gorm:"not null"`
}

// Announcement is a notice as published.
type Announcement struct {
	ID          int64     `gorm:"primaryKey"`
	Code        string    `gorm:"size:32;not null;uniqueIndex"`
	Village     string    `gorm:"size:32;not null;default:''"`
	Text        string    `gorm:"not null"`
	PublishedAt time.Time `gorm:"not null"`
}

func consultationModels() []any {
	return []any{&Consultation{}, &ConsultationAnswer{}, &Subscription{}, &PhoneLink{}, &Announcement{}, &BroadcastMessage{}}
}

// commentField is the field name comments are sealed under: a sealed
// comment cannot be passed off as a form's value, nor one as a comment.
const commentField = "consultation.comment"

// newIdentityAge is how long after their first message a person still
// counts as new (ConsultationAnswer.NewIdentity).
const newIdentityAge = 24 * time.Hour

// identityOf is the person behind a chat, as the answers' unique index
// sees it: on WhatsApp the chat id is the phone number (62...); on another
// channel the phone number the chat linked (PhoneLink); otherwise the chat
// itself. Keyed-hashed, so the identity, which outlives the chat in the
// results, is no phone number; the answer's ChatID is only where the result
// goes, as a citizen's chat id is, and is erased with the citizen.
func (s *Store) identityOf(db *gorm.DB, channel, chatID string) (string, error) {
	if channel == "whatsapp" && isPhone(chatID) {
		return s.personHash("phone:" + chatID), nil
	}
	var link PhoneLink
	err := db.Where("channel = ? AND chat_id = ?", channel, chatID).Take(&link).Error
	switch {
	case err == nil:
		return link.PhoneHash, nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return s.personHash("chat:" + channel + ":" + chatID), nil
	}
	return "", fmt.Errorf("find the phone link of a %s chat: %w", channel, err)
}

func isPhone(id string) bool {
	if len(id) < 8 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// personHash is the keyed hash of a person's key; with no keys (tests and
// plaintext mode) a plain hash, as chatKey does, so the identity is never
// the phone number itself.
func (s *Store) personHash(key string) string {
	if s.sec.keys == nil {
		sum := sha256.Sum256([]byte("sapa person\x00" + key))
		return "p0:" + hex.EncodeToString(sum[:])
	}
	m := hmac.New(sha256.New, s.sec.keys.mac)
	m.Write([]byte("sapa person\x00" + key))
	return "p1:" + hex.EncodeToString(m.Sum(nil))
}

// LinkPhone records that the person of a chat has the phone number phone
// (any form services.NormalizePhone reads): from then on their answers and
// those of the WhatsApp chat of that number are one person's.
func (s *Store) LinkPhone(ctx context.Context, channel, chatID, phone string, at time.Time) error {
	n := services.NormalizePhone(phone)
	if n == "" {
		return fmt.Errorf("link a %s chat to a phone: not a phone number", channel)
	}
	link := PhoneLink{Channel: channel, ChatID: chatID, PhoneHash: s.personHash("phone:" + n), LinkedAt: dbTime(at)}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "channel"}, {Name: "chat_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"phone_hash", "linked_at"}),
	}).Create(&link).Error
	if err != nil {
		return fmt.Errorf("link a %s chat to a phone: %w", channel, err)
	}
	return nil
}

// PublishConsultation stores c as open from at. It fails with
// ErrConsultationExists when the code was used.
func (s *Store) PublishConsultation(ctx context.Context, c consultation.Consultation, at time.Time) error {
	opts, err := json.Marshal(c.Options)
	if err != nil {
		return fmt.Errorf("publish consultation %s: %w", c.Code, err)
	}
	row := Consultation{
		Code: c.Code, Kind: string(c.Kind), Village: c.Village, Title: c.Title, Background: c.Background,
		Question: c.Question, Options: string(opts), Comment: c.Comment, Status: string(consultation.StatusOpen),
		PublishedAt: dbTime(at), Closes: dbTime(c.Closes),
	}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "code"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		return fmt.Errorf("publish consultation %s: %w", c.Code, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("publish consultation %s: %w", c.Code, ErrConsultationExists)
	}
	return nil
}

func (s *Store) published(row Consultation) (consultation.Published, error) {
	p := consultation.Published{
		Consultation: consultation.Consultation{
			Code: row.Code, Kind: consultation.Kind(row.Kind), Village: row.Village, Title: row.Title,
			Background: row.Background, Question: row.Question, Comment: row.Comment, Closes: row.Closes.In(s.loc),
		},
		Status: consultation.Status(row.Status), PublishedAt: row.PublishedAt.In(s.loc), Response: row.Response,
	}
	if err := json.Unmarshal([]byte(row.Options), &p.Options); err != nil {
		return p, fmt.Errorf("read the options of consultation %s: %w", row.Code, err)
	}
	if row.ClosedAt != nil {
		p.ClosedAt = row.ClosedAt.In(s.loc)
	}
	if row.ResponseAt != nil {
		p.ResponseAt = row.ResponseAt.In(s.loc)
	}
	return p, nil
}

func (s *Store) consultationRow(db *gorm.DB, code string) (Consultation, error) {
	var row Consultation
	err := db.Where("code = ?", code).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, consultation.ErrNotFound
	}
	return row, err
}

// Consultation returns the consultation of code, or consultation.ErrNotFound.
func (s *Store) Consultation(ctx context.Context, code string) (consultation.Published, error) {
	row, err := s.consultationRow(s.db.WithContext(ctx), code)
	if err != nil {
		return consultation.Published{}, fmt.Errorf("read consultation %s: %w", code, err)
	}
	return s.published(row)
}

// Consultations lists consultations, newest first: those still taking
// answers at now (open), or the others (closed or past their closing
// time), at most limit (0: 20).
func (s *Store) Consultations(ctx context.Context, open bool, now time.Time, limit int) ([]consultation.Published, error) {
	q := s.db.WithContext(ctx).Order("published_at DESC, id DESC").Limit(pageSize(limit, 20))
	if open {
		q = q.Where("status = ? AND closes > ?", consultation.StatusOpen, dbTime(now))
	} else {
		q = q.Where("status = ? OR closes <= ?", consultation.StatusClosed, dbTime(now))
	}
	var rows []Consultation
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list consultations: %w", err)
	}
	out := make([]consultation.Published, 0, len(rows))
	for _, r := range rows {
		p, err := s.published(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// CloseConsultation stops the answers to code at at. It reports false when
// it was closed already.
func (s *Store) CloseConsultation(ctx context.Context, code string, at time.Time) (bool, error) {
	t := dbTime(at)
	res := s.db.WithContext(ctx).Model(&Consultation{}).Where("code = ? AND status = ?", code, consultation.StatusOpen).
		Updates(map[string]any{"status": consultation.StatusClosed, "closed_at": t})
	if res.Error != nil {
		return false, fmt.Errorf("close consultation %s: %w", code, res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := s.consultationRow(s.db.WithContext(ctx), code); err != nil {
			return false, fmt.Errorf("close consultation %s: %w", code, err)
		}
		return false, nil
	}
	return true, nil
}

// SetResponse writes the office's response to a consultation (what it
// decided and why); writing it again replaces it.
func (s *Store) SetResponse(ctx context.Context, code, text string, at time.Time) error {
	t := dbTime(at)
	res := s.db.WithContext(ctx).Model(&Consultation{}).Where("code = ?", code).
		Updates(map[string]any{"response": strings.TrimSpace(services.StripInvisible(text)), "response_at": t})
	if res.Error != nil {
		return fmt.Errorf("write the response to consultation %s: %w", code, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("write the response to consultation %s: %w", code, consultation.ErrNotFound)
	}
	return nil
}

// AnswerConsultation stores the answer of the person of a chat to code,
// replacing the one they gave before on any channel, while the
// consultation is open at at. It reports whether it replaced one. The
// answer must fit the consultation (Consultation.Check); its comment is
// sealed.
func (s *Store) AnswerConsultation(ctx context.Context, code, channel, chatID string, a consultation.Answer, at time.Time) (bool, error) {
	replaced := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := s.consultationRow(tx, code)
		if err != nil {
			return err
		}
		p, err := s.published(row)
		if err != nil {
			return err
		}
		if !p.OpenAt(at) {
			return consultation.ErrClosed
		}
		if err := p.Check(a); err != nil {
			return err
		}
		identity, err := s.identityOf(tx, channel, chatID)
		if err != nil {
			return err
		}
		comment := a.Comment
		if comment != "" && s.sec.keys != nil {
			if comment, err = s.sec.keys.Seal(commentField, comment); err != nil {
				return err
			}
		}
		var prior int64
		if err := tx.Model(&ConsultationAnswer{}).Where("consultation_id = ? AND identity = ?", row.ID, identity).Count(&prior).Error; err != nil {
			return err
		}
		replaced = prior > 0
		var first time.Time
		var c Citizen
		err = tx.Select("created_at").Where("channel = ? AND external_id = ?", channel, chatID).Take(&c).Error
		switch {
		case err == nil:
			first = c.CreatedAt
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		t := dbTime(at)
		ans := ConsultationAnswer{
			ConsultationID: row.ID, Identity: identity, Channel: channel, ChatID: chatID, Village: a.Village,
			Choice: a.Choice, Ranking: strings.Join(a.Ranking, ","), Comment: comment,
			NewIdentity: first.IsZero() || at.Sub(first) < newIdentityAge, AnsweredAt: t, UpdatedAt: t,
		}
		return tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "consultation_id"}, {Name: "identity"}},
			// A changed answer keeps when it was first given (the burst
			// check reads it) and loses any quote mark: the officer
			// marked other words.
			DoUpdates: clause.Assignments(map[string]any{
				"channel": channel, "chat_id": chatID, "village": a.Village, "choice": a.Choice,
				"ranking": ans.Ranking, "comment": comment, "quoted": false, "updated_at": t,
			}),
		}).Create(&ans).Error
	})
	if err != nil {
		return false, fmt.Errorf("answer consultation %s from a %s chat: %w", code, channel, err)
	}
	return replaced, nil
}

// MyAnswer returns the answer the person of a chat gave to code; false
// when they gave none.
func (s *Store) MyAnswer(ctx context.Context, code, channel, chatID string) (consultation.Answer, bool, error) {
	db := s.db.WithContext(ctx)
	row, err := s.consultationRow(db, code)
	if err != nil {
		return consultation.Answer{}, false, fmt.Errorf("read an answer to %s: %w", code, err)
	}
	identity, err := s.identityOf(db, channel, chatID)
	if err != nil {
		return consultation.Answer{}, false, err
	}
	var a ConsultationAnswer
	err = db.Where("consultation_id = ? AND identity = ?", row.ID, identity).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return consultation.Answer{}, false, nil
	}
	if err != nil {
		return consultation.Answer{}, false, fmt.Errorf("read an answer to %s: %w", code, err)
	}
	out, err := s.answerOf(a)
	return out, err == nil, err
}

func (s *Store) answerOf(a ConsultationAnswer) (consultation.Answer, error) {
	out := consultation.Answer{Choice: a.Choice, Village: a.Village, Comment: a.Comment}
	if a.Ranking != "" {
		out.Ranking = strings.Split(a.Ranking, ",")
	}
	if Sealed(a.Comment) {
		if s.sec.keys == nil {
			return out, fmt.Errorf("read a comment: it is encrypted but no %s are configured", EnvDataKeys)
		}
		plain, err := s.sec.keys.Open(commentField, a.Comment)
		if err != nil {
			return out, fmt.Errorf("read a comment: %w", err)
		}
		out.Comment = plain
	}
	return out, nil
}

// Comment is one comment as staff read it to moderate.
type Comment = consultation.Comment

// ConsultationComments lists every comment given to code, oldest first.
func (s *Store) ConsultationComments(ctx context.Context, code string) ([]Comment, error) {
	answers, err := s.answers(ctx, code, "comment <> ''")
	if err != nil {
		return nil, err
	}
	out := make([]Comment, 0, len(answers))
	for _, a := range answers {
		ans, err := s.answerOf(a)
		if err != nil {
			return nil, err
		}
		out = append(out, Comment{ID: a.ID, Text: ans.Comment, Village: a.Village, Quoted: a.Quoted, At: a.UpdatedAt.In(s.loc)})
	}
	return out, nil
}

// QuoteComment marks (or unmarks) a comment of code for the public
// result.
func (s *Store) QuoteComment(ctx context.Context, code string, id int64, quoted bool) error {
	res := s.db.WithContext(ctx).Model(&ConsultationAnswer{}).
		Where("id = ? AND comment <> '' AND consultation_id IN (?)", id, s.db.Model(&Consultation{}).Select("id").Where("code = ?", code)).
		Update("quoted", quoted)
	if res.Error != nil {
		return fmt.Errorf("mark comment %d of %s: %w", id, code, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("mark comment %d of %s: %w", id, code, consultation.ErrNotFound)
	}
	return nil
}

func (s *Store) answers(ctx context.Context, code, where string) ([]ConsultationAnswer, error) {
	db := s.db.WithContext(ctx)
	row, err := s.consultationRow(db, code)
	if err != nil {
		return nil, fmt.Errorf("answers of %s: %w", code, err)
	}
	q := db.Where("consultation_id = ?", row.ID).Order("answered_at, id")
	if where != "" {
		q = q.Where(where)
	}
	var out []ConsultationAnswer
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("answers of %s: %w", code, err)
	}
	return out, nil
}

// ConsultationResults tallies code's answers (consultation.Tally) against
// the subscribers of now, with the comments marked for quoting.
func (s *Store) ConsultationResults(ctx context.Context, code string) (consultation.Published, consultation.Results, error) {
	p, err := s.Consultation(ctx, code)
	if err != nil {
		return p, consultation.Results{}, err
	}
	rows, err := s.answers(ctx, code, "")
	if err != nil {
		return p, consultation.Results{}, err
	}
	answers := make([]consultation.Answer, 0, len(rows))
	var quotes []string
	for _, r := range rows {
		a, err := s.answerOf(r)
		if err != nil {
			return p, consultation.Results{}, err
		}
		if r.Quoted && a.Comment != "" {
			quotes = append(quotes, a.Comment)
		}
		a.Comment = ""
		answers = append(answers, a)
	}
	subs, err := s.SubscriberCounts(ctx)
	if err != nil {
		return p, consultation.Results{}, err
	}
	r := consultation.Tally(p.Consultation, answers, subs)
	r.Quotes = quotes
	return p, r, nil
}

// NewIdentityTimes are the times new identities first answered code: what
// consultation.Bursts reads.
func (s *Store) NewIdentityTimes(ctx context.Context, code string) ([]time.Time, error) {
	rows, err := s.answers(ctx, code, "new_identity")
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, len(rows))
	for i, r := range rows {
		out[i] = r.AnsweredAt.In(s.loc)
	}
	return out, nil
}

// Recipient is a chat a broadcast goes to.
type Recipient = consultation.Recipient

// Answerers are the chats the people who answered code last answered
// from: one per person.
func (s *Store) Answerers(ctx context.Context, code string) ([]Recipient, error) {
	// An erased person's answer counts, but has nowhere to go.
	rows, err := s.answers(ctx, code, "chat_id <> ''")
	if err != nil {
		return nil, err
	}
	out := make([]Recipient, len(rows))
	for i, r := range rows {
		out[i] = Recipient{Channel: r.Channel, ChatID: r.ChatID}
	}
	return out, nil
}

// Subscribe has a chat follow the announcements of scope (a village code,
// or consultation.Kecamatan). It reports false when it already did.
func (s *Store) Subscribe(ctx context.Context, channel, chatID, scope string, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&Subscription{Channel: channel, ChatID: chatID, Scope: scope, CreatedAt: dbTime(at)})
	if res.Error != nil {
		return false, fmt.Errorf("subscribe a %s chat: %w", channel, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// Unsubscribe ends every subscription of a chat and returns how many
// there were.
// Announcements queued for the chat and not yet sent are dropped with
// them: "berhenti" means from now on.
func (s *Store) Unsubscribe(ctx context.Context, channel, chatID string) (int, error) {
	n := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("channel = ? AND chat_id = ?", channel, chatID).Delete(&Subscription{})
		if res.Error != nil {
			return res.Error
		}
		n = int(res.RowsAffected)
		return tx.Where("channel = ? AND chat_id = ? AND kind = ? AND status = ?", channel, chatID, BroadcastKindAnnouncement, BroadcastPending).
			Delete(&BroadcastMessage{}).Error
	})
	if err != nil {
		return 0, fmt.Errorf("unsubscribe a %s chat: %w", channel, err)
	}
	return n, nil
}

// Subscriptions are the scopes a chat follows, the kecamatan ("") first.
func (s *Store) Subscriptions(ctx context.Context, channel, chatID string) ([]string, error) {
	var scopes []string
	err := s.db.WithContext(ctx).Model(&Subscription{}).Where("channel = ? AND chat_id = ?", channel, chatID).
		Order("scope").Pluck("scope", &scopes).Error
	if err != nil {
		return nil, fmt.Errorf("subscriptions of a %s chat: %w", channel, err)
	}
	return scopes, nil
}

// SubscriberCounts counts subscribed chats per scope.
func (s *Store) SubscriberCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Scope string
		N     int
	}
	err := s.db.WithContext(ctx).Model(&Subscription{}).Select("scope, count(*) AS n").Group("scope").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count subscribers: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Scope] = r.N
	}
	return out, nil
}

// Subscribers are the chats an announcement of scope goes to: those
// following the kecamatan, and for a village those following it, each
// chat once, in a stable order.
func (s *Store) Subscribers(ctx context.Context, scope string) ([]Recipient, error) {
	var out []Recipient
	q := s.db.WithContext(ctx).Model(&Subscription{}).Distinct("channel", "chat_id").Order("channel, chat_id")
	if scope != consultation.Kecamatan {
		q = q.Where("scope IN ?", []string{consultation.Kecamatan, scope})
	}
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("subscribers of %q: %w", scope, err)
	}
	return out, nil
}

// PublishAnnouncement stores an announcement. It fails with
// ErrConsultationExists when the code was used.
func (s *Store) PublishAnnouncement(ctx context.Context, a consultation.Announcement, at time.Time) error {
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "code"}}, DoNothing: true}).
		Create(&Announcement{Code: a.Code, Village: a.Village, Text: a.Text, PublishedAt: dbTime(at)})
	if res.Error != nil {
		return fmt.Errorf("publish announcement %s: %w", a.Code, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("publish announcement %s: %w", a.Code, ErrConsultationExists)
	}
	return nil
}

// KnownVillage is the village the citizen of a chat gave the office last
// (their newest case's), "" when they gave none.
func (s *Store) KnownVillage(ctx context.Context, channel, chatID string) (string, error) {
	var villages []string
	err := s.db.WithContext(ctx).Model(&Case{}).Where("citizen_id IN (?) AND village_code <> ''", citizenIDQuery(s.db.WithContext(ctx), channel, chatID)).
		Order("created_at DESC, id DESC").Limit(1).Pluck("village_code", &villages).Error
	if err != nil {
		return "", fmt.Errorf("village of a %s chat: %w", channel, err)
	}
	if len(villages) == 0 {
		return "", nil
	}
	return villages[0], nil
}

// eraseConsultationData erases, inside CompleteDeletion's transaction, what
// the consultations keep of a chat: its subscriptions, its phone link, and
// of its answers the comments and the chat the result would go to. The
// choices stay counted, under a hash that names nobody.
func eraseConsultationData(tx *gorm.DB, channel, chatID string) error {
	if err := tx.Where("channel = ? AND chat_id = ?", channel, chatID).Delete(&Subscription{}).Error; err != nil {
		return fmt.Errorf("erase subscriptions: %w", err)
	}
	if err := tx.Where("channel = ? AND chat_id = ?", channel, chatID).Delete(&PhoneLink{}).Error; err != nil {
		return fmt.Errorf("erase phone link: %w", err)
	}
	err := tx.Model(&ConsultationAnswer{}).Where("channel = ? AND chat_id = ?", channel, chatID).
		Updates(map[string]any{"comment": "", "quoted": false, "chat_id": ""}).Error
	if err != nil {
		return fmt.Errorf("erase consultation answers: %w", err)
	}
	// The messages to the chat, sent or not, name it.
	if err := tx.Where("channel = ? AND chat_id = ?", channel, chatID).Delete(&BroadcastMessage{}).Error; err != nil {
		return fmt.Errorf("erase broadcast messages: %w", err)
	}
	return nil
}

// ChosenLangs are the chats whose citizens chose a language other than
// the default: a broadcast is written in each chat's language.
func (s *Store) ChosenLangs(ctx context.Context) (map[Recipient]string, error) {
	var rows []struct{ Channel, ExternalID, Lang string }
	err := s.db.WithContext(ctx).Model(&Citizen{}).Select("channel, external_id, lang").
		Where("lang <> '' AND lang <> ?", "id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("languages of citizens: %w", err)
	}
	out := make(map[Recipient]string, len(rows))
	for _, r := range rows {
		out[Recipient{Channel: r.Channel, ChatID: r.ExternalID}] = r.Lang
	}
	return out, nil
}

// DueToClose are the codes of consultations still open whose closing time
// is past at now: their results are due.
func (s *Store) DueToClose(ctx context.Context, now time.Time) ([]string, error) {
	var codes []string
	err := s.db.WithContext(ctx).Model(&Consultation{}).Where("status = ? AND closes <= ?", consultation.StatusOpen, dbTime(now)).
		Order("closes").Pluck("code", &codes).Error
	if err != nil {
		return nil, fmt.Errorf("consultations due to close: %w", err)
	}
	return codes, nil
}

// mergeChatData moves, inside MergeCitizen's transaction, what is kept
// under the chat id from to the chat id to: the consents, and what the
// consultations keep (subscriptions, answers under the person's new
// identity, queued broadcast messages). Where to already has the same,
// to's stays, or for an answer the newer one.
func (s *Store) mergeChatData(tx *gorm.DB, channel, from, to string) error {
	if err := mergeConsents(tx, channel, from, to); err != nil {
		return err
	}
	err := tx.Exec(`UPDATE subscriptions SET chat_id = ? WHERE channel = ? AND chat_id = ?
		AND scope NOT IN (SELECT scope FROM subscriptions WHERE channel = ? AND chat_id = ?)`, to, channel, from, channel, to).Error
	if err == nil {
		err = tx.Where("channel = ? AND chat_id = ?", channel, from).Delete(&Subscription{}).Error
	}
	if err == nil {
		err = tx.Exec(`UPDATE broadcast_messages SET chat_id = ? WHERE channel = ? AND chat_id = ?
			AND key NOT IN (SELECT key FROM broadcast_messages WHERE channel = ? AND chat_id = ?)`, to, channel, from, channel, to).Error
	}
	if err == nil {
		err = tx.Where("channel = ? AND chat_id = ?", channel, from).Delete(&BroadcastMessage{}).Error
	}
	if err == nil {
		err = tx.Where("channel = ? AND chat_id = ?", channel, from).Delete(&PhoneLink{}).Error
	}
	if err != nil {
		return fmt.Errorf("merge subscriptions and broadcasts: %w", err)
	}
	identity, err := s.identityOf(tx, channel, to)
	if err != nil {
		return err
	}
	var answers []ConsultationAnswer
	if err := tx.Where("channel = ? AND chat_id = ?", channel, from).Find(&answers).Error; err != nil {
		return fmt.Errorf("merge consultation answers: %w", err)
	}
	for _, a := range answers {
		var other ConsultationAnswer
		res := tx.Where("consultation_id = ? AND identity = ? AND id <> ?", a.ConsultationID, identity, a.ID).Limit(1).Find(&other)
		if res.Error != nil {
			return fmt.Errorf("merge consultation answers: %w", res.Error)
		}
		if res.RowsAffected > 0 {
			// One person, two answers: the newer counts.
			older := a.ID
			if other.UpdatedAt.Before(a.UpdatedAt) {
				older = other.ID
			}
			if err := tx.Delete(&ConsultationAnswer{}, older).Error; err != nil {
				return fmt.Errorf("merge consultation answers: %w", err)
			}
			if older == a.ID {
				continue
			}
		}
		if err := tx.Model(&ConsultationAnswer{}).Where("id = ?", a.ID).
			Updates(map[string]any{"identity": identity, "chat_id": to}).Error; err != nil {
			return fmt.Errorf("merge consultation answers: %w", err)
		}
	}
	return nil
}
