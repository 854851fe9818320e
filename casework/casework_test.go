package casework_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// The real case store is what the desk is built for.
var (
	_ casework.Cases = pgstore.Desk{}
	_ casework.Reads = pgstore.Desk{}
)

// office is the desk as the bot wires it: the engine (which owns the
// citizens' chats) on real PostgreSQL and Redis, its notifications caught
// at the notifier.
type office struct {
	t      *testing.T
	store  *pgstore.Store
	dsn    string // the store's database
	engine *conversation.Engine
	desk   *casework.Desk
	notes  *notes
	staff  *services.Staff
	clock  time.Time
	seq    int
}

// Monday morning in Leksono.
var monday = time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("WIB", 7*3600))

func newOffice(t *testing.T) *office {
	t.Helper()
	ctx := context.Background()
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pgstore.ParseKeys("k1:"+randomKey(t), randomKey(t))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sensitive, personal := catalog.PersonalFields()
	dsn := storetest.Postgres(t)
	store, err := pgstore.Open(ctx, dsn, pgstore.Options{
		TicketPrefix: catalog.Office.TicketPrefix, Location: catalog.Office.Location, Keys: keys,
		Sensitive: sensitive, Personal: personal, Log: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	rdb, prefix := storetest.Redis(t)
	o := &office{t: t, store: store, dsn: dsn, notes: &notes{fail: map[string]bool{}}, clock: monday, staff: &services.Staff{
		UnitGroups: map[string]services.Contacts{},
		Officers: []services.Officer{
			{ID: "camat", Name: "Bu Camat", Role: services.RoleCamat, Contacts: services.Contacts{"telegram": "9000"}, Active: true},
			{ID: "kasi_kesos", Name: "Pak Kasi Kesos", Role: services.RoleKasi, Unit: "kesejahteraan_sosial", Contacts: services.Contacts{"telegram": "9001"}, Active: true},
			{ID: "petugas_kesos", Name: "Mbak Petugas Kesos", Role: services.RolePetugas, Unit: "kesejahteraan_sosial", Contacts: services.Contacts{"telegram": "9002"}, Active: true},
			{ID: "petugas_umum", Name: "Mas Petugas Umum", Role: services.RolePetugas, Unit: "pelayanan_umum", Contacts: services.Contacts{"telegram": "9003"}, Active: true},
			{ID: "admin", Name: "Mas Admin", Role: services.RoleAdmin, Contacts: services.Contacts{"telegram": "9005"}, Active: true},
		},
	}}
	states := redisstore.New(rdb, prefix)
	o.engine, err = conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: states, Cases: store, Desk: store.Desk(),
		Surveys: store.Desk(), Privacy: store.Desk(), Staff: o.staff, Notifier: o.notes, Handovers: store,
		Now: func() time.Time { return o.clock }, Log: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	o.desk = o.engine.Casework()
	return o
}

func randomKey(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (o *office) officer(id string) services.Officer {
	off, ok := o.staff.Officer(id)
	if !ok {
		o.t.Fatalf("no officer %s", id)
	}
	return off
}

// file submits a case of the kesos unit from citizen chat, rahasia or not.
func (o *office) file(chat, confidentiality string) string {
	o.t.Helper()
	o.seq++
	nc := services.NewCase{
		Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "telegram", ChatID: chat,
		CitizenName: "Siti Aminah", VillageCode: "33.07.05.2001", Form: map[string]string{"nik": "3307051708900001", "nama": "Siti Aminah"},
		SourceMessage: fmt.Sprintf("telegram:%s:%d", chat, o.seq), SubmittedAt: o.clock, DueAt: o.clock.Add(8 * time.Hour),
	}
	if confidentiality != "" {
		nc.Kind, nc.ServiceCode, nc.Confidentiality = services.KindComplaint, "pengaduan", confidentiality
		nc.Form = map[string]string{"kategori": "bantuan_sosial", "uraian": "Nama saya tidak ada di daftar penerima bantuan."}
	}
	r, err := o.store.SubmitCase(context.Background(), nc)
	if err != nil {
		o.t.Fatal(err)
	}
	return r.Ticket
}

// chat sends text as the sender of chat and returns the reply's text.
func (o *office) chat(sender, text string) string {
	o.t.Helper()
	o.seq++
	replies, err := o.engine.Handle(context.Background(), conversation.Inbound{
		Chat: conversation.ChatKey{Channel: "telegram", ChatID: sender}, SenderID: sender,
		MessageID: fmt.Sprint(o.seq), Kind: conversation.KindText, Text: text, At: o.clock,
	})
	if err != nil {
		o.t.Fatalf("%s says %q: %v", sender, text, err)
	}
	var out []string
	for _, r := range replies {
		out = append(out, r.Text)
	}
	return strings.Join(out, "\n")
}

// notes is the notifier: it records what reached each chat, and refuses
// the chats in fail.
type notes struct {
	mu   sync.Mutex
	fail map[string]bool
	sent map[string][]string
}

func (n *notes) Notify(_ context.Context, to conversation.ChatKey, r conversation.Reply) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail[to.ChatID] {
		return errors.New("outbox unavailable")
	}
	if n.sent == nil {
		n.sent = map[string][]string{}
	}
	n.sent[to.ChatID] = append(n.sent[to.ChatID], r.Text)
	return nil
}

func (n *notes) to(chat string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.sent[chat]...)
}

// #16.2: a rahasia complaint stays with its unit and the camat. It cannot
// be given to an admin (who sees every other case), the admin's lists do
// not show it, and reading or acting on it fails exactly like a ticket
// that does not exist.
func TestRahasiaStaysInItsUnit(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	ctx := context.Background()
	secret := o.file("1001", services.ConfidentialSecret)
	plain := o.file("1002", "")
	kasi, admin := o.officer("kasi_kesos"), o.officer("admin")

	if _, err := o.desk.Assign(ctx, kasi, secret, "admin"); !errors.Is(err, casework.ErrNoTarget) {
		t.Errorf("kasi gives a rahasia case to an admin: want ErrNoTarget, got %v", err)
	}
	if _, err := o.desk.Assign(ctx, kasi, plain, "admin"); err != nil {
		t.Errorf("kasi gives an ordinary case to an admin: %v", err)
	}
	if _, err := o.desk.Assign(ctx, kasi, secret, "camat"); err != nil {
		t.Errorf("kasi gives a rahasia case to the camat: %v", err)
	}
	if _, err := o.desk.Assign(ctx, kasi, secret, "petugas_umum"); !errors.Is(err, casework.ErrNoTarget) {
		t.Errorf("kasi gives a case to another unit's petugas: want ErrNoTarget, got %v", err)
	}
	if got := o.notes.to("9005"); len(got) != 1 || !strings.Contains(got[0], plain) {
		t.Errorf("the admin was told of %v, want only the ordinary case %s", got, plain)
	}

	for _, who := range []services.Officer{admin, o.officer("petugas_umum")} {
		list, err := o.desk.List(ctx, who, services.CaseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if c.Ticket == secret {
				t.Errorf("%s's list shows the rahasia case", who.ID)
			}
		}
	}
	for _, who := range []string{"kasi_kesos", "petugas_kesos", "camat"} {
		list, err := o.desk.List(ctx, o.officer(who), services.CaseFilter{})
		if err != nil || len(list) != 2 {
			t.Errorf("%s's list: %d cases, %v; want both", who, len(list), err)
		}
	}

	_, _, errSecret := o.desk.Open(ctx, admin, secret)
	_, _, errNone := o.desk.Open(ctx, admin, "LKS-261123-9999")
	if !errors.Is(errSecret, services.ErrNoCase) || !errors.Is(errNone, services.ErrNoCase) {
		t.Errorf("admin opens the rahasia case: %v; a missing one: %v; want ErrNoCase for both", errSecret, errNone)
	}
	if _, err := o.desk.Move(ctx, admin, secret, services.StatusVerifying, ""); !errors.Is(err, services.ErrNoCase) {
		t.Errorf("admin moves the rahasia case: want ErrNoCase, got %v", err)
	}
	// In the chat the two answers are the same sentence.
	if a, b := o.chat("9005", "lihat "+secret), o.chat("9005", "lihat LKS-261123-9999"); strings.ReplaceAll(a, secret, "T") != strings.ReplaceAll(b, "LKS-261123-9999", "T") {
		t.Errorf("admin reads a rahasia case: %q; a missing one: %q", a, b)
	}
}

// #16.2: the citizen's answer to a question is forwarded to the assignee
// only when they may see the case; a rahasia case given to an admin before
// the rule existed goes to its unit instead.
func TestForwardedAnswerFollowsTheRule(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	ctx := context.Background()
	secret := o.file("1001", services.ConfidentialSecret)
	// As the old code allowed: straight in the store.
	if _, _, err := o.store.Assign(ctx, secret, "admin", "kasi_kesos", o.clock); err != nil {
		t.Fatal(err)
	}
	out, err := o.desk.Move(ctx, o.officer("kasi_kesos"), secret, services.StatusIncomplete, "mohon kirim foto KK")
	if err != nil || out.Citizen != casework.Sent {
		t.Fatalf("ask: %+v, %v", out, err)
	}
	if got := o.notes.to("1001"); len(got) != 1 || !strings.Contains(got[0], "mohon kirim foto KK") {
		t.Fatalf("the citizen got %q", got)
	}
	o.clock = o.clock.Add(time.Hour)
	o.chat("1001", "Foto KK sudah saya kirim lewat kantor desa kemarin.")
	if got := o.notes.to("9005"); len(got) != 0 {
		t.Errorf("the admin, who may not see the case, was forwarded %q", got)
	}
	for _, chat := range []string{"9001", "9002"} {
		if got := o.notes.to(chat); len(got) != 1 || !strings.Contains(got[0], "Foto KK sudah saya kirim") {
			t.Errorf("unit officer %s got %q, want the answer", chat, got)
		}
	}
}

// #16.15: the officer is told the truth about the citizen's notification:
// sent, or not, and why (erased on request, the chat blocked the bot, the
// send failed). A question to a citizen who cannot read it leaves no chat
// waiting for an answer.
func TestOfficerToldTheTruth(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	ctx := context.Background()
	petugas := o.officer("petugas_kesos")
	move := func(ticket string, to services.Status, note string) casework.Outcome {
		t.Helper()
		out, err := o.desk.Move(ctx, petugas, ticket, to, note)
		if err != nil {
			t.Fatalf("move %s to %s: %v", ticket, to, err)
		}
		return out
	}

	reachable := o.file("2001", "")
	if out := move(reachable, services.StatusVerifying, ""); out.Citizen != casework.Sent || len(o.notes.to("2001")) != 1 {
		t.Errorf("reachable citizen: %v, got %q", out.Citizen, o.notes.to("2001"))
	}

	// A citizen who asked for erasure with a case open keeps being told
	// of it until it is finished (pgstore.Store.CompleteDeletion).
	kept := o.file("2002", "")
	if _, err := o.store.RequestDeletion(ctx, "telegram", "2002", o.clock); err != nil {
		t.Fatal(err)
	}
	reqs, err := o.store.OpenDeletionRequests(ctx)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("deletion requests: %v, %v", reqs, err)
	}
	if left, err := o.store.CompleteDeletion(ctx, reqs[0].ID, "camat", o.clock); err != nil || len(left) != 1 {
		t.Fatalf("complete deletion = %v, %v; want the open case kept", left, err)
	}
	if out := move(kept, services.StatusVerifying, ""); out.Citizen != casework.Sent || len(o.notes.to("2002")) != 1 {
		t.Errorf("citizen whose open case is kept: %v, want Sent", out.Citizen)
	}
	// One erased by an older version, its case left open, cannot be told.
	erased := o.file("2006", "")
	o.eraseChat("2006")
	if out := move(erased, services.StatusVerifying, ""); out.Citizen != casework.Erased {
		t.Errorf("erased citizen: %v, want Erased", out.Citizen)
	}

	blocked := o.file("2003", "")
	if _, err := o.store.MarkUnreachable(ctx, "telegram", "2003", o.clock); err != nil {
		t.Fatal(err)
	}
	if out := move(blocked, services.StatusIncomplete, "mohon kirim foto KK"); out.Citizen != casework.Unreachable || out.Case.UnreachableAt.IsZero() {
		t.Errorf("blocked citizen: %v (since %v), want Unreachable", out.Citizen, out.Case.UnreachableAt)
	}
	if len(o.notes.to("2003")) != 0 {
		t.Errorf("a blocked chat was sent %q", o.notes.to("2003"))
	}
	// No question waits in their chat: their next message is not taken
	// for an answer to a question they never saw.
	if reply := o.chat("2003", "halo"); !strings.Contains(reply, "Selamat datang") {
		t.Errorf("the blocked citizen's next message was answered %q, want the greeting", reply)
	}

	failing := o.file("2004", "")
	o.notes.fail["2004"] = true
	if out := move(failing, services.StatusVerifying, ""); out.Citizen != casework.Failed {
		t.Errorf("failed send: %v, want Failed", out.Citizen)
	}

	// The chat command says it in words.
	another := o.file("2005", "")
	o.notes.fail["2005"] = true
	if reply := o.chat("9002", "verifikasi "+another); !strings.Contains(reply, "TIDAK bisa diberi tahu") || strings.Contains(reply, "sudah diberi tahu") {
		t.Errorf("officer's reply on a failed send: %q", reply)
	}
	if reply := o.chat("9002", "proses "+erased); !strings.Contains(reply, "dihapus") {
		t.Errorf("officer's reply on an erased citizen: %q", reply)
	}
	if reply := o.chat("9002", "proses "+reachable); !strings.Contains(reply, "Warga sudah diberi tahu") {
		t.Errorf("officer's reply on a reachable citizen: %q", reply)
	}
}

