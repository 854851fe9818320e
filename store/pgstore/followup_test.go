package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// submitAt files sample(i) submitted at the given time and returns its
// ticket.
func submitAt(t testing.TB, s *pgstore.Store, i int, at time.Time, mutate ...func(*services.NewCase)) string {
	t.Helper()
	nc := sample(i)
	nc.SubmittedAt = at
	nc.SourceMessage = fmt.Sprintf("telegram:%s:%d:%d", nc.ChatID, i, at.UnixNano())
	for _, m := range mutate {
		m(&nc)
	}
	rec, err := s.SubmitCase(context.Background(), nc)
	if err != nil {
		t.Fatalf("submit %d: %v", i, err)
	}
	return rec.Ticket
}

// move changes the status of a case, failing the test on error.
func move(t testing.TB, s *pgstore.Store, ticket string, to services.Status, at time.Time) pgstore.Case {
	t.Helper()
	c, _, err := s.ChangeStatus(context.Background(), pgstore.StatusChange{Ticket: ticket, To: to, Actor: "budi", At: at})
	if err != nil {
		t.Fatalf("move %s to %s: %v", ticket, to, err)
	}
	return c
}

func tickets(cases []pgstore.Case) []string {
	var ts []string
	for _, c := range cases {
		ts = append(ts, c.Ticket)
	}
	return ts
}

func kinds(events []pgstore.CaseEvent) []string {
	var ks []string
	for _, e := range events {
		ks = append(ks, e.Kind)
	}
	return ks
}

func TestChangeStatus(t *testing.T) { eachBackend(t, testChangeStatus) }

