// Command loadtest measures the bot under load. It starts a fake Telegram
// Bot API on loopback, runs the real bot binary against it on real Redis and
// PostgreSQL (a fresh database and key prefix, dropped at the end), and has
// N simulated citizens each complete a full SKTM request. Then it runs the
// same load against a bare telegram-bot-api echo bot, the baseline, and
// prints both.
//
//	go run ./cmd/loadtest -citizens 500 -mode both -think 1s -replicas 1
//
// Every loop is bounded: each reply is waited for at most -reply-timeout,
// each phase at most -phase-timeout. Everything listens on 127.0.0.1 only.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

const loadToken = "424242:LOAD-test-token"

// options are the command's flags.
type options struct {
	citizens     int
	mode         string // burst, paced or both
	think        time.Duration
	replicas     int
	webhook      bool // replicas take updates by webhook (TELEGRAM_WEBHOOK_*)
	redisURL     string
	databaseURL  string
	botBinary    string
	replyTimeout time.Duration
	phaseTimeout time.Duration
	baseline     bool
	flood        int    // messages one sender floods during an extra bot phase (0: none)
	steps        bool   // also print the latency of each script step
	rounds       int    // burst comparisons of bot and echo, alternated
	returning    bool   // each citizen files a second SKTM as a returning citizen
	prefix       string // Redis key prefix of the run
	out          io.Writer
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "echo" {
		fs := flag.NewFlagSet("echo", flag.ExitOnError)
		api := fs.String("api", "", "Bot API base URL")
		token := fs.String("token", loadToken, "bot token")
		_ = fs.Parse(os.Args[2:])
		os.Exit(runEcho(*api, *token))
	}
	var o options
	flag.IntVar(&o.citizens, "citizens", 500, "simulated citizens, each completing one SKTM request")
	flag.StringVar(&o.mode, "mode", "both", "burst (next message as soon as the reply arrived), paced (think time between messages) or both")
	flag.DurationVar(&o.think, "think", time.Second, "think time of the paced mode; start times are spread over one think time")
	flag.IntVar(&o.replicas, "replicas", 1, "bot processes on the same Redis and PostgreSQL")
	flag.BoolVar(&o.webhook, "webhook", false, "bot processes take updates by webhook (needs TELEGRAM_WEBHOOK_URL/LISTEN/SECRET wired in cmd/bot)")
	flag.StringVar(&o.redisURL, "redis", envOr("REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis URL")
	flag.StringVar(&o.databaseURL, "database", envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL admin URL; a fresh database sapa_load_<random> is created on it and dropped")
	flag.StringVar(&o.botBinary, "bot", "", "bot binary (default: go build ./cmd/bot into a temporary directory)")
	flag.DurationVar(&o.replyTimeout, "reply-timeout", 30*time.Second, "a message not answered within this is lost")
	flag.DurationVar(&o.phaseTimeout, "phase-timeout", 10*time.Minute, "bound of each phase")
	flag.BoolVar(&o.baseline, "baseline", true, "also run the echo baseline")
	flag.IntVar(&o.flood, "flood", 0, "after the bot phases, run the first mode again while one sender floods this many messages, and compare the citizens' latency")
	flag.IntVar(&o.rounds, "rounds", 1, "burst comparisons of bot and echo, run alternately, for a ratio that the machine's drifting speed moves less: the median is printed")
	flag.BoolVar(&o.steps, "steps", false, "also print the reply latency of each step of the script (where the time goes)")
	flag.BoolVar(&o.returning, "returning", false, "each citizen files two SKTM requests: the first in a villager's words (the service named in the first message), the second as a returning citizen whose answers are offered again; the message count of each is printed")
	flag.Parse()
	o.out = os.Stdout
	if _, _, err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// phase is the measure of one mode against one target.
type phase struct {
	target, mode string
	citizens     int
	messages     int
	elapsed      time.Duration
	lat          summary
	steps        []summary // by script step
	apiCalls     int64     // Bot API requests the bot or echo made, polls included
	polls        int64
	lost         int
	doubled      int
	unexpected   int
	sample       string
	tickets      int
	// bot only
	redisCmds, redisReads int64
	redisMem              int64 // used_memory delta
	keyBytes              int64 // MEMORY USAGE of the phase's chats' keys
	peakRSSKB             int64
	// cpu is the CPU time the phase used (the difference of two samples):
	// procs is the bot's or the echo's processes.
	cpu cpuTimes
}

func (p phase) rate() float64 {
	if p.elapsed <= 0 {
		return 0
	}
	return float64(p.messages) / p.elapsed.Seconds()
}

func randB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// run runs the whole benchmark and returns each phase and the cases the
// bot wrote.
func run(ctx context.Context, o options) (results []phase, cases int64, err error) {
	if o.citizens < 1 || o.replicas < 1 || o.replicas > 8 {
		return nil, 0, fmt.Errorf("-citizens must be at least 1 and -replicas 1 to 8")
	}
	o.rounds = max(o.rounds, 1)
	if o.rounds > 1 && o.webhook {
		return nil, 0, fmt.Errorf("-rounds must be 1 with -webhook (restarted replicas would register new webhooks)")
	}
	modes := []string{o.mode}
	if o.mode == "both" {
		modes = []string{"burst", "paced"}
	} else if o.mode != "burst" && o.mode != "paced" {
		return nil, 0, fmt.Errorf("-mode %q is not burst, paced or both", o.mode)
	}
	tmp, err := os.MkdirTemp("", "sapa-load-")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(tmp)
	if o.botBinary == "" {
		o.botBinary = filepath.Join(tmp, "sapa-bot")
		fmt.Fprintln(o.out, "building the bot: go build -o", o.botBinary, "./cmd/bot")
		build := exec.Command("go", "build", "-o", o.botBinary, "github.com/leksono/sapa/cmd/bot")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, 0, fmt.Errorf("build the bot (run from the repository root): %w", err)
		}
	}

	// Fresh stores.
	id := randHex(4)
	dbName := "sapa_load_" + id
	prefix := "sapa_load_" + id + ":"
	o.prefix = prefix
	botDSN, dropDB, err := createDatabase(ctx, o.databaseURL, dbName)
	if err != nil {
		return nil, 0, err
	}
	defer func() { err = errors.Join(err, dropDB()) }()
	ropts, err := redis.ParseURL(o.redisURL)
	if err != nil {
		return nil, 0, fmt.Errorf("-redis: %w", err)
	}
	rdb := redis.NewClient(ropts)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return nil, 0, fmt.Errorf("redis at %s is unreachable (%w); start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no", ropts.Addr, err)
	}
	defer func() { err = errors.Join(err, deletePrefix(context.Background(), rdb, prefix)) }()

	fake, err := newFakeAPI(loadToken)
	if err != nil {
		return nil, 0, err
	}
	defer fake.Close()

	fmt.Fprintf(o.out, "load: %d citizens, modes %v, think %s, %d bot replica(s)%s, database %s, Redis prefix %s\n",
		o.citizens, modes, o.think, o.replicas, map[bool]string{true: " by webhook", false: ""}[o.webhook], dbName, prefix)

	// The bot.
	dataKey, hmacKey := randB64(32), randB64(32)
	var bots []*child
	startBots := func() error {
		bots = nil
		for i := range o.replicas {
			env := []string{
				"TELEGRAM_TOKEN=" + loadToken, "TELEGRAM_API_URL=" + fake.URL(),
				"REDIS_URL=" + o.redisURL, "REDIS_PREFIX=" + prefix, "DATABASE_URL=" + botDSN,
				"WHATSAPP=off", "METRICS_ADDR=off", "LOG_LEVEL=warn", "DATA_DIR=" + filepath.Join(tmp, "data"+strconv.Itoa(i)),
				// NIK and KK are encrypted at rest, as in production: fresh keys.
				"DATA_KEYS=load:" + dataKey, "DATA_HMAC_KEY=" + hmacKey,
			}
			if o.webhook {
				addr, err := freePort()
				if err != nil {
					return err
				}
				env = append(env, "TELEGRAM_WEBHOOK_URL=http://"+addr+"/telegram", "TELEGRAM_WEBHOOK_LISTEN="+addr,
					"TELEGRAM_WEBHOOK_SECRET=load_"+randHex(16)) // 37 characters: 32 at least
			}
			c, err := startChild(o.botBinary, nil, env, filepath.Join(tmp, fmt.Sprintf("bot%d.log", i)))
			if err != nil {
				return err
			}
			bots = append(bots, c)
		}
		if err := warmUp(ctx, fake, 1, 60*time.Second); err != nil {
			return fmt.Errorf("the bot does not answer: %w\n%s", err, bots[0].logTail())
		}
		return nil
	}
	stopBots := func() {
		for _, c := range bots {
			c.stop()
		}
	}
	defer stopBots()
	if err := startBots(); err != nil {
		return nil, 0, err
	}

	base := int64(10_000_000)
	for _, mode := range modes {
		p, err := runPhase(ctx, o, fake, "bot", mode, base, rdb, bots)
		if err != nil {
			return nil, 0, err
		}
		base += int64(o.citizens) + 1000
		results = append(results, p)
	}
	if o.flood > 0 {
		// The same load again beside one sender flooding: the rate limit must
		// keep the flood from slowing everyone else down.
		p, err := runPhase(ctx, o, fake, "bot+flood", modes[0], base, rdb, bots)
		if err != nil {
			return nil, 0, err
		}
		base += int64(o.citizens) + 1000
		results = append(results, p)
		if unloaded := results[0]; unloaded.lat.p95 > 0 {
			fmt.Fprintf(o.out, "flood of %d messages: citizens' p50 %s -> %s, p95 %s -> %s (x%.2f)\n", o.flood,
				ms(unloaded.lat.p50), ms(p.lat.p50), ms(unloaded.lat.p95), ms(p.lat.p95),
				float64(p.lat.p95)/float64(unloaded.lat.p95))
		}
	}
	cases, err = countCases(ctx, botDSN)
	if err != nil {
		return nil, 0, err
	}
	stopBots()
	for _, c := range bots {
		if tail := c.logTail(); tail != "" {
			fmt.Fprintf(o.out, "bot log (warnings and errors, last lines):\n%s\n", tail)
		}
	}

	startEcho := func() (*child, error) {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		echo, err := startChild(self, []string{"echo", "-api", fake.URL(), "-token", loadToken}, nil, filepath.Join(tmp, "echo.log"))
		if err != nil {
			return nil, err
		}
		if err := warmUp(ctx, fake, 2, 30*time.Second); err != nil {
			echo.stop()
			return nil, fmt.Errorf("the echo bot does not answer: %w", err)
		}
		return echo, nil
	}
	if o.baseline {
		echo, err := startEcho()
		if err != nil {
			return nil, 0, err
		}
		for _, mode := range modes {
			p, err := runPhase(ctx, o, fake, "echo", mode, base, nil, []*child{echo})
			if err != nil {
				echo.stop()
				return nil, 0, err
			}
			base += int64(o.citizens) + 1000
			results = append(results, p)
		}
		echo.stop()
	}
	report(o, results, cases)

	// More burst comparisons, alternated, so a drift of the machine's speed
	// touches both sides alike.
	var ratios []float64
	if o.baseline && o.rounds > 1 {
		first := map[string]float64{}
		for _, p := range results {
			if p.mode == "burst" && (p.target == "bot" || p.target == "echo") {
				first[p.target] = p.rate()
			}
		}
		if first["bot"] > 0 && first["echo"] > 0 {
			ratios = append(ratios, first["bot"]/first["echo"])
		}
		for r := 2; r <= o.rounds; r++ {
			if err := startBots(); err != nil {
				return nil, 0, err
			}
			bp, err := runPhase(ctx, o, fake, "bot", "burst", base, rdb, bots)
			stopBots()
			if err != nil {
				return nil, 0, err
			}
			base += int64(o.citizens) + 1000
			echo, err := startEcho()
			if err != nil {
				return nil, 0, err
			}
			ep, err := runPhase(ctx, o, fake, "echo", "burst", base, nil, []*child{echo})
			echo.stop()
			if err != nil {
				return nil, 0, err
			}
			base += int64(o.citizens) + 1000
			results = append(results, bp, ep)
			ratio := bp.rate() / ep.rate()
			ratios = append(ratios, ratio)
			fmt.Fprintf(o.out, "round %d: bot %.0f msg/s (lost %d, doubled %d), echo %.0f msg/s, ratio %.2f\n",
				r, bp.rate(), bp.lost, bp.doubled, ep.rate(), ratio)
		}
		slices.Sort(ratios)
		fmt.Fprintf(o.out, "throughput bot/echo (burst) over %d rounds: median %.2f, min %.2f, max %.2f\n",
			len(ratios), ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1])
	}
	return results, cases, nil
}

