package services

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leksono/sapa/configs"
)

func TestLoadRealCatalog(t *testing.T) {
	cat, err := LoadCatalog(configs.FS)
	if err != nil {
		t.Fatalf("the shipped configuration does not load:\n%v", err)
	}
	o := cat.Office
	if o.Name != "Leksono" || o.Regency != "Wonosobo" || o.RegionCode != "33.07.05" || o.TicketPrefix != "LKS" {
		t.Errorf("office = %+v", o)
	}
	if o.Location == nil || o.Location.String() != "Asia/Jakarta" {
		t.Errorf("location = %v", o.Location)
	}
	if o.Hours != (OfficeHours{Open: "07:30", Close: "16:00"}) {
		t.Errorf("hours = %+v", o.Hours)
	}
	if o.DraftTTL != 24*time.Hour || o.ResumeAfter != 30*time.Minute || o.MaxRetries != 3 {
		t.Errorf("conversation settings = %v %v %d", o.DraftTTL, o.ResumeAfter, o.MaxRetries)
	}
	if !slices.Contains(o.Holidays, "2026-12-25") || !slices.Contains(o.Holidays, "2026-08-17") {
		t.Errorf("holidays = %v", o.Holidays)
	}
	if want := []string{"pelayanan_umum", "pemerintahan", "kesejahteraan_sosial"}; !slices.Equal(o.Units, want) {
		t.Errorf("units = %v, want %v", o.Units, want)
	}
	if o.Address == "" || o.Phone == "" {
		t.Errorf("address and phone placeholders are missing")
	}

	if len(cat.Villages) != 14 {
		t.Errorf("%d villages, want 14", len(cat.Villages))
	}
	if v, ok := cat.Village("33.07.05.1006"); !ok || v.Name != "Leksono" || v.Kind != "kelurahan" {
		t.Errorf("village 33.07.05.1006 = %+v, %v", v, ok)
	}
	if v, ok := cat.Village("33.07.05.2014"); !ok || v.Name != "Manggis" || v.Kind != "desa" {
		t.Errorf("village 33.07.05.2014 = %+v, %v", v, ok)
	}

	for _, s := range cat.Services {
		// The six letters of the kecamatan, each with its template.
		if want := s.Kind == KindRequest; s.Letter != want {
			t.Errorf("service %s: letter = %v, want %v", s.Code, s.Letter, want)
		}
	}

	wantForms := map[string][]string{
		"sktm":                {"nik", "nama", "tanggal_lahir", "desa", "alamat", "keperluan", "telepon", "pengantar_desa", "foto_ktp", "foto_kk"},
		"legalisasi":          {"nik", "nama", "desa", "jenis_surat", "telepon", "surat_asli"},
		"dispensasi_nikah":    {"nik", "nama", "desa", "nama_pasangan", "tanggal_akad", "telepon", "pengantar_nikah", "foto_ktp", "foto_kk"},
		"izin_keramaian":      {"nik", "nama", "desa", "jenis_acara", "tanggal_acara", "tempat_acara", "jumlah_tamu", "telepon", "pengantar_desa", "foto_ktp"},
		"tanggungan_keluarga": {"nik", "kk", "nama", "desa", "keperluan", "telepon", "foto_ktp", "foto_kk", "buku_nikah"},
		"domisili":            {"nik", "nama", "desa", "alamat", "jenis", "keperluan", "telepon", "pengantar_desa", "foto_ktp", "foto_kk"},
	}
	complaintForm := []string{"kategori", "desa", "uraian", "foto", "lokasi", "kerahasiaan", "nama"}
	for _, code := range []string{"pengaduan", "aspirasi", "informasi"} {
		s, ok := cat.Service(code)
		if !ok || s.Kind != KindComplaint || s.Days != 5 {
			t.Errorf("complaint service %s = %+v", code, s)
			continue
		}
		var names []string
		for _, f := range s.Form {
			names = append(names, f.Name)
		}
		if !slices.Equal(names, complaintForm) {
			t.Errorf("%s form = %v, want %v", code, names, complaintForm)
		}
		if nama := s.Form[6]; !nama.Skipped(map[string]string{"kerahasiaan": "anonim"}) || nama.Skipped(map[string]string{"kerahasiaan": "rahasia"}) {
			t.Errorf("%s: the name must be skipped for anonymous complaints only", code)
		}
	}
	if len(cat.Services) != len(wantForms)+3 {
		t.Errorf("%d services, want %d", len(cat.Services), len(wantForms))
	}
	for code, fields := range wantForms {
		s, ok := cat.Service(code)
		if !ok {
			t.Errorf("service %s missing", code)
			continue
		}
		if s.Kind != KindRequest || s.Days != 1 || !slices.Contains(o.Units, s.Unit) || len(s.Keywords) == 0 {
			t.Errorf("service %s = days %d, unit %q, keywords %v", code, s.Days, s.Unit, s.Keywords)
		}
		var names []string
		for _, f := range s.Form {
			names = append(names, f.Name)
		}
		if !slices.Equal(names, fields) {
			t.Errorf("service %s fields = %v, want %v", code, names, fields)
		}
	}

	sktm, _ := cat.Service("sktm")
	if sktm.Unit != "kesejahteraan_sosial" {
		t.Errorf("sktm unit = %s", sktm.Unit)
	}
	checkField := func(s Service, name string, want Field) {
		t.Helper()
		for _, f := range s.Form {
			if f.Name == name {
				if f.Type != want.Type || f.Min != want.Min || f.Max != want.Max || f.NotFuture != want.NotFuture || f.NotPast != want.NotPast {
					t.Errorf("%s.%s = %+v, want %+v", s.Code, name, f, want)
				}
				return
			}
		}
		t.Errorf("%s has no field %s", s.Code, name)
	}
	checkField(sktm, "nik", Field{Type: FieldNIK})
	checkField(sktm, "nama", Field{Type: FieldText, Min: 3, Max: 100})
	checkField(sktm, "tanggal_lahir", Field{Type: FieldDate, NotFuture: true})
	checkField(sktm, "desa", Field{Type: FieldVillage})
	checkField(sktm, "alamat", Field{Type: FieldText, Min: 5, Max: 200})
	checkField(sktm, "telepon", Field{Type: FieldPhone})
	nikah, _ := cat.Service("dispensasi_nikah")
	checkField(nikah, "tanggal_akad", Field{Type: FieldDate, NotPast: true})
	tanggungan, _ := cat.Service("tanggungan_keluarga")
	checkField(tanggungan, "kk", Field{Type: FieldKK})

	keramaian, _ := cat.Service("izin_keramaian")
	tamu := keramaian.Form[6]
	if tamu.Type != FieldChoice || len(tamu.Choices) != 3 || tamu.Choices[0].Value != "lt100" ||
		tamu.Choices[1].Value != "100to500" || tamu.Choices[2].LabelKey != "field.jumlah_tamu.gt500" {
		t.Errorf("jumlah_tamu = %+v", tamu)
	}
	domisili, _ := cat.Service("domisili")
	jenis := domisili.Form[4]
	if jenis.Type != FieldChoice || len(jenis.Choices) != 2 || jenis.Choices[0].Value != "tinggal" || jenis.Choices[1].LabelKey != "field.jenis.usaha" {
		t.Errorf("jenis = %+v", jenis)
	}

	var redirects []string
	for _, r := range cat.Redirects {
		redirects = append(redirects, r.Code)
		if len(r.Keywords) == 0 {
			t.Errorf("redirect %s has no keywords", r.Code)
		}
	}
	if want := []string{"ktp", "kk", "pindah", "akta", "pbg", "oss", "dispensasi_anak", "pbb", "puskesmas"}; !slices.Equal(redirects, want) {
		t.Errorf("redirects = %v, want %v", redirects, want)
	}
	if r, _ := cat.Redirect("kk"); !slices.Contains(r.Keywords, "kk") {
		t.Errorf("redirect kk keywords = %v, want kk among them", r.Keywords)
	}

	// Parsing with the real villages: a typo in a real name still finds it.
	env := testEnv()
	env.Villages = cat.Villages
	desa := sktm.Form[3]
	if v, p := desa.Parse("jonggolsar", env); p != nil || v != "33.07.05.2009" {
		t.Errorf("desa jonggolsar = %q, %v", v, p)
	}
}

