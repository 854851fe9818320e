package pgstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/services/imagetest"
	"github.com/leksono/sapa/store/pgstore"
)

var (
	_ conversation.DocumentDesk   = pgstore.Desk{}
	_ conversation.AttachmentDesk = pgstore.Desk{}
)

// TestDeadlineStartsAtTheLastDocument files an SKTM through the engine on
// the real store with two documents to follow: the case waits in perlu_perbaikan, out of the
// reminders' due list; a KK photo a day later joins it and changes nothing
// of the clock; the KTP the day after completes the file, and only then is
// the case due, one working day from that moment.
func TestDeadlineStartsAtTheLastDocument(t *testing.T) {
	eachBackend(t, testDeadlineStartsAtTheLastDocument)
}

func testDeadlineStartsAtTheLastDocument(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	loc := catalog.Office.Location
	// Monday 23 November 2026, 09:00.
	clock := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	privacy := conversationtest.NewPrivacy()
	privacy.AssumeConsent = true
	engine, err := conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: conversationtest.NewStates(func() time.Time { return clock }),
		Cases: s, Desk: s.Desk(), Staff: &services.Staff{UnitGroups: map[string]services.Contacts{}},
		Notifier: &conversationtest.Notifier{}, Media: &conversationtest.Media{}, Privacy: privacy,
		Now: func() time.Time { return clock }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	chat := conversation.ChatKey{Channel: "telegram", ChatID: "77001"}
	n := 0
	say := func(text string) []conversation.Reply {
		t.Helper()
		n++
		replies, err := engine.Handle(ctx, conversation.Inbound{Chat: chat, SenderID: chat.ChatID, MessageID: strconv.Itoa(n),
			Kind: conversation.KindText, Text: text, At: clock})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		return replies
	}
	photo := func(caption string, shade uint8) {
		t.Helper()
		n++
		_, err := engine.Handle(ctx, conversation.Inbound{Chat: chat, SenderID: chat.ChatID, MessageID: strconv.Itoa(n),
			Kind: conversation.KindUnsupported, Media: "photo", Text: caption, At: clock,
			Attachments: []conversation.Attachment{{Kind: "photo", MIME: "image/jpeg", Data: imagetest.JPEG(40, 30, shade, imagetest.EXIF{})}}})
		if err != nil {
			t.Fatalf("photo %q: %v", caption, err)
		}
	}
	for _, line := range []string{"mau buat sktm", "3307051708900001", "Siti Aminah", "17-08-1990", "sawangan",
		"Dusun Krajan RT 02 RW 01", "berobat di rumah sakit", "081234567890"} {
		say(line)
	}
	photo("", 10) // the pengantar, the first document asked
	say("ya")

	cases, err := s.CitizenCases(ctx, chat.Channel, chat.ChatID, 5)
	if err != nil || len(cases) != 1 {
		t.Fatalf("cases = %+v, %v", cases, err)
	}
	ticket := cases[0].Ticket
	c := reload(t, s, ticket)
	if c.Status != services.StatusIncomplete {
		t.Fatalf("filed without its KTP and KK: status %s, want %s", c.Status, services.StatusIncomplete)
	}
	if got := maps.Clone(map[string]string(c.FormData)); got["pengantar_desa"] != "1" || got["foto_ktp"] != "0" || got["foto_kk"] != "0" {
		t.Fatalf("document counts = %v", got)
	}
	// The due list of the reminders leaves a case waiting for the citizen out.
	dueBefore := clock.Add(30 * 24 * time.Hour)
	if open, err := s.OpenCases(ctx, pgstore.CaseFilter{DueBefore: &dueBefore}); err != nil || len(open) != 0 {
		t.Fatalf("due list = %v, %v; want none while documents are missing", tickets(open), err)
	}

	// Tuesday: the KK. The file is still incomplete; the clock still waits.
	clock = clock.Add(24 * time.Hour)
	photo("ini kk", 20)
	c = reload(t, s, ticket)
	if c.Status != services.StatusIncomplete || c.FormData["foto_kk"] != "1" || c.FormData["foto_ktp"] != "0" {
		t.Fatalf("after the KK: status %s, form %v", c.Status, c.FormData)
	}

	// Wednesday 10:00: the KTP, the last one. Due one working day later.
	clock = time.Date(2026, 11, 25, 10, 0, 0, 0, loc)
	photo("", 30)
	c = reload(t, s, ticket)
	if want := time.Date(2026, 11, 25, 16, 0, 0, 0, loc); c.Status != services.StatusVerifying || !c.DueAt.Equal(want) {
		t.Fatalf("complete file: status %s, due %s; want %s due %s", c.Status, c.DueAt, services.StatusVerifying, want)
	}
	_, events, err := s.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind+":"+string(e.ToStatus))
	}
	if want := []string{"submit:perlu_perbaikan", "reply:perlu_perbaikan", "reply:verifikasi"}; !slices.Equal(kinds, want) {
		t.Errorf("history = %v, want %v", kinds, want)
	}
	files, err := s.Attachments(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []string
	for _, f := range files {
		reqs = append(reqs, f.Requirement)
	}
	if want := []string{"pengantar_desa", "foto_kk", "foto_ktp"}; !slices.Equal(reqs, want) {
		t.Errorf("files filed for %v, want %v", reqs, want)
	}
	if open, err := s.OpenCases(ctx, pgstore.CaseFilter{DueBefore: &dueBefore}); err != nil || !slices.Equal(tickets(open), []string{ticket}) {
		t.Errorf("due list = %v, %v; want the complete case", tickets(open), err)
	}

	// A photo more finds no case missing anything: it is not taken.
	photo("", 40)
	if files, _ := s.Attachments(ctx, ticket); len(files) != 3 {
		t.Errorf("%d files after a photo with nothing missing, want 3", len(files))
	}
	// A finished case takes no documents.
	move(t, s, ticket, services.StatusRejected, clock.Add(time.Hour))
	if _, _, err := s.AddDocuments(ctx, services.DocumentsAdded{Ticket: ticket, Note: "x", At: clock.Add(2 * time.Hour)}); !errors.Is(err, pgstore.ErrClosed) {
		t.Errorf("documents to a closed case: %v, want ErrClosed", err)
	}
}

