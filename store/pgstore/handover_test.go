package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
)

func TestHandoverLifecycle(t *testing.T) { eachBackend(t, testHandoverLifecycle) }

func testHandoverLifecycle(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	db := rawDB(t, b, where)
	at := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	secret := "NIK saya 3307054107900001, anak saya sakit"
	h, created, err := s.OpenHandover(ctx, services.NewHandover{
		Channel: "telegram", ChatID: "5001", Name: "Siti", Unit: "pelayanan_umum", Topic: "sktm", At: at,
		First: services.HandoverMessage{From: services.HandoverFromCitizen, Text: secret},
	})
	if err != nil || !created {
		t.Fatalf("open = %+v, %v, %v", h, created, err)
	}
	if h.State != services.HandoverWaiting || h.Unit != "pelayanan_umum" || h.ChatID != "5001" || h.CitizenName != "Siti" || !h.WaitingSince.Equal(at) {
		t.Errorf("opened conversation = %+v", h)
	}
	// A second request while one is open adds to it.
	again, created, err := s.OpenHandover(ctx, services.NewHandover{
		Channel: "telegram", ChatID: "5001", Unit: "pemerintahan", At: at.Add(time.Minute),
		First: services.HandoverMessage{From: services.HandoverFromCitizen, Text: "halo?"},
	})
	if err != nil || created || again.Number != h.Number || again.Unit != "pelayanan_umum" {
		t.Errorf("second open = %+v, %v, %v; want the first conversation", again, created, err)
	}
	// The same chat message handled twice (a crash before its turn was
	// committed) is one line.
	for range 2 {
		if _, err := s.AppendHandover(ctx, h.Number, services.HandoverMessage{
			From: services.HandoverFromCitizen, Text: "halo?", At: at.Add(time.Minute), Source: "telegram:5001:m7",
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM conversation_messages WHERE source IS NOT NULL`); n != 1 {
		t.Errorf("a message handled twice left %d lines", n)
	}
	if n := count(t, db, `SELECT count(*) FROM conversation_messages WHERE source LIKE ?`, "%5001%"); n != 0 {
		t.Error("the source names the chat in clear")
	}
	// At rest the citizen's words are sealed.
	if n := count(t, db, `SELECT count(*) FROM conversation_messages WHERE body LIKE ?`, "%3307%"); n != 0 {
		t.Errorf("%d message bodies hold the NIK in clear", n)
	}
	if n := count(t, db, `SELECT count(*) FROM conversation_messages WHERE body LIKE 'enc:v1:%'`); n != 3 {
		t.Errorf("%d sealed bodies, want 3", n)
	}

	reply := services.HandoverMessage{From: "budi", Text: "Baik Bu, saya bantu.", At: at.Add(2 * time.Minute)}
	held, err := s.HoldHandover(ctx, h.Number, "budi", reply.At, &reply)
	if err != nil || held.State != services.HandoverHeld || held.Holder != "budi" || !held.AnsweredAt.Equal(reply.At) {
		t.Fatalf("hold = %+v, %v", held, err)
	}
	// The second officer is told who holds it; nothing of theirs is kept.
	other := services.HandoverMessage{From: "ani", Text: "Saya juga", At: at.Add(3 * time.Minute)}
	if got, err := s.HoldHandover(ctx, h.Number, "ani", other.At, &other); !errors.Is(err, services.ErrHandoverHeld) || got.Holder != "budi" {
		t.Errorf("second officer's hold = %+v, %v; want ErrHandoverHeld naming budi", got, err)
	}
	moved, err := s.TransferHandover(ctx, h.Number, "pemerintahan", "", "dialihkan ke pemerintahan oleh budi", at.Add(4*time.Minute))
	if err != nil || moved.Unit != "pemerintahan" || moved.Holder != "" || moved.State != services.HandoverWaiting || !moved.WaitingSince.Equal(at.Add(4*time.Minute)) {
		t.Errorf("transfer = %+v, %v", moved, err)
	}
	if ok, err := s.MarkHandoverEscalated(ctx, h.Number, at.Add(20*time.Minute)); err != nil || !ok {
		t.Errorf("first escalation = %v, %v", ok, err)
	}
	if ok, err := s.MarkHandoverEscalated(ctx, h.Number, at.Add(21*time.Minute)); err != nil || ok {
		t.Errorf("second escalation = %v, %v; want false", ok, err)
	}
	list, err := s.OpenHandovers(ctx, "pemerintahan")
	if err != nil || len(list) != 1 || list[0].Number != h.Number {
		t.Errorf("open conversations of pemerintahan = %+v, %v", list, err)
	}
	if list, _ := s.OpenHandovers(ctx, "pelayanan_umum"); len(list) != 0 {
		t.Errorf("open conversations of pelayanan_umum = %+v", list)
	}
	closed, err := s.CloseHandover(ctx, h.Number, "budi", at.Add(30*time.Minute))
	if err != nil || closed.State != services.HandoverClosed || closed.ClosedBy != "budi" {
		t.Errorf("close = %+v, %v", closed, err)
	}
	if _, err := s.AppendHandover(ctx, h.Number, services.HandoverMessage{From: services.HandoverFromCitizen, Text: "x", At: at.Add(time.Hour)}); !errors.Is(err, services.ErrHandoverClosed) {
		t.Errorf("append to a closed conversation: %v", err)
	}
	if err := s.RateHandover(ctx, h.Number, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.RateHandover(ctx, h.Number, 1); err != nil {
		t.Fatal(err)
	}
	ratings, err := s.HandoverRatings(ctx, at, at.Add(24*time.Hour))
	if err != nil || ratings != [5]int{0, 0, 0, 0, 1} {
		t.Errorf("ratings = %v, %v; want one 4 (rated once)", ratings, err)
	}
	rep, err := s.Report(ctx, at.Add(-time.Hour), at.Add(24*time.Hour), at.Add(24*time.Hour), services.Calendar{})
	if err != nil || rep.HandoverRatings != [5]int{0, 0, 0, 0, 1} || rep.IKM.Respondents != 0 {
		t.Errorf("report ratings = %v (IKM respondents %d), %v; want one 4 beside an empty survey", rep.HandoverRatings, rep.IKM.Respondents, err)
	}
	_, history, err := s.Handover(ctx, h.Number)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, m := range history {
		lines = append(lines, m.From+": "+m.Text)
	}
	want := "citizen: " + secret + "|citizen: halo?|citizen: halo?|budi: Baik Bu, saya bantu.|bot: dialihkan ke pemerintahan oleh budi"
	if got := strings.Join(lines, "|"); got != want {
		t.Errorf("history =\n%s\nwant\n%s", got, want)
	}
	if _, _, err := s.Handover(ctx, 999); !errors.Is(err, services.ErrNoHandover) {
		t.Errorf("unknown conversation: %v", err)
	}
	// A new conversation may open once the first is closed.
	if _, created, err := s.OpenHandover(ctx, services.NewHandover{Channel: "telegram", ChatID: "5001", Unit: "pelayanan_umum", At: at.Add(2 * time.Hour),
		First: services.HandoverMessage{From: services.HandoverFromCitizen, Text: "lagi"}}); err != nil || !created {
		t.Errorf("open after close = %v, %v", created, err)
	}
	// The history is append-only: the database refuses changes and deletions.
	if err := db.Exec(`UPDATE conversation_messages SET body = 'forged'`).Error; err == nil {
		t.Error("a message body was rewritten")
	}
	if err := db.Exec(`DELETE FROM conversation_messages`).Error; err == nil {
		t.Error("messages were deleted")
	}
}

func TestHandoverErasure(t *testing.T) { eachBackend(t, testHandoverErasure) }

func testHandoverErasure(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	db := rawDB(t, b, where)
	at := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	h, _, err := s.OpenHandover(ctx, services.NewHandover{Channel: "whatsapp", ChatID: "628123", Name: "Budi", Unit: "pelayanan_umum", At: at,
		First: services.HandoverMessage{From: services.HandoverFromCitizen, Text: "rahasia keluarga", File: &services.StoredFile{Kind: "photo", MIME: "image/jpeg", SHA256: strings.Repeat("a", 64), Size: 10, Path: "aa/aa"}}})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := s.CitizenHandovers(ctx, "whatsapp", "628123")
	if err != nil || len(mine) != 1 || mine[0].Number != h.Number {
		t.Fatalf("citizen's conversations = %+v, %v", mine, err)
	}
	req, err := s.RequestDeletion(ctx, "whatsapp", "628123", at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteDeletion(ctx, req.ID, "camat", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, history, err := s.Handover(ctx, h.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != services.HandoverClosed || got.ChatID != "" || got.CitizenName != "" {
		t.Errorf("erased conversation = %+v; want closed, the chat forgotten", got)
	}
	if len(history) != 1 || history[0].Text != "" || history[0].File != nil || history[0].From != services.HandoverFromCitizen {
		t.Errorf("erased history = %+v; want who and when only", history)
	}
	if n := count(t, db, `SELECT count(*) FROM conversation_messages WHERE erased AND body = '' AND file_sha = ''`); n != 1 {
		t.Errorf("%d erased messages, want 1", n)
	}
	if mine, _ := s.CitizenHandovers(ctx, "whatsapp", "628123"); len(mine) != 0 {
		t.Errorf("after erasure the chat still has conversations: %+v", mine)
	}
}
