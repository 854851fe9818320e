package pgstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The environment variables the bot reads the keys from. The store itself
// never reads the environment: cmd/bot passes their values to ParseKeys.
const (
	// EnvDataKeys lists the AES-256 keys of form data at rest as
	// "id1:base64key,id2:base64key": the first encrypts, all decrypt. To
	// rotate, put a new key first and keep the old ones until Reseal has
	// rewritten every value they sealed.
	EnvDataKeys = "DATA_KEYS"
	// EnvDataHMACKey is the base64 key (32 bytes or more) of the keyed hash
	// that finds cases by NIK. It is separate from the encryption keys so
	// that rotating those does not change any stored hash; it is never
	// rotated without recomputing every cases.nik_hash.
	EnvDataHMACKey = "DATA_HMAC_KEY"
)

// sealPrefix starts every encrypted value: "enc:v1:<key id>:<base64 of
// nonce || ciphertext || tag>". A value without it is plaintext (plaintext
// mode, or a row written before encryption existed; Reseal encrypts those).
const sealPrefix = "enc:v1:"

// nikField is the form field whose value is also hashed into cases.nik_hash.
const nikField = "nik"

// defaultSensitive are field names sealed whatever Options.Sensitive says:
// a field called nik or kk holds a NIK or a KK number in every catalog.
var defaultSensitive = []string{"nik", "kk"}

// keyIDRE is what a key id may look like: it goes into every ciphertext
// between colons.
var keyIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ErrNoKeys is returned by CasesByNIK when the store runs in plaintext mode
// (Options.AllowPlaintext without Keys): there is no keyed hash to look up.
var ErrNoKeys = errors.New("no data keys configured")

// Keys are the secrets protecting NIK and KK numbers at rest: AES-256-GCM
// keys by id, the first of which encrypts, and the HMAC-SHA256 key of the
// look-up hash. A Keys is immutable and safe for concurrent use. Its
// methods never put key material nor plaintext into errors.
type Keys struct {
	current string
	aeads   map[string]cipher.AEAD
	mac     []byte
}

// ParseKeys reads the value of DATA_KEYS ("id1:base64key,id2:base64key",
// each key 32 bytes in standard or URL base64, padded or not; the first id
// encrypts, every id decrypts) and of DATA_HMAC_KEY (base64, at least 32
// bytes, different from every encryption key). Generate a key with
// `openssl rand -base64 32`.
func ParseKeys(encSpec, hmacKeyBase64 string) (*Keys, error) {
	k := &Keys{aeads: map[string]cipher.AEAD{}}
	var raw [][]byte
	for i, part := range strings.Split(encSpec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("parse %s: entry %d is not id:base64key", EnvDataKeys, i+1)
		}
		if !keyIDRE.MatchString(id) {
			return nil, fmt.Errorf("parse %s: key id %q: want 1 to 32 letters, digits, '-' or '_'", EnvDataKeys, id)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("parse %s: key id %q given twice", EnvDataKeys, id)
		}
		key, err := decodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("parse %s: key %q: %w", EnvDataKeys, id, err)
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("parse %s: key %q has %d bytes, AES-256 needs 32", EnvDataKeys, id, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("parse %s: key %q: %w", EnvDataKeys, id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("parse %s: key %q: %w", EnvDataKeys, id, err)
		}
		if k.current == "" {
			k.current = id
		}
		k.aeads[id] = aead
		raw = append(raw, key)
	}
	if k.current == "" {
		return nil, fmt.Errorf("parse %s: no key given", EnvDataKeys)
	}
	mac, err := decodeKey(strings.TrimSpace(hmacKeyBase64))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", EnvDataHMACKey, err)
	}
	if len(mac) < 32 {
		return nil, fmt.Errorf("parse %s: %d bytes, want at least 32", EnvDataHMACKey, len(mac))
	}
	// One key for two algorithms weakens both analyses; a copy-paste
	// mistake is the likely cause, so say so at start-up.
	for _, key := range raw {
		if subtle.ConstantTimeCompare(key, mac) == 1 {
			return nil, fmt.Errorf("parse %s: equals one of the %s keys; use a separate key", EnvDataHMACKey, EnvDataKeys)
		}
	}
	k.mac = mac
	return k, nil
}

