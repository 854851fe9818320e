package letters

import (
	"crypto/rand"
	"strings"
	"testing"
)

func TestNewCodeIsWellFormedAndUnguessable(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		code, err := newCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if got, check := parseCode(code); check != codeWellFormed || got != code {
			t.Fatalf("new code %q reads as %q, %v", code, got, check)
		}
		if !LooksLikeCode(code) || !LooksLikeCode(FormatCode(code)) {
			t.Fatalf("new code %q does not look like a code", code)
		}
		if seen[code] {
			t.Fatalf("code %q drawn twice in 2000", code)
		}
		seen[code] = true
	}
	// Every symbol appears at every random position: no position is fixed
	// or predictable.
	for pos := range codeRandom {
		symbols := map[byte]bool{}
		for code := range seen {
			symbols[code[pos]] = true
		}
		if len(symbols) != len(codeAlphabet) {
			t.Errorf("position %d took %d of %d symbols in 2000 codes", pos, len(symbols), len(codeAlphabet))
		}
	}
}

func TestParseCodeReadsWhatPeopleType(t *testing.T) {
	code, err := newCode(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	typed := []string{
		code, FormatCode(code), strings.ToLower(FormatCode(code)), " " + code[:5] + " " + code[5:] + " ",
		code[:3] + "." + code[3:],
	}
	for _, in := range typed {
		if got, check := parseCode(in); check != codeWellFormed || got != code {
			t.Errorf("parseCode(%q) = %q, %v; want %q", in, got, check, code)
		}
	}
	// O is read as 0, I and L as 1.
	const withZeroAndOne = "0000000010"
	body := withZeroAndOne[:codeRandom]
	full := body + string(codeAlphabet[checkSymbol([]byte(body))])
	lookalike := strings.NewReplacer("0", "O", "1", "l").Replace(full[:codeRandom]) + full[codeRandom:]
	if got, check := parseCode(lookalike); check != codeWellFormed || got != full {
		t.Errorf("parseCode(%q) = %q, %v; want %q", lookalike, got, check, full)
	}
	for _, in := range []string{"", "ABC", code + "7", code[:9], "LKS-261127-0001", "legalisasi!", "3307054107900001", "UUUUU-UUUUU"} {
		if _, check := parseCode(in); check != codeMalformed {
			t.Errorf("parseCode(%q) = %v, want malformed", in, check)
		}
	}
}

func TestCheckSymbolCatchesTypos(t *testing.T) {
	code, err := newCode(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// Every single substitution.
	for pos := range codeLen {
		for i := 0; i < len(codeAlphabet); i++ {
			c := codeAlphabet[i]
			if c == code[pos] {
				continue
			}
			typo := code[:pos] + string(c) + code[pos+1:]
			if _, check := parseCode(typo); check != codeMistyped {
				t.Fatalf("typo %q of %q reads as %v", typo, code, check)
			}
		}
	}
	// Every swap of two different neighbours, the check symbol included,
	// but for 0 and Z: Luhn mod 32's one blind spot, as 09 is mod 10's.
	body := []byte("7KQ2MXD40")
	for pos := 0; pos+1 < codeLen; pos++ {
		for a := 0; a < len(codeAlphabet); a++ {
			for b := 0; b < len(codeAlphabet); b++ {
				x := append([]byte(nil), body...)
				if pos+1 < codeRandom {
					x[pos], x[pos+1] = codeAlphabet[a], codeAlphabet[b]
				} else {
					x[pos] = codeAlphabet[a]
				}
				good := string(x) + string(codeAlphabet[checkSymbol(x)])
				if good[pos] == good[pos+1] || (good[pos] == '0' && good[pos+1] == 'Z') || (good[pos] == 'Z' && good[pos+1] == '0') {
					continue
				}
				swap := good[:pos] + string(good[pos+1]) + string(good[pos]) + good[pos+2:]
				if _, check := parseCode(swap); check != codeMistyped {
					t.Fatalf("swap %q of %q reads as %v", swap, good, check)
				}
			}
		}
	}
}

func TestLooksLikeCode(t *testing.T) {
	for _, in := range []string{"7KQ2M-XD40A", "7kq2mxd40a", "sekolah123"} {
		if !LooksLikeCode(in) {
			t.Errorf("LooksLikeCode(%q) = false", in)
		}
	}
	for _, in := range []string{"legalisasi", "1234567890", "LKS-261127-0001", "sktm", "ya", "3307054107900001", "halo apa kabar"} {
		if LooksLikeCode(in) {
			t.Errorf("LooksLikeCode(%q) = true", in)
		}
	}
}
