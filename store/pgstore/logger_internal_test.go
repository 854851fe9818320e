package pgstore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
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
// repeated submission, a failed one, the follow-up methods and the
// look-ups with the logger Open uses, on both backends, and checks no value
// of the form, chat or name reaches the log: with GORM tracing every
// statement (db.Debug()), and with the bot's GORM level under LOG_LEVEL
// debug.
func TestLogsCarryNoPersonalData(t *testing.T) {
	for name, dialector := range map[string]func(t *testing.T) gorm.Dialector{
		"postgres": func(t *testing.T) gorm.Dialector { return postgres.Open(storetest.Postgres(t)) },
		"sqlite":   func(t *testing.T) gorm.Dialector { return sqlite.Open(SQLiteDSN(storetest.SQLite(t))) },
	} {
		for mode, levels := range map[string]struct {
			gorm logger.LogLevel
			slog slog.Level
		}{"trace": {logger.Info, slog.LevelInfo}, "debug": {logger.Warn, slog.LevelDebug}} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				testLogsCarryNoPersonalData(t, dialector(t), levels.gorm, levels.slog)
			})
		}
	}
}

func testLogsCarryNoPersonalData(t *testing.T, dialector gorm.Dialector, gormLevel logger.LogLevel, slogLevel slog.Level) {
	ctx := context.Background()
	var buf lockedBuffer
	db, err := gorm.Open(dialector, &gorm.Config{
		Logger: newLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slogLevel})), gormLevel),
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
	s, err := New(ctx, db, Options{TicketPrefix: "LKS", Location: loc, AllowPlaintext: true})
	if err != nil {
		t.Fatalf("new: %v", err)
	}

	const (
		nik    = "3307054107900001"
		kk     = "3307051203150004"
		phone  = "6281234567890"
		name   = "Siti Aminah Rahayu"
		answer = "Nomor KK saya 3307051203150004"
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
	if err := s.SetCitizenLang(ctx, nc.Channel, phone, "jv"); err != nil {
		t.Fatalf("set lang: %v", err)
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
	at := nc.SubmittedAt.Add(time.Hour)
	if _, _, err := s.ChangeStatus(ctx, StatusChange{Ticket: rec.Ticket, To: services.StatusIncomplete,
		Actor: "budi", Note: "kirim KK", At: at, Kind: EventQuestion}); err != nil {
		t.Fatalf("question: %v", err)
	}
	if _, _, err := s.ChangeStatus(ctx, StatusChange{Ticket: rec.Ticket, To: services.StatusVerifying,
		Actor: actorCitizen, Note: answer, At: at, Kind: EventReply}); err != nil {
		t.Fatalf("reply: %v", err)
	}
	if _, _, err := s.AddEvent(ctx, rec.Ticket, EventNote, "budi", answer, at); err != nil {
		t.Fatalf("note: %v", err)
	}
	if _, err := s.CitizenCases(ctx, nc.Channel, phone, 0); err != nil {
		t.Fatalf("citizen cases: %v", err)
	}
	if _, _, err := s.CitizenCase(ctx, rec.Ticket, nc.Channel, phone); err != nil {
		t.Fatalf("citizen case: %v", err)
	}
	if _, err := s.CitizenLang(ctx, nc.Channel, phone); err != nil {
		t.Fatalf("citizen lang: %v", err)
	}
	if _, err := s.OpenCases(ctx, CaseFilter{}); err != nil {
		t.Fatalf("open cases: %v", err)
	}
	// The survey's profile is statistical, but personal all the same.
	if _, err := s.StartSurvey(ctx, rec.Ticket, at); err != nil {
		t.Fatalf("start survey: %v", err)
	}
	if err := s.AnswerProfile(ctx, rec.Ticket, "pekerjaan", "wiraswasta", at); err != nil {
		t.Fatalf("answer profile: %v", err)
	}
	// A failing statement is logged at error level: make one fail. One
	// case per channel is a constraint both dialects can add.
	if err := db.Exec(`CREATE UNIQUE INDEX test_no_more ON cases (channel)`).Error; err != nil {
		t.Fatalf("add constraint: %v", err)
	}
	nc.SourceMessage += "-again"
	if _, err := s.SubmitCase(ctx, nc); err == nil {
		t.Fatal("submit against a failing constraint: no error")
	}

	out := buf.String()
	if !strings.Contains(out, "INSERT INTO citizens") || !strings.Contains(out, "level=ERROR") {
		t.Fatalf("log lacks the traced statements, the test proves nothing:\n%s", out)
	}
	for _, secret := range []string{nik, kk, phone, name, "wiraswasta"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}

// TestQuietTraceLogsWhatMatters holds the logger to what it must still log
// at warning level (failed and slow statements) while it skips rendering
// the statements that are not logged.
func TestQuietTraceLogsWhatMatters(t *testing.T) {
	ctx := context.Background()
	var buf lockedBuffer
	l := newLogger(slog.New(slog.NewTextHandler(&buf, nil)), logger.Warn)
	rendered := 0
	statement := func(sql string) func() (string, int64) {
		return func() (string, int64) {
			rendered++
			return sql, 1
		}
	}

	l.Trace(ctx, time.Now(), statement("SELECT fast"), nil)
	l.Trace(ctx, time.Now(), statement("SELECT missing"), gorm.ErrRecordNotFound)
	if rendered != 0 {
		t.Errorf("%d statements rendered that are not logged, want 0", rendered)
	}
	l.Trace(ctx, time.Now(), statement("SELECT failed"), errors.New("relation does not exist"))
	l.Trace(ctx, time.Now().Add(-2*slowStatement), statement("SELECT slow"), nil)
	out := buf.String()
	for _, want := range []string{"SELECT failed", "SELECT slow"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"SELECT fast", "SELECT missing"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("log holds %q:\n%s", unwanted, out)
		}
	}

	// LogMode(Info), as db.Debug() asks, logs every statement again.
	buf = lockedBuffer{}
	l.LogMode(logger.Info).Trace(ctx, time.Now(), statement("SELECT debugged"), nil)
	if !strings.Contains(buf.String(), "SELECT debugged") {
		t.Errorf("Info level does not log a fast statement:\n%s", buf.String())
	}
}

// TestLogFollowsOptionsLog: Open and OpenSQLite log to Options.Log at its
// level (LOG_LEVEL), not to slog.Default: a statement is traced at debug
// level and left out at info level, where a failed one is still logged.
func TestLogFollowsOptionsLog(t *testing.T) {
	for name, open := range map[string]func(t *testing.T, o Options) (*Store, error){
		"postgres": func(t *testing.T, o Options) (*Store, error) {
			return Open(context.Background(), storetest.Postgres(t), o)
		},
		"sqlite": func(t *testing.T, o Options) (*Store, error) {
			return OpenSQLite(context.Background(), storetest.SQLite(t), o)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
				var buf lockedBuffer
				s, err := open(t, Options{TicketPrefix: "LKS", Location: time.UTC, AllowPlaintext: true,
					Log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))})
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				t.Cleanup(func() { s.Close() })
				if _, err := s.CitizenCases(context.Background(), "telegram", "42", 0); err != nil {
					t.Fatalf("citizen cases: %v", err)
				}
				if err := s.db.Exec("SELECT * FROM no_such_table").Error; err == nil {
					t.Fatal("a query of a missing table did not fail")
				}
				out := buf.String()
				traced := strings.Contains(out, "level=DEBUG") && strings.Contains(out, "external_id = ")
				if want := level == slog.LevelDebug; traced != want {
					t.Errorf("at %v: statement traced %v, want %v:\n%s", level, traced, want, out)
				}
				if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "no_such_table") {
					t.Errorf("at %v: the failed statement is not logged:\n%s", level, out)
				}
			}
		})
	}
}

// GORM logs with printf formats; its slog logger printed them as they
// are, so the start-up failure read "got error %v" and a failed statement
// "statement failed: %v", the error beside them as data. Both lines must
// read as sentences.
func TestGormMessagesAreFormatted(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	_, err := gorm.Open(postgres.Open("postgres://postgres@127.0.0.1:1/nothing?sslmode=disable&connect_timeout=2"),
		&gorm.Config{Logger: newLogger(log, logger.Warn)})
	if err == nil {
		t.Fatal("opening a database on port 1 succeeded")
	}
	s, err := OpenSQLite(context.Background(), storetest.SQLite(t), Options{
		TicketPrefix: "LKS", Location: time.UTC, AllowPlaintext: true, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := scanRow(s.db.Raw("SELECT no_such_column FROM cases")); err == nil {
		t.Fatal("a statement on a missing column succeeded")
	}
	out := buf.String()
	if strings.Contains(out, "%v") || strings.Contains(out, "%!") {
		t.Errorf("a GORM line kept its format verbs:\n%s", out)
	}
	for _, want := range []string{"failed to initialize database, got error", "127.0.0.1", "statement failed: ", "no_such_column"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}
