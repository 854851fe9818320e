package letters_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

const (
	testNIK    = "3307054107900001"
	testName   = "Siti Aminah Rahayu"
	publicURL  = "https://sapa.leksono.example"
	testOffice = "33.07.05"
)

// clock is a fake time, moved by the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is an Issuer on the shipped configuration, a real case store
// (SQLite) and a real Redis.
type fixture struct {
	issuer  *letters.Issuer
	cases   *pgstore.Store
	catalog *services.Catalog
	clock   *clock
	logs    *syncBuffer
	n       int
}

// syncBuffer is a log sink the handler's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cat, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	tpls, err := letters.LoadTemplates(configs.FS, cat)
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
	sensitive, personal := cat.PersonalFields()
	cases, err := pgstore.OpenSQLite(context.Background(), storetest.SQLite(t), pgstore.Options{
		TicketPrefix: cat.Office.TicketPrefix, Location: cat.Office.Location, Keys: keys,
		Sensitive: sensitive, Personal: personal,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cases.Close() })
	rdb, prefix := storetest.Redis(t)
	f := &fixture{
		cases: cases, catalog: cat, logs: &syncBuffer{},
		clock: &clock{now: time.Date(2026, 4, 14, 2, 30, 0, 0, time.UTC)}, // 09.30 in Leksono
	}
	f.issuer = letters.New(letters.Config{
		Catalog: cat, Templates: tpls, Texts: texts, Register: cases.Letters(),
		Limiter: redisstore.New(rdb, prefix), PublicURL: publicURL + "/",
		Now: f.clock.Now, Log: slog.New(slog.NewTextHandler(f.logs, nil)),
	})
	return f
}

