package pgstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CaseKey is the key that seals one case's free-text history: the notes
// of its events (reasons, questions, the citizen's answers, internal
// remarks), which can hold anything a citizen or an officer typed.
//
// case_events is append-only, so an erasure cannot overwrite a note: it
// deletes the case's key instead (crypto-shredding), and every note sealed
// with it can no longer be read by anyone, while the history's kinds,
// actors, times and statuses stay as the archive needs them. The key is
// stored sealed with the data keys (DATA_KEYS), so a copy of the database
// alone opens no note either.
type CaseKey struct {
	CaseID int64 `gorm:"primaryKey;autoIncrement:false"`
	// Case exists for the foreign key; it is never loaded nor written.
	Case *Case `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	// Sealed is the 32-byte AES key, base64, sealed with Keys.Seal for
	// the field caseKeyField(case id).
	Sealed string `gorm:"not null"`
}

// notePrefix starts an event note sealed with its case's key:
// "ck1:<base64 of nonce || ciphertext || tag>".
const notePrefix = "ck1:"

// caseKeyField binds a sealed case key to its case: a key moved to another
// case's row fails to open.
func caseKeyField(caseID int64) string { return "case-key:" + strconv.FormatInt(caseID, 10) }

// noteAD binds a sealed note to its case and event kind: a note copied to
// another case, or passed off as another kind of event, fails to open.
func noteAD(caseID int64, kind string) []byte {
	return []byte("sapa-event-note\x00v1\x00" + strconv.FormatInt(caseID, 10) + "\x00" + kind)
}

// sealedNote reports whether an event of kind keeps its note sealed. An
// assignment's note is an officer id and a letter's its register number:
// the office's own data, kept readable for accountability. Every other
// note is free text.
func sealedNote(kind string) bool { return kind != EventAssign && kind != EventLetter }

// sealNote returns the note of an event of kind on case caseID as it is
// stored: sealed with the case's key (made on the first note that needs
// it), or as it is in plaintext mode, for an empty note and for the kinds
// sealedNote exempts. Two first notes of one case written at once
// settle on one key: the first one stored.
func (s *Store) sealNote(tx *gorm.DB, caseID int64, kind, note string) (string, error) {
	if s.sec.keys == nil || note == "" || !sealedNote(kind) {
		return note, nil
	}
	aead, err := s.caseKey(tx, caseID, true)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(note)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal %s note: nonce: %w", kind, err)
	}
	out := aead.Seal(nonce, nonce, []byte(note), noteAD(caseID, kind))
	return notePrefix + base64.StdEncoding.EncodeToString(out), nil
}

// errNoCaseKey is caseKey's answer for a case whose key is gone (erased)
// or was never made.
var errNoCaseKey = errors.New("case has no note key")

// caseKey returns the cipher of case caseID's key, making and storing a
// new key when create is set and the case has none.
func (s *Store) caseKey(db *gorm.DB, caseID int64, create bool) (cipher.AEAD, error) {
	var row CaseKey
	res := db.Where("case_id = ?", caseID).Limit(1).Find(&row)
	if res.Error != nil {
		return nil, fmt.Errorf("read note key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		if !create {
			return nil, errNoCaseKey
		}
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("make note key: %w", err)
		}
		sealed, err := s.sec.keys.Seal(caseKeyField(caseID), base64.StdEncoding.EncodeToString(raw))
		if err != nil {
			return nil, fmt.Errorf("make note key: %w", err)
		}
		// A writer that does not hold the case's lock (a letter's revocation)
		// may have made the key meanwhile: the first one stored wins.
		err = db.Omit(clause.Associations).Clauses(clause.OnConflict{DoNothing: true}).
			Create(&CaseKey{CaseID: caseID, Sealed: sealed}).Error
		if err != nil {
			return nil, fmt.Errorf("store note key: %w", err)
		}
		if err := db.Where("case_id = ?", caseID).Take(&row).Error; err != nil {
			return nil, fmt.Errorf("read note key back: %w", err)
		}
	}
	if s.sec.keys == nil {
		return nil, fmt.Errorf("open note key: no %s are configured", EnvDataKeys)
	}
	b64, err := s.sec.keys.Open(caseKeyField(caseID), row.Sealed)
	if err != nil {
		return nil, fmt.Errorf("open note key: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return nil, errors.New("open note key: malformed key")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("open note key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("open note key: %w", err)
	}
	return aead, nil
}

// openNotes opens, in place, the sealed notes of events of case caseID. A
// note whose key was erased reads as "" with NoteErased set: the history
// stays readable, what was written in it does not.
func (s *Store) openNotes(db *gorm.DB, caseID int64, events []CaseEvent) error {
	var aead cipher.AEAD
	erased := false
	for i := range events {
		ev := &events[i]
		b64, ok := strings.CutPrefix(ev.Note, notePrefix)
		if !ok {
			continue
		}
		if aead == nil && !erased {
			a, err := s.caseKey(db, caseID, false)
			switch {
			case errors.Is(err, errNoCaseKey):
				erased = true
			case err != nil:
				return err
			default:
				aead = a
			}
		}
		if erased {
			ev.Note, ev.NoteErased = "", true
			continue
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(b) < aead.NonceSize()+aead.Overhead() {
			return fmt.Errorf("open %s note: malformed ciphertext", ev.Kind)
		}
		ns := aead.NonceSize()
		plain, err := aead.Open(nil, b[:ns], b[ns:], noteAD(caseID, ev.Kind))
		if err != nil {
			return fmt.Errorf("open %s note: %w", ev.Kind, err)
		}
		ev.Note = string(plain)
	}
	return nil
}

// eraseCaseKey destroys the key of a case's notes, inside the erasure's
// transaction: every note it sealed is unreadable from then on.
func eraseCaseKey(tx *gorm.DB, caseID int64) error {
	if err := tx.Where("case_id = ?", caseID).Delete(&CaseKey{}).Error; err != nil {
		return fmt.Errorf("erase note key: %w", err)
	}
	return nil
}

// resealCaseKeys re-seals with the current data key every case key sealed
// with an older one, for Reseal. The prefix is compared here, not in SQL:
// a key id may hold '_', which LIKE reads as a wildcard.
func (s *Store) resealCaseKeys(tx *gorm.DB) (int, error) {
	k := s.sec.keys
	var rows []CaseKey
	if err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("reseal note keys: list: %w", err)
	}
	n := 0
	for _, row := range rows {
		if strings.HasPrefix(row.Sealed, sealPrefix+k.CurrentID()+":") {
			continue
		}
		plain, err := k.Open(caseKeyField(row.CaseID), row.Sealed)
		if err != nil {
			return n, fmt.Errorf("reseal note key of case %d: %w", row.CaseID, err)
		}
		sealed, err := k.Seal(caseKeyField(row.CaseID), plain)
		if err != nil {
			return n, fmt.Errorf("reseal note key of case %d: %w", row.CaseID, err)
		}
		if err := tx.Model(&CaseKey{}).Where("case_id = ?", row.CaseID).UpdateColumn("sealed", sealed).Error; err != nil {
			return n, fmt.Errorf("reseal note key of case %d: %w", row.CaseID, err)
		}
		n++
	}
	return n, nil
}
