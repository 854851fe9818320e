package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
)

// TestOfficerToldWhenTheCitizenBlockedTheBot (#16.15) through the running
// bot and the fake Bot API: the citizen blocks the bot after filing; the
// officer's next action is answered as told (its notice was queued), then
// the send is refused with 403 and the officer hears that the citizen did
// not get it; their next action says at once that the citizen cannot be
// told.
func TestOfficerToldWhenTheCitizenBlockedTheBot(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": officeWithStaff(t)})
	const citizen, officer = int64(5550041), int64(7001)
	log, _ := checkedLog(t, citizen, officer)
	startBot(t, cfg, log)
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
	for _, line := range []string{"halo", "2", "sktm", "setuju", "3307051708900001", "Siti Aminah", "17-08-1990",
		"Sawangan", "Dusun Krajan RT 02", "beasiswa sekolah anak", "081234567890"} {
		srv.PushText(citizen, citizen, line)
		next(citizen, "")
	}
	srv.PushText(citizen, citizen, "ya")
	ticket := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(next(citizen, "Nomor tiket"))
	// The receipt and the main menu are over one message's length: the
	// menu follows, and reaches the citizen before they block the bot.
	next(citizen, "Silakan pilih layanan")
	next(officer, "Kasus baru "+ticket)

	srv.BlockChat(citizen)
	srv.PushText(officer, officer, "verifikasi "+ticket)
	next(officer, "Warga sudah diberi tahu")
	next(officer, "Pemberitahuan terakhir tentang "+ticket+" TIDAK sampai ke warga")
	srv.PushText(officer, officer, "proses "+ticket)
	if got := next(officer, ticket); !strings.Contains(got, "TIDAK bisa diberi tahu") {
		t.Errorf("the next action on a blocked citizen's case was answered %q", got)
	}
}
