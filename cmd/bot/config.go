package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
)

// settings is the process configuration, read from the environment only.
type settings struct {
	TelegramToken  string
	TelegramAPIURL string
	RedisURL       string
	RedisPrefix    string
	DatabaseURL    string
	ConfigDir      string // empty: the Leksono configuration built into the binary
	LogLevel       slog.Level
}

// readSettings reads and checks the environment. Its errors are one line
// each and name the variable and what to put in it.
func readSettings(getenv func(string) string) (settings, error) {
	s := settings{
		TelegramToken:  strings.TrimSpace(getenv("TELEGRAM_TOKEN")),
		TelegramAPIURL: strings.TrimRight(strings.TrimSpace(getenv("TELEGRAM_API_URL")), "/"),
		RedisURL:       strings.TrimSpace(getenv("REDIS_URL")),
		RedisPrefix:    strings.TrimSpace(getenv("REDIS_PREFIX")),
		DatabaseURL:    strings.TrimSpace(getenv("DATABASE_URL")),
		ConfigDir:      strings.TrimSpace(getenv("CONFIG_DIR")),
	}
	var problems []error
	if s.TelegramToken == "" {
		problems = append(problems, errors.New("TELEGRAM_TOKEN is not set: create a bot with @BotFather on Telegram and put its token here"))
	} else if !strings.Contains(s.TelegramToken, ":") {
		problems = append(problems, errors.New("TELEGRAM_TOKEN does not look like a bot token (expected 123456789:ABC...)"))
	}
	if s.TelegramAPIURL == "" {
		s.TelegramAPIURL = "https://api.telegram.org"
	} else if u, err := url.Parse(s.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Errorf("TELEGRAM_API_URL %q is not an http(s) URL", s.TelegramAPIURL))
	}
	if s.RedisURL == "" {
		problems = append(problems, errors.New("REDIS_URL is not set: for example redis://127.0.0.1:6379/0"))
	}
	if s.RedisPrefix == "" {
		s.RedisPrefix = "sapa:"
	}
	if s.DatabaseURL == "" {
		problems = append(problems, errors.New("DATABASE_URL is not set: for example postgres://postgres@127.0.0.1:5432/sapa?sslmode=disable"))
	}
	if s.ConfigDir != "" {
		if info, err := os.Stat(s.ConfigDir); err != nil || !info.IsDir() {
			problems = append(problems, fmt.Errorf("CONFIG_DIR %q is not a directory", s.ConfigDir))
		}
	}
	switch level := strings.ToLower(strings.TrimSpace(getenv("LOG_LEVEL"))); level {
	case "", "info":
		s.LogLevel = slog.LevelInfo
	case "debug":
		s.LogLevel = slog.LevelDebug
	case "warn":
		s.LogLevel = slog.LevelWarn
	case "error":
		s.LogLevel = slog.LevelError
	default:
		problems = append(problems, fmt.Errorf("LOG_LEVEL %q is not one of debug, info, warn, error", level))
	}
	return s, errors.Join(problems...)
}
