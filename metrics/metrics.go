// Package metrics exposes the bot's health and Prometheus metrics over HTTP:
// /healthz (the process is alive), /readyz (its dependencies answer) and
// /metrics. Metrics live in a private registry, so tests and several bots in
// one process never collide, and no Go runtime collectors are registered
// unless the caller asks.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// Handler is what a channel needs from the conversation engine, the same
// shape as channels/telegram.Handler, so a wrapped handler plugs in
// wherever the engine does.
type Handler interface {
	Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
	return f(ctx, in)
}

// Error kinds counted in sapa_errors_total by Wrap; callers may count
// others with Error.
const (
	ErrorHandle   = "handle"   // the handler returned an error
	ErrorCanceled = "canceled" // the handler stopped because its context ended
)

// Metrics holds the bot's collectors and their registry. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	messagesIn  *prometheus.CounterVec
	messagesOut *prometheus.CounterVec
	handle      *prometheus.HistogramVec
	errs        *prometheus.CounterVec
	casesOpened *prometheus.CounterVec
	casesOpen   prometheus.Gauge
	overdue     prometheus.Gauge
	sendWait    *prometheus.HistogramVec
	capWait     *prometheus.CounterVec
	jobUp       *prometheus.GaugeVec
	jobFailures *prometheus.CounterVec
}

// New builds the metrics and registers them, with the Go runtime and
// process collectors, in a registry of their own.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		messagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sapa_messages_in_total", Help: "Messages received from citizens and staff, by channel.",
		}, []string{"channel"}),
		messagesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sapa_messages_out_total", Help: "Replies produced for sending, by channel.",
		}, []string{"channel"}),
		handle: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sapa_handle_seconds",
			Help:    "Time the conversation engine took to handle one message, by channel.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"channel"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sapa_errors_total", Help: "Errors by kind.",
		}, []string{"kind"}),
		casesOpened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sapa_cases_opened_total", Help: "Cases filed, by kind and service.",
		}, []string{"kind", "service"}),
		casesOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sapa_cases_open", Help: "Cases waiting for the office at the last refresh.",
		}),
		overdue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sapa_cases_overdue", Help: "Open cases past their due date at the last refresh.",
		}),
		sendWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sapa_send_wait_seconds",
			Help:    "Time a message waited for its send slot (the chat's gap and the overall cap), by channel and kind (reply, notice).",
			Buckets: []float64{0, .5, 1, 2, 3, 5, 10, 30, 60, 300},
		}, []string{"channel", "kind"}),
		capWait: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sapa_send_cap_wait_seconds_total",
			Help: "Time messages waited on the overall cap beyond their chat's gap, by channel and kind: above zero, the cap slows service.",
		}, []string{"channel", "kind"}),
		jobUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sapa_job_up", Help: "1 while a channel or job runs, 0 while it waits to be started again after it stopped.",
		}, []string{"job"}),
		jobFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sapa_job_failures_total", Help: "Times a channel or job stopped by itself and was started again.",
		}, []string{"job"}),
	}
	m.reg.MustRegister(m.messagesIn, m.messagesOut, m.handle, m.errs, m.casesOpened, m.casesOpen, m.overdue,
		m.sendWait, m.capWait, m.jobUp, m.jobFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the private registry, for callers adding collectors of their
// own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Wrap returns h counting, for the channel, each message in, each reply
// out, the handling time and the errors (kind ErrorCanceled when the
// context ended, ErrorHandle otherwise). It changes nothing else: replies
// and errors pass through.
func (m *Metrics) Wrap(channel string, h Handler) Handler {
	in := m.messagesIn.WithLabelValues(channel)
	out := m.messagesOut.WithLabelValues(channel)
	latency := m.handle.WithLabelValues(channel)
	return HandlerFunc(func(ctx context.Context, msg conversation.Inbound) ([]conversation.Reply, error) {
		in.Inc()
		start := time.Now()
		replies, err := h.Handle(ctx, msg)
		latency.Observe(time.Since(start).Seconds())
		out.Add(float64(len(replies)))
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			m.Error(ErrorCanceled)
		default:
			m.Error(ErrorHandle)
		}
		return replies, err
	})
}

// Error counts one error of a kind ("send", "store", ...): a short fixed
// word, never text from a message.
func (m *Metrics) Error(kind string) { m.errs.WithLabelValues(kind).Inc() }

// CaseOpened counts one case filed for a service.
func (m *Metrics) CaseOpened(kind, service string) {
	m.casesOpened.WithLabelValues(kind, service).Inc()
}

// CountCases wraps a case store so that each case it files is counted by
// CaseOpened.
func (m *Metrics) CountCases(s conversation.CaseStore) conversation.CaseStore {
	return countedCases{CaseStore: s, m: m}
}

type countedCases struct {
	conversation.CaseStore
	m *Metrics
}

func (c countedCases) SubmitCase(ctx context.Context, nc services.NewCase) (services.Receipt, error) {
	r, err := c.CaseStore.SubmitCase(ctx, nc)
	if err == nil {
		c.m.CaseOpened(string(nc.Kind), nc.ServiceCode)
	}
	return r, err
}

