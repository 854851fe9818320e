package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

func TestConsent(t *testing.T) { eachBackend(t, testConsent) }

func testConsent(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	first := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)

	if ok, err := s.HasConsent(ctx, "telegram", "42", "nik.v1"); err != nil || ok {
		t.Fatalf("HasConsent before = %v, %v; want false", ok, err)
	}
	if err := s.RecordConsent(ctx, "telegram", "42", "nik.v1", first); err != nil {
		t.Fatalf("record: %v", err)
	}
	if err := s.RecordConsent(ctx, "telegram", "42", "nik.v1", first.Add(time.Hour)); err != nil {
		t.Fatalf("record again: %v", err)
	}
	if ok, err := s.HasConsent(ctx, "telegram", "42", "nik.v1"); err != nil || !ok {
		t.Errorf("HasConsent after = %v, %v; want true", ok, err)
	}
	for _, other := range [][3]string{{"telegram", "42", "nik.v2"}, {"telegram", "43", "nik.v1"}, {"whatsapp", "42", "nik.v1"}} {
		if ok, err := s.HasConsent(ctx, other[0], other[1], other[2]); err != nil || ok {
			t.Errorf("HasConsent%v = %v, %v; want false", other, ok, err)
		}
	}
	data, err := s.CitizenData(ctx, "telegram", "42")
	if err != nil {
		t.Fatalf("citizen data: %v", err)
	}
	if data.Known || len(data.Consents) != 1 || data.Consents[0].Purpose != "nik.v1" || !data.Consents[0].At.Equal(first) {
		t.Errorf("citizen data = %+v, want unknown citizen with one consent at the first time", data)
	}
	if err := s.RecordConsent(ctx, "telegram", "", "nik.v1", first); err == nil {
		t.Error("consent without chat id accepted")
	}
	if err := s.RecordConsent(ctx, "telegram", "42", "", first); err == nil {
		t.Error("consent without purpose accepted")
	}
	if err := s.RecordConsent(ctx, "telegram", "42", "x", time.Time{}); err == nil {
		t.Error("consent without time accepted")
	}
}

// privacyOptions declare the phone and address personal, and leave tujuan
// (the purpose of an SKTM, counted by reports) as archive data.
func privacyOptions(t testing.TB) pgstore.Options {
	o := options(t)
	o.Personal = []string{"telepon", "alamat"}
	return o
}

func TestDeletion(t *testing.T) { eachBackend(t, testDeletion) }