func testChangeStatus(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	raw := rawDB(t, b, dsn)
	nc := sample(1)
	ticket := submitAt(t, s, 1, nc.SubmittedAt)
	jkt := jakarta(t)

	// Without DueAt the due date stays; the time given is the update time.
	at1 := time.Date(2026, 11, 30, 8, 15, 0, 123456789, jkt)
	c, ev, err := s.ChangeStatus(ctx, pgstore.StatusChange{
		Ticket: ticket, To: services.StatusVerifying, Actor: "budi", Note: "diperiksa", At: at1,
	})
	if err != nil {
		t.Fatalf("to verifikasi: %v", err)
	}
	if c.Status != services.StatusVerifying || !c.DueAt.Equal(nc.DueAt) || !c.UpdatedAt.Equal(at1.Truncate(time.Microsecond)) {
		t.Errorf("case after verifikasi: status %s due %v updated %v; want verifikasi, due %v, updated %v",
			c.Status, c.DueAt, c.UpdatedAt, nc.DueAt, at1)
	}
	if c.Citizen == nil || c.Citizen.ExternalID != nc.ChatID || c.Citizen.Name != nc.CitizenName {
		t.Errorf("citizen not loaded: %+v", c.Citizen)
	}
	if c.DueAt.Location().String() != "Asia/Jakarta" || c.UpdatedAt.Location().String() != "Asia/Jakarta" {
		t.Errorf("times in %v, want the office zone", c.DueAt.Location())
	}
	if ev.ID == 0 || ev.CaseID != c.ID || ev.Kind != pgstore.EventStatus || ev.Actor != "budi" || ev.Note != "diperiksa" ||
		ev.FromStatus != services.StatusReceived || ev.ToStatus != services.StatusVerifying ||
		!ev.At.Equal(at1.Truncate(time.Microsecond)) || ev.At.Location().String() != "Asia/Jakarta" {
		t.Errorf("event = %+v, want status diterima -> verifikasi by budi at %v", ev, at1)
	}

	// With DueAt the due date moves.
	due := time.Date(2026, 12, 4, 16, 0, 0, 0, jkt)
	at2 := at1.Add(time.Hour)
	c, _, err = s.ChangeStatus(ctx, pgstore.StatusChange{
		Ticket: ticket, To: services.StatusProcessing, Actor: "budi", At: at2, DueAt: &due,
	})
	if err != nil {
		t.Fatalf("to diproses: %v", err)
	}
	if c.Status != services.StatusProcessing || !c.DueAt.Equal(due) {
		t.Errorf("case after diproses: status %s due %v, want diproses due %v", c.Status, c.DueAt, due)
	}

	// An illegal move changes nothing and writes no event.
	before := count(t, raw, `SELECT count(*) FROM case_events`)
	_, _, err = s.ChangeStatus(ctx, pgstore.StatusChange{
		Ticket: ticket, To: services.StatusReceived, Actor: "budi", At: at2.Add(time.Hour), DueAt: &at2,
	})
	if !errors.Is(err, services.ErrIllegalTransition) {
		t.Errorf("diproses -> diterima: err = %v, want ErrIllegalTransition", err)
	}
	after, _, err := s.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatalf("case by ticket: %v", err)
	}
	if after.Status != services.StatusProcessing || !after.DueAt.Equal(due) || !after.UpdatedAt.Equal(c.UpdatedAt) {
		t.Errorf("after an illegal move: status %s due %v updated %v, want them unchanged", after.Status, after.DueAt, after.UpdatedAt)
	}
	if n := count(t, raw, `SELECT count(*) FROM case_events`); n != before {
		t.Errorf("events = %d after an illegal move, want %d", n, before)
	}

	// A question sends the case back to the citizen, a reply returns it.
	q := pgstore.StatusChange{Ticket: ticket, To: services.StatusIncomplete, Actor: "budi",
		Note: "foto KTP buram", At: at2.Add(2 * time.Hour), Kind: pgstore.EventQuestion}
	if _, ev, err = s.ChangeStatus(ctx, q); err != nil || ev.Kind != pgstore.EventQuestion {
		t.Fatalf("question: event %+v, err %v", ev, err)
	}
	r := pgstore.StatusChange{Ticket: ticket, To: services.StatusVerifying, Actor: "citizen",
		Note: "sudah dikirim ulang", At: at2.Add(3 * time.Hour), Kind: pgstore.EventReply}
	if _, ev, err = s.ChangeStatus(ctx, r); err != nil || ev.Kind != pgstore.EventReply {
		t.Fatalf("reply: event %+v, err %v", ev, err)
	}
	_, events, err := s.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatalf("case by ticket: %v", err)
	}
	want := []string{pgstore.EventSubmit, pgstore.EventStatus, pgstore.EventStatus, pgstore.EventQuestion, pgstore.EventReply}
	if got := kinds(events); !slices.Equal(got, want) {
		t.Errorf("event kinds = %v, want %v", got, want)
	}
	if last := events[len(events)-1]; last.Note != r.Note || last.Actor != "citizen" ||
		last.FromStatus != services.StatusIncomplete || last.ToStatus != services.StatusVerifying {
		t.Errorf("reply stored as %+v", last)
	}

	// Malformed changes are refused before the database is touched.
	before = count(t, raw, `SELECT count(*) FROM case_events`)
	for name, bad := range map[string]pgstore.StatusChange{
		"question to diproses": {Ticket: ticket, To: services.StatusProcessing, Actor: "budi", At: at2, Kind: pgstore.EventQuestion},
		"reply to ditolak":     {Ticket: ticket, To: services.StatusRejected, Actor: "citizen", At: at2, Kind: pgstore.EventReply},
		"note kind":            {Ticket: ticket, To: services.StatusIncomplete, Actor: "budi", At: at2, Kind: pgstore.EventNote},
		"unknown status":       {Ticket: ticket, To: "hilang", Actor: "budi", At: at2},
		"no actor":             {Ticket: ticket, To: services.StatusIncomplete, At: at2},
		"no time":              {Ticket: ticket, To: services.StatusIncomplete, Actor: "budi"},
	} {
		if _, _, err := s.ChangeStatus(ctx, bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := count(t, raw, `SELECT count(*) FROM case_events`); n != before {
		t.Errorf("events = %d after refused changes, want %d", n, before)
	}

	_, _, err = s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: "LKS-261128-9999", To: services.StatusVerifying, Actor: "budi", At: at2})
	if !errors.Is(err, pgstore.ErrNotFound) {
		t.Errorf("unknown ticket: err = %v, want ErrNotFound", err)
	}
}

// TestChangeStatusIsOneTransaction makes the event insert fail and checks
// that the case keeps its status, due date and update time.
func TestChangeStatusIsOneTransaction(t *testing.T) { eachBackend(t, testChangeStatusIsOneTransaction) }