// SetCases sets the open and overdue gauges.
func (m *Metrics) SetCases(open, overdue int) {
	m.casesOpen.Set(float64(open))
	m.overdue.Set(float64(overdue))
}

// RefreshCases sets the open and overdue gauges from count every interval
// until ctx is done, starting at once. A failing count leaves the gauges as
// they were and is counted as an error of kind "refresh": stale numbers
// are better than zeros that look like an empty desk.
func (m *Metrics) RefreshCases(ctx context.Context, interval time.Duration, count func(ctx context.Context) (open, overdue int, err error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if open, overdue, err := count(ctx); err == nil {
			m.SetCases(open, overdue)
		} else if ctx.Err() == nil {
			m.Error("refresh")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// QueueLength reports the outbound queue length through f at each scrape,
// as sapa_outbound_queue_length. Call it once.
func (m *Metrics) QueueLength(f func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sapa_outbound_queue_length", Help: "Messages waiting in the outbound queue.",
	}, func() float64 { return float64(f()) }))
}

// Backlog reports, at each scrape, how many messages wait in the Redis queue
// called name (updates not handled yet, notifications not sent yet, cases
// waiting for the database), as sapa_queue_backlog{queue="<name>"}: the
// number that says whether the bot keeps up, and whether PostgreSQL is
// owed cases. A failing count reads as NaN and is counted in
// sapa_errors_total{kind="backlog"}. Call it once per name.
func (m *Metrics) Backlog(name string, count func(ctx context.Context) (int, error)) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sapa_queue_backlog", Help: "Messages waiting in a Redis queue.", ConstLabels: prometheus.Labels{"queue": name},
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := count(ctx)
		if err != nil {
			m.Error("backlog")
			return math.NaN()
		}
		return float64(n)
	}))
}

// WhatsAppConnected reports through f at each scrape whether WhatsApp is
// connected, as sapa_whatsapp_connected 1 or 0. Call it once.
func (m *Metrics) WhatsAppConnected(f func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sapa_whatsapp_connected", Help: "1 while the WhatsApp connection is up, else 0.",
	}, func() float64 {
		if f() {
			return 1
		}
		return 0
	}))
}

// SendWaited records how long one message of a channel waited for its send
// slot, and how much of that the overall cap added.
func (m *Metrics) SendWaited(channel, kind string, total, capped time.Duration) {
	m.sendWait.WithLabelValues(channel, kind).Observe(total.Seconds())
	if capped > 0 {
		m.capWait.WithLabelValues(channel, kind).Add(capped.Seconds())
	}
}

// JobState records that a supervised channel or job runs, or stopped with
// err and waits to be started again (delivery.JobReporter).
func (m *Metrics) JobState(name string, running bool, err error) {
	if running {
		m.jobUp.WithLabelValues(name).Set(1)
		return
	}
	m.jobUp.WithLabelValues(name).Set(0)
	m.jobFailures.WithLabelValues(name).Inc()
}

// readyTimeout bounds one /readyz check round, so a hung database cannot
// hang the prober too.
const readyTimeout = 5 * time.Second

// Handler serves /healthz (200 "ok" while the process runs), /readyz
// (ready runs every check: 200 "ok" when all are nil, else 503 with one
// "name: error" line per failing check, sorted) and /metrics. ready may be
// nil: then /readyz is always ready.
func (m *Metrics) Handler(ready func(ctx context.Context) map[string]error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var failed []string
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			for name, err := range ready(ctx) {
				if err != nil {
					failed = append(failed, name+": "+strings.Join(strings.Fields(err.Error()), " "))
				}
			}
		}
		if len(failed) > 0 {
			slices.Sort(failed)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, strings.Join(failed, "\n"))
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	return mux
}

// DefaultAddr is where the operations listener listens unless configured:
// loopback only, since /metrics tells how busy the office is. The port is
// "SAPA" on a phone keypad, and no common tool's default: 9090 (the old
// default) is Prometheus's own, so the bot and the server that scrapes it
// could not both start on one machine.
const DefaultAddr = "127.0.0.1:7272"

// ErrAddrInUse is returned by Listen when another program listens on the
// address.
var ErrAddrInUse = errors.New("address already in use")

// Listen opens the operations listener on addr ("" for DefaultAddr). An
// address another program holds fails with ErrAddrInUse, so the caller can
// say which setting to change.
func Listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("operations listener on %s: %w", addr, ErrAddrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("operations listener on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves Handler(ready) on ln until ctx is done, then shuts down,
// giving requests in flight a few seconds. It closes ln, and returns nil
// after a shutdown asked through ctx.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener, ready func(ctx context.Context) map[string]error) error {
	addr := ln.Addr().String()
	srv := &http.Server{Handler: m.Handler(ready), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("operations listener on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("stop operations listener on %s: %w", addr, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("operations listener on %s: %w", addr, err)
	}
	return nil
}