// realKeys is what Catalog.Keys returns for the shipped configuration: the
// locale files must have a text for each.
var realKeys = []string{
	"service.sktm.name", "service.sktm.procedure", "service.sktm.time", "service.sktm.cost",
	"service.sktm.product", "service.sktm.complaint", "field.nik.prompt", "field.nik.label",
	"field.nama.prompt", "field.nama.label", "field.tanggal_lahir.prompt", "field.tanggal_lahir.label",
	"field.desa.prompt", "field.desa.label", "field.alamat.prompt", "field.alamat.label",
	"field.keperluan.prompt", "field.keperluan.label", "field.telepon.prompt", "field.telepon.label",
	"field.pengantar_desa.label", "field.foto_ktp.label", "field.foto_kk.label", "service.legalisasi.name",
	"service.legalisasi.procedure", "service.legalisasi.time", "service.legalisasi.cost",
	"service.legalisasi.product", "service.legalisasi.complaint", "field.fotokopi_surat.label",
	"field.jenis_surat.prompt", "field.jenis_surat.label", "field.surat_asli.label",
	"service.dispensasi_nikah.name", "service.dispensasi_nikah.procedure", "service.dispensasi_nikah.time",
	"service.dispensasi_nikah.cost", "service.dispensasi_nikah.product", "service.dispensasi_nikah.complaint",
	"field.nama_pasangan.prompt", "field.nama_pasangan.label", "field.tanggal_akad.prompt",
	"field.tanggal_akad.label", "field.pengantar_nikah.label", "service.izin_keramaian.name",
	"service.izin_keramaian.procedure", "service.izin_keramaian.time", "service.izin_keramaian.cost",
	"service.izin_keramaian.product", "service.izin_keramaian.complaint", "field.jenis_acara.prompt",
	"field.jenis_acara.label", "field.tanggal_acara.prompt", "field.tanggal_acara.label",
	"field.tempat_acara.prompt", "field.tempat_acara.label", "field.jumlah_tamu.prompt",
	"field.jumlah_tamu.label", "field.jumlah_tamu.lt100", "field.jumlah_tamu.100to500",
	"field.jumlah_tamu.gt500", "service.tanggungan_keluarga.name", "service.tanggungan_keluarga.procedure",
	"service.tanggungan_keluarga.time", "service.tanggungan_keluarga.cost",
	"service.tanggungan_keluarga.product", "service.tanggungan_keluarga.complaint", "field.kk.prompt",
	"field.kk.label", "field.buku_nikah.label", "service.domisili.name", "service.domisili.procedure",
	"service.domisili.time", "service.domisili.cost", "service.domisili.product", "service.domisili.complaint",
	"field.jenis.prompt", "field.jenis.label", "field.jenis.tinggal", "field.jenis.usaha",
	"service.pengaduan.name", "service.pengaduan.intro", "field.kategori.prompt", "field.kategori.label",
	"complaint.category.jalan_jembatan", "complaint.category.air_bersih", "complaint.category.kebersihan",
	"complaint.category.pelayanan_kantor", "complaint.category.bantuan_sosial", "complaint.category.trantib",
	"complaint.category.kesehatan", "complaint.category.pendidikan", "complaint.category.lainnya",
	"field.desa.prompt_complaint", "field.uraian.prompt", "field.uraian.label", "field.foto.prompt",
	"field.foto.label", "field.lokasi.prompt", "field.lokasi.label", "field.kerahasiaan.prompt",
	"field.kerahasiaan.label", "field.kerahasiaan.biasa", "field.kerahasiaan.rahasia",
	"field.kerahasiaan.anonim", "service.aspirasi.name", "service.aspirasi.intro", "service.informasi.name",
	"service.informasi.intro", "redirect.ktp.name", "redirect.ktp.text", "redirect.kk.name", "redirect.kk.text",
	"redirect.pindah.name", "redirect.pindah.text", "redirect.akta.name", "redirect.akta.text",
	"redirect.pbg.name", "redirect.pbg.text", "redirect.oss.name", "redirect.oss.text",
	"redirect.dispensasi_anak.name", "redirect.dispensasi_anak.text", "redirect.pbb.name", "redirect.pbb.text",
	"redirect.puskesmas.name", "redirect.puskesmas.text", "referral.lapor_bupati.name",
	"referral.lapor_bupati.text", "referral.sp4n_lapor.name", "referral.sp4n_lapor.text", "referral.dpupr.name",
	"referral.dpupr.text", "referral.pdam.name", "referral.pdam.text", "referral.dinsos.name",
	"referral.dinsos.text", "unit.pelayanan_umum", "unit.pemerintahan", "unit.kesejahteraan_sosial",
}