// warmUp sends one message and waits for any reply: the bot is up, its
// connections and the Redis scripts are warm.
func warmUp(ctx context.Context, f *fakeAPI, chat int64, timeout time.Duration) error {
	inbox := f.inbox(chat)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		f.pushText(chat, "/start")
		select {
		case <-inbox:
			// Drain whatever a retry produced.
			time.Sleep(200 * time.Millisecond)
			for len(inbox) > 0 {
				<-inbox
			}
			return nil
		case <-time.After(5 * time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return fmt.Errorf("no reply within %s", timeout)
}

func runPhase(ctx context.Context, o options, f *fakeAPI, target, mode string, base int64, rdb *redis.Client, procs []*child) (phase, error) {
	p := phase{target: target, mode: mode, citizens: o.citizens}
	ctx, cancel := context.WithTimeout(ctx, o.phaseTimeout)
	defer cancel()
	var before map[string]string
	var beforeCmds int64
	if rdb != nil {
		before, beforeCmds = redisSnapshot(ctx, rdb)
	}
	for _, c := range procs {
		resetPeakRSS(c.pid())
	}
	calls := func() (all, polls int64) {
		polls = f.polls.Load()
		return polls + f.sent.Load() + f.other.Load() + f.actions.Load() + f.answered.Load(), polls
	}
	callsBefore, pollsBefore := calls()
	think := time.Duration(0)
	if mode == "paced" {
		think = o.think
	}
	if target == "bot+flood" {
		flooder := base - 7 // outside the citizens' chats
		go func() {
			for i := 0; i < o.flood && ctx.Err() == nil; i++ {
				f.pushText(flooder, fmt.Sprintf("spam %d", i))
			}
		}()
	}
	pids := make([]int, len(procs))
	for i, c := range procs {
		pids[i] = c.pid()
	}
	cpuBefore := readCPU(pids, redisSeconds(ctx, rdb))
	inboxes := make([]chan reply, o.citizens)
	results := make([]result, o.citizens)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.citizens {
		chat := base + int64(i)
		nik := fmt.Sprintf("330705170890%04d", i%9999+1) // serial 0000 is invalid
		// Paced starts are spread over one think time.
		delay := time.Duration(0)
		if think > 0 {
			delay = think * time.Duration(i) / time.Duration(o.citizens)
		}
		wg.Go(func() {
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-ctx.Done():
					return
				}
			}
			results[i] = citizen(ctx, f, chat, script(o, nik), think, o.replyTimeout, target != "echo", func(ch chan reply) { inboxes[i] = ch })
		})
	}
	wg.Wait()
	p.elapsed = time.Since(start)
	if cpuAfter := readCPU(pids, redisSeconds(ctx, rdb)); cpuBefore.ok && cpuAfter.ok {
		p.cpu = cpuTimes{
			machine:    cpuAfter.machine - cpuBefore.machine,
			procs:      cpuAfter.procs - cpuBefore.procs,
			self:       cpuAfter.self - cpuBefore.self,
			redis:      -1,
			interrupts: cpuAfter.interrupts - cpuBefore.interrupts,
			cores:      cpuAfter.cores,
			ok:         true,
		}
		if cpuBefore.redis >= 0 && cpuAfter.redis >= 0 {
			p.cpu.redis = cpuAfter.redis - cpuBefore.redis
		}
	}
	// Late or doubled replies.
	time.Sleep(time.Second)
	var (
		lat    []time.Duration
		byStep [][]time.Duration
	)
	for i, r := range results {
		lat = append(lat, r.latencies...)
		for step, l := range r.latencies {
			if step == len(byStep) {
				byStep = append(byStep, nil)
			}
			byStep[step] = append(byStep[step], l)
		}
		p.messages += r.sent
		p.lost += r.lost
		p.unexpected += r.unexpected
		if r.ticket && r.lost == 0 {
			p.tickets++
		}
		if p.sample == "" {
			p.sample = r.sample
		}
		if inboxes[i] != nil {
			p.doubled += len(inboxes[i])
		}
	}
	callsAfter, pollsAfter := calls()
	p.apiCalls, p.polls = callsAfter-callsBefore, pollsAfter-pollsBefore
	p.lat = summarize(lat)
	for _, l := range byStep {
		p.steps = append(p.steps, summarize(l))
	}
	if rdb != nil {
		after, afterCmds := redisSnapshot(context.Background(), rdb)
		p.redisCmds = afterCmds - beforeCmds
		p.redisReads = num(after, "total_reads_processed") - num(before, "total_reads_processed")
		p.redisMem = num(after, "used_memory") - num(before, "used_memory")
		p.keyBytes = keyMemory(context.Background(), rdb, o.prefix, base, base+int64(o.citizens))
	}
	for _, c := range procs {
		p.peakRSSKB = max(p.peakRSSKB, procKB(c.pid(), "VmHWM"))
	}
	return p, nil
}

