package office

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// copyConfigs copies the shipped configs/*.yaml and configs/letters/*.yaml
// into a temporary directory and applies edit to each file's text (keyed by
// its path under configs/, "services.yaml" or "letters/sktm.yaml"), so a
// test can break one thing.
func copyConfigs(t *testing.T, edit map[string]func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("../configs/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("configs/*.yaml: %v (%d files)", err, len(files))
	}
	templates, err := filepath.Glob("../configs/letters/*.yaml")
	if err != nil || len(templates) < 6 {
		t.Fatalf("configs/letters/*.yaml: %v (%d files)", err, len(templates))
	}
	if err := os.Mkdir(filepath.Join(dir, "letters"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, templates...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := filepath.Rel("../configs", f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		if e := edit[filepath.ToSlash(rel)]; e != nil {
			text = e(text)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// broken loads dir, which must fail, and returns its problems one a line.
func broken(t *testing.T, dir string) string {
	t.Helper()
	o, problems := Load(dir)
	if o != nil || len(problems) == 0 {
		t.Fatalf("Load(%s) = %v, %v; want problems", dir, o, problems)
	}
	return problems.Error()
}

// lineOf is the first line of file holding the last needle, after lines
// holding each needle before it in turn.
func lineOf(t *testing.T, file string, needles ...string) int {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(raw), "\n") {
		if strings.Contains(l, needles[0]) {
			if needles = needles[1:]; len(needles) == 0 {
				return i + 1
			}
		}
	}
	t.Fatalf("%q not in %s", needles, file)
	return 0
}

func TestLoadShippedConfiguration(t *testing.T) {
	for _, dir := range []string{"", "../configs"} {
		o, problems := Load(dir)
		if len(problems) > 0 {
			t.Fatalf("Load(%q): %v", dir, problems)
		}
		if got, want := o.Summary(), "9 services, 9 redirects, 14 villages, 8 officers, 6 letter templates, languages: en, id"; got != want {
			t.Errorf("Load(%q).Summary() = %q, want %q", dir, got, want)
		}
	}
}

func TestBrokenConfiguration(t *testing.T) {
	dir := copyConfigs(t, map[string]func(string) string{
		"services.yaml": func(s string) string {
			s = strings.Replace(s, "- {name: nik, type: nik}", "- {name: nik, type: nikk}", 1)
			return strings.Replace(s, "{name: nama, type: text, min: 3,", "{name: nama, type: text, mni: 3,", 1)
		},
	})
	out := broken(t, dir)
	file := filepath.Join(dir, "services.yaml")
	for _, want := range []string{
		fmt.Sprintf("%s:%d: service \"sktm\", field \"nik\": unknown type \"nikk\"", file, lineOf(t, file, "type: nikk")),
		fmt.Sprintf("%s:%d: service \"sktm\", field \"nama\": unknown key \"mni\"", file, lineOf(t, file, "mni: 3")),
		"fix: remove that key or correct its spelling",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("problems lack %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, "fix: ") {
			t.Errorf("line without a fix hint: %q", l)
		}
	}
}

func TestStaffAndSyntaxProblems(t *testing.T) {
	staff, services := "../configs/staff.yaml", "../configs/services.yaml"
	sktmForm := lineOf(t, services, "- code: sktm ", "form:")
	for _, tc := range []struct {
		name string
		edit map[string]func(string) string
		want []string
	}{
		{"staff role and unit", map[string]func(string) string{"staff.yaml": func(s string) string {
			s = strings.Replace(s, "role: camat,", "role: bupati,", 1)
			return strings.Replace(s, "role: kasi, unit: kesejahteraan_sosial", "role: kasi, unit: kesos", 1)
		}}, []string{
			fmt.Sprintf(`staff.yaml:%d: officer "camat": role "bupati" is not one of petugas, kasi, camat, admin; fix: write one of the listed values`, lineOf(t, staff, "{id: camat,")),
			fmt.Sprintf(`staff.yaml:%d: officer "kasi_kesos": unit "kesos"`, lineOf(t, staff, "{id: kasi_kesos,")),
		}},
		{"letter template", map[string]func(string) string{"letters/sktm.yaml": func(s string) string {
			return strings.Replace(s, "{label: Alamat, field: alamat}", "{label: Alamat, field: alamat_lengkap}", 1)
		}}, []string{
			fmt.Sprintf(`letters/sktm.yaml:%d: template "sktm": field "alamat_lengkap" is not a field of service "sktm"'s form`, lineOf(t, "../configs/letters/sktm.yaml", "field: alamat}")),
			"fix: see the comments at the top of",
		}},
		{"letter without template", map[string]func(string) string{"services.yaml": func(s string) string {
			return strings.Replace(s, "code: aspirasi\n", "code: aspirasi\n    letter: true\n", 1)
		}}, []string{`service "aspirasi": a complaint produces no letter`}},
		{"form without a field the bot reads", map[string]func(string) string{"services.yaml": func(s string) string {
			return strings.Replace(s, "      - {name: desa, type: village}\n", "", 1)
		}}, []string{
			fmt.Sprintf(`services.yaml:%d: service "sktm": a request form needs field "desa" (type village)`, sktmForm),
			"fix: the bot reads this field by its name",
		}},
		{"yaml syntax", map[string]func(string) string{"kecamatan.yaml": func(s string) string {
			return "office: [\n" + s
		}}, []string{"kecamatan.yaml:", "fix: fix the YAML syntax"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := broken(t, copyConfigs(t, tc.edit))
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("problems lack %q:\n%s", w, out)
				}
			}
		})
	}

	// A missing template is named at the service that asks for it.
	dir := copyConfigs(t, nil)
	if err := os.Remove(filepath.Join(dir, "letters", "domisili.yaml")); err != nil {
		t.Fatal(err)
	}
	if out, want := broken(t, dir), `service "domisili": letter: true, but letters/domisili.yaml, its template, is missing; fix: copy a template`; !strings.Contains(out, want) {
		t.Errorf("missing template: problems lack %q:\n%s", want, out)
	}

	// A missing file names itself and what CONFIG_DIR must hold.
	dir = copyConfigs(t, nil)
	if err := os.Remove(filepath.Join(dir, "services.yaml")); err != nil {
		t.Fatal(err)
	}
	if out := broken(t, dir); !strings.Contains(out, filepath.Join(dir, "services.yaml")+": ") || !strings.Contains(out, "CONFIG_DIR must hold") {
		t.Errorf("missing services.yaml:\n%s", out)
	}
}

func TestProblemsFromLoaderMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want []string
	}{
		{errors.New(`locales/id/citizen.yaml:12: menu.title is already defined at locales/id/citizen.yaml:3`),
			[]string{"locales/id/citizen.yaml:12: menu.title is already defined at locales/id/citizen.yaml:3; fix: keep one of them, or rename the other"}},
		{fmt.Errorf("catalog texts: %w", errors.Join(
			errors.New(`service "sktm": missing locale key "service.sktm.name"`),
			errors.New(`unit "umum": missing locale key "unit.umum"`))),
			[]string{
				`locales/id: service "sktm": missing locale key "service.sktm.name"; fix: add service.sktm.name (nested as service > sktm > name) to locales/id/services.yaml`,
				`locales/id: unit "umum": missing locale key "unit.umum"; fix: add unit.umum (nested as unit > umum) to locales/id/services.yaml`,
			}},
		{errors.Join(errors.New(`the bot: missing locale key "menu.title"`), errors.New(`the bot: missing locale key "staff.help"`)),
			[]string{
				`locales/id: the bot: missing locale key "menu.title"; fix: add menu.title (nested as menu > title) to locales/id/citizen.yaml`,
				`locales/id: the bot: missing locale key "staff.help"; fix: add staff.help (nested as staff > help) to locales/id/staff.yaml`,
			}},
		{errors.New(`services.yaml:3: units: unknown key "x"`),
			[]string{`configs/services.yaml:3: units: unknown key "x"; fix: remove that key or correct its spelling`}},
	} {
		got := (&Office{dir: "configs"}).problems(tc.err)
		if len(got) != len(tc.want) {
			t.Errorf("%v: %d problems, want %d: %v", tc.err, len(got), len(tc.want), got)
			continue
		}
		for i, p := range got {
			if p.String() != tc.want[i] {
				t.Errorf("problem %d:\n got %s\nwant %s", i, p, tc.want[i])
			}
		}
	}
}

// TestPublishedWeightProblem: a weighting the regulation does not know is
// named with its line in kecamatan.yaml.
func TestPublishedWeightProblem(t *testing.T) {
	dir := copyConfigs(t, map[string]func(string) string{"kecamatan.yaml": func(s string) string {
		return strings.Replace(s, `published_weight: "0.11"`, `published_weight: "0,11"`, 1)
	}})
	file := filepath.Join(dir, "kecamatan.yaml")
	want := fmt.Sprintf(`%s:%d: survey: published_weight "0,11" must be "0.11" (the regulation's printed weight) or "1/9" (exact)`, file, lineOf(t, file, "published_weight:"))
	if out := broken(t, dir); !strings.Contains(out, want) {
		t.Errorf("problems:\n%s\nwant a line %s", out, want)
	}
}

// wib is the office's time zone, Asia/Jakarta.
var wib = time.FixedZone("WIB", 7*3600)

func TestWarningsOfTheShippedConfiguration(t *testing.T) {
	o, problems := Load("../configs")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	file := "../configs/kecamatan.yaml"
	placeholder := fmt.Sprintf(`../configs/kecamatan.yaml:%d: warning: address and phone are still placeholders: citizens who ask where the office is read "Kantor Kecamatan Leksono, Kabupaten Wonosobo (alamat lengkap menunggu konfirmasi kantor)" and "(nomor telepon menunggu konfirmasi kantor)"; fix: write the office's address on this line and its phone number on line %d`,
		lineOf(t, file, "address:"), lineOf(t, file, "phone:"))
	holidays := lineOf(t, file, "holidays:")
	// The letters: the camat, who signs every template, is a placeholder,
	// and every template's class is still to be confirmed.
	signatory := fmt.Sprintf(`../configs/kecamatan.yaml:%d: warning: signatory "camat" is still a placeholder: the letters it signs print "(nama camat menunggu konfirmasi kantor)" under the signature; fix: write the name, rank and NIP of who signs on this line and the next two`,
		lineOf(t, file, "signatories:", "camat:", "name:"))
	classes := fmt.Sprintf(`../configs/letters/dispensasi_nikah.yaml:%d: warning: the classification codes of 6 letters are still to be confirmed ("TO BE CONFIRMED" on the class line of this file and of domisili.yaml, izin_keramaian.yaml, legalisasi.yaml, sktm.yaml, tanggungan_keluarga.yaml): their letter numbers are written with them; fix: confirm each class against the office's archive classification list, then delete "TO BE CONFIRMED" from its line`,
		lineOf(t, "../configs/letters/dispensasi_nikah.yaml", `class: "`))
	for _, tc := range []struct {
		now  time.Time
		want []string
	}{
		{time.Date(2026, 6, 1, 9, 0, 0, 0, wib), []string{placeholder, signatory, classes}},
		{time.Date(2026, 12, 7, 9, 0, 0, 0, wib), []string{placeholder, signatory, fmt.Sprintf(`../configs/kecamatan.yaml:%d: warning: holidays lists no day of 2027, which starts in 25 days: deadlines will count its holidays as working days; fix: add the national holidays and cuti bersama of 2027 (SKB 3 Menteri) under holidays, one "2027-MM-DD" a line`, holidays), classes}},
		// 1 December in Jakarta is still 30 November in UTC.
		{time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC), []string{placeholder, signatory, "holidays lists no day of 2027, which starts in 31 days", classes}},
		{time.Date(2027, 1, 4, 9, 0, 0, 0, wib), []string{placeholder, signatory, fmt.Sprintf(`../configs/kecamatan.yaml:%d: warning: holidays lists no day of 2027: deadlines count this year's holidays as working days`, holidays), classes}},
	} {
		got := o.Warnings(tc.now)
		if len(got) != len(tc.want) {
			t.Errorf("at %s: %d warnings, want %d:\n%s", tc.now, len(got), len(tc.want), got)
			continue
		}
		for i, w := range got {
			if !w.Warning || !strings.Contains(w.String(), tc.want[i]) {
				t.Errorf("at %s, warning %d:\n got %s\nwant %s", tc.now, i, w, tc.want[i])
			}
		}
	}
}

// confirmed is a letter template whose classification code the office
// confirmed: the mark is gone from its line.
func confirmed(s string) string {
	return regexp.MustCompile(`(?m)^(class: "[^"]*") # TO BE CONFIRMED.*$`).ReplaceAllString(s, "$1")
}

func TestWarningsGoneOnceEdited(t *testing.T) {
	edits := map[string]func(string) string{"kecamatan.yaml": func(s string) string {
		s = strings.Replace(s, "(alamat lengkap menunggu konfirmasi kantor)", "Jl. Raya Leksono No. 1", 1)
		s = strings.Replace(s, `"(nomor telepon menunggu konfirmasi kantor)"`, `"(0286) 321000"`, 1)
		s = strings.Replace(s, `"(nama camat menunggu konfirmasi kantor)"`, `"Drs. Slamet Riyadi"`, 1)
		s = strings.Replace(s, `"(pangkat menunggu konfirmasi kantor)"`, `"Pembina Tk. I (IV/b)"`, 1)
		s = strings.Replace(s, `"(NIP menunggu konfirmasi kantor)"`, `"197001011990031001"`, 1)
		return strings.Replace(s, "holidays:\n", "holidays:\n  - \"2027-01-01\" # Tahun Baru Masehi\n", 1)
	}}
	for _, code := range []string{"dispensasi_nikah", "domisili", "izin_keramaian", "legalisasi", "sktm", "tanggungan_keluarga"} {
		edits["letters/"+code+".yaml"] = confirmed
	}
	dir := copyConfigs(t, edits)
	o, problems := Load(dir)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if got := o.Warnings(time.Date(2026, 12, 7, 9, 0, 0, 0, wib)); len(got) != 0 {
		t.Errorf("warnings after the edit: %s", got)
	}

	// Only the phone left without a number.
	dir = copyConfigs(t, map[string]func(string) string{"kecamatan.yaml": func(s string) string {
		return strings.Replace(s, "(alamat lengkap menunggu konfirmasi kantor)", "Jl. Raya Leksono No. 1", 1)
	}})
	if o, _ = Load(dir); o == nil {
		t.Fatal("edited copy does not load")
	}
	file := filepath.Join(dir, "kecamatan.yaml")
	want := fmt.Sprintf("%s:%d: warning: phone is still a placeholder", file, lineOf(t, file, "phone:"))
	if got := o.Warnings(time.Date(2026, 6, 1, 9, 0, 0, 0, wib)); len(got) != 3 || !strings.HasPrefix(got[0].String(), want) {
		t.Errorf("warnings = %s, want the phone's first, then the letters'", got)
	}

	// One class left to confirm: its own line, in the singular. The sekcam
	// is still a placeholder, but no template names them.
	edits = map[string]func(string) string{}
	for _, code := range []string{"dispensasi_nikah", "domisili", "izin_keramaian", "legalisasi", "tanggungan_keluarga"} {
		edits["letters/"+code+".yaml"] = confirmed
	}
	dir = copyConfigs(t, edits)
	if o, _ = Load(dir); o == nil {
		t.Fatal("edited copy does not load")
	}
	file = filepath.Join(dir, "letters", "sktm.yaml")
	want = fmt.Sprintf(`%s:%d: warning: the classification code of this letter is still to be confirmed ("TO BE CONFIRMED" on its line)`, file, lineOf(t, file, `class: "`))
	got := o.Warnings(time.Date(2026, 6, 1, 9, 0, 0, 0, wib))
	if len(got) != 3 || !strings.HasPrefix(got[2].String(), want) || strings.Contains(got.Error(), "sekcam") {
		t.Errorf("warnings = %s, want the last starting %s", got, want)
	}
}

func TestCheckText(t *testing.T) {
	june := time.Date(2026, 6, 1, 9, 0, 0, 0, wib)
	text, ok := Check("", nil, nil, june)
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if !ok || len(lines) != 4 || !strings.HasPrefix(lines[0], "configs/kecamatan.yaml:") ||
		lines[3] != "configuration OK with 3 warning(s): 9 services, 9 redirects, 14 villages, 8 officers, 6 letter templates, languages: en, id" {
		t.Errorf("Check in June = %v,\n%s", ok, text)
	}

	settings := errors.Join(errors.New(`LOG_LEVEL "loud" is not one of debug, info, warn, error`), errors.New(`WHATSAPP "x" is not one of auto, on, off`))
	text, ok = Check("", settings, nil, june)
	want := "environment: LOG_LEVEL \"loud\" is not one of debug, info, warn, error\nenvironment: WHATSAPP \"x\" is not one of auto, on, off\n2 problem(s) found\n"
	if ok || text != want {
		t.Errorf("Check with bad settings = %v,\n%s\nwant\n%s", ok, text, want)
	}
}
