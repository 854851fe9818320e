package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/store/storetest"
)

// childEnv, when set, makes the test binary run as the bot itself, so a
// test can kill a real bot process without building one.
const childEnv = "SAPA_TEST_RUN_BOT"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	closeBrowser()
	os.Exit(code)
}

// botProcess is the bot running as a child process.
type botProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startBotProcess(t *testing.T, env []string, logPath string) *botProcess {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), append(env, childEnv+"=1")...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start the bot: %v", err)
	}
	p := &botProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill(t) })
	return p
}

func (p *botProcess) kill(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("kill the bot: %v", err)
	}
	<-p.done
}

// TestKilledMidConversation is fault test 4 of the reliability issue: 100
// citizens are in the middle of an SKTM request when the bot process gets
// SIGKILL; a new process starts. No submitted case is lost or doubled, and
// every conversation continues at the step it was at: each citizen ends
// with a ticket without starting over. A citizen may be answered twice for
// the message in flight at the kill (the bot cannot know whether its answer
// went out); the second answer says so and repeats the current question.
func TestKilledMidConversation(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	_, prefix := storetest.Redis(t)
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	dbURL := storetest.Postgres(t)
	dir := t.TempDir()
	env := []string{
		"TELEGRAM_TOKEN=" + testToken, "TELEGRAM_API_URL=" + srv.URL(), "REDIS_URL=" + redisURL,
		"REDIS_PREFIX=" + prefix, "DATABASE_URL=" + dbURL, "DATA_DIR=" + filepath.Join(dir, "data"),
		"WHATSAPP=off", "METRICS_ADDR=off", "CONSOLE_ADDR=off", "LOG_LEVEL=info",
	}
	logPath := filepath.Join(dir, "bot.log")
	first := startBotProcess(t, env, logPath)

	script := []struct{ text, want string }{
		{"halo", "Selamat datang"}, {"2", "Surat apa"}, {"sktm", "Setuju"}, {"setuju", "(1/7)"},
		{"", "(2/7)"}, {"Siti Aminah", "(3/7)"}, {"17-08-1990", "(4/7)"}, {"1", "(5/7)"},
		{"Dusun Krajan RT 02", "(6/7)"}, {"beasiswa sekolah anak", "(7/7)"}, {"081234567890", "Mohon periksa"},
		{"ya", "LKS-"},
	}
	const (
		citizens = 100
		base     = int64(7900000)
	)
	var (
		answered atomic.Int64 // replies citizens have waited for and got
		wg       sync.WaitGroup
		failures = make(chan string, citizens)
		tickets  = make([]string, citizens)
	)
	ticketRe := regexp.MustCompile(`LKS-\d{6}-\d{4}`)
	for c := range citizens {
		chat := base + int64(c)
		nik := fmt.Sprintf("330705170890%04d", c+1)
		wg.Go(func() {
			seen := 0
			for i, step := range script {
				text := step.text
				if text == "" {
					text = nik
				}
				srv.PushText(chat, chat, text)
				// Wait for the reply that moves on; an extra answer to the
				// message in flight at the kill is skipped.
				found := wait.Within(90*time.Second, func() bool {
					sent := srv.SentTo(chat)
					for ; seen < len(sent); seen++ {
						if strings.Contains(sent[seen].Text, step.want) {
							if i == len(script)-1 {
								tickets[c] = ticketRe.FindString(sent[seen].Text)
							}
							seen++
							return true
						}
					}
					return false
				})
				if !found {
					failures <- fmt.Sprintf("citizen %d: no answer with %q to step %d (%q) within 90s", c, step.want, i+1, text)
					return
				}
				answered.Add(1)
			}
		})
	}

	// Kill when about a third of the conversation is done.
	total := int64(citizens * len(script))
	wait.Until(t, "a third of the answers", 5*time.Minute, func() bool {
		select {
		case <-first.done:
			t.Fatalf("the bot stopped by itself; its log:\n%s", tail(logPath))
		default:
		}
		return answered.Load() >= total/3
	})
	first.kill(t)
	t.Logf("killed after %d of %d answers", answered.Load(), total)
	// The dead process's polling lease is still valid for up to its TTL: the
	// restarted one must not wait for it (issue #16, point 12).
	rdb := redis.NewClient(redisOptions(t, redisURL))
	defer rdb.Close()
	lease := prefix + "lease:telegram-poller"
	dead, err := rdb.Get(context.Background(), lease).Result()
	if err != nil {
		t.Fatalf("the killed bot held no polling lease: %v", err)
	}
	left, err := rdb.PTTL(context.Background(), lease).Result()
	if err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(left)
	startBotProcess(t, env, logPath)
	tookOver := wait.Within(90*time.Second, func() bool {
		holder, err := rdb.Get(context.Background(), lease).Result()
		return err == nil && holder != dead
	})
	if !tookOver || !time.Now().Before(expires) {
		t.Errorf("the restarted bot took the polling lease at %v, the dead one's lease ran until %v: it waited for its dead predecessor",
			time.Now().Format(time.TimeOnly), expires.Format(time.TimeOnly))
	}

	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if t.Failed() {
		t.Fatalf("bot log:\n%s", tail(logPath))
	}

	direct, err := gorm.Open(postgres.Open(dbURL), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if db, err := direct.DB(); err == nil {
		defer db.Close()
	}
	var rows []struct {
		Ticket string
		Chat   string
	}
	if err := direct.Raw(`SELECT c.ticket, z.external_id AS chat FROM cases c JOIN citizens z ON z.id = c.citizen_id`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	perChat := map[string]int{}
	stored := map[string]bool{}
	for _, r := range rows {
		perChat[r.Chat]++
		stored[r.Ticket] = true
	}
	if len(rows) != citizens || len(perChat) != citizens {
		t.Errorf("%d cases for %d chats, want %d cases, one per chat", len(rows), len(perChat), citizens)
	}
	for c, ticket := range tickets {
		if !stored[ticket] {
			t.Errorf("citizen %d was told ticket %q, which is not stored", c, ticket)
		}
	}
	whole, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the restart: %d updates replayed from the journal, %d redelivered messages answered again",
		journaled(string(whole)), strings.Count(string(whole), "redelivered message answered again"))
	for c := range citizens {
		if nik := fmt.Sprintf("330705170890%04d", c+1); strings.Contains(string(whole), nik) {
			t.Fatalf("the bot log holds NIK %s", nik)
		}
	}
}

// journaled reads how many updates the restarted bot took from the journal.
func journaled(log string) int {
	m := regexp.MustCompile(`handling updates a stopped process had taken.* updates=(\d+)`).FindStringSubmatch(log)
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// redisOptions are the client options of a Redis URL.
func redisOptions(t *testing.T, url string) *redis.Options {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// tail returns the last lines of a log file.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-40):], "\n")
}

// TestGracefulStopGivesLeasesBack: a bot stopped with SIGTERM gives back
// every lease it held (the polling, the outbox, the case writer), so the
// next process takes them at once instead of after their TTL.
func TestGracefulStopGivesLeasesBack(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	_, prefix := storetest.Redis(t)
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	dir := t.TempDir()
	env := []string{
		"TELEGRAM_TOKEN=" + testToken, "TELEGRAM_API_URL=" + srv.URL(), "REDIS_URL=" + redisURL,
		"REDIS_PREFIX=" + prefix, "DATABASE_URL=" + storetest.Postgres(t), "DATA_DIR=" + filepath.Join(dir, "data"),
		"WHATSAPP=off", "METRICS_ADDR=off",
	}
	logPath := filepath.Join(dir, "bot.log")
	p := startBotProcess(t, env, logPath)
	const chat = int64(7950001)
	srv.PushText(chat, chat, "halo")
	srv.WaitSent(t, chat, 1, 30*time.Second)

	rdb := redis.NewClient(redisOptions(t, redisURL))
	defer rdb.Close()
	ctx := context.Background()
	leases := func() []string {
		keys, err := rdb.Keys(ctx, prefix+"lease:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	wait.Until(t, "the running bot to hold its leases", 30*time.Second, func() bool { return len(leases()) >= 3 })
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait.Done(t, "the bot to stop", 60*time.Second, p.done)
	if held := leases(); len(held) > 0 {
		t.Errorf("leases left after a graceful stop: %v\n%s", held, tail(logPath))
	}
}