// stepName names step i of the run's script for the -steps lines.
func stepName(o options, i int) string {
	steps := script(o, "NIK")
	if i >= len(steps) {
		return "?"
	}
	if steps[i].isButton {
		return "button " + steps[i].fallback
	}
	return steps[i].text
}

// redisSeconds is the CPU time the Redis server used so far, -1 when it
// is not known (no client: the echo's phases).
func redisSeconds(ctx context.Context, rdb *redis.Client) float64 {
	if rdb == nil {
		return -1
	}
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return -1
	}
	return redisCPU(info)
}

func redisSnapshot(ctx context.Context, rdb *redis.Client) (map[string]string, int64) {
	all := rdb.Info(ctx, "stats", "memory", "commandstats").Val()
	return infoFields(all), commandCalls(all)
}

func num(m map[string]string, k string) int64 {
	n, _ := strconv.ParseInt(m[k], 10, 64)
	return n
}

func report(o options, ps []phase, cases int64) {
	w := o.out
	fmt.Fprintf(w, "\n%-5s %-6s %9s %9s %8s %8s %8s %8s %5s %7s %7s %10s %10s %9s %9s %8s\n",
		"what", "mode", "messages", "msg/s", "p50", "p95", "p99", "max", "lost", "doubled", "tickets", "redis cmd", "redis RT", "B/conv", "keyB/conv", "peakRSS")
	rate := map[string]float64{}
	for _, p := range ps {
		rate[p.target+"/"+p.mode] = p.rate()
		cmd, rt, mem, keys := "-", "-", "-", "-"
		if p.target == "bot" && p.messages > 0 {
			cmd = fmt.Sprintf("%.2f/msg", float64(p.redisCmds)/float64(p.messages))
			rt = fmt.Sprintf("%.2f/msg", float64(p.redisReads)/float64(p.messages))
			mem = strconv.FormatInt(p.redisMem/int64(p.citizens), 10)
			keys = strconv.FormatInt(p.keyBytes/int64(p.citizens), 10)
		}
		fmt.Fprintf(w, "%-5s %-6s %9d %9.0f %8s %8s %8s %8s %5d %7d %7d %10s %10s %9s %9s %7.1fM\n",
			p.target, p.mode, p.messages, p.rate(), ms(p.lat.p50), ms(p.lat.p95), ms(p.lat.p99), ms(p.lat.max),
			p.lost, p.doubled, p.tickets, cmd, rt, mem, keys, float64(p.peakRSSKB)/1024)
		if p.unexpected > 0 {
			fmt.Fprintf(w, "      %d unexpected replies, first: %s\n", p.unexpected, p.sample)
		}
		if p.cpu.ok && p.messages > 0 {
			fmt.Fprintf(w, "      %s\n", cpuLine(p))
		}
		if o.steps && p.messages > 0 {
			fmt.Fprintf(w, "      Bot API requests per message: %.2f, of which getUpdates %.2f\n",
				float64(p.apiCalls)/float64(p.messages), float64(p.polls)/float64(p.messages))
		}
		if o.steps {
			for i, st := range p.steps {
				fmt.Fprintf(w, "      step %2d %-22.22q p50 %8s p95 %8s p99 %8s max %8s\n", i+1, stepName(o, i), ms(st.p50), ms(st.p95), ms(st.p99), ms(st.max))
			}
		}
	}
	perCitizen := 1
	if o.returning {
		perCitizen = 2
		fmt.Fprintf(w, "citizen messages per SKTM request: first %d (the service named in the first message), returning %d\n",
			len(firstScript("")), len(returningScript()))
	} else {
		fmt.Fprintf(w, "citizen messages per SKTM request: %d (by the menus)\n", len(sktmScript("")))
	}
	fmt.Fprintf(w, "cases written: %d (want %d per bot phase)\n", cases, perCitizen*o.citizens)
	for _, m := range []string{"burst"} {
		if e := rate["echo/"+m]; e > 0 && rate["bot/"+m] > 0 {
			fmt.Fprintf(w, "throughput bot/echo (%s): %.2f\n", m, rate["bot/"+m]/e)
		}
	}
}

