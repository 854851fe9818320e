package services

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	f := Field{Name: "tanggal", Type: FieldDate}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "12-01-2025", want: "2025-01-12"},
		{in: "12/01/2025", want: "2025-01-12"},
		{in: "12.01.2025", want: "2025-01-12"},
		{in: "1-2-2025", want: "2025-02-01"},
		{in: " 1/2/2025 ", want: "2025-02-01"},
		{in: "12 Januari 2025", want: "2025-01-12"},
		{in: "12 januari 2025", want: "2025-01-12"},
		{in: "12 JANUARI 2025", want: "2025-01-12"},
		{in: "12 jan 2025", want: "2025-01-12"},
		{in: "17 Agustus 1945", want: "1945-08-17"},
		{in: "5 agt 2030", want: "2030-08-05"},
		{in: "12-jan-2025", want: "2025-01-12"},
		{in: "2025-01-12", want: "2025-01-12"},
		{in: "29-02-2024", want: "2024-02-29"},

		{in: "12-01-25", problem: ProblemDateFormat},
		{in: "12012025", problem: ProblemDateFormat},
		{in: "12 2025", problem: ProblemDateFormat},
		{in: "kemarin", problem: ProblemDateFormat},
		{in: "12 Janu 2025", problem: ProblemDateFormat},
		{in: "Senin, 12 Januari 2025", problem: ProblemDateFormat},
		{in: "123-01-2025", problem: ProblemDateFormat},
		{in: "١٢-٠١-٢٠٢٥", problem: ProblemDateFormat}, // Arabic-Indic digits

		{in: "31-02-2025", problem: ProblemDateInvalid},
		{in: "29-02-2025", problem: ProblemDateInvalid},
		{in: "31-04-2025", problem: ProblemDateInvalid},
		{in: "12-13-2025", problem: ProblemDateInvalid},
		{in: "0-1-2025", problem: ProblemDateInvalid},
		{in: "12-01-1850", problem: ProblemDateInvalid},
		{in: "12-01-9999", problem: ProblemDateInvalid},
	})
}

func TestParseDateRelativeToToday(t *testing.T) {
	env := testEnv() // today is 10 March 2026 in Jakarta
	notFuture := Field{Name: "tanggal_lahir", Type: FieldDate, NotFuture: true}
	runParseCases(t, notFuture, env, []parseCase{
		{in: "10-03-2026", want: "2026-03-10"},
		{in: "09-03-2026", want: "2026-03-09"},
		{in: "11-03-2026", problem: ProblemDateFuture},
		{in: "01-01-2027", problem: ProblemDateFuture},
	})
	notPast := Field{Name: "tanggal_acara", Type: FieldDate, NotPast: true}
	runParseCases(t, notPast, env, []parseCase{
		{in: "10-03-2026", want: "2026-03-10"},
		{in: "11 Maret 2026", want: "2026-03-11"},
		{in: "09-03-2026", problem: ProblemDatePast},
		{in: "31-12-2025", problem: ProblemDatePast},
	})

	// Today is a calendar date in the office zone: at 23:30 UTC on 9 March it
	// is already 10 March in Jakarta, so 10 March is not in the future.
	late := env
	late.Today = time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC).In(env.Today.Location())
	runParseCases(t, notFuture, late, []parseCase{{in: "10-03-2026", want: "2026-03-10"}})
}

func FuzzParseDate(f *testing.F) {
	for _, seed := range []string{
		"12-01-2025", "12/01/2025", "1-2-2025", "12.01.2025", "12 Januari 2025", "12 jan 2025",
		"2025-01-12", "31-02-2025", "12-01-25", "kemarin", "\xff-01-2025", "",
	} {
		f.Add(seed)
	}
	env := testEnv()
	field := Field{Name: "tanggal", Type: FieldDate}
	f.Fuzz(func(t *testing.T, in string) {
		got, p := field.Parse(in, env)
		checkParseResult(t, field, env, in, got, p)
		if p == nil {
			if _, err := time.Parse("2006-01-02", got); err != nil {
				t.Fatalf("Parse(%q) = %q: not a date: %v", in, got, err)
			}
		}
	})
}
