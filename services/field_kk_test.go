package services

import "testing"

func TestParseKK(t *testing.T) {
	f := Field{Name: "kk", Type: FieldKK}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "3307051203150004", want: "3307051203150004"},
		{in: "3307 0512 0315 0004", want: "3307051203150004"},
		{in: "3307.051203.15.0004", want: "3307051203150004"},
		{in: "3307052902000004", want: "3307052902000004"}, // recorded 29 February 2000

		{in: "33070512031500", problem: ProblemKKLength, args: map[string]string{"got": "14"}},
		{in: "33070512031500041", problem: ProblemKKLength, args: map[string]string{"got": "17"}},
		{in: "KK 3307051203150004", want: "3307051203150004"},
		{in: "no kk saya 3307 0512 0315 0004", want: "3307051203150004"},
		{in: "KK3307051203150004", problem: ProblemKKChars},
		{in: "3307O51203150004", problem: ProblemKKChars},

		{in: "3307055203150004", problem: ProblemKKDate}, // no +40 on a KK
		{in: "3307053104150004", problem: ProblemKKDate}, // 31 April
		{in: "3307050013150004", problem: ProblemKKDate},
		{in: "3307052902150004", problem: ProblemKKDate}, // 29 February 1915 and 2015

		{in: "3307051203150000", problem: ProblemKKSequence},
	})
}

func FuzzParseKK(f *testing.F) {
	for _, seed := range []string{"3307051203150004", "3307 0512 0315 0004", "3307055203150004", "x", ""} {
		f.Add(seed)
	}
	env := testEnv()
	field := Field{Name: "kk", Type: FieldKK}
	f.Fuzz(func(t *testing.T, in string) {
		got, p := field.Parse(in, env)
		checkParseResult(t, field, env, in, got, p)
		if p == nil && (len(got) != 16 || !isASCIIDigits(got)) {
			t.Fatalf("Parse(%q) = %q: not 16 digits", in, got)
		}
	})
}
