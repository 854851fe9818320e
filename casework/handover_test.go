package casework_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// openTalk has citizen chat ask for a person and returns the number of
// its conversation.
func (o *office) openTalk(chat string) int64 {
	o.t.Helper()
	o.chat(chat, "petugas")
	list, err := o.store.CitizenHandovers(context.Background(), "telegram", chat)
	if err != nil || len(list) == 0 {
		o.t.Fatalf("no conversation opened for %s: %v", chat, err)
	}
	return list[0].Number
}

// Issue #22: who may see and act on a conversation. It reaches the front
// desk; another unit's officer cannot see it (the same answer as a number
// that does not exist); the first answer holds it and a colleague's answer
// is refused; the camat's office (admin) may hand it on though held; the
// unit it left no longer sees it; a kasi may transfer it to an officer.
func TestHandoverVisibilityAndHolding(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	ctx := context.Background()
	n := o.openTalk("2001")
	umum, kesos, kasi, admin := o.officer("petugas_umum"), o.officer("petugas_kesos"), o.officer("kasi_kesos"), o.officer("admin")

	if list, err := o.desk.Conversations(ctx, umum); err != nil || len(list) != 1 || list[0].Unit != "pelayanan_umum" {
		t.Fatalf("the front desk's conversations = %+v, %v", list, err)
	}
	if list, _ := o.desk.Conversations(ctx, kesos); len(list) != 0 {
		t.Errorf("another unit lists %+v", list)
	}
	if _, _, err := o.desk.Conversation(ctx, kesos, n); !errors.Is(err, services.ErrNoHandover) {
		t.Errorf("another unit opens it: %v, want ErrNoHandover", err)
	}
	if _, _, err := o.desk.Conversation(ctx, kesos, 9999); !errors.Is(err, services.ErrNoHandover) {
		t.Errorf("an unknown number: %v, want ErrNoHandover", err)
	}
	if _, _, err := o.desk.Conversation(ctx, umum, n); err != nil {
		t.Fatal(err)
	}
	out, err := o.desk.ReplyHandover(ctx, umum, n, "Ada yang bisa dibantu?", nil)
	if err != nil || out.Citizen != casework.Sent || out.Handover.Holder != "petugas_umum" {
		t.Fatalf("the first answer = %+v, %v", out, err)
	}
	if got := o.notes.to("2001"); len(got) == 0 || !strings.Contains(got[len(got)-1], "Ada yang bisa dibantu?") {
		t.Errorf("the citizen got %q", got)
	}
	// Reading is on record; acting is in the history, not a read.
	if reads, err := o.store.HandoverReads(ctx, n); err != nil || len(reads) != 1 || reads[0].Officer != "petugas_umum" || reads[0].Purpose != "" {
		t.Errorf("reads = %+v, %v; want petugas_umum's one read", reads, err)
	}
	if out, err := o.desk.ReplyHandover(ctx, admin, n, "Saya juga", nil); !errors.Is(err, services.ErrHandoverHeld) || out.Handover.Holder != "petugas_umum" {
		t.Errorf("a second answer: %+v, %v; want ErrHandoverHeld naming the holder", out, err)
	}
	if _, err := o.desk.ReplyHandover(ctx, umum, n, "", nil); !errors.Is(err, casework.ErrNoteNeeded) {
		t.Errorf("an empty answer: %v", err)
	}
	if _, err := o.desk.TransferHandover(ctx, admin, n, "kecamatan_lain"); !errors.Is(err, casework.ErrNoTarget) {
		t.Errorf("a transfer nowhere: %v", err)
	}
	moved, err := o.desk.TransferHandover(ctx, admin, n, "kesejahteraan_sosial")
	if err != nil || moved.Handover.Unit != "kesejahteraan_sosial" || moved.Handover.State != services.HandoverWaiting {
		t.Fatalf("the admin hands it on: %+v, %v", moved, err)
	}
	if _, err := o.desk.CloseHandover(ctx, umum, n, ""); !errors.Is(err, services.ErrNoHandover) {
		t.Errorf("the unit it left closes it: %v", err)
	}
	if out, err := o.desk.TransferHandover(ctx, kasi, n, "petugas_kesos"); err != nil || out.Handover.Holder != "petugas_kesos" {
		t.Errorf("the kasi gives it to an officer: %+v, %v", out, err)
	}
	if _, err := o.desk.CloseHandover(ctx, kesos, n, "tidak_ada"); !errors.Is(err, casework.ErrNoService) {
		t.Errorf("a case of no service: %v", err)
	}
	closed, err := o.desk.CloseHandover(ctx, kesos, n, "sktm")
	if err != nil || closed.Handover.State != services.HandoverClosed || closed.Citizen != casework.Sent {
		t.Fatalf("close: %+v, %v", closed, err)
	}
	if got := o.notes.to("2001"); !strings.Contains(got[len(got)-1], "buat sktm") {
		t.Errorf("the citizen is not asked to file the SKTM: %q", got[len(got)-1])
	}
}

