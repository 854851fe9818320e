package services

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// testVocab is the kind of vocabulary the locales provide: Indonesian and
// Javanese words.
func testVocab() Vocabulary {
	return Vocabulary{
		Yes: []string{"ya", "iya", "y", "yes", "nggih", "inggih", "sampun", "benar"},
		No:  []string{"tidak", "tdk", "nggak", "gak", "mboten", "boten", "dereng", "belum"},
		Months: map[string]int{
			"januari": 1, "jan": 1, "februari": 2, "feb": 2, "maret": 3, "mar": 3, "april": 4, "apr": 4,
			"mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agt": 8, "agu": 8,
			"september": 9, "sep": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
			"desember": 12, "des": 12,
		},
		Numbers: map[string]int{
			"satu": 1, "setunggal": 1, "siji": 1,
			"dua": 2, "kalih": 2, "loro": 2,
			"tiga": 3, "tigo": 3, "telu": 3,
		},
	}
}

var testLabels = map[string]string{
	"field.yes":                  "Ya",
	"field.no":                   "Tidak",
	"field.jumlah_tamu.lt100":    "Kurang dari 100 orang",
	"field.jumlah_tamu.100to500": "100 sampai 500 orang",
	"field.jumlah_tamu.gt500":    "Lebih dari 500 orang",
}

func testVillages() []Village {
	return []Village{
		{"33.07.05.2001", "Sawangan", "desa"},
		{"33.07.05.2002", "Lipursari", "desa"},
		{"33.07.05.2003", "Selokromo", "desa"},
		{"33.07.05.2004", "Sojokerto", "desa"},
		{"33.07.05.2005", "Besani", "desa"},
		{"33.07.05.1006", "Leksono", "kelurahan"},
		{"33.07.05.2007", "Jlamprang", "desa"},
	}
}

func testEnv() Env {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		panic(err)
	}
	return Env{
		Villages: testVillages(),
		Vocab:    testVocab(),
		Today:    time.Date(2026, 3, 10, 9, 0, 0, 0, jakarta),
		Label:    func(key string) string { return testLabels[key] },
	}
}

// parseCase is one row of a parser table: the input, and either the
// normalized value or the problem expected.
type parseCase struct {
	in      string
	want    string
	problem string
	args    map[string]string
}

func runParseCases(t *testing.T, f Field, env Env, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, p := f.Parse(tc.in, env)
			if tc.problem == "" {
				if p != nil {
					t.Fatalf("Parse(%q) problem %s %v, want value %q", tc.in, p.Key, p.Args, tc.want)
				}
				if got != tc.want {
					t.Fatalf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
				}
				return
			}
			if p == nil {
				t.Fatalf("Parse(%q) = %q, want problem %s", tc.in, got, tc.problem)
			}
			if got != "" {
				t.Errorf("Parse(%q) returned value %q along with problem %s", tc.in, got, p.Key)
			}
			if p.Key != tc.problem {
				t.Fatalf("Parse(%q) problem %s %v, want %s", tc.in, p.Key, p.Args, tc.problem)
			}
			for k, v := range tc.args {
				if p.Args[k] != v {
					t.Errorf("Parse(%q) arg %s = %q, want %q", tc.in, k, p.Args[k], v)
				}
			}
		})
	}
}

// checkParseResult holds for every field type and every input: a problem
// comes without a value and with a known key, a value is valid UTF-8 and
// parses to itself again (normalization is idempotent).
func checkParseResult(t *testing.T, f Field, env Env, in, got string, p *Problem) {
	t.Helper()
	if p != nil {
		if got != "" {
			t.Fatalf("Parse(%q) returned %q with problem %s", in, got, p.Key)
		}
		if !slices.Contains(ProblemKeys(), p.Key) {
			t.Fatalf("Parse(%q) returned unknown problem key %q", in, p.Key)
		}
		return
	}
	if !utf8.ValidString(got) || strings.ContainsRune(got, 0) {
		t.Fatalf("Parse(%q) = %q: not clean UTF-8", in, got)
	}
	again, p2 := f.Parse(got, env)
	if p2 != nil || again != got {
		t.Fatalf("Parse(%q) = %q, but parsing that again gives %q, %v", in, got, again, p2)
	}
}

