package services

import (
	"strings"
	"testing"
)

func TestParseNIK(t *testing.T) {
	f := Field{Name: "nik", Type: FieldNIK}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "3307051205900001", want: "3307051205900001"},
		{in: " 3307 0512 0590 0001 ", want: "3307051205900001"},
		{in: "3307.0512.0590.0001", want: "3307051205900001"},
		{in: "3307-05-120590-0001", want: "3307051205900001"},
		{in: "3307055205900002", want: "3307055205900002"}, // woman: day 52 = 12 + 40
		{in: "3307050101000001", want: "3307050101000001"}, // born 1 January 2000
		{in: "3307052902000001", want: "3307052902000001"}, // 29 February 2000 exists
		{in: "3307056902000001", want: "3307056902000001"}, // woman born 29 February 2000
		{in: "3307053112990001", want: "3307053112990001"}, // 31 December 1999
		{in: "3307057112990001", want: "3307057112990001"}, // woman, day 71
		// Registered elsewhere: the prefix never decides who may apply.
		{in: "3174015505850003", want: "3174015505850003"},

		{in: "330705120590001", problem: ProblemNIKLength, args: map[string]string{"got": "15"}},
		{in: "3307 0512 0590 001", problem: ProblemNIKLength, args: map[string]string{"got": "15"}},
		{in: "33070512059000012", problem: ProblemNIKLength, args: map[string]string{"got": "17"}},
		{in: "1", problem: ProblemNIKLength, args: map[string]string{"got": "1"}},
		{in: "...", problem: ProblemNIKLength, args: map[string]string{"got": "0"}},
		{in: strings.Repeat("1", 5000), problem: ProblemNIKLength, args: map[string]string{"got": "5000"}},

		{in: "33070512059O0001", problem: ProblemNIKChars}, // letter O
		{in: "NIK 3307051205900001", want: "3307051205900001"},
		{in: "nik saya 3307 0512 0590 0001", want: "3307051205900001"},
		{in: "NIK: 3307-05-120590-0001 pak", want: "3307051205900001"},
		{in: "NIK3307051205900001", problem: ProblemNIKChars}, // a slip, not a word beside the number
		{in: "nik 3307051205900001 kk 3307051203150004", problem: ProblemNIKChars},
		{in: "3307/0512/0590/0001", problem: ProblemNIKChars},
		{in: "٣٣٠٧٠٥١٢٠٥٩٠٠٠٠١", problem: ProblemNIKChars}, // Arabic-Indic digits
		{in: "3307051205900001😀", want: "3307051205900001"},
		{in: "nik saya 330705120590001", problem: ProblemNIKLength, args: map[string]string{"got": "15"}},
		{in: "saya lupa", problem: ProblemNIKChars},

		{in: "3307050005900001", problem: ProblemNIKDate}, // day 00
		{in: "3307053205900001", problem: ProblemNIKDate}, // day 32
		{in: "3307054005900001", problem: ProblemNIKDate}, // day 40 = 0
		{in: "3307057205900001", problem: ProblemNIKDate}, // day 72 = 32
		{in: "3307051213900001", problem: ProblemNIKDate}, // month 13
		{in: "3307051200900001", problem: ProblemNIKDate}, // month 00
		{in: "3307053104900001", problem: ProblemNIKDate}, // 31 April
		{in: "3307052902010001", problem: ProblemNIKDate}, // 29 February 1901 and 2001
		{in: "3307053002000001", problem: ProblemNIKDate}, // 30 February

		{in: "3307051205900000", problem: ProblemNIKSequence},
	})
}

func FuzzParseNIK(f *testing.F) {
	for _, seed := range []string{
		"3307051205900001", "3307 0512 0590 0001", "3307055205900002", "330705120590001",
		"3307051205900000", "3307052902010001", "33070512059O0001", "٣٣٠٧", "\xff", "",
	} {
		f.Add(seed)
	}
	env := testEnv()
	field := Field{Name: "nik", Type: FieldNIK}
	f.Fuzz(func(t *testing.T, in string) {
		got, p := field.Parse(in, env)
		checkParseResult(t, field, env, in, got, p)
		if p == nil && (len(got) != 16 || !isASCIIDigits(got)) {
			t.Fatalf("Parse(%q) = %q: not 16 digits", in, got)
		}
	})
}
