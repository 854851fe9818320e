package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestConsultCommand runs `bot konsultasi` on the embedded storage: a
// file with a mistake is refused with its line, a good one is shown as
// citizens will read it, published once, closed, answered for, and
// exported.
func TestConsultCommand(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"DATA_DIR": dir}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("consultation:\n  code: x1\n  kind: pilihan\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runBot(vars, "konsultasi", "periksa", bad)
	if code != 1 || !strings.Contains(errOut, `bad.yaml:3: consultation "x1": kind "pilihan"`) {
		t.Errorf("periksa of a bad file: exit %d, %q", code, errOut)
	}
	// The documented example, closing a month from now whenever the test runs.
	doc, err := os.ReadFile("../../docs/consultations/jalan-2027.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "jalan-2027.yaml")
	closes := `closes: "` + time.Now().AddDate(0, 1, 0).Format("2006-01-02") + ` 16:00"`
	if err := os.WriteFile(file, []byte(strings.Replace(string(doc), `closes: "2027-01-31 16:00"`, closes, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBot(vars, "konsultasi", "periksa", file)
	if code != 0 || !strings.Contains(out, "  5. Jalan Durensawit") {
		t.Fatalf("periksa: exit %d, %q, %q", code, out, errOut)
	}
	code, out, errOut = runBot(vars, "konsultasi", "terbit", file)
	if code != 0 || !strings.Contains(out, "announce:jalan-2027: 0 pesan antre") {
		t.Fatalf("terbit: exit %d, %q, %q", code, out, errOut)
	}
	if code, _, errOut = runBot(vars, "konsultasi", "terbit", file); code != 1 || !strings.Contains(errOut, "already published") {
		t.Errorf("terbit twice: exit %d, %q", code, errOut)
	}
	if code, _, errOut = runBot(vars, "konsultasi", "--as", "petugas_umum", "tutup", "jalan-2027"); code == 0 {
		t.Errorf("a petugas closed the consultation: %q", errOut)
	}
	if code, out, errOut = runBot(vars, "konsultasi", "tutup", "jalan-2027"); code != 0 || !strings.Contains(out, "result:jalan-2027: 0 pesan antre") {
		t.Errorf("tutup: exit %d, %q, %q", code, out, errOut)
	}
	response := filepath.Join(dir, "tanggapan.txt")
	if err := os.WriteFile(response, []byte("Ruas Timbang diusulkan ke kabupaten."), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut = runBot(vars, "konsultasi", "tanggapan", "jalan-2027", response); code != 0 {
		t.Errorf("tanggapan: exit %d, %q", code, errOut)
	}
	code, out, errOut = runBot(vars, "konsultasi", "hasil", "jalan-2027")
	if code != 0 || !strings.Contains(out, "Tanggapan Kecamatan: Ruas Timbang diusulkan ke kabupaten.") {
		t.Errorf("hasil: exit %d, %q, %q", code, out, errOut)
	}
	book := filepath.Join(dir, "jalan.xlsx")
	if code, _, errOut = runBot(vars, "konsultasi", "ekspor", "jalan-2027", book); code != 0 {
		t.Fatalf("ekspor: exit %d, %q", code, errOut)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "Ringkasan,Per pilihan,Per desa,Komentar" {
		t.Errorf("sheets = %q", got)
	}
	if v, _ := f.GetCellValue("Per pilihan", "A2"); v == "" {
		t.Error("the options sheet is empty")
	}
	if code, _, _ = runBot(vars, "konsultasi", "hapus", "jalan-2027"); code != 2 {
		t.Errorf("an unknown action: exit %d, want 2", code)
	}
}
