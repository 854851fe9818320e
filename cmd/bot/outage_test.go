package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/store/storetest"
)

// citizen drives one Telegram chat of the fake server: say sends a text and
// waits for the next reply holding want.
type citizen struct {
	t    *testing.T
	srv  *telegramtest.Server
	chat int64
	seen int
}

// say sends text and returns the first new reply holding want, within
// timeout; replies before it are skipped.
func (c *citizen) say(text, want string, timeout time.Duration) telegramtest.SentMessage {
	c.t.Helper()
	c.srv.PushText(c.chat, c.chat, text)
	return c.expect(want, timeout)
}

// expect waits for the first new reply holding want.
func (c *citizen) expect(want string, timeout time.Duration) telegramtest.SentMessage {
	c.t.Helper()
	got, found := c.within(want, timeout)
	if !found {
		var texts []string
		for _, m := range c.srv.SentTo(c.chat) {
			texts = append(texts, m.Text)
		}
		c.t.Fatalf("chat %d: no reply holding %q within %v; all replies:\n%s", c.chat, want, timeout, strings.Join(texts, "\n---\n"))
	}
	return got
}

// within reports the first new reply holding want, if one comes within
// timeout; unlike expect it may run on any goroutine.
func (c *citizen) within(want string, timeout time.Duration) (telegramtest.SentMessage, bool) {
	var got telegramtest.SentMessage
	found := wait.Within(timeout, func() bool {
		sent := c.srv.SentTo(c.chat)
		for ; c.seen < len(sent); c.seen++ {
			if strings.Contains(sent[c.seen].Text, want) {
				got = sent[c.seen]
				c.seen++
				return true
			}
		}
		return false
	})
	return got, found
}

// outageNotice begins the answer a message gets while the database is down.
const outageNotice = "layanan sedang gangguan sebentar; pesan Anda kami simpan"

