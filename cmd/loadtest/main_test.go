package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		vals []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 51, 3 * time.Millisecond},
		{ms(hundred...), 95, 95 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 100, 100 * time.Millisecond},
	} {
		if got := percentile(c.vals, c.p); got != c.want {
			t.Errorf("percentile(%d values, %v) = %v, want %v", len(c.vals), c.p, got, c.want)
		}
	}
	s := summarize(ms(5, 1, 4, 2, 3))
	if s.p50 != 3*time.Millisecond || s.max != 5*time.Millisecond || s.n != 5 {
		t.Errorf("summarize = %+v, want p50 3ms, max 5ms, n 5", s)
	}
}

func TestCommandCalls(t *testing.T) {
	info := "# Commandstats\r\ncmdstat_evalsha:calls=10,usec=5\r\ncmdstat_info:calls=99,usec=1\r\ncmdstat_get:calls=3,usec=2\r\n# Stats\r\ntotal_reads_processed:42\r\n"
	if n := commandCalls(info); n != 13 {
		t.Errorf("commandCalls = %d, want 13 (INFO left out)", n)
	}
	if f := infoFields(info); f["total_reads_processed"] != "42" {
		t.Errorf("infoFields = %v", f)
	}
}

// TestSmoke runs the whole command with 10 citizens on the real Redis and
// PostgreSQL: every SKTM request completes, nothing is lost or doubled, the
// echo baseline runs, and the stores are cleaned up.
func TestSmoke(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := options{citizens: 10, mode: "both", think: 20 * time.Millisecond, replicas: 1,
		redisURL: envOr("REDIS_URL", "redis://127.0.0.1:6379/0"), databaseURL: envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		botBinary: testBot(t), replyTimeout: 15 * time.Second, phaseTimeout: time.Minute, baseline: true, flood: 200, rounds: 2, out: &out}
	phases, cases, err := run(ctx, o)
	if err != nil {
		t.Fatalf("loadtest: %v\n%s", err, out.String())
	}
	if len(phases) != 7 {
		t.Fatalf("%d phases, want bot and echo, burst and paced, the bot beside a flood, and a second burst round of each", len(phases))
	}
	for _, p := range phases {
		if p.lost != 0 || p.doubled != 0 || p.tickets != 10 || p.messages != 120 || p.unexpected != 0 {
			t.Errorf("%s %s: lost %d doubled %d tickets %d messages %d unexpected %d (%s)",
				p.target, p.mode, p.lost, p.doubled, p.tickets, p.messages, p.unexpected, p.sample)
		}
		if p.target == "bot" && (p.redisReads == 0 || p.keyBytes == 0 || p.peakRSSKB == 0) {
			t.Errorf("bot %s: Redis and RSS figures missing: %+v", p.mode, p)
		}
	}
	if cases != 30 {
		t.Errorf("cases written: %d, want 30 (10 per bot phase, the flood's included)", cases)
	}
	if !strings.Contains(out.String(), "flood of 200 messages") {
		t.Errorf("no flood comparison in:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "throughput bot/echo (burst)") || !strings.Contains(out.String(), "over 2 rounds: median") {
		t.Errorf("no throughput ratio, or no median over the rounds, in:\n%s", out.String())
	}
}

// TestSmokeReturning runs the returning citizen's script: each citizen
// files a first SKTM in 9 messages and a second in 4 (each filed with
// its documents to follow), the second offered the first's answers; every reply
// is the one the script expects.
func TestSmokeReturning(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := options{citizens: 5, mode: "burst", replicas: 1, returning: true,
		redisURL: envOr("REDIS_URL", "redis://127.0.0.1:6379/0"), databaseURL: envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		botBinary: testBot(t), replyTimeout: 15 * time.Second, phaseTimeout: time.Minute, rounds: 1, out: &out}
	phases, cases, err := run(ctx, o)
	if err != nil {
		t.Fatalf("loadtest: %v\n%s", err, out.String())
	}
	if len(phases) != 1 {
		t.Fatalf("%d phases, want the bot's burst alone", len(phases))
	}
	if p := phases[0]; p.lost != 0 || p.doubled != 0 || p.tickets != 5 || p.messages != 5*(9+4) || p.unexpected != 0 {
		t.Errorf("lost %d doubled %d tickets %d messages %d unexpected %d (%s)", p.lost, p.doubled, p.tickets, p.messages, p.unexpected, p.sample)
	}
	if cases != 10 {
		t.Errorf("cases written: %d, want 10 (two per citizen)", cases)
	}
	if !strings.Contains(out.String(), "citizen messages per SKTM request: first 9 (the service named in the first message), returning 4") {
		t.Errorf("no message counts in:\n%s", out.String())
	}
}

// testBot is the bot binary the smoke tests run: SAPA_BOT_BINARY, or one
// built once for the package's tests.
func testBot(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("SAPA_BOT_BINARY"); bin != "" {
		return bin
	}
	built.Do(func() {
		built.path = filepath.Join(built.dir, "sapa-bot")
		cmd := exec.Command("go", "build", "-o", built.path, "github.com/leksono/sapa/cmd/bot")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("build the bot: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// built is the bot binary testBot builds, in a directory TestMain removes.
var built struct {
	sync.Once
	dir, path string
	err       error
}

// TestMain lets the test binary play the echo baseline, as the command
// does: run starts os.Executable() with "echo".
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "echo" {
		main()
	}
	dir, err := os.MkdirTemp("", "sapa-loadtest-bot-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	built.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestCPUAccounting(t *testing.T) {
	dir := t.TempDir()
	stat := dir + "/stat"
	// user nice system idle iowait irq softirq steal guest guest_nice
	content := "cpu  1000 10 300 5000 40 5 95 0 0 0\ncpu0 500 5 150 2500 20 2 48 0 0 0\ncpu1 500 5 150 2500 20 3 47 0 0 0\nintr 1 2 3\n"
	if err := os.WriteFile(stat, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, interrupts, cores, err := machineBusy(stat)
	if err != nil {
		t.Fatal(err)
	}
	if busy != 14.1 || interrupts != 1 || cores != 2 {
		t.Errorf("machineBusy = %v s busy, %v s interrupts, %d cores; want 14.1, 1, 2", busy, interrupts, cores)
	}

	pidStat := dir + "/pidstat"
	// The name holds a space and a parenthesis; utime 250, stime 50 ticks.
	line := "4242 (sapa bot) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0\n"
	if err := os.WriteFile(pidStat, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := procCPU(pidStat); got != 3 {
		t.Errorf("procCPU = %v s, want 3", got)
	}
	if got := procCPU(dir + "/gone"); got != 0 {
		t.Errorf("procCPU of a gone process = %v, want 0", got)
	}
	if got := redisCPU("# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:2.500000\r\n"); got != 3.75 {
		t.Errorf("redisCPU = %v, want 3.75", got)
	}
	if got := redisCPU("# CPU\r\n"); got != -1 {
		t.Errorf("redisCPU without fields = %v, want -1", got)
	}
	if c := readCPU([]int{os.Getpid()}, -1); !c.ok || c.cores < 1 || c.machine <= 0 || c.redis != -1 {
		t.Errorf("readCPU of this machine = %+v, want a sample", c)
	}
}