func testChangeStatusIsOneTransaction(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	raw := rawDB(t, b, dsn)
	ticket := submitAt(t, s, 1, sample(1).SubmittedAt)
	before, _, err := s.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatalf("case by ticket: %v", err)
	}

	execAll(t, raw, b.failEvents)
	due := before.DueAt.Add(72 * time.Hour)
	change := pgstore.StatusChange{Ticket: ticket, To: services.StatusVerifying, Actor: "budi",
		At: before.CreatedAt.Add(time.Hour), DueAt: &due}
	if _, _, err := s.ChangeStatus(ctx, change); err == nil || !strings.Contains(err.Error(), "injected event failure") {
		t.Fatalf("change with failing event insert: err = %v, want the injected failure", err)
	}
	if _, _, err := s.Assign(ctx, ticket, "budi", "sari", change.At); err == nil {
		t.Fatal("assign with failing event insert: no error")
	}
	after, events, err := s.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatalf("case by ticket: %v", err)
	}
	if after.Status != before.Status || !after.DueAt.Equal(before.DueAt) || !after.UpdatedAt.Equal(before.UpdatedAt) ||
		after.Assignee != "" {
		t.Errorf("case changed to status %s due %v updated %v assignee %q; want it as before",
			after.Status, after.DueAt, after.UpdatedAt, after.Assignee)
	}
	if len(events) != 1 {
		t.Errorf("events = %d, want only the submission", len(events))
	}

	execAll(t, raw, b.passEvents)
	c, _, err := s.ChangeStatus(ctx, change)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if c.Status != services.StatusVerifying || !c.DueAt.Equal(due) {
		t.Errorf("retry: status %s due %v", c.Status, c.DueAt)
	}
}

// TestConcurrentChangeStatus lets 20 officers take one case from
// verifikasi to diproses at once: one wins, the others see the status the
// winner left.
func TestConcurrentChangeStatus(t *testing.T) { eachBackend(t, testConcurrentChangeStatus) }

func testConcurrentChangeStatus(t *testing.T, b backend) {
	ctx := context.Background()
	const n = 20
	o := options(t)
	o.MaxConns = n + 2 // all n in flight at once, each on its own connection
	s, dsn := openStoreWith(t, b, o)
	at := sample(1).SubmittedAt
	ticket := submitAt(t, s, 1, at)
	move(t, s, ticket, services.StatusVerifying, at.Add(time.Minute))

	raw := rawDB(t, b, dsn)
	release := func() {}
	if b.postgres() {
		// PostgreSQL only: hold the case row so that all 20 are in flight
		// at once and meet at the store's row lock; without it they would
		// all read verifikasi and all succeed. SQLite has no row locks: the
		// store's single connection runs the transactions one by one.
		hold := raw.Begin()
		defer hold.Rollback() // after a failure only: Commit comes first
		if err := hold.Exec(`SELECT id FROM cases WHERE ticket = ? FOR UPDATE`, ticket).Error; err != nil {
			t.Fatalf("lock case: %v", err)
		}
		release = func() {
			waitForLockWaiters(t, raw, n)
			if err := hold.Commit().Error; err != nil {
				t.Fatalf("release case: %v", err)
			}
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, _, errs[i] = s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: ticket, To: services.StatusProcessing,
				Actor: fmt.Sprintf("officer%d", i), At: at.Add(time.Hour)})
		})
	}
	close(start)
	release()
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, services.ErrIllegalTransition):
			t.Errorf("change %d: err = %v, want nil or ErrIllegalTransition", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d changes succeeded, want exactly 1", won)
	}
	if c := count(t, raw, `SELECT count(*) FROM case_events WHERE to_status = 'diproses'`); c != 1 {
		t.Errorf("events to diproses = %d, want 1", c)
	}
	if c := count(t, raw, `SELECT count(*) FROM case_events`); c != 3 {
		t.Errorf("events = %d, want submit, verifikasi and diproses", c)
	}
}

func TestAssign(t *testing.T) { eachBackend(t, testAssign) }

