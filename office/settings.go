package office

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/metrics"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
)

// consoleURL is the address of the console's pages (the verification
// page of letters among them) when PUBLIC_URL is unset: http://CONSOLE_ADDR,
// an address for every interface read as this PC's, right only on the
// office PC; with the console off, its default address.
func consoleURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "127.0.0.1", "8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// defaultDataDir is where the embedded storage keeps its files when
// DATA_DIR is unset.
const defaultDataDir = "./data"

// defaultConsoleAddr is where the office console listens unless
// CONSOLE_ADDR says otherwise: this PC only.
const defaultConsoleAddr = "127.0.0.1:8080"

// Settings are the process's settings, read from the environment only:
// where it keeps things and which channels it serves, what one
// installation decides, beside what the office decides in configs/.
// Every setting is optional: with none, the bot runs on embedded storage.
type Settings struct {
	TelegramToken  string // empty: the Telegram channel is off
	TelegramAPIURL string
	RedisURL       string // empty: an in-process Redis-compatible store
	RedisPrefix    string
	DatabaseURL    string // empty: a SQLite file under DataDir
	DataDir        string // files of the embedded storage
	ConfigDir      string // empty: the Leksono configuration built into the binary
	LogLevel       slog.Level

	// WhatsApp is "auto" (on unless TELEGRAM_TOKEN is set, so a bot with no
	// settings at all serves WhatsApp), "on" or "off".
	WhatsApp          string
	WhatsAppPairPhone string   // pair by code for this number instead of a QR code
	WhatsAppGroups    []string // staff group JIDs whose messages are handled
	// WhatsAppReplies and WhatsAppNotices cap WhatsApp's sends a minute
	// over all chats: replies to recent messages, and everything else;
	// 0 takes the channel's defaults.
	WhatsAppReplies, WhatsAppNotices int

	// MetricsAddr is where /healthz, /readyz and /metrics listen; "off"
	// serves none.
	MetricsAddr string
	// PprofAddr serves Go's profiler (/debug/pprof/) when set: for finding
	// where the time goes under load. Never on a public address: profiles
	// show memory, which may hold personal data.
	PprofAddr string

	MediaDir string // photos and documents citizens send; default DATA_DIR/media

	// ConsoleAddr is where the office console listens (and the public
	// verification page of letters); "off" serves none.
	ConsoleAddr string

	// PublicURL is where the public reaches the bot's verification page:
	// every letter's QR code holds PublicURL/verifikasi/<code>.
	PublicURL string
	// Warnings are what is valid but wrong for the public (PUBLIC_URL
	// unset): check prints them, serve logs them.
	Warnings Problems
	// TrustedProxies are the reverse proxies in front of that page, whose
	// X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix

	// DataKeys and DataHMACKey seal NIK and KK numbers at rest (DATA_KEYS,
	// DATA_HMAC_KEY); both empty: the keys file under DataDir.
	DataKeys, DataHMACKey string

	// Telegram webhook mode, instead of long polling, when the URL is set.
	TelegramWebhookURL    string
	TelegramWebhookListen string
	TelegramWebhookSecret string
}

// WhatsAppEnabled reports whether the WhatsApp channel runs.
func (s Settings) WhatsAppEnabled() bool {
	return s.WhatsApp == "on" || (s.WhatsApp == "auto" && s.TelegramToken == "")
}

