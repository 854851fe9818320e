package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// action is one message of the SKTM script: text to type, or a button to
// press (the first whose label holds pick, "" for the first button; when
// the last reply has none, fallback is pressed as callback data), and a
// fragment the reply must hold (checked against the bot, not the echo).
// until, when set, is a fragment of the reply's last message: a reply
// longer than a phone screen comes in several, and the next action waits
// for the last (a bot that sends it in one message holds both fragments).
type action struct {
	text     string
	pick     string
	fallback string
	expect   string
	isButton bool
	until    string
}

// sktmScript is a complete SKTM request: greeting, menu, every form field,
// the summary with the NIK masked (the documents asked there left to
// follow: a load test sends no photos), the confirmation and the ticket.
func sktmScript(nik string) []action {
	return []action{
		{text: "/start", expect: "Selamat datang"},
		{isButton: true, pick: "Ajukan surat", fallback: "menu:2", expect: "Surat apa"},
		{text: "sktm", expect: "Setuju?"},
		{text: "setuju", expect: "(1/7)"},
		{text: nik, expect: "(2/7)"},
		{text: "Siti Aminah", expect: "(3/7)"},
		{text: "17-08-1990", expect: "(4/7)"},
		{isButton: true, fallback: "desa:1", expect: "(5/7)"},
		{text: "Dusun Krajan RT 02 RW 01", expect: "(6/7)"},
		{text: "beasiswa sekolah anak", expect: "(7/7)"},
		{text: "0812 3456 7890", expect: "**********"},
		{text: "ya", expect: "Nomor tiket", until: "Silakan pilih layanan"}, // the menu follows
	}
}

// firstScript is a first SKTM request as a villager writes it: the first
// message names the service, and the NIK sent right after the privacy
// notice agrees to it (issue #18: at most 9 messages; the documents
// follow).
func firstScript(nik string) []action {
	return []action{
		{text: "mau buat sktm", expect: "Setuju?"},
		{text: nik, expect: "(2/7)"},
		{text: "Siti Aminah", expect: "(3/7)"},
		{text: "17-08-1990", expect: "(4/7)"},
		{isButton: true, fallback: "desa:1", expect: "(5/7)"},
		{text: "Dusun Krajan RT 02 RW 01", expect: "(6/7)"},
		{text: "beasiswa sekolah anak", expect: "(7/7)"},
		{text: "0812 3456 7890", expect: "**********"},
		{text: "ya", expect: "Nomor tiket", until: "Silakan pilih layanan"}, // the menu follows
	}
}

// returningScript is the same citizen's next SKTM request: the answers
// about her come from the first one, the NIK masked, the documents to
// follow (issue #18: at most 6 messages).
func returningScript() []action {
	return []action{
		{text: "mau buat sktm lagi", expect: "Pakai data yang sama?"},
		{text: "ya", expect: "(6/7)"},
		{text: "berobat di rumah sakit", expect: "**********"},
		{text: "ya", expect: "Nomor tiket", until: "Silakan pilih layanan"}, // the menu follows
	}
}

// script is what each citizen of a run types: the SKTM request of the
// menus, or with -returning a first request in a villager's words and a
// second one as a returning citizen.
func script(o options, nik string) []action {
	if o.returning {
		return append(firstScript(nik), returningScript()...)
	}
	return sktmScript(nik)
}

// result is what one citizen saw.
type result struct {
	latencies  []time.Duration
	sent       int
	lost       int // messages with no reply within the timeout
	unexpected int // replies without the expected fragment
	sample     string
	ticket     bool
}

// citizen plays the script once: each message after the reply to the
// previous one and the think time. A message not answered within timeout
// is lost and ends the script (the next would not make sense).
func citizen(ctx context.Context, f *fakeAPI, chat int64, script []action, think time.Duration, timeout time.Duration, check bool, keep func(chan reply)) result {
	inbox := f.inbox(chat)
	keep(inbox)
	var (
		res  result
		last reply
	)
	for i, a := range script {
		if i > 0 && think > 0 {
			select {
			case <-time.After(think):
			case <-ctx.Done():
				return res
			}
		}
		start := time.Now()
		if a.isButton {
			data := a.fallback
			for _, b := range last.buttons {
				if a.pick == "" || strings.Contains(b.text, a.pick) {
					data = b.data
					break
				}
			}
			f.pushCallback(chat, data)
		} else {
			f.pushText(chat, a.text)
		}
		res.sent++
		var ok bool
		if last, ok = receive(ctx, inbox, timeout); !ok {
			res.lost++
			return res
		}
		res.latencies = append(res.latencies, last.at.Sub(start))
		if check && !strings.Contains(last.text, a.expect) {
			res.unexpected++
			if res.sample == "" {
				res.sample = fmt.Sprintf("step %d: want %q in %q", i, a.expect, firstLine(last.text))
			}
		}
		if strings.Contains(last.text, "Nomor tiket") {
			res.ticket = true
		}
		for check && a.until != "" && !strings.Contains(last.text, a.until) {
			var ok bool
			if last, ok = receive(ctx, inbox, timeout); !ok {
				res.lost++
				return res
			}
		}
	}
	res.ticket = res.ticket || !check
	return res
}

// receive waits for the chat's next reply; false when none came within
// timeout or the load was stopped.
func receive(ctx context.Context, inbox chan reply, timeout time.Duration) (reply, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-inbox:
		return r, true
	case <-t.C:
		return reply{}, false
	case <-ctx.Done():
		return reply{}, false
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
