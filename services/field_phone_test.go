package services

import (
	"strings"
	"testing"
)

func TestParsePhone(t *testing.T) {
	f := Field{Name: "telepon", Type: FieldPhone}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "081234567890", want: "6281234567890"},
		{in: "0812-3456-7890", want: "6281234567890"},
		{in: "0812 3456 7890", want: "6281234567890"},
		{in: "0812.3456.7890", want: "6281234567890"},
		{in: "+6281234567890", want: "6281234567890"},
		{in: "+62 812-3456-7890", want: "6281234567890"},
		{in: "6281234567890", want: "6281234567890"},
		{in: "+62 (0) 812 3456 7890", want: "6281234567890"},
		{in: "(0286) 321234", want: "62286321234"}, // landline, Wonosobo area code
		{in: "0812345678", want: "62812345678"},    // 9-digit national number
		{in: "081234567", want: "6281234567"},      // 8 digits, the shortest
		{in: "0812345678901", want: "62812345678901"},

		{in: "08123456", problem: ProblemPhone},       // 7 digits
		{in: "08123456789012", problem: ProblemPhone}, // 13 digits
		{in: "81234567890", problem: ProblemPhone},    // no prefix
		{in: "+0812345678", problem: ProblemPhone},
		{in: "+1 555 123 4567", problem: ProblemPhone},
		{in: "00812345678", problem: ProblemPhone},
		{in: "0812345678a", problem: ProblemPhone},
		{in: "0812/3456/7890", problem: ProblemPhone},
		{in: "0812+3456789", problem: ProblemPhone},
		{in: "++6281234567890", problem: ProblemPhone},
		{in: "62", problem: ProblemPhone},
		{in: "+", problem: ProblemPhone},
		{in: "nomor saya 081234567890", want: "6281234567890"},
		{in: "hp saya 0812 3456 7890", want: "6281234567890"},
		{in: "no wa: +62 812-3456-7890 (wa)", want: "6281234567890"},
		{in: "hp saya 0812 3456 7890 atau 0813 1111 2222", problem: ProblemPhone}, // which one?
		{in: "hp 0812 3456 7890, rumah 0286 321234", problem: ProblemPhone},       // two numbers
		{in: "hp saya 0812345678a", problem: ProblemPhone},
		{in: strings.Repeat("0", 5000), problem: ProblemPhone},
	})
}

func FuzzParsePhone(f *testing.F) {
	for _, seed := range []string{
		"081234567890", "+62 812-3456-7890", "6281234567890", "(0286) 321234", "+62 (0) 812 3456 7890",
		"08123456", "+", "\xff", "",
	} {
		f.Add(seed)
	}
	env := testEnv()
	field := Field{Name: "telepon", Type: FieldPhone}
	f.Fuzz(func(t *testing.T, in string) {
		got, p := field.Parse(in, env)
		checkParseResult(t, field, env, in, got, p)
		if p != nil {
			return
		}
		national := strings.TrimPrefix(got, "62")
		if !strings.HasPrefix(got, "62") || !isASCIIDigits(national) || len(national) < 8 || len(national) > 12 || national[0] == '0' {
			t.Fatalf("Parse(%q) = %q: not 62 + an 8..12 digit national number", in, got)
		}
	})
}