// Two officers answering at the same moment: one holds the conversation,
// the other is told so, and only the holder's answer reaches the citizen.
func TestHandoverTwoAnswersAtOnce(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	ctx := context.Background()
	n := o.openTalk("2002")
	officers := []services.Officer{o.officer("petugas_umum"), o.officer("admin")}
	errs := make([]error, len(officers))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, off := range officers {
		wg.Go(func() {
			<-start
			_, errs[i] = o.desk.ReplyHandover(ctx, off, n, "Jawaban "+off.ID, nil)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, services.ErrHandoverHeld):
			t.Errorf("answer failed with %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d answers held the conversation, want 1 (%v)", won, errs)
	}
	_, history, err := o.store.Handover(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if officersSaid := len(history) - 1; officersSaid != 1 {
		t.Errorf("%d officers' answers kept, want 1: %+v", officersSaid, history)
	}
}

// The timers: an unanswered conversation is reported to the kasi and the
// camat once after 15 minutes of office hours; a held one quiet for two
// hours goes back to the bot and the citizen is told in one line.
func TestHandoverTimers(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	ctx := context.Background()
	o.chat("2003", "mau buat sktm")
	n := o.openTalk("2003")
	o.clock = o.clock.Add(14 * time.Minute)
	if err := o.desk.HandoverTimers(ctx); err != nil {
		t.Fatal(err)
	}
	if got := o.notes.to("9001"); len(got) != 1 { // the new conversation only
		t.Fatalf("the kasi got %q before 15 minutes", got)
	}
	o.clock = o.clock.Add(time.Minute)
	for range 2 {
		if err := o.desk.HandoverTimers(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, chat := range []string{"9001", "9000"} {
		got := o.notes.to(chat)
		if len(got) == 0 || !strings.Contains(got[len(got)-1], "belum dijawab selama 15 menit") {
			t.Errorf("chat %s got %q, want one escalation", chat, got)
		}
	}
	if got := o.notes.to("9000"); len(got) != 1 {
		t.Errorf("the camat got %d messages, want the one escalation", len(got))
	}
	if _, err := o.desk.TakeHandover(ctx, o.officer("petugas_kesos"), n); err != nil {
		t.Fatal(err)
	}
	o.clock = o.clock.Add(2 * time.Hour)
	if err := o.desk.HandoverTimers(ctx); err != nil {
		t.Fatal(err)
	}
	h, _, err := o.store.Handover(ctx, n)
	if err != nil || h.State != services.HandoverClosed || h.ClosedBy != services.HandoverFromBot {
		t.Errorf("after two quiet hours: %+v, %v", h, err)
	}
	if got := o.notes.to("2003"); len(got) == 0 || !strings.Contains(got[len(got)-1], "tidak ada pesan baru") {
		t.Errorf("the citizen got %q", got)
	}
	// Back with the bot, at the menu with the form kept.
	replies, err := o.engine.Handle(ctx, conversation.Inbound{
		Chat: conversation.ChatKey{Channel: "telegram", ChatID: "2003"}, SenderID: "2003",
		MessageID: "after-release", Kind: conversation.KindText, Text: "menu", At: o.clock,
	})
	if err != nil || len(replies) == 0 {
		t.Fatalf("menu after the release: %v, %v", replies, err)
	}
	var labels []string
	for _, opt := range replies[len(replies)-1].Options {
		labels = append(labels, opt.Label)
	}
	if !strings.Contains(strings.Join(labels, "|"), "Lanjutkan formulir") {
		t.Errorf("after the release the menu offers %v, want the form kept", labels)
	}
}
