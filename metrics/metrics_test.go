package metrics

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// scrape fetches /metrics and returns every sample line's value by its
// series ("name{labels}").
func scrape(t *testing.T, srv *httptest.Server) map[string]float64 {
	t.Helper()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", res.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read /metrics: %v", err)
	}
	return out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return res.StatusCode, string(body)
}

// fakeEngine answers "dua" with two replies, "gagal" with an error, "batal"
// with a context error and anything else with one reply.
type fakeEngine struct{ calls atomic.Int64 }

func (f *fakeEngine) Handle(_ context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
	f.calls.Add(1)
	switch in.Text {
	case "dua":
		return []conversation.Reply{{Text: "a"}, {Text: "b"}}, nil
	case "gagal":
		return nil, errors.New("store down")
	case "batal":
		return nil, context.Canceled
	}
	return []conversation.Reply{{Text: "ok"}}, nil
}

func TestWrapCountsExactly(t *testing.T) {
	m := New()
	srv := httptest.NewServer(m.Handler(nil))
	defer srv.Close()
	m.CaseOpened("request", "sktm") // the series exist before the run
	before := scrape(t, srv)

	engine := &fakeEngine{}
	tg := m.Wrap("telegram", engine)
	wa := m.Wrap("whatsapp", engine)
	ctx := context.Background()
	send := func(h Handler, text string) ([]conversation.Reply, error) {
		return h.Handle(ctx, conversation.Inbound{Text: text})
	}
	if r, err := send(tg, "halo"); err != nil || len(r) != 1 {
		t.Fatalf("halo: %v %v", r, err)
	}
	if r, err := send(tg, "dua"); err != nil || len(r) != 2 {
		t.Fatalf("dua: %v %v", r, err)
	}
	if _, err := send(tg, "gagal"); err == nil || err.Error() != "store down" {
		t.Fatalf("gagal: error %v, want the handler's error passed through", err)
	}
	if _, err := send(wa, "batal"); !errors.Is(err, context.Canceled) {
		t.Fatalf("batal: error %v", err)
	}
	if _, err := send(wa, "halo"); err != nil {
		t.Fatal(err)
	}
	m.CaseOpened("request", "sktm")
	m.CaseOpened("request", "sktm")
	m.CaseOpened("complaint", "pengaduan")
	m.Error("send")
	if engine.calls.Load() != 5 {
		t.Fatalf("engine called %d times, want 5", engine.calls.Load())
	}

	after := scrape(t, srv)
	for series, delta := range map[string]float64{
		`sapa_messages_in_total{channel="telegram"}`:                    3,
		`sapa_messages_in_total{channel="whatsapp"}`:                    2,
		`sapa_messages_out_total{channel="telegram"}`:                   3,
		`sapa_messages_out_total{channel="whatsapp"}`:                   1,
		`sapa_handle_seconds_count{channel="telegram"}`:                 3,
		`sapa_handle_seconds_count{channel="whatsapp"}`:                 2,
		`sapa_handle_seconds_bucket{channel="telegram",le="+Inf"}`:      3,
		`sapa_errors_total{kind="handle"}`:                              1,
		`sapa_errors_total{kind="canceled"}`:                            1,
		`sapa_errors_total{kind="send"}`:                                1,
		`sapa_cases_opened_total{kind="request",service="sktm"}`:        2,
		`sapa_cases_opened_total{kind="complaint",service="pengaduan"}`: 1,
	} {
		got, ok := after[series]
		if !ok {
			t.Errorf("%s missing from /metrics", series)
			continue
		}
		if d := got - before[series]; d != delta {
			t.Errorf("%s moved by %v, want %v", series, d, delta)
		}
	}
}

