package pgstore_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/leksono/sapa/services"
)

// The bot numbers its cases from Redis and hands the number in; on
// PostgreSQL such a case is filed in one statement (SQLite keeps the
// transaction). These tests hold that path to what the transaction does.

func TestNumberedSubmission(t *testing.T) { eachBackend(t, testNumberedSubmission) }

func testNumberedSubmission(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	raw := rawDB(t, b, dsn)

	nc := sample(1)
	nc.TicketNumber = 7
	nc.CitizenName = strings.Repeat("é", 250) // longer than the column
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if rec.Ticket != "LKS-261128-0007" || !rec.DueAt.Equal(nc.DueAt) {
		t.Fatalf("receipt = %+v, want LKS-261128-0007 due %v", rec, nc.DueAt)
	}
	nc.CitizenName = strings.Repeat("é", 200) // as stored
	checkFiled(t, s, nc, rec)

	// The same message again, with the number a retry would take: the
	// first receipt, nothing written twice, the name refreshed or kept.
	again := nc
	again.TicketNumber = 8
	again.CitizenName = ""
	rec2, err := s.SubmitCase(ctx, again)
	if err != nil {
		t.Fatalf("submit again: %v", err)
	}
	if rec2 != rec {
		t.Errorf("second receipt %+v, want the first %+v", rec2, rec)
	}
	checkOneCase(t, raw)
	var name string
	if err := raw.Raw(`SELECT name FROM citizens`).Scan(&name).Error; err != nil {
		t.Fatalf("read citizen: %v", err)
	}
	if name != nc.CitizenName {
		t.Errorf("an empty name replaced the known one: %q", name)
	}

	// A second case of the chat reuses its citizen row.
	next := sample(1)
	next.SourceMessage = "telegram:100001:900"
	next.TicketNumber = 9
	if rec3, err := s.SubmitCase(ctx, next); err != nil || rec3.Ticket != "LKS-261128-0009" {
		t.Fatalf("second case: %+v, %v; want LKS-261128-0009", rec3, err)
	}
	if c := count(t, raw, `SELECT count(*) FROM citizens`); c != 1 {
		t.Errorf("citizens = %d, want 1", c)
	}
	if n, err := s.LastTicketNumber(ctx, "2026-11-28"); err != nil || n != 9 {
		t.Errorf("last ticket number = %d, %v; want 9", n, err)
	}
}

// The same message submitted by several processes at once, each with its
// own number: one case, one event, one receipt for all.
func TestNumberedSameSourceConcurrently(t *testing.T) {
	eachBackend(t, testNumberedSameSourceConcurrently)
}

func testNumberedSameSourceConcurrently(t *testing.T, b backend) {
	ctx := context.Background()
	s, dsn := openStore(t, b)
	raw := rawDB(t, b, dsn)
	const n = 12
	receipts := make([]services.Receipt, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			nc := sample(1)
			nc.TicketNumber = int64(i + 1)
			if i%2 == 1 {
				nc.ChatID = strconv.Itoa(300000 + i) // not real: meets only at the case insert
			}
			<-start
			receipts[i], errs[i] = s.SubmitCase(ctx, nc)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("submit %d: %v", i, errs[i])
		}
		if receipts[i] != receipts[0] {
			t.Errorf("receipt %d = %+v, want %+v", i, receipts[i], receipts[0])
		}
	}
	checkOneCase(t, raw)
}