func TestRealCatalogKeys(t *testing.T) {
	cat, err := LoadCatalog(configs.FS)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if got := cat.Keys(); !slices.Equal(got, realKeys) {
		t.Errorf("Keys() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(realKeys, "\n"))
	}
}

func TestCheckKeys(t *testing.T) {
	cat, err := LoadCatalog(configs.FS)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	all := func(string) bool { return true }
	if err := cat.CheckKeys(all); err != nil {
		t.Errorf("CheckKeys with every key = %v", err)
	}
	missing := map[string]bool{"field.kk.prompt": true, "service.domisili.cost": true, "field.jenis.usaha": true,
		"redirect.pbb.text": true, "unit.pemerintahan": true, "field.nik.label": true}
	err = cat.CheckKeys(func(k string) bool { return !missing[k] })
	if err == nil {
		t.Fatal("CheckKeys found nothing missing")
	}
	msg := err.Error()
	for _, want := range []string{
		`service "tanggungan_keluarga", field "kk": missing locale key "field.kk.prompt"`,
		`service "domisili": missing locale key "service.domisili.cost"`,
		`service "domisili", field "jenis": missing locale key "field.jenis.usaha"`,
		`redirect "pbb": missing locale key "redirect.pbb.text"`,
		`unit "pemerintahan": missing locale key "unit.pemerintahan"`,
		`service "sktm", field "nik": missing locale key "field.nik.label"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("CheckKeys error lacks %q:\n%s", want, msg)
		}
	}
	// A key shared by several services is reported once.
	if n := strings.Count(msg, `"field.nik.label"`); n != 1 {
		t.Errorf("field.nik.label reported %d times:\n%s", n, msg)
	}
}

func TestKeysOfYesNoField(t *testing.T) {
	cat := &Catalog{Services: []Service{{Code: "x", Form: []Field{
		{Name: "setuju", Type: FieldYesNo, Prompt: "custom.prompt"},
	}}}}
	keys := cat.Keys()
	for _, want := range []string{"custom.prompt", "field.setuju.label", "field.yes", "field.no"} {
		if !slices.Contains(keys, want) {
			t.Errorf("Keys() = %v, lacks %s", keys, want)
		}
	}
	if slices.Contains(keys, "field.setuju.prompt") {
		t.Errorf("Keys() = %v lists the default prompt although a custom one is set", keys)
	}
}

const goodKecamatan = `name: Test
regency: Wonosobo
region_code: "33.07.05"
ticket_prefix: TST
timezone: Asia/Jakarta
address: "Jl. Contoh"
phone: "0286"
office_hours: {open: "07:30", close: "16:00"}
holidays: ["2026-01-01"]
units: [umum, sosial]
conversation: {draft_ttl: 24h, resume_after: 30m, max_retries: 3}
villages:
  - {code: "33.07.05.2001", name: Sawangan, kind: desa}
  - {code: "33.07.05.1006", name: Leksono, kind: kelurahan}
reminders: {at: "07:30", escalate_after_days: 2}
`

const goodServices = `services:
  - code: sktm
    unit: sosial
    days: 1
    keywords: [sktm]
    form:
      - {name: nik, type: nik}
      - {name: nama, type: text, min: 3, max: 100}
      - name: jumlah
        type: choice
        choices:
          - {value: a, label_key: field.jumlah.a}
          - {value: b, label: B}
      - {name: desa, type: village}
redirects:
  - code: ktp
    keywords: [ktp]
`

func loadSnippets(kecamatan, services string) (*Catalog, error) {
	return LoadCatalog(fstest.MapFS{
		"kecamatan.yaml": &fstest.MapFile{Data: []byte(kecamatan)},
		"services.yaml":  &fstest.MapFile{Data: []byte(services)},
	})
}

func TestLoadGoodSnippets(t *testing.T) {
	cat, err := loadSnippets(goodKecamatan, goodServices)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	s, ok := cat.Service("sktm")
	if !ok || len(s.Form) != 4 || s.Form[2].Choices[1].Label != "B" || s.Form[1].Max != 100 {
		t.Fatalf("sktm = %+v", s)
	}
}

// Synonyms lead one place each, as keywords do; reuse names fields of a
// request form; title_case is for text.
func TestLoadSynonymsAndReuse(t *testing.T) {
	services := strings.NewReplacer(
		"    keywords: [sktm]\n", "    keywords: [sktm]\n    synonyms: [surat miskin, ktp hilang]\n",
		"      - {name: nama, type: text, min: 3, max: 100}", "      - {name: nama, type: text, min: 3, max: 100, title_case: true}\n      - {name: tgl, type: date, title_case: true}",
		"    keywords: [ktp]\n", "    keywords: [ktp]\n    synonyms: [KTP Hilang, e ktp]\n",
	).Replace(goodServices) + "reuse: [nik, nama, telepon, nik]\n"
	_, err := loadSnippets(goodKecamatan, services)
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{
		`redirect "ktp": keyword "KTP Hilang" is also a keyword of service "sktm"`,
		`service "sktm", field "tgl": "title_case" applies only to text fields`,
		`reuse: "telepon" is not a field of any request form`,
		`reuse: "nik" is listed twice`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks\n  %s\nin:\n%v", want, err)
		}
	}
	good := strings.Replace(goodServices, "    keywords: [sktm]\n", "    keywords: [sktm]\n    synonyms: [surat miskin]\n", 1) + "reuse: [nik, nama]\n"
	cat, err := loadSnippets(goodKecamatan, good)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := cat.Service("sktm"); len(s.Synonyms) != 1 || len(cat.Reuse) != 2 {
		t.Errorf("synonyms %v, reuse %v", s.Synonyms, cat.Reuse)
	}
}

func TestLoadLetterKey(t *testing.T) {
	cat, err := loadSnippets(goodKecamatan, strings.Replace(goodServices, "    keywords: [sktm]\n", "    keywords: [sktm]\n    letter: true\n", 1))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if s, _ := cat.Service("sktm"); !s.Letter || s.LetterLine != 6 {
		t.Errorf("sktm letter = %v at line %d, want true at 6", s.Letter, s.LetterLine)
	}
	complaint := strings.Replace(goodServices, "    keywords: [sktm]\n", "    kind: complaint\n    letter: true\n", 1)
	_, err = loadSnippets(goodKecamatan, complaint)
	if want := `services.yaml:6: service "sktm": a complaint produces no letter`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestLoadAliases(t *testing.T) {
	services := strings.NewReplacer(
		"      - {name: nik, type: nik}", "      - &nik {name: nik, type: nik}",
		"      - {name: nama, type: text, min: 3, max: 100}", "      - &nama {name: nama, type: text, min: 3, max: 100}",
		"      - {name: desa, type: village}", "      - &desa {name: desa, type: village}",
	).Replace(goodServices)
	services += `  - code: kk
    keywords: [kk]
`
	services = strings.Replace(services, "redirects:", `  - code: lain
    unit: umum
    days: 2
    form: [*nik, *nama, *desa]
redirects:`, 1)
	cat, err := loadSnippets(goodKecamatan, services)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if s, _ := cat.Service("lain"); len(s.Form) != 3 || s.Form[0].Type != FieldNIK || s.Form[2].Type != FieldVillage {
		t.Fatalf("aliased field = %+v", s.Form)
	}
}

func TestLoadReportsEveryProblemWithFileAndLine(t *testing.T) {
	kecamatan := strings.NewReplacer(
		`name: Test`, `name: ""`,
		`ticket_prefix: TST`, `ticket_prefix: tst1`,
		`timezone: Asia/Jakarta`, `timezone: Asia/Jakata`,
		`close: "16:00"`, `close: "25:00"`,
		`["2026-01-01"]`, `["2026-02-30"]`,
		`draft_ttl: 24h`, `draft_ttl: 24 jam`,
		`max_retries: 3`, `max_retries: 0`,
		`{code: "33.07.05.2001", name: Sawangan, kind: desa}`, `{code: "33.07.06.2001", name: Sawangan, kind: dusun}`,
		`{code: "33.07.05.1006", name: Leksono, kind: kelurahan}`, `{code: "3307051006", name: sawangan, kind: kelurahan}`,
	).Replace(goodKecamatan)
	services := `services:
  - code: sktm
    unit: sosial
    days: 0
    form:
      - {name: nik, type: nikk}
      - {name: nama, type: text, min: 10, max: 5}
      - {name: nama, type: text}
      - {name: jumlah, type: choice}
      - {name: tgl, type: date, min: 3, not_future: maybe}
      - {name: pilih, type: choice, choises: []}
  - code: sktm
    unit: keuangan
    days: satu
    keywords: [ktp]
    form: []
  - unit: sosial
    days: 1
    form: [{name: x, type: text}]
redirects:
  - code: ktp
    keywords: [ktp]
  - code: ktp
    keywords: [e-ktp]
`
	_, err := loadSnippets(kecamatan, services)
	if err == nil {
		t.Fatal("broken configuration loaded")
	}
	msg := err.Error()
	for _, want := range []string{
		`kecamatan.yaml:1: "name" must not be empty`,
		`kecamatan.yaml:4: ticket_prefix "tst1" must be 2 to 5 capital letters A-Z`,
		`kecamatan.yaml:5: unknown timezone "Asia/Jakata"`,
		`kecamatan.yaml:8: office_hours: close "25:00" must be a time written HH:MM`,
		`kecamatan.yaml:9: holidays: "2026-02-30" is not a date written YYYY-MM-DD`,
		`kecamatan.yaml:11: conversation: "draft_ttl" must be a positive duration like 24h or 30m, not "24 jam"`,
		`kecamatan.yaml:11: conversation: max_retries must be at least 1, not 0`,
		`kecamatan.yaml:13: village "33.07.06.2001": code must start with region_code "33.07.05"`,
		`kecamatan.yaml:13: village "33.07.06.2001": unknown kind "dusun" (use one of: desa, kelurahan)`,
		`kecamatan.yaml:14: village "3307051006": code must look like "33.07.05.2001"`,
		`kecamatan.yaml:14: village "3307051006": duplicate village name "sawangan"`,
		`services.yaml:4: service "sktm": days must be at least 1, not 0`,
		`services.yaml:6: service "sktm", field "nik": unknown type "nikk" (use one of: nik, kk, text, choice, village, date, phone, yesno, photos, location, document)`,
		`services.yaml:7: service "sktm", field "nama": min 10 is greater than max 5`,
		`services.yaml:8: service "sktm": duplicate field "nama"`,
		`services.yaml:9: service "sktm", field "jumlah": missing "choices"`,
		`services.yaml:10: service "sktm", field "tgl": "min" applies only to text fields`,
		`services.yaml:10: service "sktm", field "tgl": "not_future" must be true or false, not "maybe"`,
		`services.yaml:11: service "sktm", field "pilih": unknown key "choises" (use one of: name, type, min, max, choices, not_future, not_past, prompt, label, optional, max_files, skip_if, title_case, min_files, original, keywords)`,
		`services.yaml:12: service "sktm": duplicate service code`,
		`services.yaml:13: service "sktm": unknown unit "keuangan" (kecamatan.yaml lists: umum, sosial)`,
		`services.yaml:14: service "sktm": "days" must be a whole number, not "satu"`,
		`services.yaml:16: service "sktm": "form" must not be empty`,
		`services.yaml:17: service #3: missing "code"`,
		`services.yaml:23: redirect "ktp": duplicate redirect code`,
		`services.yaml:22: redirect "ktp": keyword "ktp" is also a keyword of service "sktm"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks\n  %s\nin:\n%s", want, msg)
		}
	}
	// errors.Join keeps each problem as its own error.
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) < 20 {
		t.Errorf("problems are not reported one by one: %v", err)
	}
}

func TestLoadStructuralProblems(t *testing.T) {
	cases := []struct {
		name                string
		kecamatan, services string
		want                string
	}{
		{"yaml syntax", goodKecamatan, "services: [\n  - code: x\n", "parse services.yaml: yaml: line"},
		{"empty file", "", goodServices, "kecamatan.yaml:1: empty file"},
		{"not a mapping", "- a\n- b\n", goodServices, "kecamatan.yaml:1: expected a mapping"},
		{"missing key", strings.Replace(goodKecamatan, "regency: Wonosobo\n", "", 1), goodServices,
			`kecamatan.yaml:1: missing "regency"`},
		{"unknown key", goodKecamatan + "regencies: x\n", goodServices,
			`kecamatan.yaml:16: unknown key "regencies"`},
		{"duplicate key", goodKecamatan + "name: Lagi\n", goodServices, `kecamatan.yaml:16: duplicate key "name"`},
		{"open after close", strings.Replace(goodKecamatan, `open: "07:30"`, `open: "17:30"`, 1), goodServices,
			`kecamatan.yaml:8: office_hours: open 17:30 must be before close 16:00`},
		{"region code", strings.Replace(goodKecamatan, `"33.07.05"`, `"33.7.5"`, 1), goodServices,
			`kecamatan.yaml:3: region_code "33.7.5" must look like "33.07.05"`},
		{"duplicate village", strings.Replace(goodKecamatan, `"33.07.05.1006"`, `"33.07.05.2001"`, 1), goodServices,
			`kecamatan.yaml:14: village "33.07.05.2001": duplicate village code`},
		{"duplicate unit", strings.Replace(goodKecamatan, "[umum, sosial]", "[umum, umum, sosial]", 1), goodServices,
			`kecamatan.yaml:10: units: duplicate unit "umum"`},
		{"choices on text", goodKecamatan, strings.Replace(goodServices, "{name: nik, type: nik}",
			"{name: nik, type: text, choices: [{value: a, label: A}]}", 1),
			`services.yaml:7: service "sktm", field "nik": "choices" applies only to choice fields`},
		{"choice without label", goodKecamatan, strings.Replace(goodServices, "{value: b, label: B}", "{value: b}", 1),
			`services.yaml:13: service "sktm", field "jumlah", choice #2: needs label_key (a locale key) or label`},
		{"duplicate choice value", goodKecamatan, strings.Replace(goodServices, "{value: b, label: B}", "{value: a, label: B}", 1),
			`services.yaml:13: service "sktm", field "jumlah", choice #2: duplicate choice value "a"`},
		{"reserved field name", goodKecamatan, strings.Replace(goodServices, "{name: nik, type: nik}", "{name: error, type: nik}", 1),
			`services.yaml:7: service "sktm", field "error": name "error" is reserved`},
		{"bad code", goodKecamatan, strings.Replace(goodServices, "code: sktm", "code: SKTM-1", 1),
			`services.yaml:2: service "SKTM-1": code must be lower-case letters, digits and _`},
		{"redirect code shared with service", goodKecamatan, strings.Replace(goodServices, "code: ktp", "code: sktm", 1),
			`services.yaml:16: redirect "sktm": code is also a service code`},
		{"keywords not a list", goodKecamatan, strings.Replace(goodServices, "keywords: [sktm]", "keywords: sktm", 1),
			`services.yaml:5: service "sktm": "keywords" must be a list`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadSnippets(tc.kecamatan, tc.services)
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error lacks %q:\n%v", tc.want, err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := LoadCatalog(fstest.MapFS{"kecamatan.yaml": &fstest.MapFile{Data: []byte(goodKecamatan)}})
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "read services.yaml") {
		t.Fatalf("err = %v, want a not-exist error naming services.yaml", err)
	}
}

func FuzzLoadServices(f *testing.F) {
	f.Add(goodServices)
	f.Add("services: [{code: a, unit: umum, days: 1, form: [{name: x, type: choice, choices: [a, {value: *x}]}]}]")
	f.Add("services: &s [*s]")
	f.Add("- [a\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, services string) {
		cat, err := loadSnippets(goodKecamatan, services)
		if (cat == nil) == (err == nil) {
			t.Fatalf("LoadCatalog returned catalog %v and error %v", cat != nil, err)
		}
		if err == nil {
			// A loaded catalog is usable: its keys can be listed.
			_ = cat.Keys()
		}
	})
}

// TestLoadSurveySettings: the published weighting defaults to the
// regulation's 0.11; a wrong one is reported with its line.
func TestLoadSurveySettings(t *testing.T) {
	cat, err := loadSnippets(goodKecamatan, goodServices)
	if err != nil {
		t.Fatal(err)
	}
	if cat.Office.IKMWeighting != WeightingRegulation || cat.Office.YearlyUsers != 0 {
		t.Errorf("without survey: %q %d, want 0.11 and 0", cat.Office.IKMWeighting, cat.Office.YearlyUsers)
	}
	cat, err = loadSnippets(goodKecamatan+"survey: {published_weight: 1/9, yearly_users: 1200}\n", goodServices)
	if err != nil {
		t.Fatal(err)
	}
	if cat.Office.IKMWeighting != WeightingExact || cat.Office.YearlyUsers != 1200 {
		t.Errorf("1/9 and 1200: got %q %d", cat.Office.IKMWeighting, cat.Office.YearlyUsers)
	}
	cat, err = loadSnippets(goodKecamatan+"survey:\n  published_weight: 0.11\n", goodServices)
	if err != nil || cat.Office.IKMWeighting != WeightingRegulation {
		t.Errorf("unquoted 0.11: %v, %v", err, cat)
	}
	_, err = loadSnippets(goodKecamatan+"survey:\n  published_weight: 0.1\n  yearly_users: -3\n", goodServices)
	for _, want := range []string{
		`kecamatan.yaml:17: survey: published_weight "0.1" must be "0.11" (the regulation's printed weight) or "1/9" (exact)`,
		`kecamatan.yaml:18: survey: yearly_users must be 0 (count the cases) or more, not -3`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %s", err, want)
		}
	}
}

