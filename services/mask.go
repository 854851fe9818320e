package services

import "strings"

// MaskID hides the middle of an identity number (NIK, KK, phone) so it can
// be shown to staff or written to logs: the first four and the last two
// characters stay ("3307**********01"). Short values are hidden entirely.
func MaskID(id string) string {
	r := []rune(id)
	if len(r) < 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-2:])
}