func testAssign(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	raw := rawDB(t, b, dsn)
	at := sample(1).SubmittedAt
	ticket := submitAt(t, s, 1, at)

	c, ev, err := s.Assign(ctx, ticket, "budi", "sari", at.Add(time.Hour))
	if err != nil {
		t.Fatalf("assign: %v", err)
	}
	if c.Assignee != "budi" || c.Status != services.StatusReceived || !c.UpdatedAt.Equal(at.Add(time.Hour)) || c.Citizen == nil {
		t.Errorf("case after assign = %+v", c)
	}
	if ev.Kind != pgstore.EventAssign || ev.Note != "budi" || ev.Actor != "sari" ||
		ev.FromStatus != services.StatusReceived || ev.ToStatus != services.StatusReceived {
		t.Errorf("assign event = %+v, want assign budi by sari, status unchanged", ev)
	}
	if c, _, err = s.Assign(ctx, ticket, "", "sari", at.Add(2*time.Hour)); err != nil || c.Assignee != "" {
		t.Errorf("unassign: assignee %q, err %v", c.Assignee, err)
	}
	if c, _, err = s.Assign(ctx, ticket, "dewi", "sari", at.Add(3*time.Hour)); err != nil || c.Assignee != "dewi" {
		t.Errorf("reassign: assignee %q, err %v", c.Assignee, err)
	}

	// A closed case keeps its assignee and gets no event.
	move(t, s, ticket, services.StatusRejected, at.Add(4*time.Hour))
	before := count(t, raw, `SELECT count(*) FROM case_events`)
	if _, _, err := s.Assign(ctx, ticket, "budi", "sari", at.Add(5*time.Hour)); !errors.Is(err, pgstore.ErrClosed) {
		t.Errorf("assign a closed case: err = %v, want ErrClosed", err)
	}
	if n := count(t, raw, `SELECT count(*) FROM case_events`); n != before {
		t.Errorf("events = %d after a refused assignment, want %d", n, before)
	}
	if c, _, err := s.CaseByTicket(ctx, ticket); err != nil || c.Assignee != "dewi" {
		t.Errorf("closed case assignee %q (err %v), want dewi", c.Assignee, err)
	}
	if _, _, err := s.Assign(ctx, "LKS-261128-9999", "budi", "sari", at); !errors.Is(err, pgstore.ErrNotFound) {
		t.Errorf("unknown ticket: err = %v, want ErrNotFound", err)
	}
}

func TestAddEvent(t *testing.T) { eachBackend(t, testAddEvent) }

func testAddEvent(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	raw := rawDB(t, b, dsn)
	at := sample(1).SubmittedAt
	ticket := submitAt(t, s, 1, at)
	move(t, s, ticket, services.StatusVerifying, at.Add(time.Minute))

	for i, k := range []string{pgstore.EventNote, pgstore.EventQuestion, pgstore.EventReply} {
		when := at.Add(time.Duration(i+1) * time.Hour)
		c, ev, err := s.AddEvent(ctx, ticket, k, "budi", "isi "+k, when)
		if err != nil {
			t.Fatalf("add %s: %v", k, err)
		}
		if ev.ID == 0 || ev.Kind != k || ev.Note != "isi "+k || ev.Actor != "budi" || !ev.At.Equal(when) ||
			ev.FromStatus != services.StatusVerifying || ev.ToStatus != services.StatusVerifying {
			t.Errorf("%s event = %+v, want it at %v with the status unchanged", k, ev, when)
		}
		if c.Status != services.StatusVerifying || !c.UpdatedAt.Equal(when) {
			t.Errorf("after %s: status %s updated %v, want verifikasi updated %v", k, c.Status, c.UpdatedAt, when)
		}
	}
	for _, k := range []string{pgstore.EventStatus, pgstore.EventAssign, pgstore.EventSubmit, "other"} {
		if _, _, err := s.AddEvent(ctx, ticket, k, "budi", "x", at); err == nil {
			t.Errorf("AddEvent of kind %q accepted", k)
		}
	}
	if _, _, err := s.AddEvent(ctx, ticket, pgstore.EventNote, "budi", "", at); err == nil {
		t.Error("empty note accepted")
	}
	if _, _, err := s.AddEvent(ctx, "LKS-261128-9999", pgstore.EventNote, "budi", "x", at); !errors.Is(err, pgstore.ErrNotFound) {
		t.Errorf("unknown ticket: err = %v, want ErrNotFound", err)
	}
	if got := count(t, raw, `SELECT count(*) FROM case_events WHERE kind IN ('note', 'question', 'reply')`); got != 3 {
		t.Errorf("stored note/question/reply events = %d, want 3", got)
	}
}