// A form that lacks a field the bot reads by name, or has it with another
// type or unknown values, is refused with the line to fix.
func TestLoadRequiredFields(t *testing.T) {
	complaint := `services:
  - code: aduan
    kind: complaint
    unit: umum
    days: 5
    form:
      - name: kategori
        type: choice
        choices: [{value: jalan, label: Jalan}]
      - {name: desa, type: village}
      - {name: uraian, type: text, min: 20}
      - name: kerahasiaan
        type: choice
        choices: [{value: biasa, label: Biasa}, {value: anonim, label: Anonim}]
      - {name: nama, type: text, skip_if: {field: kerahasiaan, is: anonim}}
`
	if _, err := loadSnippets(goodKecamatan, complaint); err != nil {
		t.Fatalf("a complete complaint form was refused: %v", err)
	}
	cases := []struct {
		name, services, want string
	}{
		{"request without village", strings.Replace(goodServices, "      - {name: desa, type: village}\n", "", 1),
			`services.yaml:6: service "sktm": a request form needs field "desa" (type village)`},
		{"request without name", strings.Replace(goodServices, "      - {name: nama, type: text, min: 3, max: 100}\n", "", 1),
			`services.yaml:6: service "sktm": a request form needs field "nama" (type text)`},
		{"request village typed as text", strings.Replace(goodServices, "{name: desa, type: village}", "{name: desa, type: text}", 1),
			`services.yaml:14: service "sktm", field "desa": type must be village in a request form, not text`},
		{"complaint without description", strings.Replace(complaint, "      - {name: uraian, type: text, min: 20}\n", "", 1),
			`services.yaml:6: service "aduan": a complaint form needs field "uraian" (type text)`},
		{"complaint category typed as text", strings.Replace(complaint, "        type: choice\n        choices: [{value: jalan", "        type: text\n        choices: [{value: jalan", 1),
			`services.yaml:7: service "aduan", field "kategori": type must be choice in a complaint form, not text`},
		{"unknown confidentiality", strings.Replace(complaint, "{value: anonim, label: Anonim}", "{value: samaran, label: Samaran}", 1),
			`services.yaml:12: service "aduan", field "kerahasiaan": choice value "samaran" is not one of biasa, rahasia, anonim`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadSnippets(goodKecamatan, tc.services)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error lacks %q:\n%v", tc.want, err)
			}
		})
	}
}