// ReadSettings reads and checks the environment. Its errors are one line
// each and name the variable and what to put in it.
func ReadSettings(getenv func(string) string) (Settings, error) {
	s := Settings{
		TelegramToken:  strings.TrimSpace(getenv("TELEGRAM_TOKEN")),
		TelegramAPIURL: strings.TrimRight(strings.TrimSpace(getenv("TELEGRAM_API_URL")), "/"),
		RedisURL:       strings.TrimSpace(getenv("REDIS_URL")),
		RedisPrefix:    strings.TrimSpace(getenv("REDIS_PREFIX")),
		DatabaseURL:    strings.TrimSpace(getenv("DATABASE_URL")),
		DataDir:        strings.TrimSpace(getenv("DATA_DIR")),
		ConfigDir:      strings.TrimSpace(getenv("CONFIG_DIR")),
		DataKeys:       strings.TrimSpace(getenv(pgstore.EnvDataKeys)),
		DataHMACKey:    strings.TrimSpace(getenv(pgstore.EnvDataHMACKey)),
	}
	var problems []error
	switch s.WhatsApp = strings.ToLower(strings.TrimSpace(getenv("WHATSAPP"))); s.WhatsApp {
	case "":
		s.WhatsApp = "auto"
	case "auto", "on", "off":
	default:
		problems = append(problems, fmt.Errorf("WHATSAPP %q is not one of auto, on, off", s.WhatsApp))
	}
	if phone := strings.TrimSpace(getenv("WHATSAPP_PAIR_PHONE")); phone != "" {
		if s.WhatsAppPairPhone = services.NormalizePhone(phone); s.WhatsAppPairPhone == "" {
			problems = append(problems, errors.New("WHATSAPP_PAIR_PHONE is not an Indonesian phone number: for example 081234567890"))
		}
	}
	for _, g := range strings.Split(getenv("WHATSAPP_STAFF_GROUPS"), ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if !strings.HasSuffix(g, "@g.us") {
			problems = append(problems, fmt.Errorf("WHATSAPP_STAFF_GROUPS: %q is not a group JID (it ends in @g.us)", g))
		}
		s.WhatsAppGroups = append(s.WhatsAppGroups, g)
	}
	for _, c := range []struct {
		name string
		to   *int
	}{{"WHATSAPP_REPLIES_PER_MINUTE", &s.WhatsAppReplies}, {"WHATSAPP_NOTICES_PER_MINUTE", &s.WhatsAppNotices}} {
		v := strings.TrimSpace(getenv(c.name))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 6000 {
			problems = append(problems, fmt.Errorf("%s %q is not a number of messages a minute from 1 to 6000 (unset: the default)", c.name, v))
			continue
		}
		*c.to = n
	}
	switch s.MetricsAddr = strings.TrimSpace(getenv("METRICS_ADDR")); s.MetricsAddr {
	case "":
		s.MetricsAddr = metrics.DefaultAddr
	case "off":
	default:
		if _, _, err := net.SplitHostPort(s.MetricsAddr); err != nil {
			problems = append(problems, fmt.Errorf("METRICS_ADDR %q is not host:port (for example 127.0.0.1:7272) or off", s.MetricsAddr))
		}
	}
	switch s.ConsoleAddr = strings.TrimSpace(getenv("CONSOLE_ADDR")); s.ConsoleAddr {
	case "":
		s.ConsoleAddr = defaultConsoleAddr
	case "off":
	default:
		if _, _, err := net.SplitHostPort(s.ConsoleAddr); err != nil {
			problems = append(problems, fmt.Errorf("CONSOLE_ADDR %q is not host:port (for example 0.0.0.0:8080 for the office's other PCs) or off", s.ConsoleAddr))
		}
	}
	if s.PprofAddr = strings.TrimSpace(getenv("PPROF_ADDR")); s.PprofAddr != "" {
		if host, _, err := net.SplitHostPort(s.PprofAddr); err != nil {
			problems = append(problems, fmt.Errorf("PPROF_ADDR %q is not host:port (for example 127.0.0.1:6060)", s.PprofAddr))
		} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			problems = append(problems, fmt.Errorf("PPROF_ADDR %q must be a loopback address: profiles hold memory contents", s.PprofAddr))
		}
	}
	s.TelegramWebhookURL = strings.TrimSpace(getenv("TELEGRAM_WEBHOOK_URL"))
	s.TelegramWebhookListen = strings.TrimSpace(getenv("TELEGRAM_WEBHOOK_LISTEN"))
	s.TelegramWebhookSecret = strings.TrimSpace(getenv("TELEGRAM_WEBHOOK_SECRET"))
	if s.TelegramWebhookURL != "" {
		// A local Bot API server (TELEGRAM_API_URL set) also posts to http.
		localAPI := s.TelegramAPIURL != "" && s.TelegramAPIURL != "https://api.telegram.org"
		if u, err := url.Parse(s.TelegramWebhookURL); err != nil || u.Host == "" || (u.Scheme != "https" && !(localAPI && u.Scheme == "http")) {
			problems = append(problems, fmt.Errorf("TELEGRAM_WEBHOOK_URL %q is not an https URL (Telegram posts only to https; http only with a local Bot API server in TELEGRAM_API_URL)", s.TelegramWebhookURL))
		}
		if !webhookSecretRe.MatchString(s.TelegramWebhookSecret) {
			problems = append(problems, fmt.Errorf("TELEGRAM_WEBHOOK_SECRET must be %d to 256 characters of A-Z, a-z, 0-9, _ and - when TELEGRAM_WEBHOOK_URL is set: make one with `openssl rand -hex 32`", minWebhookSecret))
		}
		if s.TelegramWebhookListen == "" {
			s.TelegramWebhookListen = "127.0.0.1:8443"
		} else if _, _, err := net.SplitHostPort(s.TelegramWebhookListen); err != nil {
			problems = append(problems, fmt.Errorf("TELEGRAM_WEBHOOK_LISTEN %q is not host:port", s.TelegramWebhookListen))
		}
	}
	if s.TelegramToken != "" && !strings.Contains(s.TelegramToken, ":") {
		problems = append(problems, errors.New("TELEGRAM_TOKEN does not look like a bot token (expected 123456789:ABC...)"))
	}
	if s.TelegramAPIURL == "" {
		s.TelegramAPIURL = "https://api.telegram.org"
	} else if u, err := url.Parse(s.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Errorf("TELEGRAM_API_URL %q is not an http(s) URL", s.TelegramAPIURL))
	}
	if s.RedisURL != "" {
		if _, err := redis.ParseURL(s.RedisURL); err != nil {
			problems = append(problems, fmt.Errorf("REDIS_URL is not a Redis URL (%s): for example redis://127.0.0.1:6379/0, or unset it for the embedded store", store.OneLine(err)))
		}
	}
	if s.RedisPrefix == "" {
		s.RedisPrefix = "sapa:"
	}
	if s.DatabaseURL != "" {
		// pgconn redacts the password from its errors.
		if _, err := pgx.ParseConfig(s.DatabaseURL); err != nil {
			problems = append(problems, fmt.Errorf("DATABASE_URL is not a PostgreSQL URL (%s): for example postgres://postgres@127.0.0.1:5432/sapa?sslmode=disable, or unset it for SQLite", store.OneLine(err)))
		}
	}
	s.MediaDir = strings.TrimSpace(getenv("MEDIA_DIR"))
	if s.PublicURL = strings.TrimRight(strings.TrimSpace(getenv("PUBLIC_URL")), "/"); s.PublicURL == "" {
		s.PublicURL = consoleURL(s.ConsoleAddr)
		s.Warnings = append(s.Warnings, Problem{Where: "environment", Warning: true,
			Msg:  "PUBLIC_URL is not set: the QR codes of printed letters lead to " + s.PublicURL + ", which only this PC reaches",
			Hint: "set PUBLIC_URL to the https address the public reaches the bot's pages at (README, Settings)"})
	} else if u, err := url.Parse(s.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		problems = append(problems, fmt.Errorf("PUBLIC_URL %q is not the http(s) address of the bot's pages (for example https://sapa.leksono.go.id)", s.PublicURL))
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				problems = append(problems, fmt.Errorf("TRUSTED_PROXIES: %q is not an address or a network (for example 127.0.0.1 or 10.0.0.0/8)", p))
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		s.TrustedProxies = append(s.TrustedProxies, prefix.Masked())
	}
	if s.DataDir == "" {
		s.DataDir = defaultDataDir
	} else if info, err := os.Stat(s.DataDir); err == nil && !info.IsDir() {
		problems = append(problems, fmt.Errorf("DATA_DIR %q is a file, not a directory", s.DataDir))
	}
	if s.ConfigDir != "" {
		if info, err := os.Stat(s.ConfigDir); err != nil || !info.IsDir() {
			problems = append(problems, fmt.Errorf("CONFIG_DIR %q is not a directory", s.ConfigDir))
		}
	}
	if s.MediaDir == "" {
		s.MediaDir = filepath.Join(s.DataDir, "media")
	}
	// slog reads debug, info (the zero level), warn and error in any case.
	if level := strings.TrimSpace(getenv("LOG_LEVEL")); level != "" && s.LogLevel.UnmarshalText([]byte(level)) != nil {
		problems = append(problems, fmt.Errorf("LOG_LEVEL %q is not one of debug, info, warn, error", level))
	}
	return s, errors.Join(problems...)
}

