package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Jakarta even where the system has no zoneinfo

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

var _ conversation.CaseStore = (*pgstore.Store)(nil)

// testNIK is a well-formed NIK used to check that form values never leak
// into errors.
const testNIK = "3307054107900001"

func jakarta(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatalf("load Asia/Jakarta: %v", err)
	}
	return loc
}

func options(t testing.TB) pgstore.Options {
	return pgstore.Options{TicketPrefix: "LKS", Location: jakarta(t), Keys: testKeys(t), Sensitive: []string{"nik", "kk"}}
}

// sample is a submission at 2026-11-27 23:30 UTC, already 2026-11-28 in
// Jakarta.
func sample(i int) services.NewCase {
	chat := strconv.Itoa(100000 + i)
	return services.NewCase{
		Kind:        services.KindRequest,
		ServiceCode: "sktm",
		Unit:        "pelayanan",
		Channel:     "telegram",
		ChatID:      chat,
		CitizenName: "Siti Aminah",
		VillageCode: "33.07.05.2001",
		Form: map[string]string{
			"nik":    testNIK,
			"alamat": `RT 02/RW 03, "Dusun Krajan" — Sawangan`,
			"tujuan": "beasiswa",
		},
		SourceMessage: fmt.Sprintf("telegram:%s:%d", chat, 500+i),
		SubmittedAt:   time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC),
		DueAt:         time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
	}
}

var ticketRE = regexp.MustCompile(`^LKS-\d{6}-\d{4}$`)

func TestSubmitThenCaseByTicket(t *testing.T) { eachBackend(t, testSubmitThenCaseByTicket) }

func testSubmitThenCaseByTicket(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	nc := sample(1)

	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if !ticketRE.MatchString(rec.Ticket) {
		t.Errorf("ticket %q does not match %s", rec.Ticket, ticketRE)
	}
	if rec.Ticket != "LKS-261128-0001" {
		t.Errorf("ticket = %q, want LKS-261128-0001 (submission day in Jakarta)", rec.Ticket)
	}
	if !rec.DueAt.Equal(nc.DueAt) {
		t.Errorf("receipt due = %v, want %v", rec.DueAt, nc.DueAt)
	}

	checkFiled(t, s, nc, rec)

	if _, _, err := s.CaseByTicket(ctx, "LKS-261128-9999"); !errors.Is(err, pgstore.ErrNotFound) {
		t.Errorf("unknown ticket: err = %v, want ErrNotFound", err)
	}

	raw := rawDB(t, b, dsn)
	if !b.postgres() {
		// SQLite keeps the form as JSON text that its JSON functions read.
		if n := count(t, raw, `SELECT count(*) FROM cases WHERE json_extract(form_data, '$.tujuan') = 'beasiswa'`); n != 1 {
			t.Errorf("JSON query found %d cases, want 1", n)
		}
		return
	}
	// PostgreSQL only: the form data really is JSONB, queryable as such.
	var typ string
	if err := raw.Raw(`SELECT data_type FROM information_schema.columns
		WHERE table_name = 'cases' AND column_name = 'form_data'`).Scan(&typ).Error; err != nil {
		t.Fatalf("column type: %v", err)
	}
	if typ != "jsonb" {
		t.Errorf("form_data type = %q, want jsonb", typ)
	}
	if n := count(t, raw, `SELECT count(*) FROM cases WHERE form_data->>'tujuan' = 'beasiswa'`); n != 1 {
		t.Errorf("JSONB query found %d cases, want 1", n)
	}
}