// decodeKey accepts the base64 variants people paste: standard or URL
// alphabet, with or without padding.
func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty key")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// CurrentID is the id of the key that encrypts.
func (k *Keys) CurrentID() string { return k.current }

// additionalData binds a ciphertext to its format version, key id and form
// field: a value sealed for field kk cannot be passed off as the nik, and a
// changed key id in the prefix fails authentication.
func additionalData(keyID, field string) []byte {
	return []byte("sapa-form\x00v1\x00" + keyID + "\x00" + field)
}

// Seal encrypts plaintext, the value of form field field, with the current
// key under a fresh random nonce.
func (k *Keys) Seal(field, plaintext string) (string, error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal field %s: nonce: %w", field, err)
	}
	out := aead.Seal(nonce, nonce, []byte(plaintext), additionalData(k.current, field))
	return sealPrefix + k.current + ":" + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal made for the same field, with whichever of the
// keys its prefix names. A value altered in any byte, sealed for another
// field, or naming an unknown key fails.
func (k *Keys) Open(field, sealed string) (string, error) {
	_, plain, err := k.open(field, sealed)
	return plain, err
}

func (k *Keys) open(field, sealed string) (string, string, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", "", fmt.Errorf("open field %s: not an %s value", field, strings.TrimSuffix(sealPrefix, ":"))
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return "", "", fmt.Errorf("open field %s: no key id", field)
	}
	aead, ok := k.aeads[id]
	if !ok {
		return "", "", fmt.Errorf("open field %s: key %q is not in %s", field, id, EnvDataKeys)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) < aead.NonceSize()+aead.Overhead() {
		return "", "", fmt.Errorf("open field %s: malformed ciphertext", field)
	}
	ns := aead.NonceSize()
	plain, err := aead.Open(nil, b[:ns], b[ns:], additionalData(id, field))
	if err != nil {
		return "", "", fmt.Errorf("open field %s with key %q: %w", field, id, err)
	}
	return id, string(plain), nil
}

// Hash is the hex HMAC-SHA256 of a NIK, normalized as NormalizeNIK does, so
// that "3307.0541-0790 0001" and "3307054107900001" find the same cases.
// It is "" for an empty NIK.
func (k *Keys) Hash(nik string) string {
	n := NormalizeNIK(nik)
	if n == "" {
		return ""
	}
	m := hmac.New(sha256.New, k.mac)
	m.Write([]byte(n))
	return hex.EncodeToString(m.Sum(nil))
}

// NormalizeNIK strips the spaces, dots and dashes people type inside a NIK.
func NormalizeNIK(nik string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '\t':
			return -1
		}
		return r
	}, nik)
}

// sourcePrefix starts a case's source message once it is hashed.
const sourcePrefix = "h1:"

// sourceKey is what a case keeps of the chat message that filed it
// ("<channel>:<chat>:<message id>"): its keyed hash, enough to refuse the
// same message twice and nothing that leads back to the chat (on WhatsApp,
// the phone number), even after the citizen's erasure. In plaintext mode,
// and for a value already hashed, it is the value itself.
func (s secrets) sourceKey(source string) string {
	if s.keys == nil || source == "" || strings.HasPrefix(source, sourcePrefix) {
		return source
	}
	m := hmac.New(sha256.New, s.keys.mac)
	m.Write([]byte("sapa source message\x00" + source))
	return sourcePrefix + hex.EncodeToString(m.Sum(nil))
}

// chatKey is what the proofs of an erased citizen (consents, deletion
// requests) keep of their chat id: its keyed hash, "h1:<hex>", so that
// whoever holds the chat id can still find them and nobody else learns it.
// In plaintext mode, a hash without a key.
func (s secrets) chatKey(channel, chatID string) string {
	if strings.HasPrefix(chatID, sourcePrefix) {
		return chatID
	}
	data := []byte("sapa erased chat\x00" + channel + ":" + chatID)
	if s.keys == nil {
		sum := sha256.Sum256(data)
		return sourcePrefix + hex.EncodeToString(sum[:])
	}
	m := hmac.New(sha256.New, s.keys.mac)
	m.Write(data)
	return sourcePrefix + hex.EncodeToString(m.Sum(nil))
}