func randomKey(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// sktm files an SKTM case of testName and moves it to status to.
func (f *fixture) sktm(t *testing.T, to ...services.Status) string {
	t.Helper()
	f.n++
	chat := fmt.Sprint(700000 + f.n)
	rec, err := f.cases.SubmitCase(context.Background(), services.NewCase{
		Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "telegram",
		ChatID: chat, CitizenName: testName, VillageCode: "33.07.05.2001",
		Form: map[string]string{
			"nik": testNIK, "nama": testName, "tanggal_lahir": "1990-07-01", "desa": "33.07.05.2001",
			"alamat": "Dusun Krajan RT 02/RW 03", "keperluan": "beasiswa sekolah anak", "telepon": "6281234567890",
		},
		SourceMessage: "telegram:" + chat + ":1", SubmittedAt: f.clock.Now().Add(-time.Hour), DueAt: f.clock.Now().Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range to {
		if _, _, err := f.cases.ChangeStatus(context.Background(), services.StatusChange{
			Ticket: rec.Ticket, To: st, Actor: "kasi_kesos", At: f.clock.Now().Add(-time.Minute),
		}); err != nil {
			t.Fatal(err)
		}
	}
	return rec.Ticket
}

func TestIssuePrintsTheLetter(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ticket := f.sktm(t, services.StatusVerifying)
	l, err := f.issuer.Issue(ctx, strings.ToLower(ticket), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	if l.Number != "400.9/001/IV/2026" || l.Ticket != ticket || l.Reprint || !l.IssuedAt.Equal(f.clock.Now()) {
		t.Errorf("letter = %+v", l)
	}
	if !letters.LooksLikeCode(l.Code) || len(l.Code) != 11 || l.Code[5] != '-' {
		t.Errorf("code %q is not printed as XXXXX-XXXXX", l.Code)
	}
	if want := publicURL + "/verifikasi/" + l.Code; l.VerifyURL != want {
		t.Errorf("verify URL = %q, want %q", l.VerifyURL, want)
	}
	if !bytes.HasPrefix(l.PDF, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", l.PDF[:min(20, len(l.PDF))])
	}
	text := pdfText(t, l.PDF)
	for _, want := range []string{
		"PEMERINTAH KABUPATEN WONOSOBO", "KECAMATAN LEKSONO", "SURAT KETERANGAN TIDAK MAMPU",
		"Nomor: 400.9/001/IV/2026", testName, testNIK, "1 Juli 1990", "Sawangan", "Dusun Krajan RT 02/RW 03",
		"beasiswa sekolah anak", "Leksono, 14 April 2026", "CAMAT LEKSONO", "Kode verifikasi: " + l.Code,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the letter's text lacks %q:\n%s", want, text)
		}
	}
	// The phone number is asked for the office, not printed.
	if strings.Contains(text, "081234567890") {
		t.Error("the letter prints the phone number")
	}

	images := pdfImages(t, l.PDF)
	if len(images) != 1 {
		t.Fatalf("%d images in the letter, want the QR code", len(images))
	}
	got, err := decodeQR(images[0])
	if err != nil || got != l.VerifyURL {
		t.Errorf("the QR code reads %q, %v; want %q", got, err, l.VerifyURL)
	}

	// Printing is in the case's history, and in the log with no name.
	_, events, err := f.cases.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Kind != services.EventLetter || last.Note != l.Number || last.Actor != "kasi_kesos" {
		t.Errorf("last event = %+v", last)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "letter printed") || strings.Contains(logs, testNIK) || strings.Contains(logs, "Aminah") {
		t.Errorf("log:\n%s", logs)
	}

	// A reprint a day later is the same letter with the same date.
	f.clock.Add(24 * time.Hour)
	again, err := f.issuer.Issue(ctx, ticket, "petugas_kesos")
	if err != nil || !again.Reprint || again.Number != l.Number || again.Code != l.Code || !again.IssuedAt.Equal(l.IssuedAt) {
		t.Errorf("reprint = %+v, %v", again, err)
	}
	if text := pdfText(t, again.PDF); !strings.Contains(text, "Leksono, 14 April 2026") {
		t.Errorf("the reprint is dated otherwise:\n%s", text)
	}
}

func TestIssueRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		ticket string
		want   error
	}{
		{"unknown ticket", "LKS-260414-9999", letters.ErrNoCase},
		{"not a ticket", "halo", letters.ErrNoCase},
		{"nobody checked the file", f.sktm(t), letters.ErrNotPrintable},
		{"incomplete file", f.sktm(t, services.StatusIncomplete), letters.ErrNotPrintable},
		{"refused", f.sktm(t, services.StatusVerifying, services.StatusRejected), letters.ErrNotPrintable},
	} {
		if _, err := f.issuer.Issue(ctx, tc.ticket, "kasi_kesos"); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	complaint, err := f.cases.SubmitCase(ctx, services.NewCase{
		Kind: services.KindComplaint, ServiceCode: "pengaduan", Unit: "pemerintahan", Channel: "telegram", ChatID: "9",
		CitizenName: "Budi", VillageCode: "33.07.05.2001", Form: map[string]string{"kategori": "jalan_jembatan"},
		SourceMessage: "telegram:9:1", SubmittedAt: f.clock.Now(), DueAt: f.clock.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.cases.ChangeStatus(ctx, services.StatusChange{Ticket: complaint.Ticket, To: services.StatusVerifying, Actor: "camat", At: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.issuer.Issue(ctx, complaint.Ticket, "camat"); !errors.Is(err, letters.ErrNotPrintable) {
		t.Errorf("a complaint's letter: %v, want ErrNotPrintable", err)
	}
}

func TestVerifyAndRevoke(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	l, err := f.issuer.Issue(ctx, f.sktm(t, services.StatusVerifying, services.StatusProcessing), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.issuer.Verify(ctx, strings.ToLower(strings.ReplaceAll(l.Code, "-", " ")))
	want := letters.Verification{
		Valid: true, Number: l.Number, Service: "Surat Keterangan Tidak Mampu (SKTM)",
		Holder: "Si** Am**** Ra****", Village: "Sawangan",
	}
	if err != nil || !v.IssuedAt.Equal(l.IssuedAt) {
		t.Fatalf("verify = %+v, %v", v, err)
	}
	if v.IssuedAt = (time.Time{}); v != want {
		t.Errorf("verify =\n%+v\nwant\n%+v", v, want)
	}

	if err := f.issuer.Revoke(ctx, l.Code, "camat", " "); err == nil {
		t.Error("revoked without a reason")
	}
	if err := f.issuer.Revoke(ctx, mistype(l.Code), "camat", "salah"); !errors.Is(err, letters.ErrNoLetter) {
		t.Errorf("revoke a mistyped code: %v, want ErrNoLetter", err)
	}
	if err := f.issuer.Revoke(ctx, l.Code, "camat", "tanggal lahir salah"); err != nil {
		t.Fatal(err)
	}
	if err := f.issuer.Revoke(ctx, l.Code, "camat", "lagi"); !errors.Is(err, letters.ErrRevoked) {
		t.Errorf("revoke twice: %v, want ErrRevoked", err)
	}
	v, err = f.issuer.Verify(ctx, l.Code)
	if err != nil || v.Valid || !v.Revoked || v.Number != l.Number || v.Holder != want.Holder {
		t.Errorf("verify a revoked letter = %+v, %v", v, err)
	}

	// A made-up code and a mistyped one get the same empty answer.
	made, err := f.issuer.Verify(ctx, madeUpCode(t))
	if err != nil || made != (letters.Verification{}) {
		t.Errorf("made-up code = %+v, %v", made, err)
	}
	typo, err := f.issuer.Verify(ctx, mistype(l.Code))
	if err != nil || typo != made {
		t.Errorf("mistyped code = %+v, %v; want %+v", typo, err, made)
	}
}

// madeUpCode is a well-formed code no letter has, as printed.
func madeUpCode(t *testing.T) string {
	t.Helper()
	code, err := letters.NewCode()
	if err != nil {
		t.Fatal(err)
	}
	return letters.FormatCode(code)
}

// mistype changes one symbol of a printed code.
func mistype(code string) string {
	c := code[0]
	swap := byte('A')
	if c == 'A' {
		swap = 'B'
	}
	return string(swap) + code[1:]
}

func TestRegister(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first, err := f.issuer.Issue(ctx, f.sktm(t, services.StatusVerifying), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Hour)
	second, err := f.issuer.Issue(ctx, f.sktm(t, services.StatusVerifying), "petugas_kesos")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.issuer.Revoke(ctx, second.Code, "camat", "dicetak ganda"); err != nil {
		t.Fatal(err)
	}
	entries, err := f.issuer.Register(ctx, 2026)
	if err != nil || len(entries) != 2 {
		t.Fatalf("register = %+v, %v", entries, err)
	}
	e := entries[0]
	if e.Seq != 1 || e.Number != first.Number || e.Ticket != first.Ticket || e.ServiceName != "Surat Keterangan Tidak Mampu (SKTM)" ||
		e.Holder != testName || e.Village != "Sawangan" || e.Code != first.Code || e.IssuedBy != "kasi_kesos" || e.Revoked || e.Prints != 1 {
		t.Errorf("first entry = %+v", e)
	}
	if e := entries[1]; e.Seq != 2 || !e.Revoked || e.RevokedBy != "camat" || e.RevokeReason != "dicetak ganda" || e.RevokedAt.IsZero() {
		t.Errorf("second entry = %+v", e)
	}
	if other, err := f.issuer.Register(ctx, 2025); err != nil || len(other) != 0 {
		t.Errorf("register of 2025 = %+v, %v", other, err)
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{
		"Siti Aminah": "Si** Am****", "  budi  ": "bu**", "Al Farabi": "A* Fa****", "I Made Ayu": "I Ma** Ay*", "": "",
	} {
		if got := letters.MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRegisterXLSX(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first, err := f.issuer.Issue(ctx, f.sktm(t, services.StatusVerifying), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.issuer.Issue(ctx, f.sktm(t, services.StatusVerifying), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.issuer.Revoke(ctx, second.Code, "camat", "dicetak ganda"); err != nil {
		t.Fatal(err)
	}
	raw, err := f.issuer.RegisterXLSX(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the register is not a workbook: %v", err)
	}
	defer book.Close()
	sheet := book.GetSheetName(0)
	if sheet != "Surat keluar 2026" {
		t.Errorf("sheet %q", sheet)
	}
	rows, err := book.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || !strings.Contains(rows[0][0], "Buku Register Surat Keluar Kecamatan Leksono") || rows[2][1] != "Nomor surat" {
		t.Fatalf("rows = %q", rows)
	}
	if r := rows[3]; r[0] != "1" || r[1] != first.Number || r[2] != "14/04/2026" || r[4] != testName || r[6] != first.Ticket || r[9] != first.Code || r[10] != "Berlaku" {
		t.Errorf("first letter's row = %q", r)
	}
	if r := rows[4]; r[0] != "2" || r[10] != "Dicabut" || r[11] != "14/04/2026" || r[12] != "dicetak ganda" {
		t.Errorf("revoked letter's row = %q", r)
	}
	// The date is a date cell, not text.
	if typ, err := book.GetCellType(sheet, "C4"); err != nil || typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Errorf("date cell type = %v, %v", typ, err)
	}
}

func TestCheckLetterFromAChat(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	l, err := f.issuer.Issue(ctx, f.sktm(t, services.StatusVerifying), "kasi_kesos")
	if err != nil {
		t.Fatal(err)
	}
	if !f.issuer.IsCode(l.Code) || f.issuer.IsCode("sktm") {
		t.Error("IsCode does not tell a code from a word")
	}
	got, err := f.issuer.CheckLetter(ctx, l.Code, "whatsapp", "6281234567890", "id")
	if err != nil || !strings.Contains(got, "Surat ASLI") || !strings.Contains(got, l.Number) || !strings.Contains(got, "Si** Am**** Ra****") {
		t.Errorf("answer = %q, %v", got, err)
	}
	if got, _ := f.issuer.CheckLetter(ctx, l.Code, "whatsapp", "6281234567890", "en"); !strings.Contains(got, "GENUINE letter") || !strings.Contains(got, "14 April 2026") {
		t.Errorf("English answer = %q", got)
	}
	made, _ := f.issuer.CheckLetter(ctx, madeUpCode(t), "whatsapp", "6281234567890", "id")
	typo, _ := f.issuer.CheckLetter(ctx, mistype(l.Code), "whatsapp", "6281234567890", "id")
	if made != typo || !strings.Contains(made, "Tidak ada surat") {
		t.Errorf("made-up %q and mistyped %q differ", made, typo)
	}
	for range letters.LookupBurst {
		if _, err := f.issuer.CheckLetter(ctx, l.Code, "telegram", "555", "id"); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := f.issuer.CheckLetter(ctx, l.Code, "telegram", "555", "id"); err != nil || !strings.Contains(got, "coba lagi dalam 2 menit") {
		t.Errorf("past the limit: %q, %v", got, err)
	}
	if logs := f.logs.String(); strings.Contains(logs, "6281234567890") || !strings.Contains(logs, "from=chat:whatsapp:6281*******90") {
		t.Errorf("chat look-ups are not logged masked:\n%s", logs)
	}
}
