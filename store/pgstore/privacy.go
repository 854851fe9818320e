package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leksono/sapa/services"
)

// DeletionDeadline is how long the office has to act on a deletion request:
// UU 27/2022 asks a controller to respond within 3 x 24 hours.
const DeletionDeadline = 72 * time.Hour

// ErrDeletionDone is returned by CompleteDeletion for a request already
// completed.
var ErrDeletionDone = errors.New("deletion request already completed")

// erasedPrefix replaces the chat id of an erased citizen: it keeps the
// (channel, external_id) index unique while no longer naming the chat (on
// WhatsApp, the phone number).
const erasedPrefix = "erased:"

// Consent is a citizen's acknowledgement of a notice, such as the purpose
// of collecting their NIK. Only the first acknowledgement of a purpose is
// kept: it is the one that preceded the collection. Callers version their
// purposes ("nik.v1") so that a changed notice is acknowledged again.
type Consent struct {
	ID      int64     `gorm:"primaryKey"`
	Channel string    `gorm:"size:32;not null;uniqueIndex:idx_consents_chat_purpose,priority:1"`
	ChatID  string    `gorm:"size:128;not null;uniqueIndex:idx_consents_chat_purpose,priority:2"`
	Purpose string    `gorm:"size:64;not null;uniqueIndex:idx_consents_chat_purpose,priority:3"`
	At      time.Time `gorm:"not null"`
}

// DeletionRequest is a citizen's request that their personal data be
// erased ("hapus data saya"), which staff must complete before DueAt.
type DeletionRequest struct {
	ID          int64     `gorm:"primaryKey"`
	Channel     string    `gorm:"size:32;not null"`
	ChatID      string    `gorm:"size:128;not null"`
	RequestedAt time.Time `gorm:"not null"`
	DueAt       time.Time `gorm:"not null;index"`
	// DoneAt is when an officer completed it; nil while open.
	DoneAt *time.Time
	// DoneBy is the id of the officer who completed it.
	DoneBy string `gorm:"size:64;not null;default:''"`
	// OpenKey is "<channel>:<chat id>" while the request is open and NULL
	// once done: its unique index allows one open request per chat, so
	// asking twice returns the first request's deadline.
	OpenKey *string `gorm:"size:170;uniqueIndex"`
}