func TestGauges(t *testing.T) {
	m := New()
	var queue atomic.Int64
	var connected atomic.Bool
	m.QueueLength(func() int { return int(queue.Load()) })
	m.WhatsAppConnected(connected.Load)
	var backlogDown atomic.Bool
	m.Backlog("cases", func(context.Context) (int, error) {
		if backlogDown.Load() {
			return 0, errors.New("redis down")
		}
		return 4, nil
	})
	srv := httptest.NewServer(m.Handler(nil))
	defer srv.Close()

	queue.Store(7)
	connected.Store(true)
	got := scrape(t, srv)
	if got["sapa_outbound_queue_length"] != 7 || got["sapa_whatsapp_connected"] != 1 {
		t.Errorf("queue %v connected %v, want 7 and 1", got["sapa_outbound_queue_length"], got["sapa_whatsapp_connected"])
	}
	if got[`sapa_queue_backlog{queue="cases"}`] != 4 {
		t.Errorf("cases backlog %v, want 4", got[`sapa_queue_backlog{queue="cases"}`])
	}
	connected.Store(false)
	backlogDown.Store(true)
	got = scrape(t, srv)
	if got["sapa_whatsapp_connected"] != 0 {
		t.Errorf("connected %v after disconnect, want 0", got["sapa_whatsapp_connected"])
	}
	if v := got[`sapa_queue_backlog{queue="cases"}`]; !math.IsNaN(v) {
		t.Errorf("backlog with Redis down = %v, want NaN", v)
	}
	// The failure is counted during that scrape, so the next one shows it
	// (and one more failure).
	if n := scrape(t, srv)[`sapa_errors_total{kind="backlog"}`]; n < 1 {
		t.Errorf("backlog failures counted %v, want at least 1", n)
	}

	// RefreshCases sets the gauges at once, keeps them on a failing count
	// and counts that failure.
	ctx, cancel := context.WithCancel(context.Background())
	var round atomic.Int64
	fourth := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.RefreshCases(ctx, 5*time.Millisecond, func(context.Context) (int, int, error) {
			n := round.Add(1)
			if n == 1 {
				return 12, 3, nil
			}
			if n == 4 {
				close(fourth)
			}
			return 0, 0, errors.New("database down")
		})
	}()
	// Rounds two and three have failed and been counted, the context still
	// live, once the fourth begins.
	<-fourth
	cancel()
	<-done
	got = scrape(t, srv)
	if got["sapa_cases_open"] != 12 || got["sapa_cases_overdue"] != 3 {
		t.Errorf("open %v overdue %v, want 12 and 3 kept from the good round", got["sapa_cases_open"], got["sapa_cases_overdue"])
	}
	if got[`sapa_errors_total{kind="refresh"}`] < 2 {
		t.Errorf("refresh errors %v, want at least 2", got[`sapa_errors_total{kind="refresh"}`])
	}
}

func TestHealthAndReady(t *testing.T) {
	m := New()
	var failing atomic.Bool
	srv := httptest.NewServer(m.Handler(func(ctx context.Context) map[string]error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("readiness checks run without a deadline")
		}
		checks := map[string]error{"redis": nil, "database": nil, "telegram": nil}
		if failing.Load() {
			checks["database"] = errors.New("dial tcp 127.0.0.1:5432:\nconnection refused")
			checks["whatsapp"] = errors.New("not connected")
		}
		return checks
	}))
	defer srv.Close()

	if code, body := get(t, srv.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}
	if code, body := get(t, srv.URL+"/readyz"); code != 200 || body != "ok\n" {
		t.Errorf("/readyz = %d %q, want 200 ok", code, body)
	}
	failing.Store(true)
	code, body := get(t, srv.URL+"/readyz")
	want := "database: dial tcp 127.0.0.1:5432: connection refused\nwhatsapp: not connected\n"
	if code != http.StatusServiceUnavailable || body != want {
		t.Errorf("/readyz = %d %q, want 503 %q", code, body, want)
	}
	if code, _ := get(t, srv.URL+"/nothing"); code != http.StatusNotFound {
		t.Errorf("/nothing = %d, want 404", code)
	}
}

