package services

import (
	"strings"
	"testing"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/locales"
)

// shippedIntents indexes the shipped catalog with the shipped words, as
// the engine does at start-up.
func shippedIntents(t testing.TB) *Intents {
	t.Helper()
	c, err := LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string][]string{}
	for _, lang := range texts.Langs() {
		for _, s := range c.Services {
			names[s.Code] = append(names[s.Code], texts.T(lang, "service."+s.Code+".name", nil))
		}
		for _, r := range c.Redirects {
			names[r.Code] = append(names[r.Code], texts.T(lang, "redirect."+r.Code+".name", nil))
		}
	}
	x, err := NewIntents(c, IntentWords{
		Info: texts.Words("intent.info"), Request: texts.Words("intent.request"), Purpose: texts.Words("intent.purpose"),
		Expand: texts.WordGroups("abbreviations"), Greetings: texts.WordGroups("greetings"), Names: names,
	})
	if err != nil {
		t.Fatalf("the shipped vocabulary has clashes: %v", err)
	}
	return x
}

// Every sentence of issue #18, and its Javanese and typo variants.
func TestFindShippedSentences(t *testing.T) {
	x := shippedIntents(t)
	form := func(code string) Intent { return Intent{Kind: IntentForm, Code: code} }
	standard := func(code string) Intent { return Intent{Kind: IntentStandard, Code: code} }
	redirect := func(code string) Intent { return Intent{Kind: IntentRedirect, Code: code} }
	for in, want := range map[string]Intent{
		// A service named in a sentence opens it.
		"mau buat sktm":                    form("sktm"),
		"mo bikin sktm":                    form("sktm"),
		"badhe damel surat ora mampu":      form("sktm"),
		"surat domisili untuk usaha":       form("domisili"),
		"ngurus surat tidak mampu":         form("sktm"),
		"ngurus surat keterangn tdk mampu": form("sktm"), // a typo and an abbreviation
		"mau buat sktm untuk berobat":      form("sktm"), // berobat is its purpose
		"sktm buat berobat ke rumah sakit": form("sktm"),
		"mau ngurus skd":                   form("domisili"),
		"mau izin usaha":                   redirect("oss"), // the longer phrase
		// Asking about one shows its standard.
		"syarat sktm apa saja?":            standard("sktm"),
		"persyaratan surat domisili":       standard("domisili"),
		"biaya legalisir berapa":           standard("legalisasi"),
		"brp lama sktm jadi":               standard("sktm"),
		"gimana cara buat sktm":            standard("sktm"),
		"sktm":                             standard("sktm"),
		"Surat Keterangan Tidak Mampu":     standard("sktm"),
		"nyuwun pirsa syarate sktm pripun": standard("sktm"),
		// Redirects.
		"ktp saya hilang pak, gimana ngurusnya": redirect("ktp"),
		"akta kelahiran anak":                   redirect("akta"),
		"pbb":                                   redirect("pbb"),
		"mau bayar pajak tanah":                 redirect("pbb"),
		"bpjs":                                  redirect("puskesmas"),
		"daftar puskesmas":                      redirect("puskesmas"),
		"nikah di bawah umur":                   redirect("dispensasi_anak"),
		"dispensasi nikah anak di bawah 19":     redirect("dispensasi_anak"),
		// Complaints.
		"lapor":                   form("pengaduan"),
		"aduan":                   form("pengaduan"),
		"keluhan pelayanan":       form("pengaduan"),
		"jalan rusak di sawangan": form("pengaduan"),
		"dalan rusak":             form("pengaduan"),
		"mau kasih saran":         form("aspirasi"),
	} {
		got := x.Find(in)
		if got.Intent != want || got.Other.Kind != NoIntent {
			t.Errorf("Find(%q) = %+v, want %+v alone", in, got, want)
		}
	}
	for _, in := range []string{"", "halo", "/start", "2", "terima kasih", "Siti Aminah", "beasiswa sekolah anak",
		"Dusun Krajan RT 02 RW 01", "start", strings.Repeat("x", 5000)} {
		if got := x.Find(in); got.Intent.Kind != NoIntent {
			t.Errorf("Find(%q) = %+v, want nothing", in, got)
		}
	}
}

func TestFindTicketAnywhere(t *testing.T) {
	x := shippedIntents(t)
	for in, want := range map[string]string{
		"tiket saya LKS-261207-0002":     "LKS-261207-0002",
		"cek lks 261207 0002 ya":         "LKS-261207-0002",
		"LKS2612070002":                  "LKS-261207-0002",
		"status lks.261207.0002 gimana?": "LKS-261207-0002",
		"sktm saya LKS-261207-0002":      "LKS-261207-0002", // the ticket wins
		"LKS-261207-000123":              "LKS-261207-000123",
	} {
		got := x.Find(in)
		if got.Intent.Kind != IntentTicket || got.Intent.Ticket != want {
			t.Errorf("Find(%q) = %+v, want ticket %s", in, got, want)
		}
	}
	for _, in := range []string{"LKS-2612-0002", "ABC-261207-0002", "lks", "LKS-261207-1234567", "ktp 3307051708900001"} {
		if got := x.Find(in); got.Intent.Kind == IntentTicket {
			t.Errorf("Find(%q) = ticket %s, want none", in, got.Intent.Ticket)
		}
	}
}