func TestOpenCases(t *testing.T) { eachBackend(t, testOpenCases) }

func testOpenCases(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	jkt := jakarta(t)
	base := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	due := func(days int) func(*services.NewCase) {
		return func(nc *services.NewCase) { nc.DueAt = base.AddDate(0, 0, days) }
	}
	unit := func(u string) func(*services.NewCase) { return func(nc *services.NewCase) { nc.Unit = u } }

	// Submitted out of order, and with times in two zones: on SQLite,
	// where times are text, only times written in one zone sort right.
	late := submitAt(t, s, 1, base.Add(5*time.Hour), due(3))                            // 06:00Z
	early := submitAt(t, s, 2, base.In(jkt), due(1))                                    // 01:00Z written as 08:00+07
	tieA := submitAt(t, s, 3, base.Add(2*time.Hour), due(2), unit("pemerintahan"))      // 03:00Z
	tieB := submitAt(t, s, 4, base.Add(2*time.Hour), due(2))                            // 03:00Z, after tieA by id
	paused := submitAt(t, s, 5, base.Add(time.Hour).In(jkt), due(1))                    // 02:00Z, will wait for the citizen
	closed := submitAt(t, s, 6, base.Add(-time.Hour), due(1))                           // 00:00Z, will be refused
	later := submitAt(t, s, 7, base.Add(6*time.Hour), due(10), unit("pemerintahan"))    // 07:00Z
	done := submitAt(t, s, 8, base.Add(-2*time.Hour), due(1))                           // will be finished
	referred := submitAt(t, s, 9, base.Add(-3*time.Hour), due(1), unit("pemerintahan")) // will be referred

	move(t, s, paused, services.StatusIncomplete, base.Add(7*time.Hour))
	move(t, s, closed, services.StatusRejected, base.Add(7*time.Hour))
	move(t, s, referred, services.StatusNotOurRemit, base.Add(7*time.Hour))
	move(t, s, done, services.StatusVerifying, base.Add(7*time.Hour))
	move(t, s, done, services.StatusProcessing, base.Add(8*time.Hour))
	move(t, s, done, services.StatusDone, base.Add(9*time.Hour))
	move(t, s, tieA, services.StatusVerifying, base.Add(7*time.Hour))
	move(t, s, tieB, services.StatusVerifying, base.Add(7*time.Hour))
	move(t, s, tieB, services.StatusProcessing, base.Add(8*time.Hour))
	for _, tk := range []string{tieA, later} {
		if _, _, err := s.Assign(ctx, tk, "budi", "sari", base.Add(9*time.Hour)); err != nil {
			t.Fatalf("assign %s: %v", tk, err)
		}
	}

	cutoff := base.AddDate(0, 0, 2).Add(time.Minute).In(jkt) // after due(2), before due(3)
	for _, tc := range []struct {
		name string
		f    pgstore.CaseFilter
		want []string
	}{
		{"all open", pgstore.CaseFilter{}, []string{early, paused, tieA, tieB, late, later}},
		{"unit", pgstore.CaseFilter{Unit: "pemerintahan"}, []string{tieA, later}},
		{"unit pelayanan", pgstore.CaseFilter{Unit: "pelayanan"}, []string{early, paused, tieB, late}},
		{"assignee", pgstore.CaseFilter{Assignee: "budi"}, []string{tieA, later}},
		{"assignee and unit", pgstore.CaseFilter{Assignee: "budi", Unit: "pelayanan"}, nil},
		{"due before", pgstore.CaseFilter{DueBefore: &cutoff}, []string{early, tieA, tieB}},
		{"due before and unit", pgstore.CaseFilter{DueBefore: &cutoff, Unit: "pelayanan"}, []string{early, tieB}},
		{"limit", pgstore.CaseFilter{Limit: 2}, []string{early, paused}},
	} {
		got, err := s.OpenCases(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(tickets(got), tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tickets(got), tc.want)
		}
		for _, c := range got {
			if c.Citizen == nil || c.Citizen.ExternalID == "" {
				t.Errorf("%s: citizen of %s not loaded", tc.name, c.Ticket)
			}
			if !c.Status.Open() {
				t.Errorf("%s: %s is %s", tc.name, c.Ticket, c.Status)
			}
		}
	}
}