// checkFiled checks that the case of receipt rec holds submission nc, with
// its citizen and its one first event.
func checkFiled(t *testing.T, s *pgstore.Store, nc services.NewCase, rec services.Receipt) {
	t.Helper()
	ctx := context.Background()
	c, events, err := s.CaseByTicket(ctx, rec.Ticket)
	if err != nil {
		t.Fatalf("case by ticket: %v", err)
	}
	if c.ID == 0 || c.Ticket != rec.Ticket || c.Kind != nc.Kind || c.ServiceCode != nc.ServiceCode ||
		c.Unit != nc.Unit || c.Status != services.StatusReceived || c.Channel != nc.Channel ||
		c.VillageCode != nc.VillageCode {
		t.Errorf("case = %+v, want the submitted values", c)
	}
	// With keys the case keeps a keyed hash of its source message, which
	// names the chat (on WhatsApp, the phone number); without, the message.
	if hashed := strings.HasPrefix(c.SourceMessage, "h1:"); hashed == strings.Contains(c.SourceMessage, nc.ChatID) ||
		!hashed && c.SourceMessage != nc.SourceMessage {
		t.Errorf("source message = %q, want the keyed hash of %q", c.SourceMessage, nc.SourceMessage)
	}
	if !c.DueAt.Equal(nc.DueAt) || !c.CreatedAt.Equal(nc.SubmittedAt) || !c.UpdatedAt.Equal(nc.SubmittedAt) {
		t.Errorf("case times due=%v created=%v updated=%v, want due %v and created/updated %v",
			c.DueAt, c.CreatedAt, c.UpdatedAt, nc.DueAt, nc.SubmittedAt)
	}
	if c.DueAt.Location().String() != "Asia/Jakarta" {
		t.Errorf("due time in %v, want the office zone", c.DueAt.Location())
	}
	if !maps.Equal(map[string]string(c.FormData), nc.Form) {
		t.Errorf("form data = %v, want %v", c.FormData, nc.Form)
	}
	if c.Citizen == nil {
		t.Fatal("citizen not loaded")
	}
	if c.Citizen.ID != c.CitizenID || c.Citizen.Channel != nc.Channel || c.Citizen.ExternalID != nc.ChatID ||
		c.Citizen.Name != nc.CitizenName {
		t.Errorf("citizen = %+v, want the submitted chat and name", *c.Citizen)
	}

	if len(events) != 1 {
		t.Fatalf("events = %+v, want one", events)
	}
	ev := events[0]
	if ev.CaseID != c.ID || ev.Kind != pgstore.EventSubmit || ev.Actor != "citizen" || ev.FromStatus != "" ||
		ev.ToStatus != "diterima" || !ev.At.Equal(nc.SubmittedAt) || ev.Note != "" {
		t.Errorf("first event = %+v, want submit by citizen: \"\" -> diterima at submission", ev)
	}
	if c.Assignee != "" || c.Citizen.Lang != "id" || c.Citizen.UnreachableAt != nil {
		t.Errorf("assignee %q, citizen lang %q, unreachable %v: want nobody, id, nil",
			c.Assignee, c.Citizen.Lang, c.Citizen.UnreachableAt)
	}
}

func TestTicketDaysAndNumbers(t *testing.T) { eachBackend(t, testTicketDaysAndNumbers) }

func testTicketDaysAndNumbers(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	submit := func(i int, at time.Time) string {
		t.Helper()
		nc := sample(i)
		nc.SubmittedAt = at
		rec, err := s.SubmitCase(ctx, nc)
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		return rec.Ticket
	}
	// 23:59:59 in Jakarta is still the 28th; 00:00 is the 29th, which
	// starts again at 1.
	if got := submit(1, time.Date(2026, 11, 28, 16, 59, 59, 0, time.UTC)); got != "LKS-261128-0001" {
		t.Errorf("last second of the day: ticket %q", got)
	}
	if got := submit(2, time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)); got != "LKS-261129-0001" {
		t.Errorf("first second of the next day: ticket %q", got)
	}
	if got := submit(3, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)); got != "LKS-261128-0002" {
		t.Errorf("back on the 28th: ticket %q", got)
	}

	// Past 9999 the number grows a digit instead of wrapping.
	if err := rawDB(t, b, dsn).Exec(`UPDATE ticket_counters SET last = 9999 WHERE day = '2026-11-28'`).Error; err != nil {
		t.Fatalf("set counter: %v", err)
	}
	if got := submit(4, time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)); got != "LKS-261128-10000" {
		t.Errorf("after 9999: ticket %q, want LKS-261128-10000", got)
	}
}

// TestSubmitIsOneTransaction makes the first event's insert fail and checks
// that nothing of the submission remains.
func TestSubmitIsOneTransaction(t *testing.T) { eachBackend(t, testSubmitIsOneTransaction) }

