package services

import "strings"

// MaskID hides most of an identity number (NIK, KK, phone) or chat id so it
// can be shown to staff or written to logs. It is the one masking rule of
// the bot: every log line and every staff message that names a person's
// number or chat goes through it. Values of 12 characters or more keep
// their first four and last two ("3307**********01", how the office names
// a NIK in a chat); shorter ones, such as Telegram chat ids, keep only the
// last two, so that at least half is hidden; under 8 characters, nothing.
func MaskID(id string) string {
	r := []rune(id)
	switch {
	case len(r) < 8:
		return strings.Repeat("*", len(r))
	case len(r) < 12:
		return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-2:])
}