func TestCitizenCases(t *testing.T) { eachBackend(t, testCitizenCases) }

func testCitizenCases(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	base := sample(1).SubmittedAt
	first := submitAt(t, s, 1, base)
	third := submitAt(t, s, 1, base.Add(2*time.Hour))
	second := submitAt(t, s, 1, base.Add(time.Hour))
	submitAt(t, s, 2, base.Add(3*time.Hour)) // another chat
	chat := sample(1).ChatID

	got, err := s.CitizenCases(ctx, "telegram", chat, 0)
	if err != nil {
		t.Fatalf("citizen cases: %v", err)
	}
	if want := []string{third, second, first}; !slices.Equal(tickets(got), want) {
		t.Errorf("cases = %v, want %v newest first", tickets(got), want)
	}
	for _, c := range got {
		if c.Citizen == nil || c.Citizen.ExternalID != chat {
			t.Errorf("case %s: citizen %+v, want chat %s", c.Ticket, c.Citizen, chat)
		}
	}
	if got, err := s.CitizenCases(ctx, "telegram", chat, 2); err != nil || !slices.Equal(tickets(got), []string{third, second}) {
		t.Errorf("limit 2: %v, err %v", tickets(got), err)
	}
	for _, who := range [][2]string{{"telegram", "999"}, {"whatsapp", chat}} {
		if got, err := s.CitizenCases(ctx, who[0], who[1], 0); err != nil || len(got) != 0 {
			t.Errorf("%s chat %s: %v, err %v; want none", who[0], who[1], tickets(got), err)
		}
	}
}

func TestCitizenCase(t *testing.T) { eachBackend(t, testCitizenCase) }