func reload(t *testing.T, s *pgstore.Store, ticket string) pgstore.Case {
	t.Helper()
	c, _, err := s.CaseByTicket(context.Background(), ticket)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The same documents handed over again (a message handled twice after a
// crash) are counted once: the count is what the case holds.
func TestAddDocumentsTwiceCountsOnce(t *testing.T) { eachBackend(t, testAddDocumentsTwiceCountsOnce) }

func testAddDocumentsTwiceCountsOnce(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	ticket := submitAt(t, s, 1, at, func(nc *services.NewCase) {
		nc.Incomplete = true
		nc.Form["foto_kk"] = "0"
	})
	kk := photoA
	kk.Requirement = "foto_kk"
	add := services.DocumentsAdded{Ticket: ticket, Files: []services.StoredFile{kk}, Counts: map[string]string{"foto_kk": "1"},
		Complete: true, DueAt: at.Add(8 * time.Hour), Note: "Dokumen dikirim: KK", At: at.Add(time.Hour)}
	for range 2 {
		c, _, err := s.AddDocuments(ctx, add)
		if err != nil {
			t.Fatal(err)
		}
		if c.FormData["foto_kk"] != "1" || c.Status != services.StatusVerifying || !c.DueAt.Equal(add.DueAt) {
			t.Fatalf("after adding: form %v, status %s, due %s", c.FormData, c.Status, c.DueAt)
		}
	}
	files, err := s.Attachments(ctx, ticket)
	if err != nil || len(files) != 1 || files[0].Requirement != "foto_kk" {
		t.Fatalf("files = %+v, %v", files, err)
	}
	if _, _, err := s.AddDocuments(ctx, services.DocumentsAdded{Ticket: ticket, Note: "x", At: add.At, Complete: true}); err == nil {
		t.Error("a complete file without its due date was accepted")
	}
	bad := photoB
	if _, _, err := s.AddDocuments(ctx, services.DocumentsAdded{Ticket: ticket, Files: []services.StoredFile{bad}, Note: "x", At: add.At}); err == nil {
		t.Error("a document naming no requirement was accepted")
	}
}

// A request filed without any of its documents, with a number handed out
// before (the bot's way: one statement on PostgreSQL), starts in
// perlu_perbaikan too, its history saying so.
func TestIncompleteCaseWithItsNumber(t *testing.T) { eachBackend(t, testIncompleteCaseWithItsNumber) }

func testIncompleteCaseWithItsNumber(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	nc := sample(1)
	nc.Incomplete, nc.TicketNumber = true, 7
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	c, events, err := s.CaseByTicket(ctx, rec.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != services.StatusIncomplete || len(events) != 1 || events[0].ToStatus != services.StatusIncomplete {
		t.Errorf("status %s, history %+v; want perlu_perbaikan from the start", c.Status, events)
	}
}

// Erasure takes the documents' photos off the case (a KTP's photo shows the
// NIK the erasure removes from the form), and every other file the citizen
// sent with them: a photo can show who sent it as well as a form can.
func TestErasureDropsTheDocuments(t *testing.T) { eachBackend(t, testErasureDropsTheDocuments) }

func testErasureDropsTheDocuments(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	ktp := photoA
	ktp.Requirement = "foto_ktp"
	nc := sample(1)
	nc.SubmittedAt = at
	nc.Attachments = []services.StoredFile{ktp, scan}
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	move(t, s, rec.Ticket, services.StatusRejected, at.Add(time.Hour))
	req, err := s.RequestDeletion(ctx, nc.Channel, nc.ChatID, at.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteDeletion(ctx, req.ID, "camat", at.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	files, err := s.Attachments(ctx, rec.Ticket)
	if err != nil || len(files) != 0 {
		t.Errorf("after the erasure the case holds %+v, %v; want no file", files, err)
	}
}
