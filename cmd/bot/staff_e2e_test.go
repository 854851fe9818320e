package main

import (
	"bytes"
	"context"
	jpegpkg "image/jpeg"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/services/imagetest"
)

// officeWithStaff copies the shipped configuration into a directory and
// gives two officers of the SKTM unit Telegram ids.
func officeWithStaff(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(configs.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() { // letters/
			return os.MkdirAll(filepath.Join(dir, path), 0o700)
		}
		raw, err := fs.ReadFile(configs.FS, path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, path), raw, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	staff := `officers:
  - {id: petugas_kesos, name: "Mbak Rini", role: petugas, unit: kesejahteraan_sosial, telegram: "7001"}
  - {id: kasi_kesos, name: "Pak Hadi", role: kasi, unit: kesejahteraan_sosial, telegram: "7002"}
  - {id: petugas_pem, name: "Mas Joko", role: petugas, unit: pemerintahan, telegram: "7003"}
`
	if err := os.WriteFile(filepath.Join(dir, "staff.yaml"), []byte(staff), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStaffFollowUpEndToEnd: one citizen and one officer on the fake
// Telegram server, real PostgreSQL and Redis. The officer is told of the new
// case, asks for a correction, the citizen answers, the officer finishes;
// the citizen hears of every step and the history in PostgreSQL matches.
func TestStaffFollowUpEndToEnd(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": officeWithStaff(t)})
	const citizen, officer = int64(5550002), int64(7001)
	log, logs := checkedLog(t, citizen, officer)
	ctx := context.Background()
	a := startBot(t, cfg, log)

	seen := map[int64]int{}
	next := func(chat int64, want string) string {
		t.Helper()
		seen[chat]++
		msgs := srv.WaitSent(t, chat, seen[chat], 15*time.Second)
		got := msgs[seen[chat]-1].Text
		if !strings.Contains(got, want) {
			t.Fatalf("message %d to %d: want %q in:\n%s", seen[chat], chat, want, got)
		}
		return got
	}
	for _, line := range []string{"halo", "2", "sktm", "setuju", "3307051708900001", "Siti Aminah", "17-08-1990",
		"Sawangan", "Dusun Krajan RT 02", "beasiswa sekolah anak", "081234567890"} {
		srv.PushText(citizen, citizen, line)
		next(citizen, "")
	}
	pushDocuments(srv, citizen, "staff-e2e")
	for range 3 {
		next(citizen, "Diterima")
	}
	srv.PushText(citizen, citizen, "ya")
	// The file is complete: the ticket's message offers the time to pick
	// the letter up (a booked visit) instead of the main menu.
	ticket := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(next(citizen, "Pilih waktu datang"))

	notice := next(officer, "Kasus baru "+ticket)
	if strings.Contains(notice, "3307051708900001") || !strings.Contains(notice, "3307**********01") {
		t.Fatalf("the officer's notification must show the NIK masked:\n%s", notice)
	}
	officerSays := func(text, want string) {
		t.Helper()
		srv.PushText(officer, officer, text)
		next(officer, want)
	}
	officerSays("ambil "+strings.ToLower(ticket), "ditugaskan kepada Mbak Rini")
	officerSays("verifikasi "+strings.ReplaceAll(ticket, "-", ""), "Sedang diverifikasi")
	next(citizen, "sedang diverifikasi")
	officerSays("tanya "+ticket+" Mohon sebutkan nama sekolah anak Anda.", "Perlu dilengkapi")
	next(citizen, "Mohon sebutkan nama sekolah anak Anda.")

	srv.PushText(citizen, citizen, "SD Negeri 1 Sawangan")
	next(citizen, "sudah kami teruskan")
	next(officer, "SD Negeri 1 Sawangan")

	officerSays("proses "+ticket, "Sedang diproses")
	next(citizen, "sedang diproses")
	officerSays("selesai "+ticket+" Surat bisa diambil di loket besok pagi.", "Selesai")
	next(citizen, "Surat bisa diambil di loket besok pagi.")

	_, events, err := a.cases.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.Kind+":"+string(e.ToStatus)+":"+e.Actor)
	}
	want := []string{
		"submit:diterima:citizen", "assign:diterima:petugas_kesos", "status:verifikasi:petugas_kesos",
		"question:perlu_perbaikan:petugas_kesos", "reply:verifikasi:citizen", "status:diproses:petugas_kesos",
		"status:selesai:petugas_kesos",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("history in PostgreSQL:\n got %v\nwant %v", got, want)
	}
	if events[4].Note != "SD Negeri 1 Sawangan" || events[6].Note != "Surat bisa diambil di loket besok pagi." {
		t.Errorf("notes not kept: %+v", events)
	}
	c, _, _ := a.cases.CaseByTicket(ctx, ticket)
	if c.Status != services.StatusDone || c.Assignee != "petugas_kesos" {
		t.Errorf("case ends %s assigned to %q", c.Status, c.Assignee)
	}
	if strings.Contains(logs.String(), "3307051708900001") {
		t.Error("a full NIK reached the logs")
	}
}

// TestAnonymousComplaintEndToEnd: an anonymous complaint with a photo over
// the fake Telegram server; the officer receives the photo, lists, reads and
// acts on the case, and no staff message carries the complainant's chat id
// or name; the citizen still hears of the officer's action.
func TestAnonymousComplaintEndToEnd(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": officeWithStaff(t)})
	const citizen, officer = int64(5550003), int64(7003)
	log, _ := checkedLog(t, citizen, officer)
	startBot(t, cfg, log)

	seen := map[int64]int{}
	next := func(chat int64, want string) string {
		t.Helper()
		seen[chat]++
		msgs := srv.WaitSent(t, chat, seen[chat], 15*time.Second)
		if got := msgs[seen[chat]-1].Text; strings.Contains(got, want) {
			return got
		} else {
			t.Fatalf("message %d to %d: want %q in:\n%s", seen[chat], chat, want, got)
		}
		return ""
	}
	for _, step := range [][2]string{
		{"pengaduan", "(1/7)"}, {"jalan", "(2/7)"}, {"Timbang", "(3/7)"},
		{"Jalan desa di RT 02 berlubang besar dan membahayakan pengendara motor.", "(4/7)"},
	} {
		srv.PushText(citizen, citizen, step[0])
		next(citizen, step[1])
	}
	// A phone's photo, as a document keeps it: the owner's name and where
	// it was taken in its EXIF block.
	jpeg := imagetest.JPEG(64, 48, 90, imagetest.EXIF{Artist: "Warga Uji", Orientation: 1, Latitude: -7.361234, Longitude: 109.923456})
	srv.PutFile("photo-1", jpeg)
	srv.PushPhoto(citizen, citizen, "photo-1", "")
	next(citizen, "ke-1 diterima")
	for _, step := range [][2]string{{"lanjut", "(5/7)"}, {"lewati", "(6/7)"}, {"anonim", "Kerahasiaan: Anonim"}, {"ya", "Nomor tiket"}} {
		srv.PushText(citizen, citizen, step[0])
		next(citizen, step[1])
	}
	notice := next(officer, "Pelapor: Anonim")
	ticket := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(notice)
	files := srv.WaitFiles(t, officer, 1, 15*time.Second)
	if files[0].Size == 0 || bytes.Contains(files[0].Data, []byte("Exif")) || bytes.Contains(files[0].Data, []byte("Warga Uji")) {
		t.Errorf("the officer got a file of %d bytes with its EXIF block (who took it, and where)", files[0].Size)
	}
	if _, err := jpegpkg.Decode(bytes.NewReader(files[0].Data)); err != nil {
		t.Errorf("the officer's photo does not decode: %v", err)
	}
	for _, cmd := range []string{"kasus", "lihat " + ticket, "verifikasi " + ticket} {
		srv.PushText(officer, officer, cmd)
		next(officer, ticket)
	}
	next(citizen, "sedang diverifikasi")
	for _, m := range srv.SentTo(officer) {
		for _, secret := range []string{"5550003", "Warga Uji", " Uji"} {
			if strings.Contains(m.Text, secret) {
				t.Errorf("a staff message names the anonymous complainant (%q):\n%s", secret, m.Text)
			}
		}
	}
	if !strings.Contains(srv.SentTo(officer)[2].Text, "Warga: Anonim") {
		t.Errorf("the case detail must show Anonim:\n%s", srv.SentTo(officer)[2].Text)
	}
}