// SourceKey is what the store keeps in Case.SourceMessage for a
// submission's source message: its keyed hash (sourceKey).
func (s *Store) SourceKey(source string) string { return s.sec.sourceKey(source) }

// Sealed reports whether v is an encrypted value (of any key).
func Sealed(v string) bool { return strings.HasPrefix(v, sealPrefix) }

// SensitiveFields are the form fields whose answers a store with these
// options seals: nik and kk always, and o.Sensitive.
func (o Options) SensitiveFields() []string {
	fields := slices.Clone(defaultSensitive)
	for _, f := range o.Sensitive {
		if f != "" && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	return fields
}

// secrets is how a Store treats sensitive form fields.
type secrets struct {
	keys      *Keys // nil in plaintext mode
	sensitive map[string]bool
	personal  map[string]bool
}

// newSecrets checks the privacy options of New.
func newSecrets(o Options) (secrets, error) {
	if o.Keys == nil && !o.AllowPlaintext {
		return secrets{}, fmt.Errorf("no data keys: set %s and %s, or allow plaintext explicitly", EnvDataKeys, EnvDataHMACKey)
	}
	s := secrets{keys: o.Keys, sensitive: map[string]bool{}, personal: map[string]bool{}}
	for _, f := range o.SensitiveFields() {
		s.sensitive[f] = true
	}
	for _, f := range o.Personal {
		if f != "" {
			s.personal[f] = true
		}
	}
	return s, nil
}

// seal returns a copy of form with every sensitive field encrypted, and the
// look-up hash of its NIK ("" without one or in plaintext mode). Values
// already sealed are kept as they are.
func (s secrets) seal(form map[string]string) (FormData, string, error) {
	if form == nil {
		return nil, "", nil
	}
	out := maps.Clone(form)
	if s.keys == nil {
		return out, "", nil
	}
	for _, f := range slices.Sorted(maps.Keys(out)) {
		v := out[f]
		if !s.sensitive[f] || v == "" || Sealed(v) {
			continue
		}
		enc, err := s.keys.Seal(f, v)
		if err != nil {
			return nil, "", err
		}
		out[f] = enc
	}
	return out, s.keys.Hash(form[nikField]), nil
}

// reveal decrypts, in place, the sealed fields of c's form. Plaintext values
// (plaintext mode, rows older than encryption) are left as they are.
func (s *Store) reveal(c *Case) error {
	for f, v := range c.FormData {
		if !Sealed(v) {
			continue
		}
		if s.sec.keys == nil {
			return fmt.Errorf("reveal case %s: field %s is encrypted but no %s are configured", c.Ticket, f, EnvDataKeys)
		}
		plain, err := s.sec.keys.Open(f, v)
		if err != nil {
			return fmt.Errorf("reveal case %s: %w", c.Ticket, err)
		}
		c.FormData[f] = plain
	}
	return nil
}

// revealAll reveals every case of a list.
func (s *Store) revealAll(cases []Case) error {
	for i := range cases {
		if err := s.reveal(&cases[i]); err != nil {
			return err
		}
	}
	return nil
}

// CasesByNIK lists every case whose nik field holds this NIK (spaces, dots
// and dashes ignored), newest first, with citizens loaded and the form
// decrypted, found through the keyed hash in cases.nik_hash. It fails with
// ErrNoKeys in plaintext mode.
func (s *Store) CasesByNIK(ctx context.Context, nik string) ([]Case, error) {
	if s.sec.keys == nil {
		return nil, fmt.Errorf("cases by NIK: %w", ErrNoKeys)
	}
	h := s.sec.keys.Hash(nik)
	if h == "" {
		return nil, nil
	}
	var cases []Case
	err := s.db.WithContext(ctx).Preload("Citizen").Where("nik_hash = ?", h).
		Order("created_at DESC, id DESC").Limit(maxListed).Find(&cases).Error
	if err != nil {
		return nil, fmt.Errorf("cases by NIK: %w", err)
	}
	for i := range cases {
		s.localizeCase(&cases[i])
	}
	if err := s.revealAll(cases); err != nil {
		return nil, fmt.Errorf("cases by NIK: %w", err)
	}
	return cases, nil
}

// resealBatch is how many cases Reseal rewrites per transaction.
const resealBatch = 200

// Reseal brings every stored case to the current keys: it encrypts the
// sensitive fields still in plaintext (rows written before encryption was
// configured), re-encrypts values sealed with an older key, and fills
// nik_hash where it is missing. Run it after adding a key in front of
// DATA_KEYS; once it returns, the old key may be removed. It re-seals the
// keys of the cases' notes (CaseKey) too. It returns how many cases and
// note keys it rewrote, and is safe to run again or concurrently with the
// bot (each case is rewritten under its row lock). Once it has returned
// without error, the store no longer asks for the older keys at start-up.
func (s *Store) Reseal(ctx context.Context) (int, error) {
	if s.sec.keys == nil {
		return 0, fmt.Errorf("reseal cases: %w", ErrNoKeys)
	}
	var (
		lastID    int64
		rewritten int
	)
	for {
		var ids []int64
		err := s.db.WithContext(ctx).Model(&Case{}).Where("id > ?", lastID).
			Order("id").Limit(resealBatch).Pluck("id", &ids).Error
		if err != nil {
			return rewritten, fmt.Errorf("reseal cases: list: %w", err)
		}
		if len(ids) == 0 {
			// The keys of the cases' notes are sealed with the data keys
			// too.
			err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				n, err := s.resealCaseKeys(tx)
				rewritten += n
				return err
			})
			if err != nil {
				return rewritten, fmt.Errorf("reseal cases: %w", err)
			}
			// Every case is sealed with the current key now: the older
			// ones may leave DATA_KEYS.
			return rewritten, forgetRetiredKeys(ctx, s.db, s.sec.keys)
		}
		lastID = ids[len(ids)-1]
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var cases []Case
			if err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
				Where("id IN ?", ids).Find(&cases).Error; err != nil {
				return fmt.Errorf("lock: %w", err)
			}
			for i := range cases {
				changed, err := s.resealOne(tx, &cases[i])
				if err != nil {
					return err
				}
				if changed {
					rewritten++
				}
			}
			return nil
		})
		if err != nil {
			return rewritten, fmt.Errorf("reseal cases: %w", err)
		}
	}
}

