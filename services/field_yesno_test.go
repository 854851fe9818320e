package services

import "testing"

func TestParseYesNo(t *testing.T) {
	f := Field{Name: "setuju", Type: FieldYesNo}
	runParseCases(t, f, testEnv(), []parseCase{
		{in: "ya", want: "ya"},
		{in: "Ya", want: "ya"},
		{in: "iya", want: "ya"},
		{in: "Y", want: "ya"},
		{in: "nggih", want: "ya"},
		{in: "Inggih.", want: "ya"},
		{in: "sampun", want: "ya"},
		{in: "1", want: "ya"},
		{in: "satu", want: "ya"},
		{in: "iya betul", want: "ya"},
		{in: "inggihh", want: "ya"}, // one typo in a long word

		{in: "tidak", want: "tidak"},
		{in: "TIDAK", want: "tidak"},
		{in: "tdk", want: "tidak"},
		{in: "nggak", want: "tidak"},
		{in: "mboten", want: "tidak"},
		{in: "boten", want: "tidak"},
		{in: "dereng", want: "tidak"},
		{in: "2", want: "tidak"},
		{in: "kalih", want: "tidak"},
		{in: "mboten, matur nuwun", want: "tidak"},

		{in: "mungkin", problem: ProblemYesNo},
		{in: "3", problem: ProblemYesNo},
		{in: "😀", problem: ProblemYesNo},
	})
}

func TestParseYesNoWithoutVocabulary(t *testing.T) {
	env := testEnv()
	env.Vocab = Vocabulary{}
	f := Field{Name: "setuju", Type: FieldYesNo}
	// The values and the resolved labels still work.
	runParseCases(t, f, env, []parseCase{
		{in: "ya", want: "ya"},
		{in: "Tidak", want: "tidak"},
		{in: "2", want: "tidak"},
		{in: "nggih", problem: ProblemYesNo},
	})
}
