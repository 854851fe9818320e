package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/store/storetest"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/office"
)

// What the citizens of TestNoClearTextInRedis type: two NIKs and two KK
// numbers.
var typedNumbers = []string{"3307051708900001", "3307051203150004", "3307055708900003", "3307052205160007"}

// typedWords are the other answers both citizens type, which rest in the
// unfinished form's state: the purpose in their words and a phone number
// (as typed, and as the form stores it).
var typedWords = []string{"beasiswa sekolah anak", "081234567890", "6281234567890"}

// TestNoClearTextInRedis types NIK and KK numbers, a phone number and a
// purpose in a citizen's words through the running bot, first long polling
// (the updates pass through the poll journal), then in webhook mode
// (through the webhook's shard queues), with staff notified through the
// outbox, on a Redis server of its own that writes an append-only file as
// the README recommends. At several moments of each form, and at the end,
// no Redis key or value holds what was typed in clear, and neither does
// any file Redis wrote.
func TestNoClearTextInRedis(t *testing.T) {
	redisURL, redisDir := privateRedis(t)
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": officeWithStaff(t), "REDIS_URL": redisURL, "METRICS_ADDR": "off"})
	log, _ := checkedLog(t, 5550101, 5550102, 7001, 7002)
	rdb := redis.NewClient(mustParseRedisURL(t, redisURL))
	t.Cleanup(func() { _ = rdb.Close() })
	scans := 0
	scan := func(when string) {
		t.Helper()
		scans++
		all := storetest.RedisContents(t, rdb, "*")
		for _, n := range append(typedNumbers, typedWords...) {
			if strings.Contains(all, n) {
				t.Fatalf("%s: Redis holds the typed %q in clear", when, n)
			}
		}
	}

	// Long polling: a request for a letter that asks NIK and KK.
	_, stop := startStoppable(t, cfg, log)
	const first, second = int64(5550101), int64(5550102)
	seen := map[int64]int{}
	next := func(chat int64, want string) string {
		t.Helper()
		seen[chat]++
		got := srv.WaitSent(t, chat, seen[chat], 15*time.Second)[seen[chat]-1].Text
		if !strings.Contains(got, want) {
			t.Fatalf("message %d to %d: want %q in:\n%s", seen[chat], chat, want, got)
		}
		return got
	}
	form := func(chat int64, say func(text string), nik, kk string) string {
		t.Helper()
		for _, step := range [][2]string{
			{"halo", "Selamat datang"}, {"2", "Surat apa"}, {"tanggungan", "Setuju"}, {"setuju", "(1/6)"},
			{nik, "(2/6)"}, {kk, "(3/6)"}, {"Siti Aminah", "(4/6)"}, {"Sawangan", "(5/6)"},
			{"beasiswa sekolah anak", "(6/6)"}, {"081234567890", "3307**********"}, {"ya", "Nomor tiket"},
		} {
			say(step[0])
			got := next(chat, step[1])
			if step[0] == nik || step[0] == kk || step[0] == "beasiswa sekolah anak" {
				scan(fmt.Sprintf("chat %d, after %s", chat, step[1]))
			}
			if step[0] == "ya" {
				return got
			}
		}
		return ""
	}
	receipt := form(first, func(text string) { srv.PushText(first, first, text) }, typedNumbers[0], typedNumbers[1])
	ticket := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(receipt)
	next(7001, "Kasus baru "+ticket)
	scan("after the first case")
	stop()

	// Webhook mode on the same Redis: the updates wait in the shards.
	port := freePort(t)
	cfg.TelegramWebhookURL = "http://127.0.0.1:" + port + "/tg"
	cfg.TelegramWebhookListen = "127.0.0.1:" + port
	cfg.TelegramWebhookSecret = strings.Repeat("s3cret-", 6)
	_, stop = startStoppable(t, cfg, log)
	waitFor(t, "the webhook to be set", func() bool { return srv.Webhook().URL != "" })
	update := 1000
	deliver := func(text string) {
		t.Helper()
		update++
		raw, _ := json.Marshal(map[string]any{"message": map[string]any{
			"message_id": update, "date": time.Now().Unix(), "text": text,
			"from": map[string]any{"id": second, "is_bot": false, "first_name": "Warga"},
			"chat": map[string]any{"id": second, "type": "private", "first_name": "Warga"},
		}})
		if code, err := srv.Deliver(context.Background(), update, raw); err != nil || code != 200 {
			t.Fatalf("deliver %q: status %d, %v", text, code, err)
		}
	}
	receipt = form(second, deliver, typedNumbers[2], typedNumbers[3])
	ticket = regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(receipt)
	next(7001, "Kasus baru "+ticket)
	scan("after the second case")
	stop()

	// Every command Redis ran is in its append-only file: nothing typed
	// reached it in clear, at any moment.
	files := 0
	err := filepath.WalkDir(redisDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, n := range append(typedNumbers, typedWords...) {
			if strings.Contains(string(raw), n) {
				t.Errorf("%s holds the typed %q in clear", filepath.Base(path), n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	aof, _ := filepath.Glob(filepath.Join(redisDir, "appendonlydir", "*.aof"))
	if files == 0 || len(aof) == 0 {
		t.Fatalf("Redis wrote no append-only file in %s", redisDir)
	}
	// The file did record the forms: the scan looked at the right place.
	if !strings.Contains(readAll(t, aof...), "enc:v1:") {
		t.Error("the append-only file holds no sealed value: did the forms reach this Redis?")
	}
}

// privateRedis starts a redis-server of the test's own on a free port, its
// files in a directory of the test, with appendonly yes (every write
// fsynced) and no snapshot; it returns its URL and directory. The server
// stops when the test ends.
func privateRedis(t *testing.T) (url, dir string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: apt-get install redis-server (%v)", err)
	}
	dir = t.TempDir()
	port := freePort(t)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", "no", "--daemonize", "no")
	logFile, err := os.Create(filepath.Join(t.TempDir(), "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	url = "redis://127.0.0.1:" + port + "/0"
	// No retries: SHUTDOWN closes the connection under its own answer.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, MaxRetries: -1})
	t.Cleanup(func() {
		_ = rdb.Shutdown(context.Background()).Err() // the connection closes under the answer
		_ = rdb.Close()
		_ = cmd.Wait()
		_ = logFile.Close()
	})
	waitFor(t, "the private redis-server to listen", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	})
	return url, dir
}

// startStoppable builds the bot from cfg and runs its channels and jobs until stop,
// which returns once they stopped and the storage is closed.
func startStoppable(t *testing.T, cfg office.Settings, log *slog.Logger) (*app, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := build(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("build: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := runChannels(ctx, a.supervisor, append(a.channels, a.jobs...)); err != nil && ctx.Err() == nil {
			t.Errorf("the bot stopped by itself: %v", err)
		}
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		a.close(log)
	}
	t.Cleanup(stop)
	return a, stop
}

// freePort is a TCP port nothing listens on at the moment.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// waitFor waits until cond holds, for up to 15 seconds: the end-to-end
// tests' processes start and stop within that on a busy machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, what, 15*time.Second, cond)
}

func mustParseRedisURL(t *testing.T, url string) *redis.Options {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func readAll(t *testing.T, paths ...string) string {
	t.Helper()
	var all strings.Builder
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(raw)
	}
	return all.String()
}
