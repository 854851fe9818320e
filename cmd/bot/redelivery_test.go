package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/store/pgstore"
)

// TestEveryUpdateDeliveredThreeTimes is fault test 1 of the reliability
// issue: 15 citizens each complete an SKTM request (13 messages, 195
// updates), and Telegram delivers every update three times in a row. The
// cases of one delivery exist, each citizen gets one answer per message,
// and each is told one ticket.
func TestEveryUpdateDeliveredThreeTimes(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, nil)
	const citizens = 15
	chats := make([]int64, citizens)
	for c := range chats {
		chats[c] = 7700000 + int64(c)
	}
	log, _ := checkedLog(t, chats...)
	a := startBot(t, cfg, log)

	script := []string{"halo", "2", "sktm", "setuju", "3307051708900001", "Siti Aminah", "17-08-1990", "1",
		"Dusun Krajan RT 02", "beasiswa sekolah anak", "081234567890", "ya"}
	var last int
	for step, text := range script {
		for c := int64(0); c < citizens; c++ {
			chat := 7700000 + c
			raw := telegramtest.TextUpdate(chat, 100+step, text)
			for i := 0; i < 3; i++ {
				last = srv.PushUpdate(raw)
			}
		}
		for c := int64(0); c < citizens; c++ {
			srv.WaitSent(t, 7700000+c, step+1, 20*time.Second)
		}
	}
	// Any late doubled answer has been sent once the bot took every update
	// and handled all it took.
	srv.WaitOffset(t, last+1, 20*time.Second)
	waitHandled(t, a)
	ticketRe := regexp.MustCompile(`LKS-\d{6}-\d{4}`)
	told := map[string]bool{}
	for c := int64(0); c < citizens; c++ {
		sent := srv.SentTo(7700000 + c)
		// The ticket's answer and the main menu are over one message's
		// length together (conversation.MaxReplyRunes): two messages.
		if len(sent) != len(script)+1 {
			t.Errorf("citizen %d got %d messages answering %d messages delivered three times each, want %d", c, len(sent), len(script), len(script)+1)
			continue
		}
		last := sent[len(sent)-2].Text
		if !strings.Contains(last, "Nomor tiket") {
			t.Errorf("citizen %d ended without a ticket:\n%s", c, last)
		}
		told[ticketRe.FindString(last)] = true
	}
	direct, err := gorm.Open(postgres.Open(cfg.DatabaseURL), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if db, err := direct.DB(); err == nil {
		defer db.Close()
	}
	var count int64
	if err := direct.Model(&pgstore.Case{}).Count(&count).Error; err != nil {
		t.Fatal(err)
	}
	if count != citizens || len(told) != citizens {
		t.Fatalf("%d cases stored and %d distinct tickets told, want %d of each", count, len(told), citizens)
	}
}

// TestRepliesSurviveRateLimits is fault test 2: the Bot API answers 429
// (retry_after 1) to every fifth send; every reply still arrives, in order.
func TestRepliesSurviveRateLimits(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, nil)
	const chat = int64(7800001)
	log, _ := checkedLog(t, chat)
	startBot(t, cfg, log)

	script := []struct{ text, want string }{
		{"halo", "Selamat datang"}, {"2", "Surat apa"}, {"sktm", "Setuju"}, {"setuju", "(1/7)"},
		{"3307051708900001", "(2/7)"}, {"Siti Aminah", "(3/7)"}, {"17-08-1990", "(4/7)"}, {"1", "(5/7)"},
		{"Dusun Krajan RT 02", "(6/7)"}, {"beasiswa sekolah anak", "(7/7)"}, {"081234567890", "Mohon periksa"},
		{"ya", "Nomor tiket"},
	}
	for i, step := range script {
		if (i+1)%5 == 0 {
			srv.FailNextSends(429, 1, 1) // this message's reply is refused once
		}
		srv.PushText(chat, chat, step.text)
		sent := srv.WaitSent(t, chat, i+1, 20*time.Second)
		if got := sent[i].Text; !strings.Contains(got, step.want) {
			t.Fatalf("reply %d: want %q in:\n%s", i+1, step.want, got)
		}
	}
	if attempts := srv.SendAttempts(chat); attempts != len(script)+2 {
		t.Errorf("%d send attempts for %d replies with 2 refused, want %d", attempts, len(script), len(script)+2)
	}
}