func testSubmitIsOneTransaction(t *testing.T, b backend) {
	// Numbered: the bot's way, a ticket number taken from Redis (on
	// PostgreSQL one statement). Unnumbered: the store's own counter.
	for _, numbered := range []bool{false, true} {
		t.Run(fmt.Sprintf("numbered=%v", numbered), func(t *testing.T) { submitFailsWhole(t, b, numbered) })
	}
}

func submitFailsWhole(t *testing.T, b backend, numbered bool) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	raw := rawDB(t, b, dsn)

	first := sample(1)
	first.CitizenName = "Nama Lama"
	if numbered {
		first.TicketNumber = 1
	}
	if _, err := s.SubmitCase(ctx, first); err != nil {
		t.Fatalf("first submit: %v", err)
	}
	type citizenRow struct {
		Name      string
		UpdatedAt time.Time
	}
	var before citizenRow
	if err := raw.Raw(`SELECT name, updated_at FROM citizens`).Scan(&before).Error; err != nil {
		t.Fatalf("read citizen: %v", err)
	}

	// A test-only trigger rejects every new event.
	execAll(t, raw, b.failEvents)

	second := sample(1) // same chat, new message, new name
	second.SourceMessage = "telegram:100001:999"
	second.CitizenName = "Nama Baru"
	if numbered {
		second.TicketNumber = 2
	}
	_, err := s.SubmitCase(ctx, second)
	if err == nil {
		t.Fatal("submit with failing event insert: no error")
	}
	if !strings.Contains(err.Error(), "injected event failure") {
		t.Errorf("error %q does not carry the cause", err)
	}
	if strings.Contains(err.Error(), testNIK) {
		t.Errorf("error %q leaks the NIK", err)
	}

	if n := count(t, raw, `SELECT count(*) FROM cases`); n != 1 {
		t.Errorf("cases = %d, want only the first", n)
	}
	if n := count(t, raw, `SELECT count(*) FROM cases WHERE source_message = ?`, second.SourceMessage); n != 0 {
		t.Errorf("the failed case remains")
	}
	var after citizenRow
	if err := raw.Raw(`SELECT name, updated_at FROM citizens`).Scan(&after).Error; err != nil {
		t.Fatalf("read citizen: %v", err)
	}
	if after.Name != before.Name || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("citizen changed to %+v, want %+v", after, before)
	}
	if n := count(t, raw, `SELECT count(*) FROM citizens`); n != 1 {
		t.Errorf("citizens = %d, want 1", n)
	}
	if !numbered {
		if n := count(t, raw, `SELECT last FROM ticket_counters`); n != 1 {
			t.Errorf("counter = %d, want 1: the failed transaction's number is given back", n)
		}
	}

	// Once the fault is gone the same submission goes through.
	execAll(t, raw, b.passEvents)
	rec, err := s.SubmitCase(ctx, second)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if rec.Ticket != "LKS-261128-0002" {
		t.Errorf("retry ticket = %q, want LKS-261128-0002", rec.Ticket)
	}
}

func TestConcurrentSubmissions(t *testing.T) { eachBackend(t, testConcurrentSubmissions) }

func testConcurrentSubmissions(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	const n = 50

	tickets := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			nc := sample(i % 7) // several messages per chat contend on citizen rows too
			nc.SourceMessage = fmt.Sprintf("telegram:%s:%d", nc.ChatID, 1000+i)
			<-start
			rec, err := s.SubmitCase(ctx, nc)
			tickets[i], errs[i] = rec.Ticket, err
		})
	}
	close(start)
	wg.Wait()

	numbers := map[int]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		prefix, num, ok := strings.Cut(tickets[i], "LKS-261128-")
		if !ok || prefix != "" || !ticketRE.MatchString(tickets[i]) {
			t.Fatalf("ticket %q is not of 2026-11-28", tickets[i])
		}
		k, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("ticket %q: %v", tickets[i], err)
		}
		if numbers[k] {
			t.Errorf("number %d given twice", k)
		}
		numbers[k] = true
	}
	got := slices.Sorted(maps.Keys(numbers))
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(got, want) {
		t.Errorf("numbers = %v, want 1..%d", got, n)
	}

	raw := rawDB(t, b, dsn)
	if c := count(t, raw, `SELECT count(*) FROM cases`); c != n {
		t.Errorf("cases = %d, want %d", c, n)
	}
	if c := count(t, raw, `SELECT count(DISTINCT ticket) FROM cases`); c != n {
		t.Errorf("distinct tickets = %d, want %d", c, n)
	}
	if c := count(t, raw, `SELECT count(*) FROM case_events`); c != n {
		t.Errorf("events = %d, want %d", c, n)
	}
	if c := count(t, raw, `SELECT count(*) FROM citizens`); c != 7 {
		t.Errorf("citizens = %d, want 7", c)
	}
}

