package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// newLetter is a letter of office 33.07.05 in 2026 for ticket, with a code
// of its own.
func newLetter(ticket string, i int, at time.Time) letters.NewLetter {
	return letters.NewLetter{
		Office: "33.07.05", Year: at.Year(), Ticket: ticket, Officer: "budi", At: at,
		Code:       fmt.Sprintf("CODE%06d", i),
		HolderName: "Siti Aminah", HolderMasked: "Si** Am****", VillageCode: "33.07.05.2001",
		Number: func(seq int64) string { return fmt.Sprintf("470/%03d/XII/%d", seq, at.Year()) },
	}
}

// verifiedCase files sample(i) and moves it to verifikasi, where a letter
// may be printed.
func verifiedCase(t testing.TB, s *pgstore.Store, i int) string {
	t.Helper()
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	ticket := submitAt(t, s, i, at)
	move(t, s, ticket, services.StatusVerifying, at.Add(time.Minute))
	return ticket
}

func TestIssueLetter(t *testing.T) { eachBackend(t, testIssueLetter) }

func testIssueLetter(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	reg := s.Letters()
	at := time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC)

	fresh := submitAt(t, s, 1, at.Add(-time.Hour))
	if _, _, err := reg.Issue(ctx, newLetter(fresh, 1, at)); !errors.Is(err, letters.ErrNotPrintable) {
		t.Errorf("letter for a case nobody checked: %v, want ErrNotPrintable", err)
	}
	if _, _, err := reg.Issue(ctx, newLetter("LKS-261202-9999", 1, at)); !errors.Is(err, letters.ErrNoCase) {
		t.Errorf("letter for an unknown ticket: %v, want ErrNoCase", err)
	}
	if _, err := reg.Case(ctx, "LKS-261202-9999"); !errors.Is(err, letters.ErrNoCase) {
		t.Errorf("case of an unknown ticket: %v, want ErrNoCase", err)
	}

	ticket := verifiedCase(t, s, 2)
	c, err := reg.Case(ctx, ticket)
	if err != nil || c.Form["nik"] != testNIK || c.CitizenName != "Siti Aminah" {
		t.Fatalf("case for the letter = %+v, %v: want the NIK open", c, err)
	}
	rec, reprint, err := reg.Issue(ctx, newLetter(ticket, 2, at))
	if err != nil || reprint {
		t.Fatalf("issue: %v, reprint %v", err, reprint)
	}
	want := letters.Record{
		Office: "33.07.05", Year: 2026, Seq: 1, Number: "470/001/XII/2026", Code: "CODE000002", Ticket: ticket,
		Service: "sktm", HolderName: "Siti Aminah", HolderMasked: "Si** Am****", VillageCode: "33.07.05.2001",
		IssuedBy: "budi", Prints: 1,
	}
	if !rec.IssuedAt.Equal(at) || rec.IssuedAt.Location().String() != "Asia/Jakarta" {
		t.Errorf("issued at %v, want %v in the office zone", rec.IssuedAt, at)
	}
	issued := rec.IssuedAt
	if rec.IssuedAt = (time.Time{}); rec != want {
		t.Errorf("record =\n%+v\nwant\n%+v", rec, want)
	}

	// A reprint is the same letter, counted; a new code is not used.
	again, reprint, err := reg.Issue(ctx, newLetter(ticket, 3, at.Add(time.Hour)))
	if err != nil || !reprint || again.Number != rec.Number || again.Code != rec.Code || !again.IssuedAt.Equal(issued) || again.Prints != 2 {
		t.Errorf("reprint = %+v, %v, %v; want the first letter, printed twice", again, reprint, err)
	}
	byCode, err := reg.ByCode(ctx, "CODE000002")
	if err != nil || byCode.Ticket != ticket || byCode.Prints != 2 {
		t.Errorf("by code = %+v, %v", byCode, err)
	}
	if _, err := reg.ByCode(ctx, "CODE000003"); !errors.Is(err, letters.ErrNoLetter) {
		t.Errorf("unknown code: %v, want ErrNoLetter", err)
	}

	_, events, err := s.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(events); !slices.Equal(got, []string{"submit", "status", "letter", "letter"}) {
		t.Errorf("history = %v", got)
	}
	if last := events[len(events)-1]; last.Note != "470/001/XII/2026" || last.Actor != "budi" || last.ToStatus != services.StatusVerifying {
		t.Errorf("letter event = %+v", last)
	}
	// The citizen sees that their letter was printed.
	_, shown, err := s.CitizenCase(ctx, ticket, "telegram", sample(2).ChatID)
	if err != nil || !slices.Contains(kinds(shown), services.EventLetter) {
		t.Errorf("citizen's history = %v, %v; want the letter", kinds(shown), err)
	}

	// Refused cases get no letter, finished ones do.
	refused := verifiedCase(t, s, 4)
	move(t, s, refused, services.StatusRejected, at)
	if _, _, err := reg.Issue(ctx, newLetter(refused, 4, at)); !errors.Is(err, letters.ErrNotPrintable) {
		t.Errorf("letter for a refused case: %v, want ErrNotPrintable", err)
	}
	done := verifiedCase(t, s, 5)
	move(t, s, done, services.StatusProcessing, at)
	move(t, s, done, services.StatusDone, at)
	if rec, _, err := reg.Issue(ctx, newLetter(done, 5, at)); err != nil || rec.Seq != 2 {
		t.Errorf("letter for a finished case = %+v, %v; want number 2", rec, err)
	}

	// A new year starts again at 1.
	next := time.Date(2027, 1, 4, 1, 0, 0, 0, time.UTC)
	newYear := verifiedCase(t, s, 6)
	if rec, _, err := reg.Issue(ctx, newLetter(newYear, 6, next)); err != nil || rec.Seq != 1 || rec.Number != "470/001/XII/2027" {
		t.Errorf("first letter of 2027 = %+v, %v", rec, err)
	}
	list, err := reg.Year(ctx, "33.07.05", 2026)
	if err != nil || len(list) != 2 || list[0].Ticket != ticket || list[1].Ticket != done {
		t.Errorf("register of 2026 = %+v, %v", list, err)
	}
	if other, err := reg.Year(ctx, "33.07.06", 2026); err != nil || len(other) != 0 {
		t.Errorf("another office's register = %+v, %v", other, err)
	}
}

