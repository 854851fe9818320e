package office

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/leksono/sapa/metrics"
)

func envOf(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestReadSettingsDefaults(t *testing.T) {
	s, err := ReadSettings(envOf(nil))
	if err != nil {
		t.Fatalf("no settings at all must be valid (embedded storage), got: %v", err)
	}
	want := Settings{
		TelegramAPIURL: "https://api.telegram.org",
		RedisPrefix:    "sapa:",
		DataDir:        "./data",
		LogLevel:       slog.LevelInfo,
		WhatsApp:       "auto",
		MetricsAddr:    "127.0.0.1:7272",
		MediaDir:       "data/media",
		ConsoleAddr:    "127.0.0.1:8080",
		PublicURL:      "http://127.0.0.1:8080",
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0].Msg, "PUBLIC_URL is not set") {
		t.Errorf("warnings %v, want the one of PUBLIC_URL", s.Warnings)
	}
	s.Warnings = nil
	if !reflect.DeepEqual(s, want) {
		t.Errorf("defaults = %+v\nwant %+v", s, want)
	}
}

func TestReadSettingsValid(t *testing.T) {
	dir := t.TempDir()
	s, err := ReadSettings(envOf(map[string]string{
		"TELEGRAM_TOKEN":              " 123:abc ",
		"TELEGRAM_API_URL":            "http://127.0.0.1:8081/",
		"REDIS_URL":                   "redis://127.0.0.1:6379/3",
		"REDIS_PREFIX":                "lks:",
		"DATABASE_URL":                "postgres://postgres@127.0.0.1:5432/sapa?sslmode=disable",
		"DATA_DIR":                    dir,
		"CONFIG_DIR":                  dir,
		"LOG_LEVEL":                   "DEBUG",
		"WHATSAPP":                    "ON",
		"WHATSAPP_PAIR_PHONE":         "0812-3456-7890",
		"WHATSAPP_STAFF_GROUPS":       "120363000000000001@g.us, ",
		"WHATSAPP_REPLIES_PER_MINUTE": "300",
		"WHATSAPP_NOTICES_PER_MINUTE": " 10 ",
		"METRICS_ADDR":                "off",
		"PPROF_ADDR":                  "127.0.0.1:6060",
		"CONSOLE_ADDR":                "0.0.0.0:8080",
		"PUBLIC_URL":                  "https://sapa.leksono.go.id/",
		"TRUSTED_PROXIES":             "127.0.0.1, 10.1.2.3/8,::1",
	}))
	if err != nil {
		t.Fatalf("readSettings: %v", err)
	}
	want := Settings{
		TelegramToken: "123:abc", TelegramAPIURL: "http://127.0.0.1:8081",
		RedisURL: "redis://127.0.0.1:6379/3", RedisPrefix: "lks:",
		DatabaseURL: "postgres://postgres@127.0.0.1:5432/sapa?sslmode=disable",
		DataDir:     dir, ConfigDir: dir, LogLevel: slog.LevelDebug,
		WhatsApp: "on", WhatsAppPairPhone: "6281234567890", WhatsAppGroups: []string{"120363000000000001@g.us"},
		WhatsAppReplies: 300, WhatsAppNotices: 10,
		MetricsAddr: "off", PprofAddr: "127.0.0.1:6060", MediaDir: filepath.Join(dir, "media"),
		ConsoleAddr: "0.0.0.0:8080", PublicURL: "https://sapa.leksono.go.id",
		TrustedProxies: []netip.Prefix{
			netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"),
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("settings = %+v\nwant %+v", s, want)
	}
	// A DATA_DIR that does not exist yet is created at start-up.
	if _, err := ReadSettings(envOf(map[string]string{"DATA_DIR": filepath.Join(dir, "new")})); err != nil {
		t.Errorf("missing DATA_DIR refused: %v", err)
	}
}

func TestReadSettingsMalformed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, value string
		want             []string
	}{
		{"token without colon", "TELEGRAM_TOKEN", "abc", []string{"TELEGRAM_TOKEN", "123456789:ABC"}},
		{"api url not http", "TELEGRAM_API_URL", "ftp://x", []string{"TELEGRAM_API_URL"}},
		{"redis url scheme", "REDIS_URL", "http://127.0.0.1:6379", []string{"REDIS_URL", "redis://127.0.0.1:6379/0", "unset it"}},
		{"redis url garbage", "REDIS_URL", "redis://:p%zzw@host", []string{"REDIS_URL"}},
		{"database url", "DATABASE_URL", "postgres://u:s3cret@host:notaport/db", []string{"DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sapa", "SQLite"}},
		{"data dir is a file", "DATA_DIR", file, []string{"DATA_DIR", "not a directory"}},
		{"config dir missing", "CONFIG_DIR", file + "-none", []string{"CONFIG_DIR", "not a directory"}},
		{"log level", "LOG_LEVEL", "loud", []string{"LOG_LEVEL", "debug, info, warn, error"}},
		{"whatsapp switch", "WHATSAPP", "yes", []string{"WHATSAPP", "auto, on, off"}},
		{"pair phone", "WHATSAPP_PAIR_PHONE", "12345", []string{"WHATSAPP_PAIR_PHONE", "081234567890"}},
		{"metrics address", "METRICS_ADDR", "9090", []string{"METRICS_ADDR", "127.0.0.1:7272"}},
		{"pprof address", "PPROF_ADDR", "6060", []string{"PPROF_ADDR", "127.0.0.1:6060"}},
		{"pprof public", "PPROF_ADDR", "0.0.0.0:6060", []string{"PPROF_ADDR", "loopback"}},
		{"public url", "PUBLIC_URL", "sapa.leksono.go.id", []string{"PUBLIC_URL", "https://sapa.leksono.go.id"}},
		{"trusted proxy", "TRUSTED_PROXIES", "proxy.local", []string{"TRUSTED_PROXIES", "10.0.0.0/8"}},
		{"staff group", "WHATSAPP_STAFF_GROUPS", "6281234567890@s.whatsapp.net", []string{"WHATSAPP_STAFF_GROUPS", "@g.us"}},
		{"reply cap", "WHATSAPP_REPLIES_PER_MINUTE", "banyak", []string{"WHATSAPP_REPLIES_PER_MINUTE", "1 to 6000"}},
		{"notice cap", "WHATSAPP_NOTICES_PER_MINUTE", "0", []string{"WHATSAPP_NOTICES_PER_MINUTE", "1 to 6000"}},
		{"console address", "CONSOLE_ADDR", "8080", []string{"CONSOLE_ADDR", "0.0.0.0:8080", "off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSettings(envOf(map[string]string{tc.key: tc.value}))
			if err == nil {
				t.Fatalf("%s=%q accepted", tc.key, tc.value)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, secret := range []string{"s3cret", "p%zzw"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q repeats the password", msg)
				}
			}
		})
	}

	// Every problem is reported, one line each.
	_, err := ReadSettings(envOf(map[string]string{"TELEGRAM_TOKEN": "abc", "LOG_LEVEL": "loud", "REDIS_URL": "x://"}))
	if err == nil || len(strings.Split(err.Error(), "\n")) != 3 {
		t.Errorf("three problems gave: %v", err)
	}
}

