package letters

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/services"
)

func TestLoadRealTemplates(t *testing.T) {
	cat, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	tpls, err := LoadTemplates(configs.FS, cat)
	if err != nil {
		t.Fatalf("the shipped templates do not load:\n%v", err)
	}
	want := []string{"dispensasi_nikah", "domisili", "izin_keramaian", "legalisasi", "sktm", "tanggungan_keluarga"}
	if got := tpls.Services(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("templates = %v, want %v", got, want)
	}
	for _, code := range want {
		tpl, _ := tpls.For(code)
		if tpl.Signatory != "camat" || tpl.Holder != "nama" || tpl.Class == "" || len(tpl.Fields) < 3 {
			t.Errorf("template %s = %+v", code, tpl)
		}
		hasNIK := false
		for _, l := range tpl.Fields {
			hasNIK = hasNIK || l.Field == "nik"
		}
		if !hasNIK {
			t.Errorf("template %s does not print the NIK", code)
		}
	}
	if s := tpls.Signatories["camat"]; s.Title == "" || s.Name == "" {
		t.Errorf("camat signatory = %+v", s)
	}
	if tpls.Place != "Leksono" || !tpls.Number.UsesClass() {
		t.Errorf("place %q, number format %+v", tpls.Place, tpls.Number)
	}
}

const testKecamatan = `name: Test
regency: Wonosobo
region_code: "33.07.05"
ticket_prefix: TST
timezone: Asia/Jakarta
address: "Jl. Contoh 1"
phone: "0286 123"
office_hours: {open: "07:30", close: "16:00"}
units: [umum]
conversation: {draft_ttl: 24h, resume_after: 30m, max_retries: 3}
reminders: {at: "07:30", escalate_after_days: 2}
villages:
  - {code: "33.07.05.2001", name: Sawangan, kind: desa}
letters:
  number: "{class}/{seq}/{roman_month}/{year}"
  place: Testkota
  signatories:
    camat: {title: CAMAT TEST, name: Budi Santoso, rank: Pembina, nip: "197001012000031001"}
`

const testServices = `services:
  - code: sktm
    unit: umum
    days: 1
    letter: true
    form:
      - {name: nik, type: nik}
      - {name: nama, type: text, min: 3, max: 100}
      - {name: desa, type: village}
      - {name: foto, type: photos, optional: true}
  - code: lain
    unit: umum
    days: 1
    form:
      - {name: nik, type: nik}
      - {name: nama, type: text}
      - {name: desa, type: village}
`

const testTemplate = `title: SURAT KETERANGAN
class: "470"
opening: "Camat {kecamatan} menerangkan bahwa:"
fields:
  - {label: Nama, field: nama}
  - {label: NIK, field: nik}
body: |-
  Orang tersebut tinggal di {desa}.

  Kabupaten {kabupaten}.
closing: Demikian.
`

