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

		{in: "12-01-25", want: "2025-01-12"}, // nearer today than 1925
		{in: "12-01-80", want: "1980-01-12"}, // nearer today than 2080
		{in: "12012025", problem: ProblemDateFormat},
		{in: "12 2025", problem: ProblemDateFormat},
		{in: "kemarin", problem: ProblemDateFormat},
		{in: "12 Janu 2025", problem: ProblemDateFormat},
		{in: "Senin, 12 Januari 2025", want: "2025-01-12"},
		{in: "lahir 17 agustus 1990", want: "1990-08-17"},
		{in: "tgl: 17/8/1990 pak", want: "1990-08-17"},
		{in: "Senin 12", problem: ProblemDateFormat},
		{in: "12-01-2025 atau 13-01-2025", want: "2025-01-12"}, // the first date
		{in: "12-01-025", problem: ProblemDateFormat},
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

// Two-digit years, as villagers write them: against today, or the NIK.
func TestParseDateTwoDigitYears(t *testing.T) {
	env := testEnv() // today is 10 March 2026 in Jakarta
	born := Field{Name: "tanggal_lahir", Type: FieldDate, NotFuture: true}
	runParseCases(t, born, env, []parseCase{
		{in: "17 agustus 90", want: "1990-08-17"},
		{in: "lahir 17 agustus 90", want: "1990-08-17"},
		{in: "tgl 17/8/90", want: "1990-08-17"},
		{in: "17-08-25", want: "2025-08-17"}, // a baby of last year
		{in: "17-08-26", want: "1926-08-17"}, // August 2026 has not come
		{in: "10-03-26", want: "2026-03-10"}, // today
		{in: "29-02-00", want: "2000-02-29"}, // 2000 is a leap year, 1900 was not
		{in: "31-02-90", problem: ProblemDateInvalid},
	})
	event := Field{Name: "tanggal_acara", Type: FieldDate, NotPast: true}
	runParseCases(t, event, env, []parseCase{
		{in: "10-12-26", want: "2026-12-10"},
		{in: "1/1/27", want: "2027-01-01"},
		{in: "1/1/26", problem: ProblemDatePast},
	})
	// With no bound the nearer century wins, unless the NIK says otherwise.
	plain := Field{Name: "tanggal", Type: FieldDate}
	runParseCases(t, plain, env, []parseCase{{in: "17-08-60", want: "2060-08-17"}})
	withNIK := env
	withNIK.Answers = map[string]string{NIKField: "3307051708600001"}
	runParseCases(t, plain, withNIK, []parseCase{
		{in: "17-08-60", want: "1960-08-17"},
		{in: "17-08-61", want: "2061-08-17"}, // another year: the NIK does not say
	})
}

func TestNIKBirthDate(t *testing.T) {
	today := testEnv().Today
	for _, tc := range []struct {
		nik  string
		hint int
		want string
	}{
		{"3307051708900001", 0, "1990-08-17"},
		{"3307055708900003", 0, "1990-08-17"}, // a woman: day 57 = 17 + 40
		{"3307051708250001", 0, "2025-08-17"},
		{"3307051708260001", 0, "1926-08-17"}, // August 2026 has not come
		{"3307051708260001", 2026, "2026-08-17"},
		{"3307051708250001", 1925, "1925-08-17"},
		{"3307051708250001", 1990, "2025-08-17"}, // the hint ends otherwise
	} {
		got, ok := NIKBirthDate(tc.nik, today, tc.hint)
		if !ok || got.Format("2006-01-02") != tc.want {
			t.Errorf("NIKBirthDate(%s, %d) = %v, %v; want %s", tc.nik, tc.hint, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"", "123", "3307053205900001", "33070517089000O1"} {
		if got, ok := NIKBirthDate(bad, today, 0); ok {
			t.Errorf("NIKBirthDate(%q) = %v, want false", bad, got)
		}
	}
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
