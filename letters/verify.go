package letters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// Verification is what anyone may learn about a letter from its code, and
// nothing else.
type Verification struct {
	// Valid: the office issued a letter with this code and has not revoked
	// it. When no letter has the code, every other field is empty.
	Valid    bool
	Number   string
	IssuedAt time.Time // the letter's date
	Service  string    // the service's name, in Bahasa Indonesia
	Holder   string    // the holder's name, masked: "Si** Am****"
	Village  string    // the holder's village
	Revoked  bool
}

// Found reports whether a letter has the code, valid or revoked.
func (v Verification) Found() bool { return v.Number != "" }

// Verify answers a code: valid or not, and for a letter that exists its
// number, date, service, holder's masked name and village, and whether it
// was revoked. A code no letter has, mistyped or made up, gets the same
// empty answer. It is not rate-limited: the public page and the chat use
// Check.
func (i *Issuer) Verify(ctx context.Context, code string) (Verification, error) {
	v, _, err := i.verify(ctx, code)
	return v, err
}

// verify answers a code and says what it was, for the log.
func (i *Issuer) verify(ctx context.Context, code string) (Verification, string, error) {
	canonical, check := parseCode(code)
	if check != codeWellFormed {
		return Verification{}, check.String(), nil
	}
	rec, err := i.register.ByCode(ctx, canonical)
	if errors.Is(err, ErrNoLetter) {
		return Verification{}, "unknown", nil
	}
	if err != nil {
		return Verification{}, "", fmt.Errorf("verify letter %s: %w", maskCode(canonical), err)
	}
	v := Verification{
		Valid: !rec.Revoked(), Number: rec.Number, IssuedAt: rec.IssuedAt,
		Service: i.text("service."+rec.Service+".name", nil), Holder: rec.HolderMasked,
		Village: i.villageName(rec.VillageCode), Revoked: rec.Revoked(),
	}
	if v.Revoked {
		return v, "revoked", nil
	}
	return v, "valid", nil
}

// Limiter counts events per key in storage every process shares (Redis),
// with a token bucket: burst events at once, then one per interval.
// redisstore.Store implements it.
type Limiter interface {
	// Take spends one token of key's bucket at now. It returns 0 when there
	// was one, else how long until there will be, having spent nothing.
	Take(ctx context.Context, key string, burst int, interval time.Duration, now time.Time) (time.Duration, error)
}

// How many look-ups one address or one chat may make: a school checking a
// pile of letters fits in the burst, a guesser gets one every two minutes,
// 720 a day, against codes of 45 random bits.
const (
	LookupBurst    = 20
	LookupInterval = 2 * time.Minute
)

// LimitedError is returned by Check when the asker is over the limit.
type LimitedError struct {
	Wait time.Duration // until the next look-up is allowed
}

func (e *LimitedError) Error() string {
	return fmt.Sprintf("too many letter look-ups; next one in %s", e.Wait.Round(time.Second))
}

// ErrLimited matches every *LimitedError with errors.Is.
var ErrLimited = errors.New("too many letter look-ups")

// Is makes errors.Is(err, ErrLimited) true.
func (e *LimitedError) Is(target error) bool { return target == ErrLimited }

// Check is Verify for someone outside the office: it counts the look-up
// against who asks ("web:<address>", "chat:<channel>:<chat>"; see
// WebAsker and ChatAsker) and fails with a *LimitedError past the limit,
// and it logs every look-up with the asker and the code masked.
func (i *Issuer) Check(ctx context.Context, code, asker string) (Verification, error) {
	if i.limiter != nil {
		// Hashed: the key names no address nor chat id in Redis.
		sum := sha256.Sum256([]byte(asker))
		key := "letters:lookup:" + hex.EncodeToString(sum[:16])
		wait, err := i.limiter.Take(ctx, key, LookupBurst, LookupInterval, i.now())
		if err != nil {
			return Verification{}, fmt.Errorf("count a letter look-up: %w", err)
		}
		if wait > 0 {
			i.log.Info("letter look-up", "from", maskAsker(asker), "code", maskCode(typedCode(code)), "outcome", "limited")
			return Verification{}, &LimitedError{Wait: wait}
		}
	}
	v, outcome, err := i.verify(ctx, code)
	if err != nil {
		return Verification{}, err
	}
	i.log.Info("letter look-up", "from", maskAsker(asker), "code", maskCode(typedCode(code)), "outcome", outcome)
	return v, nil
}

// ChatAsker is the asker of Check for a chat.
func ChatAsker(channel, chatID string) string { return "chat:" + channel + ":" + chatID }

// typedCode is what was typed, in canonical form when it is code-shaped,
// for the log.
func typedCode(s string) string {
	if code, check := parseCode(s); check != codeMalformed {
		return code
	}
	return strings.TrimSpace(s)
}

// maskCode keeps the first two symbols of a code for logs: enough to tell
// look-ups apart, too little to replay one.
func maskCode(code string) string {
	r := []rune(code)
	if len(r) > 16 {
		r = r[:16]
	}
	if len(r) < 2 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:2]) + strings.Repeat("*", len(r)-2)
}

// maskAsker hides who asked: the chat id's middle, or the address's last
// part.
func maskAsker(asker string) string {
	kind, rest, _ := strings.Cut(asker, ":")
	switch kind {
	case "chat":
		channel, chat, _ := strings.Cut(rest, ":")
		return "chat:" + channel + ":" + services.MaskID(chat)
	case "web":
		if i := strings.LastIndexAny(rest, ".:"); i > 0 {
			return "web:" + rest[:i+1] + "x"
		}
	}
	return kind + ":***"
}

// IsCode reports whether text, sent alone to the bot, is meant as a
// verification code (see LooksLikeCode).
func (i *Issuer) IsCode(text string) bool { return LooksLikeCode(text) }

// CheckLetter answers a code sent to the bot from a chat, in the chat's
// language lang: Check, counted against the chat, and its answer as the
// chat shows it (a letter found is described on a few lines; past the
// limit, when to ask again). An error means the look-up could not be made.
func (i *Issuer) CheckLetter(ctx context.Context, code, channel, chatID, lang string) (string, error) {
	v, err := i.Check(ctx, code, ChatAsker(channel, chatID))
	var limited *LimitedError
	if errors.As(err, &limited) {
		minutes := int(math.Ceil(limited.Wait.Minutes()))
		return i.texts.T(lang, "verify.limited", map[string]string{"minutes": strconv.Itoa(minutes)}), nil
	}
	if err != nil {
		return "", err
	}
	return i.answer(lang, v, true), nil
}
