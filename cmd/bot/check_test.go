package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runCheck runs `bot check` at now with the environment vars.
func runCheck(t *testing.T, vars map[string]string, now time.Time) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := runCommand([]string{"check"}, env{stdout: &out, stderr: &out, getenv: envOf(vars), now: func() time.Time { return now }})
	return code, out.String()
}

var (
	okLineRe  = regexp.MustCompile(`^configuration OK with 5 warning\(s\): 9 services, 9 redirects, 14 villages, 8 officers, 6 letter templates, languages: en, id$`)
	warningRe = regexp.MustCompile(`^(environment|configs/(kecamatan|letters/[a-z_]+)\.yaml:\d+): warning: .+; fix: .+$`)
)

// TestCheckShippedConfiguration is the "done when" of issue #24, with the
// placeholders found since: on the shipped configuration in December,
// check prints its warnings (PUBLIC_URL unset, the office's address and
// phone, the letters' signatory, no holidays next year, the letters'
// classification codes), each with its line, and exits 0. With PUBLIC_URL
// set, the first is gone.
func TestCheckShippedConfiguration(t *testing.T) {
	december := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for name, vars := range map[string]map[string]string{
		"embedded":   nil,
		"config dir": {"CONFIG_DIR": "../../configs"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := runCheck(t, vars, december)
			if code != 0 {
				t.Fatalf("check exit %d, want 0; output:\n%s", code, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 6 || !okLineRe.MatchString(lines[5]) {
				t.Fatalf("output:\n%s\nwant five warnings and the OK line", out)
			}
			for i, want := range []string{"environment: warning: PUBLIC_URL is not set: the QR codes of printed letters lead to http://127.0.0.1:8080",
				"address and phone are still placeholders", `signatory "camat" is still a placeholder`, "holidays lists no day of 2027",
				"classification codes of 6 letters are still to be confirmed"} {
				l := strings.Replace(lines[i], "../../configs/", "configs/", 1)
				if !warningRe.MatchString(l) || !strings.Contains(l, want) {
					t.Errorf("warning %d = %q, want file:line and %q", i+1, lines[i], want)
				}
			}
		})
	}
	code, out := runCheck(t, map[string]string{"PUBLIC_URL": "https://sapa.leksono.go.id"}, december)
	if code != 0 || strings.Contains(out, "PUBLIC_URL") || !strings.Contains(out, "configuration OK with 4 warning(s)") {
		t.Errorf("with PUBLIC_URL set: exit %d, output:\n%s\nwant four warnings, none about PUBLIC_URL", code, out)
	}
}

func TestCheckFailsOnProblems(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../configs")); err != nil {
		t.Fatal(err)
	}
	staff := filepath.Join(dir, "staff.yaml")
	raw, err := os.ReadFile(staff)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(staff, bytes.Replace(raw, []byte("role: camat,"), []byte("role: bupati,"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runCheck(t, map[string]string{"CONFIG_DIR": dir}, time.Now())
	if code != 1 || !strings.Contains(out, filepath.Join(dir, "staff.yaml")+":") || !strings.HasSuffix(out, "1 problem(s) found\n") {
		t.Errorf("check exit %d, output:\n%s\nwant 1 and the staff.yaml problem", code, out)
	}
}

func TestCheckReportsSettings(t *testing.T) {
	code, out := runCheck(t, map[string]string{"LOG_LEVEL": "loud"}, time.Now())
	if code != 1 || !strings.Contains(out, "environment: LOG_LEVEL") {
		t.Errorf("bad LOG_LEVEL: exit %d, output:\n%s", code, out)
	}
}

// TestServeLogsWarnings: the bot starts with the warnings check prints,
// each a log line with its place and fix.
func TestServeLogsWarnings(t *testing.T) {
	var out, errOut bytes.Buffer
	// GOGC and GOMEMLIMIT set: serve leaves the test process's collector alone.
	vars := map[string]string{"DATA_DIR": t.TempDir(), "WHATSAPP": "off", "METRICS_ADDR": "off", "GOGC": "100", "GOMEMLIMIT": "off"}
	december := func() time.Time { return time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) }
	code := runCommand([]string{"serve"}, env{stdout: &out, stderr: &errOut, getenv: envOf(vars), now: december})
	logs := errOut.String()
	if code != 1 || !strings.Contains(logs, "no chat channel is enabled") {
		t.Fatalf("serve without a channel: exit %d, stderr:\n%s", code, logs)
	}
	for _, want := range []string{
		`level=WARN msg="address and phone are still placeholders: `,
		`level=WARN msg="holidays lists no day of 2027, which starts in 25 days: `,
		`where=configs/kecamatan.yaml:`,
		`level=WARN msg="PUBLIC_URL is not set: the QR codes of printed letters lead to http://127.0.0.1:8080, which only this PC reaches" where=environment`,
		`level=WARN msg="signatory \"camat\" is still a placeholder: `,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("serve's log lacks %q:\n%s", want, logs)
		}
	}
}

// Issue #23: the service standard's requirements and the form come from the
// same entries. An office that lists a document in an SKTM's standard
// without asking for it in the form gets exit 1 and the line to fix; marked
// as brought at pick-up, the same document passes.
func TestCheckRefusesARequirementTheFormNeverAsks(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../configs")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "services.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(requirements string) {
		t.Helper()
		edited := bytes.Replace(raw, []byte("requirements: [pengantar_desa, foto_ktp, foto_kk]"), []byte(requirements), 1)
		if bytes.Equal(edited, raw) {
			t.Fatal("the SKTM's requirements line is not in services.yaml")
		}
		if err := os.WriteFile(path, edited, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("requirements: [pengantar_desa, foto_ktp, foto_kk, surat_keterangan_rt]")
	code, out := runCheck(t, map[string]string{"CONFIG_DIR": dir}, time.Now())
	if code != 1 || !strings.Contains(out, `service "sktm", requirement "surat_keterangan_rt": the standard lists a document the form never asks for`) ||
		!strings.Contains(out, filepath.Join(dir, "services.yaml")+":") {
		t.Errorf("check exit %d, output:\n%s\nwant 1 and the requirement with its line", code, out)
	}
	write("requirements: [pengantar_desa, foto_ktp, foto_kk, {name: surat_keterangan_rt, at_pickup: true}]")
	code, out = runCheck(t, map[string]string{"CONFIG_DIR": dir}, time.Now())
	if code != 1 || !strings.Contains(out, `missing locale key "field.surat_keterangan_rt.label"`) || strings.Contains(out, "never asks") {
		t.Errorf("brought at pick-up: exit %d, output:\n%s\nwant only its label missing from the locales", code, out)
	}
	write("requirements: [pengantar_desa, foto_ktp, foto_kk, {name: fotokopi_surat, at_pickup: true}]")
	if code, out = runCheck(t, map[string]string{"CONFIG_DIR": dir}, time.Now()); code != 0 {
		t.Errorf("a document brought at pick-up, with its label: exit %d, output:\n%s", code, out)
	}
}