// resealOne rewrites one locked case when a value or its hash is not in
// the current keys' form.
func (s *Store) resealOne(tx *gorm.DB, c *Case) (bool, error) {
	k := s.sec.keys
	form := maps.Clone(c.FormData)
	changed := false
	for f, v := range form {
		if !s.sec.sensitive[f] || v == "" {
			continue
		}
		plain := v
		if Sealed(v) {
			id, p, err := k.open(f, v)
			if err != nil {
				return false, fmt.Errorf("case %s: %w", c.Ticket, err)
			}
			if id == k.current {
				continue
			}
			plain = p
		}
		enc, err := k.Seal(f, plain)
		if err != nil {
			return false, fmt.Errorf("case %s: %w", c.Ticket, err)
		}
		form[f] = enc
		changed = true
	}
	hash := c.NIKHash
	if v := form[nikField]; v != "" {
		plain := v
		if Sealed(v) {
			p, err := k.Open(nikField, v)
			if err != nil {
				return false, fmt.Errorf("case %s: %w", c.Ticket, err)
			}
			plain = p
		}
		hash = k.Hash(plain)
	}
	if !changed && hash == c.NIKHash {
		return false, nil
	}
	if err := updateCase(tx, c.ID, map[string]any{"form_data": form, "nik_hash": hash}); err != nil {
		return false, fmt.Errorf("case %s: %w", c.Ticket, err)
	}
	return true, nil
}

// Derive returns a 32-byte key for purpose ("console-link", ...), derived
// from the look-up hash key: the same on every process that shares the
// keys, so a link one process signs another can check, and different for
// every purpose, so no derived key opens or forges anything else.
func (k *Keys) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, k.mac)
	m.Write([]byte("sapa derived key\x00" + purpose))
	return m.Sum(nil)
}