// minWebhookSecret is the shortest webhook secret accepted: the secret is
// all that tells Telegram's requests from forged ones (staff commands
// included), so it must be too long to guess; 32 characters of the
// allowed alphabet are about 190 bits.
const minWebhookSecret = 32

var webhookSecretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{` + strconv.Itoa(minWebhookSecret) + `,256}$`)

// ListenProblem says in one line why the listener of a setting could not
// open, and what to change; orElse is the setting's other way out.
func ListenProblem(setting, addr, orElse string, err error) string {
	if errors.Is(err, metrics.ErrAddrInUse) {
		return fmt.Sprintf("%s %s is in use by another program: set %s to a free host:port, %s", setting, addr, setting, orElse)
	}
	return fmt.Sprintf("%s %s cannot be listened on (%s): set %s to a host:port of this machine, %s", setting, addr, store.OneLine(err), setting, orElse)
}

// serverTimeout bounds how long CheckServers waits for the servers.
const serverTimeout = 5 * time.Second

// CheckServers reaches the PostgreSQL and Redis servers s names, if any,
// for `bot check`: serve starts while PostgreSQL is down, check says so at
// once.
func (s Settings) CheckServers(ctx context.Context) Problems {
	ctx, cancel := context.WithTimeout(ctx, serverTimeout)
	defer cancel()
	var problems Problems
	if s.DatabaseURL != "" {
		if err := pgstore.Reach(ctx, s.DatabaseURL); err != nil {
			problems = append(problems, Problem{Where: "environment", Hint: "start it, correct DATABASE_URL, or unset it for SQLite",
				Msg: fmt.Sprintf("DATABASE_URL: PostgreSQL at %s does not answer (%s)", store.Server(s.DatabaseURL), store.OneLine(err))})
		}
	}
	if s.RedisURL != "" {
		if addr, err := redisstore.Reach(ctx, s.RedisURL); err != nil {
			problems = append(problems, Problem{Where: "environment", Hint: "start it, correct REDIS_URL, or unset it for the embedded store",
				Msg: fmt.Sprintf("REDIS_URL: Redis at %s does not answer (%s)", addr, store.OneLine(err))})
		}
	}
	return problems
}
