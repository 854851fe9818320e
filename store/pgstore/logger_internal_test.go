package pgstore

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/storetest"
)

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a pool.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsCarryNoPersonalData logs every statement of a submission, a
// repeated submission, a failed one and a look-up with the logger Open
// uses, and checks no value of the form, chat or name reaches the log.
func TestLogsCarryNoPersonalData(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.Postgres(t)
	var buf lockedBuffer
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		Logger: newLogger(slog.New(slog.NewTextHandler(&buf, nil)), logger.Info),
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatalf("load Asia/Jakarta: %v", err)
	}
	s, err := New(ctx, db, Options{TicketPrefix: "LKS", Location: loc})
	if err != nil {
		t.Fatalf("new: %v", err)
	}

	const (
		nik   = "3307054107900001"
		kk    = "3307051203150004"
		phone = "6281234567890"
		name  = "Siti Aminah Rahayu"
	)
	nc := services.NewCase{
		Kind:          services.KindRequest,
		ServiceCode:   "sktm",
		Unit:          "pelayanan",
		Channel:       "whatsapp",
		ChatID:        phone,
		CitizenName:   name,
		VillageCode:   "33.07.05.2001",
		Form:          map[string]string{"nik": nik, "kk": kk},
		SourceMessage: "whatsapp:" + phone + ":wamid.1",
		SubmittedAt:   time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC),
		DueAt:         time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
	}
	rec, err := s.SubmitCase(ctx, nc)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if _, err := s.SubmitCase(ctx, nc); err != nil {
		t.Fatalf("repeat: %v", err)
	}
	if _, _, err := s.CaseByTicket(ctx, rec.Ticket); err != nil {
		t.Fatalf("case by ticket: %v", err)
	}
	// A failing statement is logged at error level: make one fail.
	if err := db.Exec(`ALTER TABLE cases ADD CONSTRAINT test_no_more CHECK (id < 0) NOT VALID`).Error; err != nil {
		t.Fatalf("add check: %v", err)
	}
	nc.SourceMessage += "-again"
	if _, err := s.SubmitCase(ctx, nc); err == nil {
		t.Fatal("submit against a failing check: no error")
	}

	out := buf.String()
	if !strings.Contains(out, "INSERT INTO citizens") || !strings.Contains(out, "level=ERROR") {
		t.Fatalf("log lacks the traced statements, the test proves nothing:\n%s", out)
	}
	for _, secret := range []string{nik, kk, phone, name} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}
