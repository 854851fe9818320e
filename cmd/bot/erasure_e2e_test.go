package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/store/storetest"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/services"
)

// TestErasureEndToEnd: a citizen files an SKTM, answers an officer's
// question, the case is finished; they ask "hapus data saya" and an admin
// completes it with hapusdata. Afterwards no table of the database holds
// what they typed (their name, address, birth date, phone, NIK, purpose,
// their answer) or what the officer wrote about them, nor their chat id
// (the consent and the request, kept as proof, hold its keyed hash), Redis
// holds none of it, and the case's history keeps its steps.
func TestErasureEndToEnd(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	dir := officeWithStaff(t)
	staff, err := os.ReadFile(filepath.Join(dir, "staff.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	staff = append(staff, []byte(`  - {id: admin, name: "Mas Admin", role: admin, telegram: "7009"}
`)...)
	if err := os.WriteFile(filepath.Join(dir, "staff.yaml"), staff, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": dir})
	const citizen, officer, admin = int64(5550031), int64(7001), int64(7009)
	log, _ := checkedLog(t, citizen, officer, admin)
	ctx := context.Background()
	a := startBot(t, cfg, log)

	seen := map[int64]int{}
	next := func(chat int64, want string) string {
		t.Helper()
		seen[chat]++
		got := srv.WaitSent(t, chat, seen[chat], 15*time.Second)[seen[chat]-1].Text
		if !strings.Contains(got, want) {
			t.Fatalf("message %d to %d: want %q in:\n%s", seen[chat], chat, want, got)
		}
		return got
	}
	say := func(chat int64, text, want string) string {
		t.Helper()
		srv.PushText(chat, chat, text)
		return next(chat, want)
	}
	const (
		nik     = "3307051708900001"
		name    = "Wiryo Sukarto"
		address = "Dusun Kalitengah Gang Mawar 7"
		purpose = "beasiswa kuliah anak sulung"
		phone   = "081298765432"
		answer  = "Anak saya kuliah di Universitas Sains Alquran"
		remark  = "Pak Wiryo datang sendiri ke kantor"
	)
	for _, line := range []string{"halo", "2", "sktm", "setuju", nik, name, "17-08-1990", "Sawangan", address, purpose, phone} {
		say(citizen, line, "")
	}
	ticket := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(say(citizen, "ya", "Nomor tiket"))
	// The receipt, and what pick-up waits for, are over one message's
	// length with the main menu (conversation.MaxReplyRunes): it follows.
	next(citizen, "Silakan pilih layanan")
	next(officer, "Kasus baru "+ticket)
	say(officer, "verifikasi "+ticket, "Sedang diverifikasi")
	next(citizen, "sedang diverifikasi")
	say(officer, "tanya "+ticket+" Pak Wiryo, anaknya kuliah di mana?", "Perlu dilengkapi")
	next(citizen, "anaknya kuliah di mana")
	say(citizen, answer, "sudah kami teruskan")
	next(officer, answer)
	say(officer, "catat "+ticket+" "+remark, "Catatan internal")
	say(officer, "proses "+ticket, "Sedang diproses")
	next(citizen, "sedang diproses")
	say(officer, "selesai "+ticket+" Surat untuk Pak Wiryo bisa diambil besok.", "Selesai")
	next(citizen, "Surat untuk Pak Wiryo")

	request := regexp.MustCompile(`nomor #(\d+)`).FindStringSubmatch(say(citizen, "hapus data saya", "Permintaan hapus data Anda sudah kami catat"))
	if request == nil {
		t.Fatal("no request number given")
	}
	say(admin, "hapusdata "+request[1], "sudah diselesaikan")

	typed := []string{nik, name, "Wiryo", address, "17-08-1990", "1990-08-17", purpose, phone, "6281298765432", answer, remark}
	rows := everyRow(t, cfg.DatabaseURL)
	chat := fmt.Sprint(citizen)
	for table, values := range rows {
		for _, v := range values {
			for _, s := range typed {
				if strings.Contains(v, s) {
					t.Errorf("table %s still holds %q", table, s)
				}
			}
			if strings.Contains(v, chat) {
				t.Errorf("table %s still holds the chat id: %s", table, v)
			}
		}
	}
	if len(rows["case_events"]) != 7 {
		t.Errorf("%d history rows after the erasure, want the 7 steps kept", len(rows["case_events"]))
	}
	_, events, err := a.cases.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	erased := 0
	for _, ev := range events {
		if ev.NoteErased {
			erased++
		}
	}
	if erased != 4 { // the question, the answer, the remark, the closing words
		t.Errorf("%d notes erased, want 4: %+v", erased, events)
	}
	c, _, err := a.cases.CaseByTicket(ctx, ticket)
	if err != nil || c.Status != services.StatusDone || c.Citizen == nil || c.Citizen.Name != "" {
		t.Errorf("case after erasure: %s, citizen %+v, %v; want selesai and no name", c.Status, c.Citizen, err)
	}

	all := storetest.RedisContents(t, a.storage.Redis, cfg.RedisPrefix+"*")
	for _, s := range typed {
		if strings.Contains(all, s) {
			t.Errorf("Redis still holds %q", s)
		}
	}
}

// everyRow is every row of every table of the database, as text, by table.
func everyRow(t *testing.T, dsn string) map[string][]string {
	t.Helper()
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	var tables []string
	if err := db.Raw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, table := range tables {
		var rows []string
		if err := db.Raw(`SELECT CAST(t AS TEXT) FROM "` + table + `" t`).Scan(&rows).Error; err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		out[table] = rows
	}
	if len(out["cases"]) == 0 {
		t.Fatal("no case in the database: the scan proves nothing")
	}
	return out
}
