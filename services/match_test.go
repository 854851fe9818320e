package services

import (
	"fmt"
	"strings"
	"testing"
)

func serviceMenu() []Choice {
	return []Choice{
		{Value: "sktm", Label: "Surat Keterangan Tidak Mampu", Keywords: []string{"sktm", "tidak mampu"}},
		{Value: "legalisasi", Label: "Legalisasi Surat", Keywords: []string{"legalisasi", "legalisir"}},
		{Value: "domisili", Label: "Surat Keterangan Domisili", Keywords: []string{"domisili", "usaha"}},
	}
}

// A number word a locale writes with capitals or punctuation still names
// its position once the vocabulary is normalized.
func TestMatchChoiceNumberWordWrittenOtherwise(t *testing.T) {
	vocab := testVocab()
	vocab.Numbers = map[string]int{"Kalih!": 2, "TELU": 3}
	vocab = vocab.Normalized()
	for in, want := range map[string]int{"kalih": 1, "Kalih": 1, "telu": 2} {
		if got, ok := MatchChoice(in, serviceMenu(), vocab); !ok || got != want {
			t.Errorf("MatchChoice(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

func TestMatchChoice(t *testing.T) {
	vocab := testVocab()
	cases := []struct {
		in   string
		want int // -1: no match
	}{
		{"sktm", 0},
		{"SKTM", 0},
		{"Surat Keterangan Tidak Mampu", 0},
		{"SURAT KETERANGAN TIDAK MAMPU", 0},
		{"surat-keterangan,  tidak mampu!", 0},
		{"surat keterangn tidak mampu", 0}, // one typo on the whole label
		{"tidak mampu", 0},
		{"2", 1},
		{" 2. ", 1},
		{"kalih", 1},
		{"Loro", 1},
		{"siji", 0},
		{"3", 2},
		{"legalisir", 1},
		{"legalisr", 1},
		{"domisil", 2},

		{"0", -1},
		{"4", -1},
		{"99999999999999999999", -1},
		{"sktn", -1},  // 4 letters: too short for a typo
		{"surat", -1}, // part of two labels, equal to none
		{"surat keterangan", -1},
		{"", -1},
		{"   ", -1},
		{"?!", -1},
		{strings.Repeat("surat ", 1000), -1},
	}
	for _, tc := range cases {
		got, ok := MatchChoice(tc.in, serviceMenu(), vocab)
		if tc.want < 0 {
			if ok {
				t.Errorf("MatchChoice(%q) = %d, want no match", tc.in, got)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("MatchChoice(%q) = %d, %v; want %d", tc.in, got, ok, tc.want)
		}
	}
}

func TestMatchChoiceVillageTypo(t *testing.T) {
	villages := villageOptions(testVillages())
	got, ok := MatchChoice("sawangn", villages, Vocabulary{})
	if !ok || villages[got].Label != "Sawangan" {
		t.Fatalf("MatchChoice(sawangn) = %d, %v; want Sawangan", got, ok)
	}
}

func TestMatchChoiceAmbiguity(t *testing.T) {
	vocab := testVocab()
	// The same keyword on two choices: no guess.
	twoSame := []Choice{
		{Value: "a", Label: "Surat A", Keywords: []string{"surat"}},
		{Value: "b", Label: "Surat B", Keywords: []string{"surat"}},
	}
	if i, ok := MatchChoice("surat", twoSame, vocab); ok {
		t.Errorf("ambiguous exact match picked %d", i)
	}
	// Two choices one typo away: no guess.
	twoTypos := []Choice{{Value: "a", Label: "Besani"}, {Value: "b", Label: "Besana"}}
	if i, ok := MatchChoice("besanu", twoTypos, vocab); ok {
		t.Errorf("ambiguous typo match picked %d", i)
	}
	// An exact match wins over another choice one typo away.
	if i, ok := MatchChoice("besani", twoTypos, vocab); !ok || i != 0 {
		t.Errorf("exact match = %d, %v; want 0", i, ok)
	}
	// A choice matching by both label and keyword is still one choice.
	one := []Choice{{Value: "sktm", Label: "SKTM", Keywords: []string{"sktm"}}, {Value: "x", Label: "Lain"}}
	if i, ok := MatchChoice("sktm", one, vocab); !ok || i != 0 {
		t.Errorf("match by label and keyword = %d, %v; want 0", i, ok)
	}
	// Numbers beat words: "1" is the first choice even when a choice is called "1".
	numbered := []Choice{{Value: "x", Label: "Pertama"}, {Value: "1", Label: "1"}}
	if i, ok := MatchChoice("1", numbered, vocab); !ok || i != 0 {
		t.Errorf("number = %d, %v; want 0", i, ok)
	}
}

func TestMatchChoiceNoChoices(t *testing.T) {
	if _, ok := MatchChoice("1", nil, testVocab()); ok {
		t.Error("matched with no choices")
	}
}

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"  Surat-Keterangan,  TIDAK Mampu! ": "surat keterangan tidak mampu",
		"KTP-el":                             "ktp el",
		"\xffabc\xfe":                        "abc",
		"😀 ya 😀":                             "ya",
		"ꦧꦸꦢꦶ":                               "ꦧꦸꦢꦶ",
		"":                                   "",
	}
	for in, want := range cases {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithinOneEdit(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"sawangan", "sawangan", true},
		{"sawangn", "sawangan", true},
		{"sawangan", "sawangn", true},
		{"sawangab", "sawangan", true},
		{"xsawangan", "sawangan", true},
		{"sawangan", "sawangan!", true},
		{"sawgnan", "sawangan", false},
		{"sawan", "sawangan", false},
		{"abcde", "bcdea", false},
		{"", "a", true},
		{"", "ab", false},
	}
	for _, tc := range cases {
		if got := withinOneEdit([]rune(tc.a), []rune(tc.b)); got != tc.want {
			t.Errorf("withinOneEdit(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func FuzzMatchChoice(f *testing.F) {
	for _, seed := range []string{"sktm", "2", " 2. ", "kalih", "surat keterangn tidak mampu", "\xff", "", "😀"} {
		f.Add(seed)
	}
	choices := serviceMenu()
	vocab := testVocab()
	f.Fuzz(func(t *testing.T, in string) {
		i, ok := MatchChoice(in, choices, vocab)
		if ok && (i < 0 || i >= len(choices)) {
			t.Fatalf("MatchChoice(%q) = %d: outside the choices", in, i)
		}
		if !ok && i != 0 {
			t.Fatalf("MatchChoice(%q) = %d without a match", in, i)
		}
	})
}

// TestNormalizedChoiceAgreesWithNormalize: the kept forms are the computed
// ones, also once the cache is full.
func TestNormalizedChoiceAgreesWithNormalize(t *testing.T) {
	for i := range maxNormalized + 50 {
		text := fmt.Sprintf("LKS-261127-%04d | Surat Keterangan Tidak Mampu (SKTM)", i)
		for range 2 { // computed, then read back (or computed again once full)
			if got, want := normalizedChoice(text), normalize(text); got != want {
				t.Fatalf("normalizedChoice(%q) = %q, want %q", text, got, want)
			}
		}
	}
	if n := normalizedCount.Load(); n > maxNormalized {
		t.Errorf("%d texts kept, want at most %d", n, maxNormalized)
	}
}

// BenchmarkMatchChoice is one menu answer typed with a typo against the
// eight-item main menu, with the number words of three languages:
// go test ./services -run '^$' -bench MatchChoice
func BenchmarkMatchChoice(b *testing.B) {
	labels := []string{"Informasi layanan dan persyaratan", "Ajukan surat", "Pengaduan", "Aspirasi dan saran",
		"Permintaan informasi", "Cek status pengajuan", "KTP-el, KK, akta, izin dan layanan lain", "Alamat dan jam layanan kantor"}
	choices := make([]Choice, len(labels))
	for i, l := range labels {
		choices[i] = Choice{Value: fmt.Sprint("menu:", i+1), Label: l, Keywords: []string{"surat", "layanan " + fmt.Sprint(i)}}
	}
	vocab := testVocab()
	b.ReportAllocs()
	for b.Loop() {
		MatchChoice("pengadual", choices, vocab)
	}
}

// A space that slipped or went missing does not matter.
func TestMatchChoiceSlippedSpace(t *testing.T) {
	menu := []Choice{{Value: "info", Label: "Informasi layanan"}, {Value: "request", Label: "Ajukan surat"}}
	for _, in := range []string{"ajukans urat", "ajukansurat", "AJUKAN  SURAT", "ajukan s urat"} {
		if i, ok := MatchChoice(in, menu, testVocab()); !ok || menu[i].Value != "request" {
			t.Errorf("MatchChoice(%q) = %d, %v; want request", in, i, ok)
		}
	}
}

func TestFindChoice(t *testing.T) {
	vocab := testVocab()
	yesNo := []Choice{{Value: "ya", Label: "Ya", Keywords: vocab.Yes}, {Value: "tidak", Label: "Tidak", Keywords: vocab.No}}
	confidential := []Choice{{Value: "biasa", Label: "Biasa"}, {Value: "rahasia", Label: "Rahasia"}, {Value: "anonim", Label: "Anonim"}}
	fields := []Choice{{Value: "0", Label: "NIK", Keywords: []string{"nik"}}, {Value: "1", Label: "Nama lengkap", Keywords: []string{"nama"}},
		{Value: "2", Label: "Tanggal lahir"}, {Value: "6", Label: "Nomor HP"}, {Value: "7", Label: "Nomor KK"}}
	langs := []Choice{{Value: "id", Label: "Bahasa Indonesia"}, {Value: "en", Label: "English"}}
	villages := villageOptions(testVillages())
	for _, tc := range []struct {
		in      string
		choices []Choice
		want    string // "" for no match
	}{
		{"nggih sampun leres", yesNo, "ya"},
		{"iya betul", yesNo, "ya"},
		{"ya tapi tidak", yesNo, ""}, // names both
		{"biasa saja", confidential, "biasa"},
		{"yang rahasia aja", confidential, "rahasia"},
		{"desa sawangan", villages, "33.07.05.2001"},
		{"saya dari Desa Lipursari, RT 2", villages, "33.07.05.2002"},
		{"sawangan atau besani", villages, ""},
		{"tanggal", fields, "2"}, // a word of one label
		{"lahir", fields, "2"},
		{"hp", fields, "6"},
		{"nomor", fields, ""}, // two labels
		{"indonesia", langs, "id"},
		{"2001", villages, ""}, // digits are not words of a label
		{"", yesNo, ""},
		{strings.Repeat("ya ", 200), yesNo, ""}, // past the bound
	} {
		i, ok := FindChoice(tc.in, tc.choices)
		got := ""
		if ok {
			got = tc.choices[i].Value
		}
		if got != tc.want {
			t.Errorf("FindChoice(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFindKeyword(t *testing.T) {
	categories := []Choice{
		{Value: "jalan_jembatan", Label: "Jalan dan jembatan", Keywords: []string{"jalan rusak", "jembatan"}},
		{Value: "kebersihan", Label: "Kebersihan", Keywords: []string{"sampah"}},
		{Value: "lainnya", Label: "Lainnya"},
	}
	for in, want := range map[string]string{
		"lapor jalan rusak di sawangan": "jalan_jembatan",
		"sampah menumpuk":               "kebersihan",
		"jalan rusak penuh sampah":      "", // two
		"lainnya":                       "", // a label, not a keyword
		"jalan":                         "",
	} {
		i, ok := FindKeyword(in, categories)
		got := ""
		if ok {
			got = categories[i].Value
		}
		if got != want {
			t.Errorf("FindKeyword(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFindChoice(f *testing.F) {
	for _, seed := range []string{"nggih sampun leres", "biasa saja", "desa sawangan", "\xff", "", "a b c d"} {
		f.Add(seed)
	}
	choices := append(villageOptions(testVillages()), serviceMenu()...)
	f.Fuzz(func(t *testing.T, in string) {
		if i, ok := FindChoice(in, choices); ok && (i < 0 || i >= len(choices)) {
			t.Fatalf("FindChoice(%q) = %d: outside the choices", in, i)
		}
		if i, ok := FindKeyword(in, choices); ok && (i < 0 || i >= len(choices)) {
			t.Fatalf("FindKeyword(%q) = %d: outside the choices", in, i)
		}
	})
}