func TestFindTies(t *testing.T) {
	x := shippedIntents(t)
	got := x.Find("sktm atau domisili?")
	if got.Intent != (Intent{Kind: IntentForm, Code: "sktm"}) || got.Other != (Intent{Kind: IntentForm, Code: "domisili"}) {
		t.Errorf("Find(sktm atau domisili) = %+v, want both, sktm first", got)
	}
	got = x.Find("ktp atau kk")
	if got.Intent != (Intent{Kind: IntentRedirect, Code: "ktp"}) || got.Other != (Intent{Kind: IntentRedirect, Code: "kk"}) {
		t.Errorf("Find(ktp atau kk) = %+v, want ktp then kk", got)
	}
	// The longer phrase is not a tie: "kk hilang" says more than "ktp".
	got = x.Find("ktp sama kk hilang")
	if got.Intent != (Intent{Kind: IntentRedirect, Code: "kk"}) || got.Other.Kind != NoIntent {
		t.Errorf("Find(ktp sama kk hilang) = %+v, want kk alone", got)
	}
}

func TestGreeting(t *testing.T) {
	x := shippedIntents(t)
	for in, want := range map[string][2]string{
		"assalamualaikum":                {"salam", ""},
		"Assalamu'alaikum wr. wb.":       {"salam", ""},
		"asalamualaikum":                 {"salam", ""}, // one typo
		"Assalamualaikum, mau buat sktm": {"salam", "mau buat sktm"},
		"selamat pagi":                   {"pagi", ""},
		"Selamat pagi pak, syarat sktm?": {"pagi", "pak syarat sktm"},
		"punten":                         {"permisi", ""},
		"permisi":                        {"permisi", ""},
		"halo min":                       {"halo", ""},
		"halo":                           {"halo", ""},
		"sugeng enjing":                  {"pagi", ""},
		"good morning":                   {"pagi", ""},
		"mau buat sktm":                  {"", ""},
		"2":                              {"", ""},
		"":                               {"", ""},
	} {
		kind, rest := x.Greeting(in)
		if kind != want[0] || rest != want[1] {
			t.Errorf("Greeting(%q) = %q, %q; want %q, %q", in, kind, rest, want[0], want[1])
		}
	}
}

// A phrase that leads two places is reported, naming both.
func TestNewIntentsReportsClashes(t *testing.T) {
	c := &Catalog{Office: Office{TicketPrefix: "LKS"},
		Services:  []Service{{Code: "sktm", Kind: KindRequest, Keywords: []string{"sktm"}}},
		Redirects: []Redirect{{Code: "ktp", Keywords: []string{"ktp"}}}}
	_, err := NewIntents(c, IntentWords{Info: []string{"syarat"}, Request: []string{"SKTM"},
		Names: map[string][]string{"sktm": {"KTP"}}, Greetings: map[string][]string{"a": {"halo"}, "b": {"Halo!"}}})
	if err == nil {
		t.Fatal("no clash reported")
	}
	for _, want := range []string{`"ktp" leads to both service "sktm" and redirect "ktp"`,
		`"SKTM" leads to both service "sktm" and words.intent.request`, `greeting "Halo!" is both words.greetings.a and words.greetings.b`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// FuzzIntent feeds any text to the matcher: it never panics, and what it
// finds is in the catalog.
//
//	go test ./services -run '^$' -fuzz FuzzIntent -fuzztime 5m
func FuzzIntent(f *testing.F) {
	for _, seed := range []string{"mau buat sktm", "ktp saya hilang pak, gimana ngurusnya", "syarat sktm apa saja?",
		"tiket saya LKS-261207-0002", "assalamualaikum", "ajukans urat", "lks2612070002", "\xff\xfe", "😀 sktm",
		"ꦱꦸꦫꦠ꧀", strings.Repeat("sktm ", 200), "lks 1 2 3", "a b", "nik saya 3307055708900003"} {
		f.Add(seed)
	}
	x := shippedIntents(f)
	c, err := LoadCatalog(configs.FS)
	if err != nil {
		f.Fatal(err)
	}
	known := func(code string) bool {
		_, s := c.Service(code)
		_, r := c.Redirect(code)
		return s || r
	}
	f.Fuzz(func(t *testing.T, in string) {
		u := x.Find(in)
		for _, it := range []Intent{u.Intent, u.Other} {
			switch it.Kind {
			case NoIntent:
			case IntentTicket:
				if _, ok := NormalizeTicket(it.Ticket); !ok {
					t.Fatalf("Find(%q) gave ticket %q, which is no ticket", in, it.Ticket)
				}
			default:
				if !known(it.Code) {
					t.Fatalf("Find(%q) gave %+v, not in the catalog", in, it)
				}
			}
		}
		if u.Intent.Kind == NoIntent && u.Other.Kind != NoIntent {
			t.Fatalf("Find(%q) = %+v: a tie without a first", in, u)
		}
		x.Greeting(in)
	})
}

// BenchmarkIntent is the intent matcher on sentences a villager types,
// against the shipped catalog and words:
//
//	go test ./services -run '^$' -bench Intent -benchmem
func BenchmarkIntent(b *testing.B) {
	x := shippedIntents(b)
	for name, in := range map[string]string{
		"service":  "mau buat sktm",
		"redirect": "ktp saya hilang pak, gimana ngurusnya",
		"typo":     "ngurus surat keterangn tdk mampu",
		"ticket":   "tiket saya LKS-261207-0002",
		"nothing":  "/start",
		"greeting": "assalamualaikum",
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				x.Find(in)
				x.Greeting(in)
			}
		})
	}
}