func TestParseEmptyForEveryType(t *testing.T) {
	env := testEnv()
	for _, typ := range knownFieldTypes {
		f := Field{Name: "x", Type: typ, Choices: []Choice{{Value: "a", Label: "A"}}}
		for _, in := range []string{"", "   ", "\t\n", "\u00a0", "\x00\x01"} {
			if _, p := f.Parse(in, env); p == nil || p.Key != ProblemEmpty {
				t.Errorf("%s: Parse(%q) = %v, want %s", typ, in, p, ProblemEmpty)
			}
		}
	}
}

func TestParseUnknownTypeFallsBackToText(t *testing.T) {
	f := Field{Name: "x", Type: "nikk"}
	got, p := f.Parse("  a   b ", testEnv())
	if p != nil || got != "a b" {
		t.Fatalf("Parse = %q, %v; want %q", got, p, "a b")
	}
}

func TestParseNeverPanicsOnHostileInput(t *testing.T) {
	env := testEnv()
	inputs := []string{
		strings.Repeat("9", 5000),
		strings.Repeat("😀", 5000),
		strings.Repeat("محمد ", 1000),
		"\xff\xfe\xfd",
		"3307\xff051205900001",
		"12-\xff-2025",
		strings.Repeat("a", 5000),
		"+",
		"62",
		"0",
		"-",
		"12 🙂 2025",
	}
	for _, typ := range knownFieldTypes {
		f := Field{Name: "x", Type: typ, Min: 3, Max: 100, Choices: []Choice{{Value: "a", Label: "Alpha"}}}
		for _, in := range inputs {
			got, p := f.Parse(in, env)
			checkParseResult(t, f, env, in, got, p)
		}
	}
}

func TestOptions(t *testing.T) {
	env := testEnv()

	choice := Field{Name: "jumlah_tamu", Type: FieldChoice, Choices: []Choice{
		{Value: "lt100", LabelKey: "field.jumlah_tamu.lt100"},
		{Value: "lit", Label: "Literal"},
		{Value: "nokey", LabelKey: "field.unknown"},
	}}
	opts := choice.Options(env)
	wantLabels := []string{"Kurang dari 100 orang", "Literal", "field.unknown"}
	if len(opts) != len(wantLabels) {
		t.Fatalf("choice options = %v", opts)
	}
	for i, w := range wantLabels {
		if opts[i].Label != w {
			t.Errorf("choice option %d label = %q, want %q", i, opts[i].Label, w)
		}
	}
	if choice.Choices[0].Label != "" {
		t.Errorf("Options modified the field's own choices: %+v", choice.Choices[0])
	}

	village := Field{Name: "desa", Type: FieldVillage}
	vopts := village.Options(env)
	if len(vopts) != len(env.Villages) || vopts[0].Value != "33.07.05.2001" || vopts[0].Label != "Sawangan" {
		t.Errorf("village options = %+v", vopts)
	}

	yn := Field{Name: "setuju", Type: FieldYesNo}
	yopts := yn.Options(env)
	if len(yopts) != 2 || yopts[0].Value != "ya" || yopts[0].Label != "Ya" || yopts[0].LabelKey != "field.yes" ||
		yopts[1].Value != "tidak" || yopts[1].Label != "Tidak" || yopts[1].LabelKey != "field.no" {
		t.Errorf("yesno options = %+v", yopts)
	}

	noLabel := testEnv()
	noLabel.Label = nil
	if got := yn.Options(noLabel); got[0].Label != "field.yes" {
		t.Errorf("without a label resolver the key is shown, got %q", got[0].Label)
	}

	for _, typ := range []FieldType{FieldNIK, FieldKK, FieldText, FieldDate, FieldPhone} {
		if got := (Field{Type: typ}).Options(env); got != nil {
			t.Errorf("%s options = %v, want nil", typ, got)
		}
	}
}

func TestProblemKeysAreFieldErrors(t *testing.T) {
	keys := ProblemKeys()
	if len(keys) != 21 {
		t.Errorf("ProblemKeys has %d keys, want 21", len(keys))
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "field.error.") {
			t.Errorf("problem key %q outside field.error.*", k)
		}
	}
}

func TestFieldTypeValid(t *testing.T) {
	for _, typ := range knownFieldTypes {
		if !typ.Valid() {
			t.Errorf("%s not valid", typ)
		}
	}
	for _, typ := range []FieldType{"", "nikk", "NIK", "email"} {
		if typ.Valid() {
			t.Errorf("%q valid", typ)
		}
	}
}
