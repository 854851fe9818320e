package letters

import "crypto/rand"

// NewCode draws a well-formed code, for tests of made-up codes.
func NewCode() (string, error) { return newCode(rand.Reader) }