func TestConcurrentLetters(t *testing.T) { eachBackend(t, testConcurrentLetters) }

// testConcurrentLetters prints 20 cases' letters at once, each twice: the
// numbers are 1 to 20 without a gap, one per case.
func testConcurrentLetters(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	reg := s.Letters()
	const n = 20
	ticketsOf := make([]string, n)
	for i := range n {
		ticketsOf[i] = verifiedCase(t, s, i)
	}
	at := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	recs := make([]letters.Record, 2*n)
	errs := make([]error, 2*n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Go(func() {
			<-start
			recs[i], _, errs[i] = reg.Issue(ctx, newLetter(ticketsOf[i%n], i, at))
		})
	}
	close(start)
	wg.Wait()
	byCase := map[string]int64{}
	var seqs []int64
	for i, err := range errs {
		if err != nil {
			t.Fatalf("issue %d: %v", i, err)
		}
		ticket := ticketsOf[i%n]
		if seq, seen := byCase[ticket]; seen {
			if seq != recs[i].Seq {
				t.Errorf("case %s got numbers %d and %d", ticket, seq, recs[i].Seq)
			}
			continue
		}
		byCase[ticket] = recs[i].Seq
		seqs = append(seqs, recs[i].Seq)
	}
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("numbers = %v, want 1..%d without a gap", seqs, n)
		}
	}
	raw := rawDB(t, b, where)
	if c := count(t, raw, `SELECT count(*) FROM letters`); c != n {
		t.Errorf("letters = %d, want %d", c, n)
	}
	if c := count(t, raw, `SELECT count(*) FROM case_events WHERE kind = 'letter'`); c != 2*n {
		t.Errorf("letter events = %d, want %d", c, 2*n)
	}
	if c := count(t, raw, `SELECT last FROM letter_counters`); c != n {
		t.Errorf("counter = %d, want %d", c, n)
	}
}