func testDeletion(t *testing.T, b backend) {
	ctx := context.Background()
	where := b.fresh(t)
	s, err := b.open(ctx, where, privacyOptions(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()

	nc := withKK(1)
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if _, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: rec.Ticket, To: services.StatusVerifying,
		Actor: "budi", At: nc.SubmittedAt.Add(time.Hour)}); err != nil {
		t.Fatalf("change status: %v", err)
	}
	bystander, err := s.SubmitCase(ctx, withKK(2))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	// Both answer the survey's profile: only the erased citizen's goes.
	for _, ticket := range []string{rec.Ticket, bystander.Ticket} {
		if _, err := s.StartSurvey(ctx, ticket, nc.SubmittedAt); err != nil {
			t.Fatal(err)
		}
		if err := s.AnswerProfile(ctx, ticket, "pekerjaan", "petani", nc.SubmittedAt); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordConsent(ctx, nc.Channel, nc.ChatID, "nik.v1", nc.SubmittedAt); err != nil {
		t.Fatal(err)
	}

	asked := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	req, err := s.RequestDeletion(ctx, nc.Channel, nc.ChatID, asked)
	if err != nil {
		t.Fatalf("request deletion: %v", err)
	}
	due := req.DueAt
	if req.ID == 0 || !due.Equal(asked.Add(72*time.Hour)) || due.Location().String() != "Asia/Jakarta" {
		t.Errorf("request = %+v, want a number and due 72 h after %v in the office zone", req, asked)
	}
	again, err := s.RequestDeletion(ctx, nc.Channel, nc.ChatID, asked.Add(time.Hour))
	if err != nil || again.ID != req.ID || !again.DueAt.Equal(due) {
		t.Errorf("asking again = %+v, %v; want the first request %+v", again, err, req)
	}
	// An earlier request of another chat lists first.
	if _, err := s.RequestDeletion(ctx, "whatsapp", "628111", asked.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	open, err := s.OpenDeletionRequests(ctx)
	if err != nil {
		t.Fatalf("open requests: %v", err)
	}
	if len(open) != 2 || open[0].ChatID != "628111" || open[1].ChatID != nc.ChatID || !open[1].DueAt.Equal(due) || open[1].DoneAt != nil {
		t.Fatalf("open requests = %+v, want the whatsapp one then ours, both open", open)
	}
	id := open[1].ID

	if _, err := s.CompleteDeletion(ctx, 999999, "budi", asked); !errors.Is(err, pgstore.ErrNotFound) {
		t.Errorf("unknown request: err = %v, want ErrNotFound", err)
	}
	if _, err := s.CompleteDeletion(ctx, id, "", asked); err == nil {
		t.Error("completion without officer accepted")
	}
	done := asked.Add(24 * time.Hour)
	kept, err := s.CompleteDeletion(ctx, id, "budi", done)
	if err != nil {
		t.Fatalf("complete: %v", err)
	}
	if _, err := s.CompleteDeletion(ctx, id, "budi", done); !errors.Is(err, pgstore.ErrDeletionDone) {
		t.Errorf("completing twice: err = %v, want ErrDeletionDone", err)
	}

	// The case is still open: the office still owes the citizen the
	// service, so its data and the chat stay until it is finished.
	if len(kept) != 1 || kept[0] != rec.Ticket {
		t.Fatalf("kept = %v, want the open case %s", kept, rec.Ticket)
	}
	c, _, err := s.CaseByTicket(ctx, rec.Ticket)
	if err != nil {
		t.Fatalf("case after deletion: %v", err)
	}
	if !c.EraseWhenClosed || c.FormData["nik"] != testNIK || c.Citizen.ExternalID != nc.ChatID {
		t.Fatalf("open case after deletion: erase when closed %v, nik kept %v, chat %q; want all kept and the mark",
			c.EraseWhenClosed, c.FormData["nik"] == testNIK, c.Citizen.ExternalID)
	}
	// Finishing it tells the citizen (the view still has the chat), then
	// erases it in the same transaction.
	closed, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: rec.Ticket, To: services.StatusRejected,
		Actor: "budi", Note: "berkas tidak lengkap", At: done.Add(time.Hour)})
	if err != nil {
		t.Fatalf("finish the kept case: %v", err)
	}
	if closed.Citizen == nil || closed.Citizen.ExternalID != nc.ChatID {
		t.Errorf("the closing change returned citizen %+v: the citizen could not be told", closed.Citizen)
	}

	// Kept: ticket, status, history, archive fields.
	c, events, err := s.CaseByTicket(ctx, rec.Ticket)
	if err != nil {
		t.Fatalf("case after deletion: %v", err)
	}
	if c.Status != services.StatusRejected || len(events) != 3 || c.FormData["tujuan"] != "beasiswa" || c.EraseWhenClosed {
		t.Errorf("case after deletion: status %s, %d events, form %v, mark %v; want ditolak, 3 events, tujuan kept, no mark",
			c.Status, len(events), c.FormData, c.EraseWhenClosed)
	}
	if !strings.HasPrefix(c.SourceMessage, "h1:") {
		t.Errorf("source message %q: want its keyed hash", c.SourceMessage)
	}
	// Erased: numbers, personal fields, name, chat id, hash.
	for _, f := range []string{"nik", "kk", "telepon", "alamat"} {
		if _, ok := c.FormData[f]; ok {
			t.Errorf("field %s kept after deletion", f)
		}
	}
	if c.Citizen == nil || c.Citizen.Name != "" || c.Citizen.ExternalID == nc.ChatID || !strings.HasPrefix(c.Citizen.ExternalID, "erased:") {
		t.Errorf("citizen after deletion = %+v, want no name and an erased chat id", c.Citizen)
	}
	if found, err := s.CasesByNIK(ctx, testNIK); err != nil || len(found) != 1 || found[0].Ticket != bystander.Ticket {
		t.Errorf("CasesByNIK after deletion = %v, %v; want only the other citizen's case", found, err)
	}
	if mine, err := s.CitizenCases(ctx, nc.Channel, nc.ChatID, 0); err != nil || len(mine) != 0 {
		t.Errorf("the chat still reaches %d cases (%v)", len(mine), err)
	}
	// The bystander keeps everything.
	bc, _, err := s.CaseByTicket(ctx, bystander.Ticket)
	if err != nil || bc.FormData["nik"] != testNIK || bc.FormData["telepon"] == "" || bc.Citizen.Name == "" {
		t.Errorf("another citizen's case changed: %v, %v", bc.FormData, err)
	}

	open, err = s.OpenDeletionRequests(ctx)
	if err != nil || len(open) != 1 || open[0].ChatID != "628111" {
		t.Errorf("open requests after completion = %+v, %v; want only the whatsapp one", open, err)
	}
	data, err := s.CitizenData(ctx, nc.Channel, nc.ChatID)
	if err != nil {
		t.Fatalf("citizen data: %v", err)
	}
	if data.Known || len(data.Cases) != 0 || len(data.DeletionRequests) != 1 {
		t.Fatalf("citizen data after deletion = %+v, want unknown, no cases, the request", data)
	}
	r := data.DeletionRequests[0]
	if r.DoneAt == nil || !r.DoneAt.Equal(done) || r.DoneBy != "budi" {
		t.Errorf("request = %+v, want done by budi at %v", r, done)
	}
	// A new request may follow a completed one.
	if _, err := s.RequestDeletion(ctx, nc.Channel, nc.ChatID, done.Add(time.Hour)); err != nil {
		t.Errorf("new request after completion: %v", err)
	}

	raw := rawDB(t, b, where)
	// The bystander has the same phone: only their case may hold it.
	if n := count(t, raw, `SELECT count(*) FROM cases WHERE CAST(form_data AS TEXT) LIKE ?`, "%"+nc.Form["telepon"]+"%"); n != 1 {
		t.Errorf("%d cases hold the phone, want only the bystander's", n)
	}
	if n := count(t, raw, `SELECT count(*) FROM citizens WHERE name = ''`); n != 1 {
		t.Errorf("%d nameless citizens, want the erased one", n)
	}
	if n := count(t, raw, `SELECT count(*) FROM survey_responses WHERE occupation = 'petani'`); n != 1 {
		t.Errorf("%d survey profiles kept, want only the bystander's", n)
	}
	// The consent and the completed request stay as proof, under the
	// chat's keyed hash: the chat id is in neither (the new request, still
	// open, names it).
	if n := count(t, raw, `SELECT count(*) FROM consents WHERE chat_id = ?`, nc.ChatID); n != 0 {
		t.Errorf("%d consents still name the erased chat", n)
	}
	if n := count(t, raw, `SELECT count(*) FROM consents WHERE chat_id LIKE 'h1:%'`); n != 1 {
		t.Errorf("%d consents kept under a hash, want the erased chat's one", n)
	}
	if n := count(t, raw, `SELECT count(*) FROM deletion_requests WHERE chat_id = ? AND done_at IS NOT NULL`, nc.ChatID); n != 0 {
		t.Errorf("%d completed requests still name the erased chat", n)
	}
	if ok, err := s.HasConsent(ctx, nc.Channel, nc.ChatID, "nik.v1"); err != nil || ok {
		t.Errorf("after erasure the chat counts as having consented (%v): a new citizen must see the notice", err)
	}
}

