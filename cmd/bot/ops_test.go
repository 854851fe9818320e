package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
)

// A metrics port another program holds (Prometheus on its own 9090, say)
// must not stop the bot: one line says which setting to change, and the
// citizens are still answered. Before, the operations listener's failure
// stopped every channel.
func TestBusyMetricsPortKeepsTheBotRunning(t *testing.T) {
	busy := httptest.NewServer(http.NotFoundHandler())
	defer busy.Close()
	addr := busy.Listener.Addr().String()

	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"METRICS_ADDR": addr})
	logs := &syncBuffer{}
	startBot(t, cfg, slog.New(slog.NewTextHandler(logs, nil)))

	const chat = int64(5550077)
	srv.PushText(chat, chat, "/start")
	if msgs := srv.WaitSent(t, chat, 1, 15*time.Second); !strings.Contains(msgs[0].Text, "Selamat datang") {
		t.Errorf("the citizen got %q, want the welcome", msgs[0].Text)
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, addr) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "METRICS_ADDR "+addr+" is in use by another program: set METRICS_ADDR to a free host:port, or off") {
		t.Errorf("want one log line saying which setting to change, got:\n%s", strings.Join(lines, "\n"))
	}
}