func TestSameSourceMessage(t *testing.T) { eachBackend(t, testSameSourceMessage) }

func testSameSourceMessage(t *testing.T, b backend) {
	ctx := context.Background()

	t.Run("twice", func(t *testing.T) {
		s, dsn := openStore(t, b)
		nc := sample(1)
		r1, err := s.SubmitCase(ctx, nc)
		if err != nil {
			t.Fatalf("first: %v", err)
		}
		nc.CitizenName = "Siti A."
		r2, err := s.SubmitCase(ctx, nc)
		if err != nil {
			t.Fatalf("second: %v", err)
		}
		if r1 != r2 {
			t.Errorf("receipts differ: %+v then %+v", r1, r2)
		}
		raw := rawDB(t, b, dsn)
		checkOneCase(t, raw)
	})

	// Same chat: duplicates queue on the citizen row. Different chats (not
	// a real case, source messages name their chat) skip that queue and
	// meet at the case insert's ON CONFLICT instead.
	for _, sameChat := range []bool{true, false} {
		t.Run(fmt.Sprintf("concurrently/same_chat=%v", sameChat), func(t *testing.T) {
			const n = 12
			o := options(t)
			o.MaxConns = n + 2 // all n in flight at once, each on its own connection
			s, dsn := openStoreWith(t, b, o)
			raw := rawDB(t, b, dsn)
			release := func() {}
			if b.postgres() {
				// PostgreSQL only: hold the day's counter row so that every
				// submission is in flight at once, past its duplicate check
				// when chats differ. SQLite has no row locks and the store's
				// single connection runs submissions one after the other, so
				// there the duplicates are settled by the check alone.
				if err := raw.Exec(`INSERT INTO ticket_counters (day, last) VALUES ('2026-11-28', 0)`).Error; err != nil {
					t.Fatalf("seed counter: %v", err)
				}
				hold := raw.Begin()
				defer hold.Rollback() // after a failure only: Commit comes first
				if err := hold.Exec(`SELECT last FROM ticket_counters WHERE day = '2026-11-28' FOR UPDATE`).Error; err != nil {
					t.Fatalf("lock counter: %v", err)
				}
				release = func() {
					waitForLockWaiters(t, raw, n)
					if err := hold.Commit().Error; err != nil {
						t.Fatalf("release counter: %v", err)
					}
				}
			}
			receipts := make([]services.Receipt, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					nc := sample(1)
					if !sameChat {
						nc.ChatID = strconv.Itoa(200000 + i)
					}
					receipts[i], errs[i] = s.SubmitCase(ctx, nc)
				})
			}
			release()
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("submit %d: %v", i, errs[i])
				}
				if receipts[i] != receipts[0] {
					t.Errorf("receipt %d = %+v, want %+v", i, receipts[i], receipts[0])
				}
			}
			if receipts[0].Ticket != "LKS-261128-0001" {
				t.Errorf("ticket = %q, want LKS-261128-0001", receipts[0].Ticket)
			}
			checkOneCase(t, raw)
			// Losers roll back, so duplicates leave no gap in the numbers.
			if c := count(t, raw, `SELECT last FROM ticket_counters`); c != 1 {
				t.Errorf("counter = %d, want 1", c)
			}
		})
	}
}