func TestDeletionWithoutCases(t *testing.T) { eachBackend(t, testDeletionWithoutCases) }

func testDeletionWithoutCases(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	if err := s.SetCitizenLang(ctx, "telegram", "7", "jv"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestDeletion(ctx, "telegram", "7", at); err != nil {
		t.Fatalf("request: %v", err)
	}
	open, err := s.Desk().OpenDeletionRequests(ctx)
	if err != nil || len(open) != 1 {
		t.Fatalf("open = %v, %v", open, err)
	}
	if _, err := s.Desk().CompleteDeletion(ctx, open[0].ID, "budi", at.Add(time.Hour)); err != nil {
		t.Fatalf("complete: %v", err)
	}
	if lang, err := s.CitizenLang(ctx, "telegram", "7"); err != nil || lang != "" {
		t.Errorf("language after deletion = %q, %v; want the chat unknown", lang, err)
	}
}

func TestCaseReads(t *testing.T) { eachBackend(t, testCaseReads) }

func testCaseReads(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	rec, err := s.SubmitCase(ctx, sample(1))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	if err := s.RecordRead(ctx, rec.Ticket, "sari", "mengetik surat", at.Add(time.Minute)); err != nil {
		t.Fatalf("record read: %v", err)
	}
	if err := s.Desk().RecordRead(ctx, rec.Ticket, "budi", "", at); err != nil {
		t.Fatalf("record read: %v", err)
	}
	if err := s.RecordRead(ctx, "LKS-000000-0000", "budi", "", at); !errors.Is(err, pgstore.ErrNotFound) {
		t.Errorf("unknown ticket: err = %v, want ErrNotFound", err)
	}
	if err := s.Desk().RecordRead(ctx, "LKS-000000-0000", "budi", "", at); !errors.Is(err, conversation.ErrNoCase) {
		t.Errorf("desk, unknown ticket: err = %v, want conversation.ErrNoCase", err)
	}
	if err := s.RecordRead(ctx, rec.Ticket, "", "", at); err == nil {
		t.Error("read without officer accepted")
	}
	reads, err := s.Reads(ctx, rec.Ticket)
	if err != nil {
		t.Fatalf("reads: %v", err)
	}
	if len(reads) != 2 || reads[0].Officer != "budi" || !reads[0].At.Equal(at) || reads[1].Officer != "sari" || reads[1].Purpose != "mengetik surat" {
		t.Errorf("reads = %+v, want budi then sari, with her purpose", reads)
	}
	if reads[0].At.Location().String() != "Asia/Jakarta" {
		t.Errorf("read time in %v, want the office zone", reads[0].At.Location())
	}
	if none, err := s.Reads(ctx, "LKS-000000-0000"); err != nil || len(none) != 0 {
		t.Errorf("reads of an unknown ticket = %v, %v; want none", none, err)
	}
}

func TestCitizenDataMasks(t *testing.T) { eachBackend(t, testCitizenDataMasks) }

func testCitizenDataMasks(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	nc := withKK(1)
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.Desk().CitizenData(ctx, nc.Channel, nc.ChatID)
	if err != nil {
		t.Fatalf("citizen data: %v", err)
	}
	if !data.Known || data.Name != nc.CitizenName || data.Lang != "id" || len(data.Cases) != 1 {
		t.Fatalf("citizen data = %+v, want the citizen with one case", data)
	}
	c := data.Cases[0]
	if c.Ticket != rec.Ticket || c.Status != string(services.StatusReceived) || c.ServiceCode != "sktm" {
		t.Errorf("exported case = %+v", c)
	}
	if c.Form["nik"] != "3307**********01" || c.Form["kk"] != "3307**********04" || c.Form["tujuan"] != "beasiswa" {
		t.Errorf("exported form = %v, want numbers masked and the rest as is", c.Form)
	}
}

func TestErasureLeavesNoTrace(t *testing.T) { eachBackend(t, testErasureLeavesNoTrace) }

// testErasureLeavesNoTrace: once an erasure is complete, the erased values
// are not left in the database's files (SQLite: the database and its
// write-ahead log hold no byte of them), and PostgreSQL vacuumed the
// touched tables, so their dead rows are reclaimed.
func testErasureLeavesNoTrace(t *testing.T, b backend) {
	ctx := context.Background()
	where := b.fresh(t)
	s, err := b.open(ctx, where, privacyOptions(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	nc := withKK(7)
	nc.CitizenName = "Wiryo Sukarto Tigabelas"
	nc.Form["alamat"] = "Dusun Kalitengah Gang Mawar Nomor Tujuh"
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if _, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: rec.Ticket, To: services.StatusRejected,
		Actor: "budi", Note: "bukan wewenang desa", At: nc.SubmittedAt.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	visit := services.NewVisit{Ticket: rec.Ticket, ServiceCode: "sktm", Unit: "pelayanan", Purpose: services.VisitPickup,
		Slot: services.Slot{Day: "2026-12-15", Start: "09:00", End: "10:00"}, Capacity: 2, At: nc.SubmittedAt,
		Channel: nc.Channel, ChatID: nc.ChatID, Lang: "id"}
	if _, err := s.BookVisit(ctx, visit); err != nil {
		t.Fatal(err)
	}
	req, err := s.RequestDeletion(ctx, nc.Channel, nc.ChatID, nc.SubmittedAt.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if kept, err := s.CompleteDeletion(ctx, req.ID, "budi", nc.SubmittedAt.Add(3*time.Hour)); err != nil || len(kept) != 0 {
		t.Fatalf("complete = %v, %v; want nothing kept (the case is closed)", kept, err)
	}
	// The office keeps the booking on its day list; nobody is reminded.
	if v, err := s.TicketVisit(ctx, rec.Ticket); err != nil || v.ChatID == nc.ChatID {
		t.Errorf("the visit after the erasure = %+v, %v; want its chat erased", v, err)
	}
	if due, err := s.VisitsToRemind(ctx, visit.Slot.Day); err != nil || len(due) != 0 {
		t.Errorf("an erased citizen's visit is still to be reminded: %+v, %v", due, err)
	}
	if b.postgres() {
		raw := rawDB(t, b, where)
		for _, table := range []string{"cases", "citizens"} {
			if n := count(t, raw, `SELECT count(*) FROM pg_stat_user_tables WHERE relname = ? AND vacuum_count > 0`, table); n != 1 {
				t.Errorf("table %s was not vacuumed after the erasure", table)
			}
		}
		return
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(where + "*")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, erased := range []string{nc.CitizenName, nc.Form["alamat"], nc.Form["telepon"], "telegram:" + nc.ChatID} {
			if bytes.Contains(raw, []byte(erased)) {
				t.Errorf("%s still holds the erased %q", filepath.Base(f), erased)
			}
		}
	}
}