func TestLetterNumberOfAFailedPrintIsGivenBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, where := openStore(t, b)
		reg := s.Letters()
		first, second := verifiedCase(t, s, 1), verifiedCase(t, s, 2)
		at := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
		raw := rawDB(t, b, where)
		execAll(t, raw, b.failEvents)
		if _, _, err := reg.Issue(ctx, newLetter(first, 1, at)); err == nil {
			t.Fatal("a print whose history event failed succeeded")
		}
		execAll(t, raw, b.passEvents)
		if c := count(t, raw, `SELECT count(*) FROM letters`); c != 0 {
			t.Errorf("letters after a failed print = %d, want 0", c)
		}
		for i, ticket := range []string{second, first} {
			if rec, _, err := reg.Issue(ctx, newLetter(ticket, 10+i, at)); err != nil || rec.Seq != int64(i+1) {
				t.Errorf("print %d after the failure = %+v, %v; want number %d", i, rec, err, i+1)
			}
		}
	})
}

func TestRevokeLetter(t *testing.T) { eachBackend(t, testRevokeLetter) }

func testRevokeLetter(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	reg := s.Letters()
	ticket := verifiedCase(t, s, 1)
	at := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	if _, _, err := reg.Issue(ctx, newLetter(ticket, 1, at)); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Revoke(ctx, "NOSUCHCODE", "camat", "salah", at); !errors.Is(err, letters.ErrNoLetter) {
		t.Errorf("revoke unknown: %v, want ErrNoLetter", err)
	}
	if _, err := reg.Revoke(ctx, "CODE000001", "camat", "", at); err == nil {
		t.Error("revoked without a reason")
	}
	revokedAt := at.Add(2 * time.Hour)
	rec, err := reg.Revoke(ctx, "CODE000001", "camat", "nama pemohon salah tulis", revokedAt)
	if err != nil || !rec.Revoked() || !rec.RevokedAt.Equal(revokedAt) || rec.RevokedBy != "camat" || rec.RevokeReason != "nama pemohon salah tulis" || rec.Ticket != ticket {
		t.Fatalf("revoke = %+v, %v", rec, err)
	}
	if _, err := reg.Revoke(ctx, "CODE000001", "camat", "lagi", revokedAt); !errors.Is(err, letters.ErrRevoked) {
		t.Errorf("revoke twice: %v, want ErrRevoked", err)
	}
	if byCode, err := reg.ByCode(ctx, "CODE000001"); err != nil || !byCode.Revoked() {
		t.Errorf("by code after revoking = %+v, %v", byCode, err)
	}
	_, events, err := s.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Kind != services.EventLetterRevoked || last.Note != "470/001/XII/2026 — nama pemohon salah tulis" || last.Actor != "camat" {
		t.Errorf("revocation event = %+v", last)
	}
	// The next print is a new letter: a new number and code.
	next, reprint, err := reg.Issue(ctx, newLetter(ticket, 2, revokedAt.Add(time.Hour)))
	if err != nil || reprint || next.Seq != 2 || next.Code != "CODE000002" {
		t.Errorf("print after revoking = %+v, %v, %v; want a new letter number 2", next, reprint, err)
	}
}

func TestErasureKeepsTheRegister(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, _ := openStore(t, b)
		ticket := verifiedCase(t, s, 1)
		at := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
		if _, _, err := s.Letters().Issue(ctx, newLetter(ticket, 1, at)); err != nil {
			t.Fatal(err)
		}
		nc := sample(1)
		if _, err := s.RequestDeletion(ctx, nc.Channel, nc.ChatID, at); err != nil {
			t.Fatal(err)
		}
		reqs, err := s.OpenDeletionRequests(ctx)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("requests = %v, %v", reqs, err)
		}
		// The case is open: the letter's holder stays until it is finished.
		if kept, err := s.CompleteDeletion(ctx, reqs[0].ID, "camat", at); err != nil || len(kept) != 1 {
			t.Fatalf("complete deletion = %v, %v; want the open case kept", kept, err)
		}
		if rec, err := s.Letters().ByCode(ctx, "CODE000001"); err != nil || rec.HolderName != "Siti Aminah" {
			t.Errorf("letter of the open case = %+v, %v; want its holder kept until the case is finished", rec, err)
		}
		move(t, s, ticket, services.StatusProcessing, at.Add(time.Hour))
		move(t, s, ticket, services.StatusDone, at.Add(2*time.Hour))
		rec, err := s.Letters().ByCode(ctx, "CODE000001")
		if err != nil || rec.HolderName != "" || rec.HolderMasked != "Si** Am****" || rec.Number != "470/001/XII/2026" {
			t.Errorf("letter after erasure = %+v, %v; want the name erased, the masked name and number kept", rec, err)
		}
	})
}

var _ letters.Register = pgstore.Register{}