// cpuLine splits the CPU a phase used by who used it, per message: what
// the bot (or the echo) costs beyond the load, and whether the machine was
// the limit (all cores busy) or the answer time was.
func cpuLine(p phase) string {
	per := func(secs float64) string {
		return fmt.Sprintf("%.0fus", secs*1e6/float64(p.messages))
	}
	who := strings.TrimSuffix(p.target, "+flood")
	line := "CPU per message: " + who + " " + per(p.cpu.procs)
	rest := p.cpu.machine - p.cpu.procs - p.cpu.self - p.cpu.interrupts
	if p.cpu.redis >= 0 {
		line += ", Redis " + per(p.cpu.redis)
		rest -= p.cpu.redis
	}
	// The processes' times are sampled per tick, the machine's too: the
	// rest can come out slightly negative when it is near nothing.
	line += ", load generator " + per(p.cpu.self) + ", network interrupts " + per(p.cpu.interrupts) +
		", rest (PostgreSQL, others) " + per(max(rest, 0))
	return line + fmt.Sprintf("; machine %.2f of %d cores busy", p.cpu.machine/p.elapsed.Seconds(), p.cpu.cores)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// createDatabase creates dbName on the server of adminURL and returns its
// DSN and a function that drops it.
func createDatabase(ctx context.Context, adminURL, dbName string) (string, func() error, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("PostgreSQL is unreachable (%w); start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start", err)
	}
	defer conn.Close(ctx)
	// dbName is built from hex digits: safe to concatenate.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+dbName); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", dbName, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + dbName
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			return fmt.Errorf("drop database %s: %w", dbName, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", dbName, err)
		}
		return nil
	}
	return u.String(), drop, nil
}

