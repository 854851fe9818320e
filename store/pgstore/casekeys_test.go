package pgstore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// What a citizen and an officer type into a case's history: an address, a
// phone number, a remark naming the citizen.
const (
	citizenReply = "Alamat saya Dusun Kalitengah RT 03, HP 081298765432"
	officerAsk   = "Mohon kirim foto KK Bu Wiryo yang terbaru"
	officerNote  = "Bu Wiryo datang ke kantor membawa berkas"
	closingNote  = "Ditolak: Bu Wiryo sudah menerima SKTM bulan lalu"
)

func TestEventNotesSealedAndErased(t *testing.T) { eachBackend(t, testEventNotesSealedAndErased) }

// testEventNotesSealedAndErased: the free text of a case's history is never
// in the database in clear, staff read it as it was written, and an
// erasure destroys it (its key) while the history's steps stay; another
// citizen's history is untouched.
func testEventNotesSealedAndErased(t *testing.T, b backend) {
	ctx := context.Background()
	where := b.fresh(t)
	s, err := b.open(ctx, where, privacyOptions(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	nc := withKK(31)
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	other, err := s.SubmitCase(ctx, withKK(32))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	steps := []func() error{
		func() error { _, _, err := s.Assign(ctx, rec.Ticket, "budi", "kasi", at); return err },
		func() error {
			_, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: rec.Ticket, Kind: pgstore.EventQuestion,
				To: services.StatusIncomplete, Actor: "budi", Note: officerAsk, At: at.Add(time.Minute)})
			return err
		},
		func() error {
			_, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: rec.Ticket, Kind: pgstore.EventReply,
				To: services.StatusVerifying, Actor: "citizen", Note: citizenReply, At: at.Add(2 * time.Minute)})
			return err
		},
		func() error {
			_, _, err := s.AddEvent(ctx, rec.Ticket, pgstore.EventNote, "budi", officerNote, at.Add(3*time.Minute))
			return err
		},
		func() error {
			_, _, err := s.AddEvent(ctx, other.Ticket, pgstore.EventNote, "budi", officerNote, at.Add(3*time.Minute))
			return err
		},
		func() error {
			_, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: rec.Ticket, To: services.StatusRejected,
				Actor: "budi", Note: closingNote, At: at.Add(4 * time.Minute)})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
	}

	raw := rawDB(t, b, where)
	for _, typed := range []string{citizenReply, officerAsk, officerNote, closingNote, "081298765432", "Wiryo"} {
		if n := count(t, raw, `SELECT count(*) FROM case_events WHERE note LIKE ?`, "%"+typed+"%"); n != 0 {
			t.Errorf("%d events hold %q in clear", n, typed)
		}
	}
	// An assignment's note is an officer id: the office's own, kept readable.
	if n := count(t, raw, `SELECT count(*) FROM case_events WHERE kind = ? AND note = ?`, pgstore.EventAssign, "budi"); n != 1 {
		t.Errorf("%d assignments name budi in clear, want 1", n)
	}

	// Staff read the history as it was written.
	want := map[string]string{pgstore.EventQuestion: officerAsk, pgstore.EventReply: citizenReply, pgstore.EventNote: officerNote}
	_, events, err := s.CaseByTicket(ctx, rec.Ticket)
	if err != nil {
		t.Fatalf("case: %v", err)
	}
	if len(events) != 6 {
		t.Fatalf("%d events, want 6", len(events))
	}
	for _, ev := range events {
		if w, ok := want[ev.Kind]; ok && ev.Note != w {
			t.Errorf("%s note = %q, want %q", ev.Kind, ev.Note, w)
		}
	}
	if last := events[len(events)-1]; last.Note != closingNote || last.NoteErased {
		t.Errorf("closing event = %+v, want its note", last)
	}
	if _, mine, err := s.CitizenCase(ctx, rec.Ticket, nc.Channel, nc.ChatID); err != nil || !hasNote(mine, citizenReply) {
		t.Errorf("the citizen's own view lacks their answer: %v", err)
	}

	req, err := s.RequestDeletion(ctx, nc.Channel, nc.ChatID, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if kept, err := s.CompleteDeletion(ctx, req.ID, "camat", at.Add(2*time.Hour)); err != nil || len(kept) != 0 {
		t.Fatalf("complete = %v, %v; want nothing kept", kept, err)
	}

	_, events, err = s.CaseByTicket(ctx, rec.Ticket)
	if err != nil {
		t.Fatalf("case after erasure: %v", err)
	}
	if len(events) != 6 {
		t.Fatalf("%d events after erasure, want the 6 steps kept", len(events))
	}
	for _, ev := range events {
		switch ev.Kind {
		case pgstore.EventSubmit:
		case pgstore.EventAssign:
			if ev.Note != "budi" || ev.NoteErased {
				t.Errorf("assignment after erasure = %+v, want budi kept", ev)
			}
		default:
			if ev.Note != "" || !ev.NoteErased {
				t.Errorf("%s event after erasure = %+v, want its note erased", ev.Kind, ev)
			}
		}
	}
	if n := count(t, raw, `SELECT count(*) FROM case_keys WHERE case_id IN (SELECT id FROM cases WHERE ticket = ?)`, rec.Ticket); n != 0 {
		t.Errorf("the erased case still has %d note keys", n)
	}
	_, events, err = s.CaseByTicket(ctx, other.Ticket)
	if err != nil || !hasNote(events, officerNote) {
		t.Errorf("another citizen's history lost its note: %v", err)
	}

	if b.postgres() {
		if n := count(t, raw, `SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'case_keys' AND vacuum_count > 0`); n != 1 {
			t.Error("case_keys was not vacuumed after the erasure")
		}
		return
	}
	// SQLite: no byte of the destroyed key is left in the files (the
	// citizen's typed text was never there in clear).
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(where + "*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, typed := range []string{citizenReply, officerAsk, closingNote} {
			if bytes.Contains(data, []byte(typed)) {
				t.Errorf("%s holds %q", filepath.Base(f), typed)
			}
		}
	}
}

func hasNote(events []pgstore.CaseEvent, note string) bool {
	for _, ev := range events {
		if ev.Note == note {
			return true
		}
	}
	return false
}

func TestEventNotesSurviveKeyRotation(t *testing.T) { eachBackend(t, testEventNotesSurviveKeyRotation) }

// testEventNotesSurviveKeyRotation: Reseal brings the keys of the notes to
// the new data key, so the old key may go and the notes still open.
func testEventNotesSurviveKeyRotation(t *testing.T, b backend) {
	ctx := context.Background()
	where := b.fresh(t)
	reopen := func(o pgstore.Options) *pgstore.Store {
		t.Helper()
		s, err := b.open(ctx, where, o)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	s := reopen(options(t))
	rec, err := s.SubmitCase(ctx, withKK(33))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddEvent(ctx, rec.Ticket, pgstore.EventReply, "citizen", citizenReply, time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	o := options(t)
	o.Keys = parseKeys(t, "k2:"+key32(2)+",k1:"+key32(1))
	if n, err := reopen(o).Reseal(ctx); err != nil || n != 2 {
		t.Fatalf("reseal = %d, %v; want the case and its note key", n, err)
	}
	o.Keys = parseKeys(t, "k2:"+key32(2))
	_, events, err := reopen(o).CaseByTicket(ctx, rec.Ticket)
	if err != nil || !hasNote(events, citizenReply) {
		t.Errorf("after rotation the answer does not open: %v", err)
	}
}
