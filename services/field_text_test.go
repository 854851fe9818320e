package services

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParseText(t *testing.T) {
	f := Field{Name: "nama", Type: FieldText, Min: 3, Max: 10}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "Budi", want: "Budi"},
		{in: "  Budi   Santo \n", want: "Budi Santo"},
		{in: "Éva", want: "Éva"},           // 3 runes, 4 bytes
		{in: "محمد علي", want: "محمد علي"}, // Arabic
		{in: "ꦧꦸꦢꦶ", want: "ꦧꦸꦢꦶ"},         // Javanese script
		{in: "Bu\x00di", want: "Bu di"},    // NUL is never stored
		{in: "Bu\xffdi", want: "Budi"},     // invalid UTF-8 dropped
		{in: "R. 007", want: "R. 007"},     // digits count as content
		{in: "😀 Budi 😀", want: "😀 Budi 😀"},

		{in: "Bu", problem: ProblemTextShort, args: map[string]string{"min": "3"}},
		{in: "  Bu  ", problem: ProblemTextShort, args: map[string]string{"min": "3"}},
		{in: "Budi Santoso", problem: ProblemTextLong, args: map[string]string{"max": "10"}},
		{in: strings.Repeat("a", 5000), problem: ProblemTextLong, args: map[string]string{"max": "10"}},
		{in: "!!!", problem: ProblemTextLetters},
		{in: "😀😀😀", problem: ProblemTextLetters},
		{in: "- - -", problem: ProblemTextLetters},
	})
}

// A name shows to staff as it will print: nothing invisible reorders or
// hides part of it, and an identity number typed at the name question is
// refused (it would rest there neither masked nor sealed).
func TestParseTextRefusesSpoofingAndIDNumbers(t *testing.T) {
	f := Field{Name: "nama", Type: FieldText, Min: 3, Max: 100}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "Camat Leksono\u202e (petugas resmi)", want: "Camat Leksono (petugas resmi)"},
		{in: "Siti\u200b\u200b Aminah\ufeff", want: "Siti Aminah"},
		{in: "\u202e\u200b\u3164", problem: ProblemEmpty},
		{in: "3307051708900001", problem: ProblemTextID},
		{in: "3307 0517 0890 0001", problem: ProblemTextID},
		{in: "Budi 3307051708900001", problem: ProblemTextID},
	})
}

func TestParseTextTitleCase(t *testing.T) {
	f := Field{Name: "nama", Type: FieldText, Min: 3, Max: 100, TitleCase: true}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "SITI AMINAH", want: "Siti Aminah"},
		{in: "siti  aminah", want: "Siti Aminah"},
		{in: "ahmad bin abdullah", want: "Ahmad bin Abdullah"},
		{in: "Bu", problem: ProblemTextShort, args: map[string]string{"min": "3"}},
	})
}

func TestParseTextWithoutBounds(t *testing.T) {
	f := Field{Name: "catatan", Type: FieldText}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "a", want: "a"},
		{in: strings.Repeat("ab ", 2000), want: strings.TrimSpace(strings.Repeat("ab ", 2000))},
	})
}

func FuzzParseText(f *testing.F) {
	for _, seed := range []string{"Budi Santoso", "  a  b ", "\x00", "\xff\xfe", "😀", "محمد"} {
		f.Add(seed)
	}
	env := testEnv()
	field := Field{Name: "nama", Type: FieldText, Min: 3, Max: 100}
	f.Fuzz(func(t *testing.T, in string) {
		got, p := field.Parse(in, env)
		checkParseResult(t, field, env, in, got, p)
		if p != nil {
			return
		}
		if n := utf8.RuneCountInString(got); n < 3 || n > 100 {
			t.Fatalf("Parse(%q) = %q: %d runes outside 3..100", in, got, n)
		}
		if strings.TrimSpace(got) != got || strings.Contains(got, "  ") || strings.IndexFunc(got, unicode.IsControl) >= 0 {
			t.Fatalf("Parse(%q) = %q: not trimmed and collapsed", in, got)
		}
	})
}
