package conversation_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/leksono/sapa/conversation"
)

// benchScripts are the messages the load command's citizens type, and
// the sentences a menu has to understand: what every message pays for.
var benchScripts = map[string][]string{
	// The load command's SKTM script, word for word (consent asked).
	"sktm": {"/start", "2", "sktm", "setuju", "3307051708900001", "Siti Aminah", "17-08-1990", "1",
		"Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "0812 3456 7890", "ya"},
	// First messages in a villager's own words, each from a new chat.
	"first": {"mau buat sktm", "ktp saya hilang pak, gimana ngurusnya", "syarat sktm apa saja?",
		"tiket saya LKS-261207-0002", "assalamualaikum", "halo min"},
}

// BenchmarkEngine runs the scripts through the engine on the in-memory
// stores: the engine's own cost per message, storage aside.
//
//	go test ./conversation -run '^$' -bench Engine -benchmem
func BenchmarkEngine(b *testing.B) {
	for _, name := range []string{"sktm", "first"} {
		script := benchScripts[name]
		b.Run(name, func(b *testing.B) {
			h := newHarness(&testing.T{})
			h.privacy.AssumeConsent = false // as a new citizen meets the bot
			ctx := context.Background()
			chat := 0
			b.ReportAllocs()
			for b.Loop() {
				chat++
				for i, text := range script {
					key := conversation.ChatKey{Channel: "telegram", ChatID: strconv.Itoa(chat)}
					if name == "first" {
						chat++
						key.ChatID = strconv.Itoa(chat)
					}
					in := conversation.Inbound{Chat: key, SenderID: key.ChatID, MessageID: strconv.Itoa(i),
						Kind: conversation.KindText, Text: text, At: h.clock}
					if _, err := h.engine.Handle(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(script)), "ns/msg")
		})
	}
}