func testCitizenCase(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	at := sample(1).SubmittedAt
	mine := submitAt(t, s, 1, at)
	theirs := submitAt(t, s, 2, at)
	chat := sample(1).ChatID

	move(t, s, mine, services.StatusVerifying, at.Add(time.Hour))
	if _, _, err := s.Assign(ctx, mine, "budi", "sari", at.Add(2*time.Hour)); err != nil {
		t.Fatalf("assign: %v", err)
	}
	if _, _, err := s.AddEvent(ctx, mine, pgstore.EventNote, "budi", "pemohon pernah ditolak", at.Add(3*time.Hour)); err != nil {
		t.Fatalf("note: %v", err)
	}
	if _, _, err := s.ChangeStatus(ctx, pgstore.StatusChange{Ticket: mine, To: services.StatusIncomplete, Actor: "budi",
		Note: "lampirkan KK", At: at.Add(4 * time.Hour), Kind: pgstore.EventQuestion}); err != nil {
		t.Fatalf("question: %v", err)
	}

	c, events, err := s.CitizenCase(ctx, mine, "telegram", chat)
	if err != nil {
		t.Fatalf("own case: %v", err)
	}
	if c.Ticket != mine || c.Status != services.StatusIncomplete || c.Citizen == nil || c.Citizen.ExternalID != chat {
		t.Errorf("own case = %+v", c)
	}
	want := []string{pgstore.EventSubmit, pgstore.EventStatus, pgstore.EventQuestion}
	if got := kinds(events); !slices.Equal(got, want) {
		t.Errorf("citizen sees events %v, want %v (no note, no assignment)", got, want)
	}
	if _, all, err := s.CaseByTicket(ctx, mine); err != nil || len(all) != 5 {
		t.Errorf("staff see %d events (err %v), want 5", len(all), err)
	}

	for name, q := range map[string][3]string{
		"another citizen's case":  {theirs, "telegram", chat},
		"same chat id, other app": {mine, "whatsapp", chat},
		"unknown ticket":          {"LKS-261128-9999", "telegram", chat},
		"unknown chat":            {mine, "telegram", "999"},
	} {
		if _, _, err := s.CitizenCase(ctx, q[0], q[1], q[2]); !errors.Is(err, pgstore.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
}

func TestCitizenLang(t *testing.T) { eachBackend(t, testCitizenLang) }

func testCitizenLang(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	chat := sample(1).ChatID

	if lang, err := s.CitizenLang(ctx, "telegram", chat); err != nil || lang != "" {
		t.Errorf("unknown chat: lang %q, err %v; want \"\"", lang, err)
	}
	// Choosing a language before any submission creates the citizen; the
	// submission then names it and keeps the language.
	if err := s.SetCitizenLang(ctx, "telegram", chat, "jv"); err != nil {
		t.Fatalf("set lang: %v", err)
	}
	if lang, err := s.CitizenLang(ctx, "telegram", chat); err != nil || lang != "jv" {
		t.Errorf("after set: lang %q, err %v; want jv", lang, err)
	}
	ticket := submitAt(t, s, 1, sample(1).SubmittedAt)
	c, _, err := s.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatalf("case by ticket: %v", err)
	}
	if c.Citizen.Lang != "jv" || c.Citizen.Name != sample(1).CitizenName {
		t.Errorf("citizen after submission = %+v, want lang jv and the submitted name", c.Citizen)
	}
	if err := s.SetCitizenLang(ctx, "telegram", chat, "id"); err != nil {
		t.Fatalf("set lang again: %v", err)
	}
	if lang, err := s.CitizenLang(ctx, "telegram", chat); err != nil || lang != "id" {
		t.Errorf("after change: lang %q, err %v; want id", lang, err)
	}
	if n := count(t, rawDB(t, b, dsn), `SELECT count(*) FROM citizens`); n != 1 {
		t.Errorf("citizens = %d, want 1", n)
	}

	// A chat that submitted without choosing reads the default.
	submitAt(t, s, 2, sample(2).SubmittedAt)
	if lang, err := s.CitizenLang(ctx, "telegram", sample(2).ChatID); err != nil || lang != "id" {
		t.Errorf("submitted without choosing: lang %q, err %v; want id", lang, err)
	}
	// Same chat id on another channel is another citizen.
	if lang, err := s.CitizenLang(ctx, "whatsapp", chat); err != nil || lang != "" {
		t.Errorf("other channel: lang %q, err %v; want \"\"", lang, err)
	}
	for _, bad := range [][3]string{{"telegram", chat, ""}, {"telegram", chat, "toolonglang"}, {"", chat, "id"}, {"telegram", "", "id"}} {
		if err := s.SetCitizenLang(ctx, bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("SetCitizenLang%q accepted", bad)
		}
	}
}

// TestViews checks the conversion to the conversation's types.
func TestViews(t *testing.T) { eachBackend(t, testViews) }

func testViews(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	nc := sample(1)
	ticket := submitAt(t, s, 1, nc.SubmittedAt)
	c, ev, err := s.Assign(ctx, ticket, "budi", "sari", nc.SubmittedAt.Add(time.Hour))
	if err != nil {
		t.Fatalf("assign: %v", err)
	}
	v := c.View()
	if v.Ticket != ticket || v.Kind != nc.Kind || v.ServiceCode != nc.ServiceCode || v.Unit != nc.Unit ||
		v.Status != services.StatusReceived || v.Channel != nc.Channel || v.ChatID != nc.ChatID ||
		v.CitizenName != nc.CitizenName || v.CitizenLang != "id" || v.VillageCode != nc.VillageCode ||
		v.Assignee != "budi" || v.Form["tujuan"] != "beasiswa" || !v.DueAt.Equal(nc.DueAt) ||
		!v.CreatedAt.Equal(nc.SubmittedAt) || !v.UpdatedAt.Equal(nc.SubmittedAt.Add(time.Hour)) {
		t.Errorf("view = %+v", v)
	}
	e := ev.Event()
	if e.Kind != pgstore.EventAssign || e.Actor != "sari" || e.Note != "budi" || e.From != services.StatusReceived ||
		e.To != services.StatusReceived || !e.At.Equal(ev.At) || e.Shown() {
		t.Errorf("event view = %+v", e)
	}
}