// TestConsentDuringPostgresOutage is point 11 of issue #16: 20 citizens who
// agreed to the privacy notice during a PostgreSQL outage got no reply
// within 15 seconds, because the consent was written to PostgreSQL before
// the next question. Consent now works from Redis: each gets the form's
// first question at once, goes on with the form, and files the request
// with a ticket; the consents and the case are written when the database
// is back.
func TestConsentDuringPostgresOutage(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	dsn, proxy := storetest.PostgresBehindProxy(t)
	cfg := serverSettings(t, srv, map[string]string{"DATABASE_URL": dsn, "METRICS_ADDR": "off"})
	startBot(t, cfg, slog.New(slog.DiscardHandler))

	const citizens = 20
	people := make([]*citizen, citizens)
	for i := range people {
		people[i] = &citizen{t: t, srv: srv, chat: 5561000 + int64(i)}
		people[i].say("2", "Surat apa", 15*time.Second)
		people[i].say("sktm", "Setuju? Pilih Setuju", 15*time.Second)
	}
	proxy.Cut()
	var wg sync.WaitGroup
	for _, p := range people {
		wg.Go(func() {
			// The bound: an answer within 15 seconds.
			srv.PushText(p.chat, p.chat, "setuju")
			if _, ok := p.within("(1/7)", 15*time.Second); !ok {
				t.Errorf("chat %d: no first question within 15s of agreeing during the outage", p.chat)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// The form goes on from Redis, to its ticket.
	p := people[0]
	for _, step := range [][2]string{
		{"3307051708900001", "(2/7)"}, {"Siti Aminah", "(3/7)"}, {"17-08-1990", "(4/7)"}, {"1", "(5/7)"},
		{"Dusun Krajan RT 02 RW 01", "(6/7)"}, {"beasiswa sekolah anak", "(7/7)"}, {"0812 3456 7890", "3307**********01"},
	} {
		p.say(step[0], step[1], 15*time.Second)
	}
	receipt := p.say("ya", "Nomor tiket:", 15*time.Second)
	ticket := ticketRe.FindString(receipt.Text)

	proxy.Restore()
	direct, err := gorm.Open(postgres.Open(dsn), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if db, err := direct.DB(); err == nil {
		defer db.Close()
	}
	var consents, cases int64
	written := wait.Within(60*time.Second, func() bool {
		direct.Raw(`SELECT count(*) FROM consents`).Scan(&consents)
		direct.Raw(`SELECT count(*) FROM cases WHERE ticket = ?`, ticket).Scan(&cases)
		return consents == citizens && cases == 1
	})
	if !written {
		t.Errorf("after the outage: %d consents and %d case %s written, want %d and 1", consents, cases, ticket, citizens)
	}
}

// TestStepsThatNeedThePostgresAnswerAtOnce: a step that cannot work from
// Redis (a status check reads the cases) is answered at once, and once, with
// "the service has a brief disruption, your message is kept", and answered
// for real when the database is back, by itself.
func TestStepsThatNeedThePostgresAnswerAtOnce(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	dsn, proxy := storetest.PostgresBehindProxy(t)
	cfg := serverSettings(t, srv, map[string]string{"DATABASE_URL": dsn, "METRICS_ADDR": "off"})
	logs := &syncBuffer{}
	startBot(t, cfg, slog.New(slog.NewTextHandler(logs, nil)))

	c := &citizen{t: t, srv: srv, chat: 5562001}
	c.say("halo", "Selamat datang", 15*time.Second)
	proxy.Cut()
	c.say("cek status", outageNotice, 15*time.Second)
	// The message is tried again through the outage, and told once.
	wait.Until(t, "the message to be tried again", 30*time.Second, func() bool {
		return strings.Count(logs.String(), "not handled, trying again") >= 3
	})
	proxy.Restore()
	c.expect("belum punya pengajuan", 60*time.Second)
	notices := 0
	for _, m := range srv.SentTo(c.chat) {
		if strings.Contains(m.Text, outageNotice) {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("the outage notice was sent %d times, want once", notices)
	}
}

// TestStartsWithPostgresDown is point 14 of issue #16: PostgreSQL
// unreachable at start-up ended the bot at once. It now starts, says
// not-ready on /readyz, serves conversations, and reaches the database when
// it comes; `bot check` still fails at once.
func TestStartsWithPostgresDown(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	dsn, proxy := storetest.PostgresBehindProxy(t)
	proxy.Cut()
	cfg := serverSettings(t, srv, map[string]string{"DATABASE_URL": dsn, "METRICS_ADDR": "off"})
	logs := &syncBuffer{}
	a := startBot(t, cfg, slog.New(slog.NewTextHandler(logs, nil)))

	ops := httptest.NewServer(a.metrics.Handler(a.ready))
	defer ops.Close()
	if body := get(t, ops.URL+"/readyz"); !strings.Contains(body, "database: case database not reached yet") {
		t.Errorf("/readyz with the database down = %q, want it not ready, saying why", body)
	}
	if !strings.Contains(logs.String(), "PostgreSQL does not answer: the bot serves conversations") {
		t.Errorf("no start-up line saying the bot serves without PostgreSQL:\n%s", logs.String())
	}
	c := &citizen{t: t, srv: srv, chat: 5563001}
	c.say("halo", "Selamat datang", 15*time.Second)
	c.say("2", "Surat apa", 15*time.Second)
	c.say("sktm", "Setuju? Pilih Setuju", 15*time.Second)
	c.say("setuju", "(1/7)", 15*time.Second)

	proxy.Restore()
	ready := wait.Within(60*time.Second, func() bool { return strings.TrimSpace(get(t, ops.URL+"/readyz")) == "ok" })
	if !ready {
		t.Fatalf("/readyz after the database came = %q", get(t, ops.URL+"/readyz"))
	}
	for _, step := range [][2]string{
		{"3307051708900001", "(2/7)"}, {"Siti Aminah", "(3/7)"}, {"17-08-1990", "(4/7)"}, {"1", "(5/7)"},
		{"Dusun Krajan RT 02 RW 01", "(6/7)"}, {"beasiswa sekolah anak", "(7/7)"}, {"0812 3456 7890", "3307**********01"},
	} {
		c.say(step[0], step[1], 15*time.Second)
	}
	receipt := c.say("ya", "Nomor tiket:", 15*time.Second)
	if _, _, err := a.cases.CaseByTicket(context.Background(), ticketRe.FindString(receipt.Text)); err != nil {
		t.Errorf("the case filed once the database came: %v", err)
	}

	// `bot check` connects and fails at once.
	proxy.Cut()
	code, out := runCheck(t, map[string]string{"DATABASE_URL": dsn, "TELEGRAM_TOKEN": testToken, "DATA_DIR": t.TempDir()}, time.Now())
	if code != 1 || !strings.Contains(out, "environment: DATABASE_URL: PostgreSQL at "+proxy.Addr()) {
		t.Errorf("bot check with the database down: exit %d, output:\n%s", code, out)
	}
}

// TestRedisRestartMidFormIsTold is point 10 of issue #16: a citizen who gave
// NIK and name before Redis restarted empty was greeted with the welcome
// menu, as a stranger. Their next answer is now told that the form's data
// was lost through a fault, and to start again.
func TestRedisRestartMidFormIsTold(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"METRICS_ADDR": "off"})
	a := startBot(t, cfg, slog.New(slog.DiscardHandler))
	c := &citizen{t: t, srv: srv, chat: 5565001}
	for _, step := range [][2]string{
		{"2", "Surat apa"}, {"sktm", "Setuju"}, {"setuju", "(1/7)"}, {"3307051708900001", "(2/7)"}, {"Siti Aminah", "(3/7)"},
	} {
		c.say(step[0], step[1], 15*time.Second)
	}
	// Redis restarts without its data.
	ctx := context.Background()
	keys, err := a.storage.Redis.Keys(ctx, cfg.RedisPrefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.storage.Redis.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	reply := c.say("17-08-1990", "data pengisian Anda hilang", 15*time.Second)
	if strings.Contains(reply.Text, "Selamat datang") {
		t.Errorf("the citizen was greeted as new:\n%s", reply.Text)
	}
}
