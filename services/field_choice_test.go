package services

import "testing"

func jumlahTamu() Field {
	return Field{Name: "jumlah_tamu", Type: FieldChoice, Choices: []Choice{
		{Value: "lt100", LabelKey: "field.jumlah_tamu.lt100", Keywords: []string{"kurang dari 100"}},
		{Value: "100to500", LabelKey: "field.jumlah_tamu.100to500", Keywords: []string{"100 sampai 500", "100-500"}},
		{Value: "gt500", LabelKey: "field.jumlah_tamu.gt500", Keywords: []string{"lebih dari 500"}},
	}}
}

func TestParseChoice(t *testing.T) {
	runParseCases(t, jumlahTamu(), testEnv(), []parseCase{
		{in: "1", want: "lt100"},
		{in: "3.", want: "gt500"},
		{in: "dua", want: "100to500"},
		{in: "kurang dari 100", want: "lt100"},
		{in: "Kurang dari 100 orang", want: "lt100"}, // the resolved label
		{in: "100-500", want: "100to500"},
		{in: "lebih dari 500!", want: "gt500"},
		{in: "Lebih dari 50 orang", want: "gt500"}, // one typo in the label
		{in: "gt500", want: "gt500"},               // the value itself

		{in: "4", problem: ProblemChoice},
		{in: "0", problem: ProblemChoice},
		{in: "ramai sekali", problem: ProblemChoice},
		{in: "100", problem: ProblemChoice}, // a number beyond the menu, not a guess
		{in: "\xff", problem: ProblemChoice},
	})
}
