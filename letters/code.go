package letters

import (
	"fmt"
	"io"
	"strings"
)

// A verification code is 9 random symbols and a check symbol from
// Crockford's base-32 alphabet (digits and capital letters without I, L, O
// and U, which are read as 1, 1 and 0, or rude), printed in two groups of
// five: "7KQ2M-XD40A". 45 random bits: with a thousand letters a year and
// look-ups rate-limited per address, a guess succeeds about once in 10^10
// tries. The check symbol (Luhn mod 32) catches every single mistyped
// symbol and every swap of two neighbours but 0 and Z, so a typo is told
// apart from a guess in the log, though both get the same answer.
const (
	codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	codeRandom   = 9
	codeLen      = codeRandom + 1
)

// codeValue maps a typed symbol to its value, reading the look-alikes
// Crockford allows: O as 0, I and L as 1, any case.
var codeValue = func() [256]int8 {
	var v [256]int8
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(codeAlphabet); i++ {
		c := codeAlphabet[i]
		v[c] = int8(i)
		if c >= 'A' && c <= 'Z' {
			v[c+'a'-'A'] = int8(i)
		}
	}
	for _, alias := range []struct {
		from byte
		to   byte
	}{{'O', '0'}, {'o', '0'}, {'I', '1'}, {'i', '1'}, {'L', '1'}, {'l', '1'}} {
		v[alias.from] = v[alias.to]
	}
	return v
}()

// newCode draws a verification code from random, in its canonical form
// (10 symbols, no dash). It has at least one digit and one letter, so that
// a code typed alone in a chat is never taken for a word or a number.
func newCode(random io.Reader) (string, error) {
	buf := make([]byte, codeRandom)
	for {
		if _, err := io.ReadFull(random, buf); err != nil {
			return "", fmt.Errorf("draw verification code: %w", err)
		}
		var b [codeLen]byte
		for i, r := range buf {
			// 256 is a multiple of 32: the low five bits are uniform.
			b[i] = codeAlphabet[r&31]
		}
		b[codeRandom] = codeAlphabet[checkSymbol(b[:codeRandom])]
		code := string(b[:])
		if hasDigitAndLetter(code) {
			return code, nil
		}
	}
}

// checkSymbol is the Luhn mod 32 check value of symbols of the alphabet.
func checkSymbol(symbols []byte) int {
	const n = len(codeAlphabet)
	sum, factor := 0, 2
	for i := len(symbols) - 1; i >= 0; i-- {
		addend := factor * int(codeValue[symbols[i]])
		sum += addend/n + addend%n
		factor = 3 - factor
	}
	return (n - sum%n) % n
}

// codeCheck is what reading a typed code found.
type codeCheck int

const (
	codeMalformed  codeCheck = iota // not 10 symbols of the alphabet: not a code at all
	codeMistyped                    // the shape of a code, but its check symbol is wrong
	codeWellFormed                  // a code that may exist
)

func (c codeCheck) String() string {
	switch c {
	case codeMistyped:
		return "mistyped"
	case codeWellFormed:
		return "well-formed"
	}
	return "malformed"
}

// parseCode reads a code as people type it ("7kq2m xd40a", "7KQ2M-XD4OA")
// and returns its canonical form when its shape is a code's.
func parseCode(s string) (string, codeCheck) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == ' ' || c == '.' || c == '\t':
			continue
		case codeValue[c] < 0:
			return "", codeMalformed
		}
		if b.Len() == codeLen {
			return "", codeMalformed
		}
		b.WriteByte(codeAlphabet[codeValue[c]])
	}
	code := b.String()
	if len(code) != codeLen {
		return "", codeMalformed
	}
	if codeAlphabet[checkSymbol([]byte(code[:codeRandom]))] != code[codeRandom] {
		return code, codeMistyped
	}
	return code, codeWellFormed
}

// FormatCode writes a canonical code as it is printed: "7KQ2M-XD40A".
func FormatCode(code string) string {
	if len(code) != codeLen {
		return code
	}
	return code[:5] + "-" + code[5:]
}

// LooksLikeCode reports whether text, typed alone in a chat, is meant as a
// verification code: ten symbols of the alphabet (dashes and spaces aside)
// with at least one digit and one letter as typed. A mistyped code still
// looks like one; a word ("legalisasi") or a number does not.
func LooksLikeCode(text string) bool {
	text = strings.TrimSpace(text)
	if _, check := parseCode(text); check == codeMalformed {
		return false
	}
	return hasDigitAndLetter(text)
}

func hasDigitAndLetter(s string) bool {
	digit, letter := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'):
			letter = true
		}
	}
	return digit && letter
}
