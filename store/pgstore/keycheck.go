package pgstore

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// KeyCheck records that a key sealed data in this database: a value the
// key sealed, which only the same key opens. A store opened with keys that
// lack one of them, or that hold another key under the same id, refuses to
// start instead of failing on every case it reads.
type KeyCheck struct {
	// KeyID is the id of an encryption key, or hmacCheckID for the key of
	// the look-up hash.
	KeyID string `gorm:"primaryKey;size:40"`
	// Check is a constant sealed with the key (Keys.Seal), or for the
	// look-up hash the hash of a constant (Keys.Hash).
	Check     string    `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// hmacCheckID is the KeyCheck of the look-up hash's key: ':' is never in a
// key id, so it cannot be one.
const hmacCheckID = "hmac:"

// checkField and checkValue are what a KeyCheck seals: no personal data.
const (
	checkField = "key-check"
	checkValue = "sapa-key-check"
)

// KeysError is why a store refused its keys: the database holds values
// sealed with keys it was not given (Missing), or with other keys under the
// same ids (Different), or hashes made with another look-up key. Its
// message names key ids, never key material.
type KeysError struct {
	Missing   []string // key ids the database needs and the keys lack
	Different []string // key ids given with other key material than sealed the data
	HMAC      bool     // the look-up hash key differs from the one that made the stored hashes
}

func (e *KeysError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "sealed with key(s) "+strings.Join(e.Missing, ", ")+", which the configured keys lack")
	}
	if len(e.Different) > 0 {
		parts = append(parts, "sealed with other key(s) under the id(s) "+strings.Join(e.Different, ", ")+" than the configured ones")
	}
	if e.HMAC {
		parts = append(parts, "hashed with another "+EnvDataHMACKey+" than the configured one")
	}
	return "the database holds NIK and KK numbers " + strings.Join(parts, "; ")
}

// legacyScanBatch is how many cases the first key check reads at a time.
const legacyScanBatch = 500

// checkKeys refuses keys that cannot open what the database holds, and
// records the current keys as the ones that seal from now on. The first
// check of a database sealed before checks existed reads every case's
// sealed values once instead.
func checkKeys(ctx context.Context, db *gorm.DB, k *Keys) error {
	if k == nil {
		return nil
	}
	db = db.WithContext(ctx)
	checks, err := keyChecks(db)
	if err != nil {
		return err
	}
	kerr := &KeysError{}
	if len(checks) == 0 {
		if err := scanSealedCases(db, k, kerr); err != nil {
			return err
		}
	}
	if err := verifyChecks(kerr, k, checks); err != nil {
		return err
	}
	var missing []KeyCheck
	now := dbTime(time.Now())
	if !slices.ContainsFunc(checks, func(c KeyCheck) bool { return c.KeyID == k.CurrentID() }) {
		sealed, err := k.Seal(checkField, checkValue)
		if err != nil {
			return fmt.Errorf("check data keys: %w", err)
		}
		missing = append(missing, KeyCheck{KeyID: k.CurrentID(), Check: sealed, CreatedAt: now})
	}
	if !slices.ContainsFunc(checks, func(c KeyCheck) bool { return c.KeyID == hmacCheckID }) {
		missing = append(missing, KeyCheck{KeyID: hmacCheckID, Check: k.Hash(checkValue), CreatedAt: now})
	}
	if len(missing) == 0 {
		return nil
	}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(missing).Error; err != nil {
		return fmt.Errorf("record data keys: %w", err)
	}
	// Another process starting at the same moment with other keys may have
	// recorded its own first: read back what won.
	if checks, err = keyChecks(db); err != nil {
		return err
	}
	return verifyChecks(&KeysError{}, k, checks)
}

func keyChecks(db *gorm.DB) ([]KeyCheck, error) {
	var checks []KeyCheck
	if err := db.Order("key_id").Find(&checks).Error; err != nil {
		return nil, fmt.Errorf("check data keys: %w", err)
	}
	return checks, nil
}

// verifyChecks adds to kerr every check k fails, and returns kerr if any
// problem was found, else nil.
func verifyChecks(kerr *KeysError, k *Keys, checks []KeyCheck) error {
	for _, c := range checks {
		if c.KeyID == hmacCheckID {
			kerr.HMAC = subtle.ConstantTimeCompare([]byte(c.Check), []byte(k.Hash(checkValue))) != 1
			continue
		}
		addKeyProblem(kerr, k, c.KeyID, c.Check)
	}
	if len(kerr.Missing) > 0 || len(kerr.Different) > 0 || kerr.HMAC {
		return kerr
	}
	return nil
}

// addKeyProblem records in kerr why k cannot open sealed, a value of key
// id, if it cannot.
func addKeyProblem(kerr *KeysError, k *Keys, id, sealed string) {
	if slices.Contains(kerr.Missing, id) || slices.Contains(kerr.Different, id) {
		return
	}
	if _, ok := k.aeads[id]; !ok {
		kerr.Missing = append(kerr.Missing, id)
		return
	}
	if _, err := k.Open(checkField, sealed); err != nil {
		kerr.Different = append(kerr.Different, id)
	}
}

// scanSealedCases opens every sealed value of every case, for a database
// whose keys were never recorded, and adds to kerr the keys that fail.
func scanSealedCases(db *gorm.DB, k *Keys, kerr *KeysError) error {
	var lastID int64
	for {
		var cases []Case
		err := db.Select("id", "form_data").Where("id > ?", lastID).Order("id").Limit(legacyScanBatch).Find(&cases).Error
		if err != nil {
			return fmt.Errorf("check data keys: read cases: %w", err)
		}
		if len(cases) == 0 {
			return nil
		}
		lastID = cases[len(cases)-1].ID
		for _, c := range cases {
			for f, v := range c.FormData {
				if !Sealed(v) {
					continue
				}
				if _, _, err := k.open(f, v); err == nil {
					continue
				}
				id, _, _ := strings.Cut(strings.TrimPrefix(v, sealPrefix), ":")
				if _, known := k.aeads[id]; !known {
					if !slices.Contains(kerr.Missing, id) {
						kerr.Missing = append(kerr.Missing, id)
					}
				} else if !slices.Contains(kerr.Different, id) {
					kerr.Different = append(kerr.Different, id)
				}
			}
		}
	}
}

// forgetRetiredKeys drops the checks of keys other than the current one,
// once Reseal brought every sealed value to the current key: the retired
// keys may then leave DATA_KEYS without the store refusing to start.
func forgetRetiredKeys(ctx context.Context, db *gorm.DB, k *Keys) error {
	err := db.WithContext(ctx).Where("key_id NOT IN ?", []string{k.CurrentID(), hmacCheckID}).Delete(&KeyCheck{}).Error
	if err != nil {
		return fmt.Errorf("forget retired keys: %w", err)
	}
	return nil
}
