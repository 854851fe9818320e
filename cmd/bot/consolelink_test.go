package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
)

// `bot console-link <officer>` run beside a running bot, on its settings,
// prints a link that logs the officer into that bot's console once: the
// command needs no connection to the bot, only the same data keys.
func TestConsoleLinkCommand(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": officeWithStaff(t), "CONSOLE_ADDR": "127.0.0.1:0"})
	a := startBot(t, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	base := "http://" + a.console.Addr()
	env := map[string]string{
		"CONFIG_DIR": cfg.ConfigDir, "DATA_DIR": cfg.DataDir, "DATABASE_URL": cfg.DatabaseURL,
		"REDIS_URL": cfg.RedisURL, "REDIS_PREFIX": cfg.RedisPrefix, "CONSOLE_ADDR": a.console.Addr(),
	}

	if code, _, errs := runBot(env, "console-link", "nobody"); code == 0 || !strings.Contains(errs, "not an active officer") {
		t.Errorf("a link for nobody: exit %d, %q", code, errs)
	}
	if code, _, errs := runBot(env, "console-link"); code != 2 || !strings.Contains(errs, "<officer>") {
		t.Errorf("no officer: exit %d, %q", code, errs)
	}
	code, out, errs := runBot(env, "console-link", "kasi_kesos")
	if code != 0 {
		t.Fatalf("console-link: exit %d: %s", code, errs)
	}
	link := strings.TrimSpace(out)
	if !strings.HasPrefix(link, base+"/masuk/tautan/") {
		t.Fatalf("link %q is not under %s", link, base)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	post := func() string {
		t.Helper()
		resp, err := browser.PostForm(link, url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Request.URL.Path
	}
	if where := post(); where != "/" {
		t.Fatalf("following the link ended at %s", where)
	}
	resp, err := browser.Get(base + "/antrian")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Pak Hadi") {
		t.Error("the link did not log the kasi in")
	}
	browser.Jar, _ = cookiejar.New(nil)
	if where := post(); where == "/" {
		t.Error("the link logged in twice")
	}
}
