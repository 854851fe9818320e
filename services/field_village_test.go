package services

import "testing"

func TestParseVillage(t *testing.T) {
	f := Field{Name: "desa", Type: FieldVillage}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "Sawangan", want: "33.07.05.2001"},
		{in: "sawangan", want: "33.07.05.2001"},
		{in: "SAWANGAN.", want: "33.07.05.2001"},
		{in: "sawangn", want: "33.07.05.2001"},  // one letter missing
		{in: "Sawangab", want: "33.07.05.2001"}, // one letter wrong
		{in: "desa Sawangan", want: "33.07.05.2001"},
		{in: "Kelurahan Leksono", want: "33.07.05.1006"},
		{in: "Leksono", want: "33.07.05.1006"},
		{in: "6", want: "33.07.05.1006"}, // position in the list of buttons
		{in: "siji", want: "33.07.05.2001"},
		{in: "33.07.05.2003", want: "33.07.05.2003"}, // a button's value

		{in: "Jakarta", problem: ProblemVillage},
		{in: "8", problem: ProblemVillage},
		{in: "Sawa", problem: ProblemVillage},               // too short to guess
		{in: "Sawangan Lipursari", problem: ProblemVillage}, // two villages
	})
}

func TestParseVillageAmbiguousTypo(t *testing.T) {
	env := testEnv()
	env.Villages = []Village{{"33.07.05.2001", "Besani", "desa"}, {"33.07.05.2002", "Besana", "desa"}}
	f := Field{Name: "desa", Type: FieldVillage}
	runParseCases(t, f, env, []parseCase{
		{in: "Besani", want: "33.07.05.2001"},
		{in: "Besanu", problem: ProblemVillage},
	})
}