func loadTestTemplates(kecamatan, services string, templates map[string]string) (*Templates, error) {
	fsys := fstest.MapFS{
		"kecamatan.yaml": {Data: []byte(kecamatan)},
		"services.yaml":  {Data: []byte(services)},
		"staff.yaml":     {Data: []byte("officers: []\n")},
	}
	for name, body := range templates {
		fsys["letters/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	cat, err := servicesCatalog(fsys)
	if err != nil {
		return nil, err
	}
	return LoadTemplates(fsys, cat)
}

func servicesCatalog(fsys fs.FS) (*services.Catalog, error) { return services.LoadCatalog(fsys) }

func TestLoadTemplate(t *testing.T) {
	tpls, err := loadTestTemplates(testKecamatan, testServices, map[string]string{"sktm.yaml": testTemplate})
	if err != nil {
		t.Fatal(err)
	}
	tpl, ok := tpls.For("sktm")
	if !ok || tpl.Title != "SURAT KETERANGAN" || len(tpl.Fields) != 2 || tpl.Fields[1] != (Line{Label: "NIK", Field: "nik"}) {
		t.Fatalf("sktm = %+v", tpl)
	}
	if tpl.Signatory != "camat" || tpl.Holder != "nama" || tpls.Place != "Testkota" {
		t.Errorf("defaults: signatory %q, holder %q, place %q", tpl.Signatory, tpl.Holder, tpls.Place)
	}
	if s := tpls.Signatories["camat"]; s.Name != "Budi Santoso" || s.NIP != "197001012000031001" {
		t.Errorf("camat = %+v", s)
	}
}

func TestLoadTemplatesReportsEveryProblemWithFileAndLine(t *testing.T) {
	broken := strings.NewReplacer(
		`class: "470"`, `class: ""`,
		"{label: NIK, field: nik}", "{label: NIK, field: nomor_induk}",
		"tinggal di {desa}.", "tinggal di {desa}.\n  RT {rt}.",
		"closing: Demikian.", "closing: Demikian.\nsignatory: lurah\nholder: desa\nfields2: x\n",
	).Replace(testTemplate)
	servicesWithPhotos := testServices
	brokenKecamatan := strings.Replace(testKecamatan, `number: "{class}/{seq}/{roman_month}/{year}"`, `number: "{class}/{roman_month}/{year}"`, 1)
	_, err := loadTestTemplates(brokenKecamatan, servicesWithPhotos, map[string]string{
		"sktm.yaml": broken + "",
		"lain.yaml": testTemplate,
		"ktp.yaml":  testTemplate,
	})
	if err == nil {
		t.Fatal("broken templates loaded")
	}
	for _, want := range []string{
		`kecamatan.yaml:15: letters: number format "{class}/{roman_month}/{year}": {seq} is required`,
		`letters/sktm.yaml:2: template "sktm": missing "class", the classification code that the number format's {class} prints`,
		`letters/sktm.yaml:6: template "sktm": field "nomor_induk" is not a field of service "sktm"'s form (it has: nik, nama, desa, foto)`,
		`letters/sktm.yaml:9: template "sktm": body: unknown placeholder {rt}`,
		`letters/sktm.yaml:13: template "sktm": signatory "lurah" is not under letters.signatories in kecamatan.yaml (it has: camat)`,
		`letters/sktm.yaml:14: template "sktm": holder "desa" must be a text field`,
		`letters/sktm.yaml:15: template "sktm": unknown key "fields2"`,
		`letters/lain.yaml:1: template of service "lain" does not say letter: true in services.yaml`,
		`letters/ktp.yaml:1: template of no service "ktp" in services.yaml`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks\n  %s\nin:\n%v", want, err)
		}
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) < 9 {
		t.Errorf("problems are not reported one by one: %v", err)
	}
}

func TestLoadTemplatesStructuralProblems(t *testing.T) {
	for _, tc := range []struct {
		name      string
		kecamatan string
		templates map[string]string
		want      string
	}{
		{"missing template", testKecamatan, nil,
			`services.yaml:5: service "sktm": letter: true, but letters/sktm.yaml, its template, is missing`},
		{"no letters section", strings.Split(testKecamatan, "letters:")[0], map[string]string{"sktm.yaml": testTemplate},
			`kecamatan.yaml:1: missing "letters"`},
		{"no signatories", strings.Split(testKecamatan, "  signatories:")[0], map[string]string{"sktm.yaml": testTemplate},
			`kecamatan.yaml:14: letters: "signatories" must map`},
		{"signatory without name", strings.Replace(testKecamatan, "name: Budi Santoso, ", "", 1), map[string]string{"sktm.yaml": testTemplate},
			`kecamatan.yaml:18: letters, signatory "camat": missing "name"`},
		{"photos printed", testKecamatan, map[string]string{"sktm.yaml": strings.Replace(testTemplate, "field: nik}", "field: foto}", 1)},
			`letters/sktm.yaml:6: template "sktm": field "foto" is a photos field, which a letter cannot print`},
		{"no fields", testKecamatan, map[string]string{"sktm.yaml": strings.Split(testTemplate, "fields:")[0] + "body: x\n"},
			`letters/sktm.yaml:1: template "sktm": "fields" must list`},
		{"yaml syntax", testKecamatan, map[string]string{"sktm.yaml": "title: [x\n"},
			`parse letters/sktm.yaml: yaml: line`},
		{"placeholder in title", testKecamatan, map[string]string{"sktm.yaml": strings.Replace(testTemplate, "SURAT KETERANGAN", "SURAT {jenis}", 1)},
			`letters/sktm.yaml:1: template "sktm": title: unknown placeholder {jenis}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadTestTemplates(tc.kecamatan, testServices, tc.templates)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error lacks %q:\n%v", tc.want, err)
			}
		})
	}
}