// Finishing a case tells the citizen in their language and invites them to
// the survey, whose first question their next message opens.
func TestDoneInvitesToTheSurvey(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	ctx := context.Background()
	ticket := o.file("3001", "")
	if err := o.store.SetCitizenLang(ctx, "telegram", "3001", "en"); err != nil {
		t.Fatal(err)
	}
	petugas := o.officer("petugas_kesos")
	for _, to := range []services.Status{services.StatusVerifying, services.StatusProcessing} {
		if _, err := o.desk.Move(ctx, petugas, ticket, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := o.desk.Move(ctx, petugas, ticket, services.StatusDone, ""); !errors.Is(err, casework.ErrNoteNeeded) {
		t.Errorf("done without a note: want ErrNoteNeeded, got %v", err)
	}
	out, err := o.desk.Move(ctx, petugas, ticket, services.StatusDone, "Surat bisa diambil di loket 2.")
	if err != nil || out.Citizen != casework.Sent || out.Case.Status != services.StatusDone {
		t.Fatalf("done: %+v, %v", out, err)
	}
	got := o.notes.to("3001")
	last := got[len(got)-1]
	if !strings.Contains(last, "Surat bisa diambil di loket 2.") || !strings.Contains(last, "survey") {
		t.Errorf("the citizen's last notification %q: want the note and the survey invitation, in English", last)
	}
	var illegal *casework.IllegalError
	if _, err := o.desk.Move(ctx, petugas, ticket, services.StatusVerifying, ""); !errors.As(err, &illegal) || illegal.From != services.StatusDone {
		t.Errorf("a finished case moved back: want an IllegalError from selesai, got %v", err)
	}
	if _, err := o.desk.Take(ctx, petugas, ticket); !errors.Is(err, casework.ErrClosed) {
		t.Errorf("taking a finished case: want ErrClosed, got %v", err)
	}
}

// Reading a case is on record; a petugas may take a case but not give it
// away.
func TestOpenIsRecordedAndPetugasTakesOnly(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	ctx := context.Background()
	ticket := o.file("4001", "")
	petugas := o.officer("petugas_kesos")
	c, events, err := o.desk.Open(ctx, petugas, ticket)
	if err != nil || c.Form["nik"] != "3307051708900001" || len(events) != 1 {
		t.Fatalf("open: %+v, %v, %v", c, events, err)
	}
	reads, err := o.store.Reads(ctx, ticket)
	if err != nil || len(reads) != 1 || reads[0].Officer != "petugas_kesos" {
		t.Errorf("read record: %+v, %v", reads, err)
	}
	if _, err := o.desk.Assign(ctx, petugas, ticket, "kasi_kesos"); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("petugas gives a case away: want ErrForbidden, got %v", err)
	}
	out, err := o.desk.Take(ctx, petugas, ticket)
	if err != nil || out.Case.Assignee != "petugas_kesos" {
		t.Errorf("petugas takes the case: %+v, %v", out.Case, err)
	}
	if _, err := o.desk.Note(ctx, petugas, ticket, ""); !errors.Is(err, casework.ErrNoteNeeded) {
		t.Errorf("an empty note: want ErrNoteNeeded, got %v", err)
	}
}

// eraseChat erases a citizen's chat id as versions before open cases were
// kept did: the case stays open with nobody to tell.
func (o *office) eraseChat(chatID string) {
	o.t.Helper()
	db, err := gorm.Open(postgres.Open(o.dsn), &gorm.Config{})
	if err != nil {
		o.t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	if err := db.Exec(`UPDATE citizens SET external_id = 'erased:' || id, name = '' WHERE external_id = ?`, chatID).Error; err != nil {
		o.t.Fatal(err)
	}
}

// Revealing the identity numbers needs a reason, which the read record
// keeps; the files of a case are for those who may see it.
func TestRevealAndFiles(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	ctx := context.Background()
	ticket := o.file("5001", services.ConfidentialSecret)
	petugas, admin := o.officer("petugas_kesos"), o.officer("admin")
	if _, _, err := o.desk.Reveal(ctx, petugas, ticket, ""); !errors.Is(err, casework.ErrNoteNeeded) {
		t.Errorf("reveal without a reason: want ErrNoteNeeded, got %v", err)
	}
	if _, _, err := o.desk.Reveal(ctx, admin, ticket, "iseng"); !errors.Is(err, services.ErrNoCase) {
		t.Errorf("reveal by an officer who may not see the case: want ErrNoCase, got %v", err)
	}
	if _, _, err := o.desk.Reveal(ctx, petugas, ticket, "mengetik surat keterangan"); err != nil {
		t.Fatal(err)
	}
	reads, err := o.store.Reads(ctx, ticket)
	if err != nil || len(reads) != 1 || reads[0].Officer != "petugas_kesos" || reads[0].Purpose != "mengetik surat keterangan" {
		t.Errorf("read record %+v, %v: want the reveal with its reason, and nothing of the refused ones", reads, err)
	}
	photo := services.StoredFile{Kind: "photo", MIME: "image/jpeg", Size: 5, SHA256: strings.Repeat("ab", 32), Path: "ab/" + strings.Repeat("ab", 32) + ".jpg"}
	if err := o.store.AddAttachments(ctx, ticket, []services.StoredFile{photo}, o.clock); err != nil {
		t.Fatal(err)
	}
	files, err := o.desk.Files(ctx, petugas, ticket)
	if err != nil || len(files) != 1 || files[0].SHA256 != photo.SHA256 {
		t.Errorf("files: %+v, %v", files, err)
	}
	if _, err := o.desk.Files(ctx, admin, ticket); !errors.Is(err, services.ErrNoCase) {
		t.Errorf("files for an officer who may not see the case: want ErrNoCase, got %v", err)
	}
}