func TestWhatsAppEnabled(t *testing.T) {
	for _, tc := range []struct {
		whatsapp, token string
		want            bool
	}{
		{"auto", "", true}, {"auto", "1:a", false}, {"on", "1:a", true}, {"off", "", false},
	} {
		if got := (Settings{WhatsApp: tc.whatsapp, TelegramToken: tc.token}).WhatsAppEnabled(); got != tc.want {
			t.Errorf("WHATSAPP=%s token=%q: enabled %v, want %v", tc.whatsapp, tc.token, got, tc.want)
		}
	}
}

// goodSecret is a webhook secret of the shortest length accepted.
const goodSecret = "s3cret_-X0123456789abcdefABCDEF_"

func TestWebhookSettings(t *testing.T) {
	s, err := ReadSettings(envOf(map[string]string{
		"TELEGRAM_WEBHOOK_URL": "https://bot.example/tg", "TELEGRAM_WEBHOOK_SECRET": goodSecret,
	}))
	if err != nil || s.TelegramWebhookListen != "127.0.0.1:8443" {
		t.Fatalf("valid webhook settings: %v, listen %q", err, s.TelegramWebhookListen)
	}
	_, err = ReadSettings(envOf(map[string]string{"TELEGRAM_WEBHOOK_URL": "http://bot.example", "TELEGRAM_WEBHOOK_SECRET": "bad secret!"}))
	if err == nil || !strings.Contains(err.Error(), "https") || !strings.Contains(err.Error(), "TELEGRAM_WEBHOOK_SECRET") {
		t.Fatalf("want the URL and the secret refused, got %v", err)
	}
	// A local Bot API server may post to http.
	if _, err := ReadSettings(envOf(map[string]string{
		"TELEGRAM_WEBHOOK_URL": "http://10.0.0.5:8443/tg", "TELEGRAM_WEBHOOK_SECRET": goodSecret,
		"TELEGRAM_API_URL": "http://127.0.0.1:8081",
	})); err != nil {
		t.Errorf("http webhook with a local Bot API server refused: %v", err)
	}
}

// A short secret makes forged updates (staff commands among them)
// guessable: every length under 32 is refused with how to make a good one.
func TestWebhookSecretTooShort(t *testing.T) {
	for _, secret := range []string{"x", "s3cret", goodSecret[:31]} {
		_, err := ReadSettings(envOf(map[string]string{
			"TELEGRAM_WEBHOOK_URL": "https://bot.example/tg", "TELEGRAM_WEBHOOK_SECRET": secret,
		}))
		if err == nil || !strings.Contains(err.Error(), "TELEGRAM_WEBHOOK_SECRET must be 32 to 256") || !strings.Contains(err.Error(), "openssl rand -hex 32") {
			t.Errorf("secret of %d characters: got %v, want it refused with how to make one", len(secret), err)
		}
	}
}

// A listener that cannot open is one line naming the setting and what to
// put in it instead, without the URL an error may repeat.
func TestListenProblem(t *testing.T) {
	inUse := fmt.Errorf("listen on 127.0.0.1:7272: %w", metrics.ErrAddrInUse)
	if got, want := ListenProblem("METRICS_ADDR", "127.0.0.1:7272", "or off", inUse),
		"METRICS_ADDR 127.0.0.1:7272 is in use by another program: set METRICS_ADDR to a free host:port, or off"; got != want {
		t.Errorf("in use: %q, want %q", got, want)
	}
	other := errors.New("listen tcp 10.9.9.9:6060:\n  cannot assign requested address")
	got := ListenProblem("PPROF_ADDR", "10.9.9.9:6060", "or unset it", other)
	if strings.Contains(got, "\n") || !strings.Contains(got, "PPROF_ADDR 10.9.9.9:6060 cannot be listened on (listen tcp 10.9.9.9:6060: cannot assign requested address)") ||
		!strings.HasSuffix(got, "set PPROF_ADDR to a host:port of this machine, or unset it") {
		t.Errorf("other error: %q", got)
	}
}