func TestServe(t *testing.T) {
	m := New()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	go func() { errc <- m.Serve(ctx, ln, nil) }()
	// The listener is open once Listen returned: no wait for the server.
	if code, _ := get(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz on %s = %d, want 200", addr, code)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
}

// A port another program holds is told apart from other failures, so the
// bot can say which setting to change.
func TestListenOnABusyPort(t *testing.T) {
	busy := httptest.NewServer(http.NotFoundHandler())
	defer busy.Close()
	_, err := Listen(busy.Listener.Addr().String())
	if !errors.Is(err, ErrAddrInUse) {
		t.Errorf("Listen on a taken address = %v, want ErrAddrInUse", err)
	}
	if _, err := Listen("256.0.0.1:1"); err == nil || errors.Is(err, ErrAddrInUse) {
		t.Errorf("Listen on a bad address = %v, want another error", err)
	}
}

// The default port is no common tool's: Prometheus (9090), its exporters
// and push gateway (9091-9100), Grafana (3000), the usual web ports.
func TestDefaultAddrIsNoCommonToolsPort(t *testing.T) {
	_, port, err := net.SplitHostPort(DefaultAddr)
	if err != nil {
		t.Fatal(err)
	}
	for _, taken := range []string{"9090", "9091", "9093", "9100", "3000", "8080", "8000", "80", "443", "6060", "6379", "5432"} {
		if port == taken {
			t.Errorf("DefaultAddr %s uses port %s, which a common tool listens on", DefaultAddr, port)
		}
	}
}

// fakeCases files every case but the one of service "gagal".
type fakeCases struct{}

func (fakeCases) SubmitCase(_ context.Context, nc services.NewCase) (services.Receipt, error) {
	if nc.ServiceCode == "gagal" {
		return services.Receipt{}, errors.New("database down")
	}
	return services.Receipt{Ticket: "LKS-1"}, nil
}

func TestCountCasesCountsWhatWasFiled(t *testing.T) {
	m := New()
	srv := httptest.NewServer(m.Handler(nil))
	defer srv.Close()
	cases := m.CountCases(fakeCases{})
	ctx := context.Background()
	for _, nc := range []services.NewCase{
		{Kind: services.KindRequest, ServiceCode: "sktm"},
		{Kind: services.KindRequest, ServiceCode: "sktm"},
		{Kind: services.KindRequest, ServiceCode: "gagal"},
	} {
		r, err := cases.SubmitCase(ctx, nc)
		if (err != nil) != (nc.ServiceCode == "gagal") || (err == nil && r.Ticket != "LKS-1") {
			t.Fatalf("submit %s = %+v, %v: the store's answer must pass through", nc.ServiceCode, r, err)
		}
	}
	got := scrape(t, srv)
	if n := got[`sapa_cases_opened_total{kind="request",service="sktm"}`]; n != 2 {
		t.Errorf("sktm cases counted %v, want 2", n)
	}
	if _, ok := got[`sapa_cases_opened_total{kind="request",service="gagal"}`]; ok {
		t.Error("a case the store refused was counted")
	}
}

func TestServePprof(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { errc <- ServePprof(ctx, ln) }()
	addr := ln.Addr().String()
	if code, _ := get(t, "http://"+addr+"/debug/pprof/"); code != http.StatusOK {
		t.Errorf("/debug/pprof/ on %s = %d, want 200", addr, code)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("ServePprof after cancel: %v", err)
	}
}

func TestSendWaitAndJobState(t *testing.T) {
	m := New()
	srv := httptest.NewServer(m.Handler(nil))
	defer srv.Close()
	m.SendWaited("whatsapp", "reply", time.Second, 0)
	m.SendWaited("whatsapp", "notice", 40*time.Second, 30*time.Second)
	m.JobState("whatsapp", false, errors.New("pairing failed"))
	got := scrape(t, srv)
	if got[`sapa_send_wait_seconds_count{channel="whatsapp",kind="reply"}`] != 1 ||
		got[`sapa_send_wait_seconds_sum{channel="whatsapp",kind="notice"}`] != 40 {
		t.Errorf("send waits not recorded: %v", got)
	}
	if got[`sapa_send_cap_wait_seconds_total{channel="whatsapp",kind="notice"}`] != 30 {
		t.Errorf("cap wait %v, want 30", got[`sapa_send_cap_wait_seconds_total{channel="whatsapp",kind="notice"}`])
	}
	if _, ok := got[`sapa_send_cap_wait_seconds_total{channel="whatsapp",kind="reply"}`]; ok {
		t.Error("a reply that waited only its gap counted as waiting on the cap")
	}
	if got[`sapa_job_up{job="whatsapp"}`] != 0 || got[`sapa_job_failures_total{job="whatsapp"}`] != 1 {
		t.Errorf("job state: up %v failures %v", got[`sapa_job_up{job="whatsapp"}`], got[`sapa_job_failures_total{job="whatsapp"}`])
	}
	m.JobState("whatsapp", true, nil)
	if got := scrape(t, srv); got[`sapa_job_up{job="whatsapp"}`] != 1 || got[`sapa_job_failures_total{job="whatsapp"}`] != 1 {
		t.Errorf("job back up: %v", got)
	}
}