// waitForLockWaiters waits until n sessions of the test database wait for
// a lock.
func waitForLockWaiters(t testing.TB, db *gorm.DB, n int64) {
	t.Helper()
	wait.Until(t, fmt.Sprintf("%d sessions to wait for a lock", n), 15*time.Second, func() bool {
		return count(t, db, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`) >= n
	})
}

func TestEventsAreAppendOnly(t *testing.T) { eachBackend(t, testEventsAreAppendOnly) }

func testEventsAreAppendOnly(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	rec, err := s.SubmitCase(ctx, sample(1))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if _, _, err := s.AddEvent(ctx, rec.Ticket, pgstore.EventNote, "budi", "internal", time.Now()); err != nil {
		t.Fatalf("add note: %v", err)
	}
	raw := rawDB(t, b, dsn)
	stmts := []string{
		`UPDATE case_events SET note = 'rewritten'`,
		`UPDATE case_events SET kind = 'status' WHERE kind = 'note'`,
		`DELETE FROM case_events WHERE kind = 'note'`,
		`DELETE FROM case_events`,
	}
	if b.postgres() {
		stmts = append(stmts, `TRUNCATE case_events`) // SQLite has no TRUNCATE
	}
	for _, stmt := range stmts {
		err := raw.Exec(stmt).Error
		if err == nil {
			t.Errorf("%s: succeeded", stmt)
			continue
		}
		if !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: error %q, want the append-only guard", stmt, err)
		}
	}
	if c := count(t, raw, `SELECT count(*) FROM case_events WHERE note = ''`); c != 1 {
		t.Errorf("untouched submit events = %d, want 1", c)
	}
	// The note is stored sealed (casekeys.go): read it back through the store.
	if c := count(t, raw, `SELECT count(*) FROM case_events WHERE kind = 'note'`); c != 1 {
		t.Errorf("notes = %d, want 1", c)
	}
	if _, events, err := s.CaseByTicket(ctx, rec.Ticket); err != nil || len(events) != 2 || events[1].Note != "internal" {
		t.Errorf("history after the refused changes = %+v, %v; want the submission and the untouched note", events, err)
	}
}

// sqlRecorder is a GORM logger that keeps every statement run.
type sqlRecorder struct {
	mu   sync.Mutex
	stmt []string
}

func (r *sqlRecorder) LogMode(logger.LogLevel) logger.Interface { return r }
func (r *sqlRecorder) Info(context.Context, string, ...any)     {}
func (r *sqlRecorder) Warn(context.Context, string, ...any)     {}
func (r *sqlRecorder) Error(context.Context, string, ...any)    {}
func (r *sqlRecorder) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
func (r *sqlRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stmt = append(r.stmt, sql)
}

func TestMigrationIsIdempotent(t *testing.T) { eachBackend(t, testMigrationIsIdempotent) }

func testMigrationIsIdempotent(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	rec, err := s.SubmitCase(ctx, sample(1))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}

	again, err := b.open(ctx, dsn, options(t))
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	t.Cleanup(func() { _ = again.Close() })
	if _, events, err := again.CaseByTicket(ctx, rec.Ticket); err != nil || len(events) != 1 {
		t.Errorf("after second open: %d events, err %v", len(events), err)
	}

	// The schema has the keys and indexes the queries of later features
	// rely on.
	raw := rawDB(t, b, dsn)
	for _, idx := range []string{
		"idx_citizens_channel_external_id", "idx_cases_ticket", "idx_cases_source_message",
		"idx_cases_status_due_at", "idx_cases_unit_status", "idx_cases_assignee", "idx_case_events_case_id",
	} {
		if c := count(t, raw, b.indexCount, idx); c != 1 {
			t.Errorf("index %s missing", idx)
		}
	}
	for _, fk := range [][2]string{{"cases", "citizens"}, {"case_events", "cases"}} {
		if c := count(t, raw, b.foreignKeys, fk[0], fk[1]); c != 1 {
			t.Errorf("foreign key %s -> %s: %d, want 1", fk[0], fk[1], c)
		}
	}

	// A third migration must find nothing to change in tables or indexes.
	rcd := &sqlRecorder{}
	db, err := gorm.Open(b.dialector(dsn), &gorm.Config{Logger: rcd})
	if err != nil {
		t.Fatalf("open recorded connection: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	third, err := pgstore.New(ctx, db, options(t))
	if err != nil {
		t.Fatalf("third migration: %v", err)
	}
	if len(rcd.stmt) == 0 {
		t.Fatal("recorder saw no statement")
	}
	for _, stmt := range rcd.stmt {
		up := strings.ToUpper(strings.TrimSpace(stmt))
		for _, change := range []string{"ALTER TABLE", "CREATE TABLE", "CREATE INDEX", "CREATE UNIQUE INDEX", "DROP TABLE", "DROP INDEX", "INSERT", "UPDATE"} {
			if strings.HasPrefix(up, change) {
				t.Errorf("repeated migration changed the schema: %s", stmt)
			}
		}
	}

	// The guard survives re-installation and the counter keeps counting.
	if err := raw.Exec(`DELETE FROM case_events`).Error; err == nil {
		t.Error("delete of events succeeded after re-migration")
	}
	nc := sample(2)
	rec2, err := third.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatalf("submit after re-migration: %v", err)
	}
	if rec2.Ticket != "LKS-261128-0002" {
		t.Errorf("ticket after re-migration = %q, want LKS-261128-0002", rec2.Ticket)
	}
	if err := third.Close(); err != nil {
		t.Errorf("close of a New store: %v", err)
	}
	if err := third.Ping(ctx); err != nil {
		t.Errorf("Close of a New store closed the caller's pool: %v", err)
	}
}

// TestMigrationUpgradesOlderSchema removes the follow-up columns, as a
// database created before them lacks them, and checks that opening the
// store adds them back with their defaults for the rows already there.
func TestMigrationUpgradesOlderSchema(t *testing.T) { eachBackend(t, testMigrationUpgradesOlderSchema) }

func testMigrationUpgradesOlderSchema(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	rec, err := s.SubmitCase(ctx, sample(1))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	raw := rawDB(t, b, dsn)
	execAll(t, raw, []string{
		`DROP INDEX idx_cases_assignee`, // SQLite cannot drop an indexed column
		`ALTER TABLE cases DROP COLUMN assignee`,
		`ALTER TABLE case_events DROP COLUMN kind`,
		`ALTER TABLE citizens DROP COLUMN lang`,
		`ALTER TABLE citizens DROP COLUMN unreachable_at`,
	})

	upgraded, err := b.open(ctx, dsn, options(t))
	if err != nil {
		t.Fatalf("open on the older schema: %v", err)
	}
	t.Cleanup(func() { _ = upgraded.Close() })
	c, events, err := upgraded.CaseByTicket(ctx, rec.Ticket)
	if err != nil {
		t.Fatalf("case after upgrade: %v", err)
	}
	if c.Assignee != "" || c.Citizen == nil || c.Citizen.Lang != "id" || c.Citizen.UnreachableAt != nil {
		t.Errorf("after upgrade: assignee %q, citizen %+v; want nobody and lang id", c.Assignee, c.Citizen)
	}
	if len(events) != 1 || events[0].Kind != pgstore.EventStatus {
		t.Errorf("after upgrade: events %+v, want the old one read as %s", events, pgstore.EventStatus)
	}
	if _, _, err := upgraded.Assign(ctx, rec.Ticket, "budi", "sari", time.Now()); err != nil {
		t.Errorf("assign after upgrade: %v", err)
	}
	if c := count(t, raw, b.indexCount, "idx_cases_assignee"); c != 1 {
		t.Errorf("index idx_cases_assignee not recreated")
	}
	if err := raw.Exec(`DELETE FROM case_events`).Error; err == nil {
		t.Error("delete of events succeeded after upgrade")
	}
}

func TestRejectsIncompleteSubmissions(t *testing.T) { eachBackend(t, testRejectsIncompleteSubmissions) }

func testRejectsIncompleteSubmissions(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	for name, mutate := range map[string]func(*services.NewCase){
		"channel":        func(c *services.NewCase) { c.Channel = "" },
		"chat":           func(c *services.NewCase) { c.ChatID = "" },
		"source message": func(c *services.NewCase) { c.SourceMessage = "" },
		"service":        func(c *services.NewCase) { c.ServiceCode = "" },
		"kind":           func(c *services.NewCase) { c.Kind = "" },
		"submitted at":   func(c *services.NewCase) { c.SubmittedAt = time.Time{} },
		"due at":         func(c *services.NewCase) { c.DueAt = time.Time{} },
	} {
		nc := sample(1)
		mutate(&nc)
		_, err := s.SubmitCase(ctx, nc)
		if err == nil {
			t.Errorf("missing %s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), testNIK) {
			t.Errorf("missing %s: error %q leaks the NIK", name, err)
		}
	}
	if c := count(t, rawDB(t, b, dsn), `SELECT count(*) FROM cases`); c != 0 {
		t.Errorf("cases = %d, want 0", c)
	}
}

func TestOptionsAndPing(t *testing.T) { eachBackend(t, testOptionsAndPing) }

func testOptionsAndPing(t *testing.T, b backend) {
	ctx := context.Background()
	dsn := b.fresh(t)
	if _, err := b.open(ctx, dsn, pgstore.Options{Location: jakarta(t)}); err == nil {
		t.Error("empty ticket prefix accepted")
	}
	if _, err := b.open(ctx, dsn, pgstore.Options{TicketPrefix: "LKS"}); err == nil {
		t.Error("nil location accepted")
	}
	s, err := b.open(ctx, dsn, options(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("ping after close succeeded")
	}
}

// TestOpenSQLiteFile is SQLite-specific: the file, its directory and the
// DSN shared with whatsmeow.
func TestOpenSQLiteFile(t *testing.T) {
	ctx := context.Background()
	if _, err := pgstore.OpenSQLite(ctx, "", options(t)); err == nil {
		t.Error("empty path accepted")
	}

	// A missing directory is created; characters special in URIs survive.
	path := filepath.Join(t.TempDir(), "data dir", "sapa?#%.db")
	s, err := pgstore.OpenSQLite(ctx, path, options(t))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.SubmitCase(ctx, sample(1)); err != nil {
		t.Fatalf("submit: %v", err)
	}
	for name, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatalf("the store did not create %s: %v", name, err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode %v, want %v", name, got, want)
		}
	}

	// Another pool opened with SQLiteDSN sees the same database with the
	// same settings.
	raw, err := gorm.Open(sqlite.Open(pgstore.SQLiteDSN(path)), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open with SQLiteDSN: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := raw.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if n := count(t, raw, `SELECT count(*) FROM cases`); n != 1 {
		t.Errorf("cases seen through SQLiteDSN = %d, want 1", n)
	}
	var mode string
	if err := raw.Raw(`PRAGMA journal_mode`).Row().Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode = %q (err %v), want wal", mode, err)
	}
	if n := count(t, raw, `PRAGMA foreign_keys`); n != 1 {
		t.Errorf("foreign_keys = %d, want 1", n)
	}
	if n := count(t, raw, `PRAGMA busy_timeout`); n != 5000 {
		t.Errorf("busy_timeout = %d, want 5000", n)
	}
	// Foreign keys are enforced: an event of no case is refused.
	err = raw.Exec(`INSERT INTO case_events (case_id, kind, actor, at, from_status, to_status, note)
		VALUES (999, 'note', 'budi', '2026-11-28 00:00:00+00:00', 'diterima', 'diterima', 'x')`).Error
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
		t.Errorf("event of no case: err = %v, want a foreign key failure", err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log next to the database: %v", err)
	}
}

// Open on PostgreSQL opens its pool's connections at once, so the first
// citizens after a start do not each wait for a backend to be forked.
func TestOpenWarmsThePool(t *testing.T) {
	b := backends(t)[0]
	if !b.postgres() {
		t.Fatalf("first backend is %s, want postgres", b.name)
	}
	_, dsn := openStore(t, b)
	raw := rawDB(t, b, dsn)
	// Opened in the background: the bot does not wait for them to start.
	wait.Until(t, fmt.Sprintf("the store's pool of %d connections to open", pgstore.DefaultMaxConns), 10*time.Second, func() bool {
		return count(t, raw, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`) >= pgstore.DefaultMaxConns
	})
}
