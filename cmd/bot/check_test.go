package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// copyConfigs copies the shipped configs/*.yaml and configs/letters/*.yaml
// into a temporary directory and applies edit to each file's text (keyed by
// its path under configs/, "services.yaml" or "letters/sktm.yaml"), so a
// test can break one thing.
func copyConfigs(t *testing.T, edit map[string]func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("../../configs/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("configs/*.yaml: %v (%d files)", err, len(files))
	}
	templates, err := filepath.Glob("../../configs/letters/*.yaml")
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
		rel, err := filepath.Rel("../../configs", f)
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

func runCheck(t *testing.T, env map[string]string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := check(nil, &out, envOf(env))
	return code, out.String()
}

var okLineRe = regexp.MustCompile(`^configuration OK: (\d+) services, (\d+) redirects, (\d+) villages, (\d+) officers, (\d+) letter templates, languages: [a-z, ]*\bid\b`)

func TestCheckRealConfiguration(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"embedded":   nil,
		"config dir": {"CONFIG_DIR": "../../configs"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := runCheck(t, env)
			if code != 0 {
				t.Fatalf("check exit %d, want 0; output:\n%s", code, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 1 || !okLineRe.MatchString(lines[0]) {
				t.Fatalf("output %q, want one OK line", out)
			}
			m := okLineRe.FindStringSubmatch(lines[0])
			if m[1] != "9" || m[3] != "14" || m[4] != "8" || m[5] != "6" {
				t.Errorf("counts in %q: want 9 services, 14 villages, 8 officers, 6 letter templates", lines[0])
			}
		})
	}
}

func TestCheckBrokenConfiguration(t *testing.T) {
	dir := copyConfigs(t, map[string]func(string) string{
		"services.yaml": func(s string) string {
			s = strings.Replace(s, "- {name: nik, type: nik}", "- {name: nik, type: nikk}", 1)
			return strings.Replace(s, "{name: nama, type: text, min: 3,", "{name: nama, type: text, mni: 3,", 1)
		},
	})
	code, out := runCheck(t, map[string]string{"CONFIG_DIR": dir})
	if code != 1 {
		t.Fatalf("check exit %d, want 1; output:\n%s", code, out)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "services.yaml"))
	lineOf := func(needle string) int {
		for i, l := range strings.Split(string(raw), "\n") {
			if strings.Contains(l, needle) {
				return i + 1
			}
		}
		t.Fatalf("%q not in the broken copy", needle)
		return 0
	}
	for _, want := range []string{
		fmt.Sprintf("%s:%d: service \"sktm\", field \"nik\": unknown type \"nikk\"", filepath.Join(dir, "services.yaml"), lineOf("type: nikk")),
		fmt.Sprintf("%s:%d: service \"sktm\", field \"nama\": unknown key \"mni\"", filepath.Join(dir, "services.yaml"), lineOf("mni: 3")),
		"fix: remove that key or correct its spelling",
		"2 problem(s) found",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(l, "fix: ") && !strings.HasSuffix(l, "problem(s) found") {
			t.Errorf("line without a fix hint: %q", l)
		}
	}
}

// formLine is the line of the shipped services.yaml where the form of
// service code starts ("form:").
func formLine(t *testing.T, code string) int {
	t.Helper()
	raw, err := os.ReadFile("../../configs/services.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for i, l := range strings.Split(string(raw), "\n") {
		in = in || strings.Contains(l, "- code: "+code+" ")
		if in && strings.TrimSpace(l) == "form:" {
			return i + 1
		}
	}
	t.Fatalf("no form of %s in configs/services.yaml", code)
	return 0
}

// staffLine is the line of the shipped staff.yaml that holds needle.
func staffLine(t *testing.T, needle string) int {
	t.Helper()
	raw, err := os.ReadFile("../../configs/staff.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(raw), "\n") {
		if strings.Contains(l, needle) {
			return i + 1
		}
	}
	t.Fatalf("%q not in configs/staff.yaml", needle)
	return 0
}

// templateLine is the line of the shipped letter template of service that
// holds needle.
func templateLine(t *testing.T, service, needle string) int {
	t.Helper()
	raw, err := os.ReadFile("../../configs/letters/" + service + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(raw), "\n") {
		if strings.Contains(l, needle) {
			return i + 1
		}
	}
	t.Fatalf("%q not in configs/letters/%s.yaml", needle, service)
	return 0
}

func TestCheckStaffAndSyntaxProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit map[string]func(string) string
		want []string
	}{
		{"staff role and unit", map[string]func(string) string{"staff.yaml": func(s string) string {
			s = strings.Replace(s, "role: camat,", "role: bupati,", 1)
			return strings.Replace(s, "role: kasi, unit: kesejahteraan_sosial", "role: kasi, unit: kesos", 1)
		}}, []string{
			fmt.Sprintf(`staff.yaml:%d: officer "camat": role "bupati" is not one of petugas, kasi, camat, admin; fix: write one of the listed values`, staffLine(t, "{id: camat,")),
			fmt.Sprintf(`staff.yaml:%d: officer "kasi_kesos": unit "kesos"`, staffLine(t, "{id: kasi_kesos,")),
		}},
		{"letter template", map[string]func(string) string{"letters/sktm.yaml": func(s string) string {
			return strings.Replace(s, "{label: Alamat, field: alamat}", "{label: Alamat, field: alamat_lengkap}", 1)
		}}, []string{
			fmt.Sprintf(`letters/sktm.yaml:%d: template "sktm": field "alamat_lengkap" is not a field of service "sktm"'s form`, templateLine(t, "sktm", "field: alamat}")),
			"fix: see the comments at the top of",
		}},
		{"letter without template", map[string]func(string) string{"services.yaml": func(s string) string {
			return strings.Replace(s, "code: aspirasi\n", "code: aspirasi\n    letter: true\n", 1)
		}}, []string{`service "aspirasi": a complaint produces no letter`}},
		{"form without a field the bot reads", map[string]func(string) string{"services.yaml": func(s string) string {
			return strings.Replace(s, "      - {name: desa, type: village}\n", "", 1)
		}}, []string{
			fmt.Sprintf(`services.yaml:%d: service "sktm": a request form needs field "desa" (type village)`, formLine(t, "sktm")),
			"fix: the bot reads this field by its name",
		}},
		{"yaml syntax", map[string]func(string) string{"kecamatan.yaml": func(s string) string {
			return "office: [\n" + s
		}}, []string{"kecamatan.yaml:", "fix: fix the YAML syntax"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runCheck(t, map[string]string{"CONFIG_DIR": copyConfigs(t, tc.edit)})
			if code != 1 {
				t.Fatalf("check exit %d, want 1; output:\n%s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	// A missing template is named at the service that asks for it.
	dir := copyConfigs(t, nil)
	if err := os.Remove(filepath.Join(dir, "letters", "domisili.yaml")); err != nil {
		t.Fatal(err)
	}
	code, out := runCheck(t, map[string]string{"CONFIG_DIR": dir})
	if want := `service "domisili": letter: true, but letters/domisili.yaml, its template, is missing; fix: copy a template`; code != 1 || !strings.Contains(out, want) {
		t.Errorf("missing template: exit %d, output lacks %q:\n%s", code, want, out)
	}

	// A missing file names itself and what CONFIG_DIR must hold.
	dir = copyConfigs(t, nil)
	if err := os.Remove(filepath.Join(dir, "services.yaml")); err != nil {
		t.Fatal(err)
	}
	code, out = runCheck(t, map[string]string{"CONFIG_DIR": dir})
	if code != 1 || !strings.Contains(out, filepath.Join(dir, "services.yaml")+": ") || !strings.Contains(out, "CONFIG_DIR must hold") {
		t.Errorf("missing services.yaml: exit %d, output:\n%s", code, out)
	}
}

func TestCheckReportsSettings(t *testing.T) {
	code, out := runCheck(t, map[string]string{"LOG_LEVEL": "loud"})
	if code != 1 || !strings.Contains(out, "environment: LOG_LEVEL") {
		t.Errorf("bad LOG_LEVEL: exit %d, output:\n%s", code, out)
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
	} {
		got := toProblems(tc.err, "configs", nil)
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

// TestCheckReportsPublishedWeight: a weighting the regulation does not
// know is named with its line in kecamatan.yaml.
func TestCheckReportsPublishedWeight(t *testing.T) {
	dir := copyConfigs(t, map[string]func(string) string{"kecamatan.yaml": func(s string) string {
		return strings.Replace(s, `published_weight: "0.11"`, `published_weight: "0,11"`, 1)
	}})
	raw, err := os.ReadFile(filepath.Join(dir, "kecamatan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(string(raw), "\n") {
		if strings.Contains(l, "published_weight:") {
			line = i + 1
		}
	}
	code, out := runCheck(t, map[string]string{"CONFIG_DIR": dir})
	want := fmt.Sprintf(`%s:%d: survey: published_weight "0,11" must be "0.11" (the regulation's printed weight) or "1/9" (exact)`, filepath.Join(dir, "kecamatan.yaml"), line)
	if code != 1 || line == 0 || !strings.Contains(out, want) {
		t.Errorf("check exit %d, output:\n%s\nwant a line %s", code, out, want)
	}
}