// CaseRead records that an officer opened a case: the audit trail of who
// read whose data, which a breach report within 3 x 24 hours needs.
type CaseRead struct {
	ID     int64 `gorm:"primaryKey"`
	CaseID int64 `gorm:"not null;index"`
	// Case exists for the foreign key; it is never loaded nor written.
	Case    *Case     `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	Officer string    `gorm:"size:64;not null;index"`
	At      time.Time `gorm:"not null"`
	// Purpose is why the officer looked, when they had to say: "" for
	// opening the case, the reason they gave for revealing its NIK and KK
	// numbers in full.
	Purpose string `gorm:"size:300;not null;default:''"`
}

// privacyModels are the tables of this file, migrated after the cases.
func privacyModels() []any { return []any{&Consent{}, &DeletionRequest{}, &CaseRead{}, &CaseKey{}} }

// RecordConsent stores that the chat acknowledged purpose at at. Recording
// it again keeps the first time.
func (s *Store) RecordConsent(ctx context.Context, channel, chatID, purpose string, at time.Time) error {
	switch {
	case channel == "" || chatID == "":
		return errors.New("record consent: channel or chat id is empty")
	case purpose == "":
		return errors.New("record consent: purpose is empty")
	case at.IsZero():
		return fmt.Errorf("record consent to %s: time is zero", purpose)
	}
	// One written-out statement, atomic by itself: GORM's default
	// transaction around a Create would cost two more round trips per
	// citizen, and its reflection the CPU of several messages.
	err := s.db.WithContext(ctx).Exec(`INSERT INTO consents (channel, chat_id, purpose, "at") VALUES (?, ?, ?, ?)
ON CONFLICT (channel, chat_id, purpose) DO NOTHING`, channel, chatID, purpose, dbTime(at)).Error
	if err != nil {
		return fmt.Errorf("record consent of a %s chat to %s: %w", channel, purpose, err)
	}
	return nil
}

// HasConsent reports whether the chat acknowledged purpose.
func (s *Store) HasConsent(ctx context.Context, channel, chatID, purpose string) (bool, error) {
	var n int64
	err := scanRow(s.db.WithContext(ctx).Raw(`SELECT count(*) FROM consents WHERE channel = ? AND chat_id = ? AND purpose = ?`,
		channel, chatID, purpose), &n)
	if err != nil {
		return false, fmt.Errorf("consent of a %s chat to %s: %w", channel, purpose, err)
	}
	return n > 0, nil
}

// RequestDeletion files the chat's request to erase its personal data and
// returns it, with its number and when staff must have completed it (at +
// 72 h, in the office zone). While a request of the chat is open, asking
// again returns that request instead of filing a second one. The
// conversation state in Redis is not this store's: the caller forgets it.
func (s *Store) RequestDeletion(ctx context.Context, channel, chatID string, at time.Time) (DeletionRequest, error) {
	switch {
	case channel == "" || chatID == "":
		return DeletionRequest{}, errors.New("request deletion: channel or chat id is empty")
	case at.IsZero():
		return DeletionRequest{}, errors.New("request deletion: time is zero")
	}
	key := channel + ":" + chatID
	at = dbTime(at)
	db := s.db.WithContext(ctx)
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "open_key"}}, DoNothing: true}).
		Create(&DeletionRequest{Channel: channel, ChatID: chatID, RequestedAt: at, DueAt: at.Add(DeletionDeadline), OpenKey: &key}).Error
	if err != nil {
		return DeletionRequest{}, fmt.Errorf("request deletion for a %s chat: %w", channel, err)
	}
	var r DeletionRequest
	if err := db.Where("open_key = ?", key).Take(&r).Error; err != nil {
		return DeletionRequest{}, fmt.Errorf("request deletion for a %s chat: read back: %w", channel, err)
	}
	s.localizeRequest(&r)
	return r, nil
}

// OpenDeletionRequests lists the requests staff have not completed, oldest
// first, with times in the office zone.
func (s *Store) OpenDeletionRequests(ctx context.Context) ([]DeletionRequest, error) {
	var rs []DeletionRequest
	err := s.db.WithContext(ctx).Where("done_at IS NULL").Order("requested_at, id").Limit(maxListed).Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("list open deletion requests: %w", err)
	}
	for i := range rs {
		s.localizeRequest(&rs[i])
	}
	return rs, nil
}

func (s *Store) localizeRequest(r *DeletionRequest) {
	r.RequestedAt = r.RequestedAt.In(s.loc)
	r.DueAt = r.DueAt.In(s.loc)
	if r.DoneAt != nil {
		t := r.DoneAt.In(s.loc)
		r.DoneAt = &t
	}
}

// CompleteDeletion carries out deletion request id for officer at at, in
// one transaction, and returns the tickets of the citizen's cases still
// open, whose data is kept until they are finished.
//
// The rule for open cases: the office still owes the citizen the service
// they asked for (a legal obligation and a public-service task, UU 27/2022
// art. 16(2) and 20(2)), so what an open case needs is kept, the case is
// marked EraseWhenClosed, and ChangeStatus erases it in the transaction
// that finishes it; the citizen keeps hearing of it meanwhile. Their chat id
// and name go with their last open case.
//
// Erased: the citizen's name (set to ""), chat id (replaced by
// "erased:<citizen id>", so the archive no longer leads to the chat or
// phone number, and a later message of the chat starts a new citizen),
// language and unreachable mark; in each closed case, the form fields named
// in Options.Sensitive and Options.Personal (and nik, kk), the NIK look-up
// hash, a source message not yet hashed; the free-text comments and the
// respondent's profile (age band, sex, education, occupation) of their
// satisfaction surveys, whose scores stay in the index; the holder's name of
// the letters printed for them; the text of every note in each case's
// history (reasons, questions, the citizen's answers, internal remarks),
// by destroying the case's note key (CaseKey): the history is append-only,
// so its notes are destroyed by key, not overwritten; the case's
// attachments, rows and (once committed) the files no other case holds
// (Options.Files). Once nothing of the chat is needed, the consents and the
// requests name it by its keyed hash only (forgetChat), and the OnErase
// function hears of it. Then the touched tables are vacuumed (Vacuum), so
// the old rows do not linger in the file.
//
// Kept, for the archive the retention schedule requires and for the
// office's accountability: each case's ticket, service, unit, status,
// village code, dates, the remaining form fields (service choices and
// categories that reports count, declared in neither list) and the steps of
// its history (kind, actor, time, statuses; an assignment's officer id and a
// letter's number, the office's own data, stay readable); the
// letters' register entries with the holder's masked name (a letter stays
// verifiable); the consents (proof the notice was given) and the audit
// trail of reads; and this request itself, the proof it was honoured.
//
// It fails with ErrNotFound for an unknown id and ErrDeletionDone for a
// request already completed.
func (s *Store) CompleteDeletion(ctx context.Context, id int64, officer string, at time.Time) ([]string, error) {
	switch {
	case officer == "":
		return nil, fmt.Errorf("complete deletion request %d: officer is empty", id)
	case at.IsZero():
		return nil, fmt.Errorf("complete deletion request %d: time is zero", id)
	}
	at = dbTime(at)
	var (
		kept, files []string
		req         DeletionRequest
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		files = nil // a retried transaction starts over
		var r DeletionRequest
		res := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Where("id = ?", id).Limit(1).Find(&r)
		if res.Error != nil {
			return fmt.Errorf("lock request: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if r.DoneAt != nil {
			return ErrDeletionDone
		}
		req = r
		var cz Citizen
		res = tx.Where("channel = ? AND external_id = ?", r.Channel, r.ChatID).Limit(1).Find(&cz)
		if res.Error != nil {
			return fmt.Errorf("find citizen: %w", res.Error)
		}
		if res.RowsAffected > 0 {
			var err error
			if kept, files, err = s.eraseCitizen(tx, cz, at); err != nil {
				return err
			}
		}
		if err := eraseConsultationData(tx, r.Channel, r.ChatID); err != nil {
			return err
		}
		done := map[string]any{"done_at": at, "done_by": officer, "open_key": nil}
		if len(kept) == 0 {
			// Nothing of the chat is needed any more: the proofs kept
			// (this request, the consents) keep its keyed hash only.
			if err := s.forgetChat(tx, r.Channel, r.ChatID); err != nil {
				return err
			}
			done["chat_id"] = s.sec.chatKey(r.Channel, r.ChatID)
		}
		if err := tx.Model(&DeletionRequest{}).Where("id = ?", id).UpdateColumns(done).Error; err != nil {
			return fmt.Errorf("mark request done: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("complete deletion request %d: %w", id, err)
	}
	e := &erasure{files: files}
	if len(kept) == 0 {
		e.channel, e.chatID = req.Channel, req.ChatID
	}
	s.finish(ctx, e)
	return kept, nil
}

// eraseCitizen erases what CompleteDeletion documents, inside its
// transaction, and returns the tickets of the open cases it kept and the
// media files to remove once it committed.
func (s *Store) eraseCitizen(tx *gorm.DB, cz Citizen, at time.Time) (kept, files []string, err error) {
	var cases []Case
	if err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
		Where("citizen_id = ?", cz.ID).Order("id").Find(&cases).Error; err != nil {
		return nil, nil, fmt.Errorf("lock cases: %w", err)
	}
	// What was said to a person goes at once: no open case needs it.
	if err := eraseHandovers(tx, cz.ID, at); err != nil {
		return nil, nil, err
	}
	for _, c := range cases {
		if c.Status.Open() {
			if err := updateCase(tx, c.ID, map[string]any{"erase_when_closed": true}); err != nil {
				return nil, nil, fmt.Errorf("keep case %s until it is finished: %w", c.Ticket, err)
			}
			kept = append(kept, c.Ticket)
			continue
		}
		gone, err := s.eraseCase(tx, c)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, gone...)
	}
	if len(kept) == 0 {
		if err := eraseCitizenRow(tx, cz.ID, at); err != nil {
			return nil, nil, err
		}
	}
	return kept, files, nil
}

// eraseCase erases one case's personal data, its surveys' comments and
// profiles, and its attachments, inside a transaction. It returns the
// media files no other case holds, to remove once the transaction
// committed (a file removed before a rollback could not come back).
func (s *Store) eraseCase(tx *gorm.DB, c Case) ([]string, error) {
	form := maps.Clone(c.FormData)
	maps.DeleteFunc(form, func(f, _ string) bool { return s.sec.sensitive[f] || s.sec.personal[f] })
	if form == nil {
		form = FormData{}
	}
	set := map[string]any{"form_data": form, "nik_hash": "", "erase_when_closed": false}
	if src := s.sec.sourceKey(c.SourceMessage); src != c.SourceMessage {
		set["source_message"] = src
	}
	if err := updateCase(tx, c.ID, set); err != nil {
		return nil, fmt.Errorf("erase case %s: %w", c.Ticket, err)
	}
	// The history is append-only: its notes are destroyed with their key.
	if err := eraseCaseKey(tx, c.ID); err != nil {
		return nil, fmt.Errorf("erase case %s: %w", c.Ticket, err)
	}
	erased := map[string]any{"comment": ""}
	for _, column := range profileColumns {
		erased[column] = ""
	}
	if err := tx.Model(&SurveyResponse{}).Where("case_id = ?", c.ID).UpdateColumns(erased).Error; err != nil {
		return nil, fmt.Errorf("erase survey comments and profiles of %s: %w", c.Ticket, err)
	}
	// The register keeps each letter's number and masked holder: the
	// office's record that it was issued, which verification shows.
	if err := tx.Model(&Letter{}).Where("case_id = ?", c.ID).UpdateColumn("holder_name", "").Error; err != nil {
		return nil, fmt.Errorf("erase letter holders of %s: %w", c.Ticket, err)
	}
	files, err := eraseAttachments(tx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("erase attachments of %s: %w", c.Ticket, err)
	}
	if err := eraseVisitChats(tx, c.Ticket); err != nil {
		return nil, err
	}
	return files, nil
}

// eraseCitizenRow forgets who the citizen is: name, chat id, language.
func eraseCitizenRow(tx *gorm.DB, id int64, at time.Time) error {
	err := tx.Model(&Citizen{}).Where("id = ?", id).UpdateColumns(map[string]any{
		"name":           "",
		"external_id":    erasedPrefix + strconv.FormatInt(id, 10),
		"lang":           "id",
		"unreachable_at": nil,
		"updated_at":     at,
	}).Error
	if err != nil {
		return fmt.Errorf("erase citizen: %w", err)
	}
	return nil
}

// eraseOnClose erases a case marked EraseWhenClosed once it is finished,
// inside the transaction that finished it, and its citizen when no other
// case of theirs is open. It reports whether it erased anything, and the
// media files to remove once the transaction committed.
func (s *Store) eraseOnClose(tx *gorm.DB, c Case, at time.Time) (*erasure, error) {
	if !c.EraseWhenClosed || c.Status.Open() {
		return nil, nil
	}
	files, err := s.eraseCase(tx, c)
	if err != nil {
		return nil, err
	}
	done := &erasure{files: files}
	var open int64
	err = tx.Model(&Case{}).Where("citizen_id = ? AND status IN ?", c.CitizenID, openStatuses()).Count(&open).Error
	if err != nil {
		return nil, fmt.Errorf("count open cases of the citizen: %w", err)
	}
	if open == 0 {
		var cz Citizen
		if err := tx.Where("id = ?", c.CitizenID).Take(&cz).Error; err != nil {
			return nil, fmt.Errorf("read the citizen: %w", err)
		}
		if err := eraseCitizenRow(tx, c.CitizenID, at); err != nil {
			return nil, err
		}
		if err := s.forgetChat(tx, cz.Channel, cz.ExternalID); err != nil {
			return nil, err
		}
		done.channel, done.chatID = cz.Channel, cz.ExternalID
	}
	return done, nil
}

// erasure is what an erasure leaves to do once its transaction committed:
// remove the files, and have other stores forget the chat (chatID "" when
// the citizen still has open cases).
type erasure struct {
	files           []string
	channel, chatID string
}

// OnErase has f called after an erasure committed with the channel and the
// chat id of each chat whose citizen it erased: what another store keeps
// of the chat (WhatsApp's own tables) goes too. A failure is logged; the
// erasure stands.
func (s *Store) OnErase(f func(ctx context.Context, channel, chatID string) error) {
	s.onErase.Store(&f)
}

// finish does what an erasure leaves to do after its commit, then vacuums.
func (s *Store) finish(ctx context.Context, e *erasure) {
	s.removeFiles(e.files)
	if f := s.onErase.Load(); e.chatID != "" && f != nil && *f != nil {
		if err := (*f)(ctx, e.channel, e.chatID); err != nil {
			s.log.Error("an erased chat could not be forgotten everywhere", "channel", e.channel, "chat", services.MaskID(e.chatID), "err", err)
		}
	}
	s.Vacuum(ctx)
}

// forgetChat replaces the chat id in the consents and the completed
// deletion requests of a chat whose citizen is erased by its keyed hash
// (chatKey): they stay as proof that the notice was given and the request
// honoured, which whoever holds the chat id can still check, and no longer
// name the chat (on WhatsApp, the phone number). A later message of the
// chat is a new citizen, shown the notice again.
func (s *Store) forgetChat(tx *gorm.DB, channel, chatID string) error {
	if strings.HasPrefix(chatID, erasedPrefix) {
		return nil
	}
	hashed := s.sec.chatKey(channel, chatID)
	if err := tx.Model(&Consent{}).Where("channel = ? AND chat_id = ?", channel, chatID).
		UpdateColumn("chat_id", hashed).Error; err != nil {
		return fmt.Errorf("forget the chat in its consents: %w", err)
	}
	if err := tx.Model(&DeletionRequest{}).Where("channel = ? AND chat_id = ? AND done_at IS NOT NULL", channel, chatID).
		UpdateColumn("chat_id", hashed).Error; err != nil {
		return fmt.Errorf("forget the chat in its requests: %w", err)
	}
	return nil
}

// Vacuum has the database reclaim the rows an erasure replaced, so the
// erased values do not stay readable in the file: VACUUM of the touched
// tables on PostgreSQL; on SQLite (whose secure_delete already zeroes what
// a statement removes) VACUUM, then a checkpoint that empties the
// write-ahead log. A failure is logged: the erasure itself stands.
func (s *Store) Vacuum(ctx context.Context) {
	db := s.db.WithContext(ctx)
	var err error
	if db.Dialector.Name() == "postgres" {
		err = db.Exec("VACUUM cases, citizens, survey_responses, letters, case_keys, attachments, visits, conversations, conversation_messages, subscriptions, consultation_answers, broadcast_messages, phone_links").Error
	} else {
		err = db.Exec("VACUUM").Error
		if err == nil {
			err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
		}
	}
	if err != nil {
		s.log.Warn("vacuum after an erasure failed; the erased rows stay in the database file until the next vacuum", "err", err)
	}
}

// CitizenExport is what the store holds about one chat, as shown to the
// citizen who asks to see their data: sensitive values masked.
type CitizenExport struct {
	// Known is false when the store has no citizen row for the chat (it
	// may still hold consents or deletion requests).
	Known bool
	Name  string
	Lang  string
	Cases []ExportedCase
	// Consents are the notices the chat acknowledged, oldest first.
	Consents []Consent
	// DeletionRequests are the chat's requests, oldest first.
	DeletionRequests []DeletionRequest
}

// ExportedCase is one case of a CitizenExport.
type ExportedCase struct {
	Ticket      string
	ServiceCode string
	Status      string
	VillageCode string
	CreatedAt   time.Time
	// Form is the case's form with sensitive fields masked (services.MaskID).
	Form map[string]string
}

// CitizenData lists what the store keeps about a chat: name, language,
// cases (sensitive form fields masked), consents and deletion requests.
func (s *Store) CitizenData(ctx context.Context, channel, chatID string) (CitizenExport, error) {
	db := s.db.WithContext(ctx)
	var out CitizenExport
	var cz Citizen
	res := db.Where("channel = ? AND external_id = ?", channel, chatID).Limit(1).Find(&cz)
	if res.Error != nil {
		return CitizenExport{}, fmt.Errorf("data of a %s chat: citizen: %w", channel, res.Error)
	}
	if res.RowsAffected > 0 {
		out.Known, out.Name, out.Lang = true, cz.Name, cz.Lang
		var cases []Case
		if err := db.Where("citizen_id = ?", cz.ID).Order("created_at, id").Find(&cases).Error; err != nil {
			return CitizenExport{}, fmt.Errorf("data of a %s chat: cases: %w", channel, err)
		}
		for i := range cases {
			c := &cases[i]
			s.localizeCase(c)
			if err := s.reveal(c); err != nil {
				return CitizenExport{}, fmt.Errorf("data of a %s chat: %w", channel, err)
			}
			form := map[string]string{}
			for _, f := range slices.Sorted(maps.Keys(c.FormData)) {
				v := c.FormData[f]
				if s.sec.sensitive[f] {
					v = services.MaskID(NormalizeNIK(v))
				}
				form[f] = v
			}
			out.Cases = append(out.Cases, ExportedCase{
				Ticket: c.Ticket, ServiceCode: c.ServiceCode, Status: string(c.Status),
				VillageCode: c.VillageCode, CreatedAt: c.CreatedAt, Form: form,
			})
		}
	}
	// An erased chat's proofs name it by its keyed hash (forgetChat).
	ids := []string{chatID, s.sec.chatKey(channel, chatID)}
	if err := db.Where("channel = ? AND chat_id IN ?", channel, ids).Order("at, id").Find(&out.Consents).Error; err != nil {
		return CitizenExport{}, fmt.Errorf("data of a %s chat: consents: %w", channel, err)
	}
	for i := range out.Consents {
		out.Consents[i].At = out.Consents[i].At.In(s.loc)
	}
	if err := db.Where("channel = ? AND chat_id IN ?", channel, ids).Order("requested_at, id").Find(&out.DeletionRequests).Error; err != nil {
		return CitizenExport{}, fmt.Errorf("data of a %s chat: deletion requests: %w", channel, err)
	}
	for i := range out.DeletionRequests {
		s.localizeRequest(&out.DeletionRequests[i])
	}
	return out, nil
}

// RecordRead records that officer read the case with ticket at at, for
// purpose ("" for opening it; the reason given for revealing its identity
// numbers). It fails with ErrNotFound for an unknown ticket.
func (s *Store) RecordRead(ctx context.Context, ticket, officer, purpose string, at time.Time) error {
	switch {
	case officer == "":
		return fmt.Errorf("record read of %s: officer is empty", ticket)
	case at.IsZero():
		return fmt.Errorf("record read of %s: time is zero", ticket)
	}
	db := s.db.WithContext(ctx)
	var c Case
	res := db.Select("id").Where("ticket = ?", ticket).Limit(1).Find(&c)
	if res.Error != nil {
		return fmt.Errorf("record read of %s: %w", ticket, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("record read of %s: %w", ticket, ErrNotFound)
	}
	if err := db.Omit(clause.Associations).Create(&CaseRead{CaseID: c.ID, Officer: officer, At: dbTime(at), Purpose: purpose}).Error; err != nil {
		return fmt.Errorf("record read of %s: %w", ticket, err)
	}
	return nil
}

// Reads lists who read the case with ticket, oldest first, times in the
// office zone. An unknown ticket has none.
func (s *Store) Reads(ctx context.Context, ticket string) ([]CaseRead, error) {
	var rs []CaseRead
	err := s.db.WithContext(ctx).
		Where("case_id IN (?)", s.db.WithContext(ctx).Model(&Case{}).Select("id").Where("ticket = ?", ticket)).
		Order("at, id").Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("reads of %s: %w", ticket, err)
	}
	for i := range rs {
		rs[i].At = rs[i].At.In(s.loc)
	}
	return rs, nil
}

// RecordConsent is Store.RecordConsent, for the conversation's desk.
func (d Desk) RecordConsent(ctx context.Context, channel, chatID, purpose string, at time.Time) error {
	return d.s.RecordConsent(ctx, channel, chatID, purpose, at)
}

// HasConsent is Store.HasConsent, for the conversation's desk.
func (d Desk) HasConsent(ctx context.Context, channel, chatID, purpose string) (bool, error) {
	return d.s.HasConsent(ctx, channel, chatID, purpose)
}

// RequestDeletion is Store.RequestDeletion, for the conversation's desk.
func (d Desk) RequestDeletion(ctx context.Context, channel, chatID string, at time.Time) (services.DeletionRequest, error) {
	r, err := d.s.RequestDeletion(ctx, channel, chatID, at)
	if err != nil {
		return services.DeletionRequest{}, err
	}
	return services.DeletionRequest{ID: r.ID, Channel: r.Channel, ChatID: r.ChatID, RequestedAt: r.RequestedAt, DueAt: r.DueAt}, nil
}

// OpenDeletionRequests is Store.OpenDeletionRequests, for the
// conversation's desk.
func (d Desk) OpenDeletionRequests(ctx context.Context) ([]DeletionRequest, error) {
	return d.s.OpenDeletionRequests(ctx)
}

// CompleteDeletion is Store.CompleteDeletion, for the conversation's desk.
func (d Desk) CompleteDeletion(ctx context.Context, id int64, officer string, at time.Time) ([]string, error) {
	return d.s.CompleteDeletion(ctx, id, officer, at)
}

// CitizenData is Store.CitizenData, for the conversation's desk.
func (d Desk) CitizenData(ctx context.Context, channel, chatID string) (CitizenExport, error) {
	return d.s.CitizenData(ctx, channel, chatID)
}

// RecordRead is Store.RecordRead, for the conversation's desk; it turns an
// unknown ticket into conversation.ErrNoCase.
func (d Desk) RecordRead(ctx context.Context, ticket, officer, purpose string, at time.Time) error {
	return noCase(d.s.RecordRead(ctx, ticket, officer, purpose, at))
}