func countCases(ctx context.Context, dsn string) (int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM cases").Scan(&n); err != nil {
		return 0, fmt.Errorf("count cases: %w", err)
	}
	return n, nil
}

func deletePrefix(ctx context.Context, rdb *redis.Client, prefix string) error {
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := rdb.Unlink(ctx, batch...).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}

// child is a process the load test started.
type child struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	once sync.Once
}

func startChild(bin string, args, env []string, logPath string) (*child, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &child{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); lf.Close(); close(c.done) }()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the process to stop (SIGTERM) and kills it after 20 s.
func (c *child) stop() {
	c.once.Do(func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(20 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
}

// logTail returns the last lines of the child's log.
func (c *child) logTail() string {
	b, _ := os.ReadFile(c.log)
	const keep = 2000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}

// keyMemory sums MEMORY USAGE over the keys of the chats in [from, to): a
// conversation's state, draft marker and dedup records. Unlike used_memory
// it is not moved by other clients of the server.
func keyMemory(ctx context.Context, rdb *redis.Client, prefix string, from, to int64) int64 {
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"{telegram:*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		rest := strings.TrimPrefix(k, prefix+"{telegram:")
		chat, _, _ := strings.Cut(rest, "}")
		if n, err := strconv.ParseInt(chat, 10, 64); err == nil && n >= from && n < to {
			keys = append(keys, k)
		}
	}
	var total int64
	for len(keys) > 0 {
		n := min(len(keys), 500)
		cmds, _ := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys[:n] {
				p.MemoryUsage(ctx, k)
			}
			return nil
		})
		for _, c := range cmds {
			if v, err := c.(*redis.IntCmd).Result(); err == nil {
				total += v
			}
		}
		keys = keys[n:]
	}
	return total
}
