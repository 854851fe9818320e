package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

// pgProxy forwards TCP to PostgreSQL and can cut it, like a network fault
// between the bot and its database, without stopping the server that other
// tests share.
type pgProxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	p := &pgProxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *pgProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// cut closes the listener and every connection: the database is gone.
func (p *pgProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address: the database is back.
func (p *pgProxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("restore the proxy on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// TestCasesSurvivePostgresOutage is fault test 3 of the reliability issue,
// shortened: PostgreSQL becomes unreachable while 50 citizens submit; every
// one of them still gets a ticket at once; when the database is back the
// queued cases are written, in order, each exactly once, under the tickets
// the citizens were given.
func TestCasesSurvivePostgresOutage(t *testing.T) {
	dsn := storetest.Postgres(t)
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("the test database DSN %q is not a URL with a host", dsn)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	proxy := newPGProxy(t, target)
	u.Host = proxy.addr
	proxied := u.String()
	_, prefix := storetest.Redis(t)
	cfg, err := readSettings(envOf(map[string]string{
		"DATABASE_URL": proxied, "REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_PREFIX": prefix,
		"DATA_DIR": t.TempDir(), "WHATSAPP": "off", "METRICS_ADDR": "off",
	}))
	if err != nil {
		t.Fatal(err)
	}
	o, problems := loadOffice(cfg)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := buildCore(ctx, cfg, o, nil, log)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	defer a.close(log)
	a.queued.seed(ctx) // what the writer does each minute while the database answers
	go a.queued.drain(ctx)

	proxy.cut()
	at := time.Now()
	tickets := make([]string, 50)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range tickets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := a.queued.SubmitCase(ctx, services.NewCase{
				Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "telegram",
				ChatID: fmt.Sprint(9000 + i), CitizenName: fmt.Sprint("Warga ", i), VillageCode: "33.07.05.2001",
				Form:          map[string]string{"nik": "3307051708900001", "nama": fmt.Sprint("Warga ", i)},
				SourceMessage: fmt.Sprintf("telegram:%d:1", 9000+i), SubmittedAt: at, DueAt: at.Add(24 * time.Hour),
			})
			if err != nil {
				errs <- fmt.Errorf("citizen %d got no ticket while the database was down: %w", i, err)
				return
			}
			tickets[i] = r.Ticket
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tk := range tickets {
		if tk == "" || seen[tk] {
			t.Fatalf("tickets handed out during the outage are not distinct: %v", tickets)
		}
		seen[tk] = true
	}

	time.Sleep(2 * time.Second) // the outage lasts a while (30 s in the issue; shortened here)
	proxy.restore()

	direct, err := gorm.Open(postgres.Open(dsn), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if db, err := direct.DB(); err == nil {
		defer db.Close()
	}
	deadline := time.Now().Add(60 * time.Second)
	var stored []string
	for {
		stored = stored[:0]
		if err := direct.Model(&pgstore.Case{}).Order("id").Pluck("ticket", &stored).Error; err != nil {
			t.Fatal(err)
		}
		if len(stored) >= 50 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(stored) != 50 {
		t.Fatalf("%d cases written after the database came back, want 50", len(stored))
	}
	for _, tk := range stored {
		if !seen[tk] {
			t.Errorf("case %s was written under a ticket no citizen was given", tk)
		}
		delete(seen, tk)
	}
	if len(seen) != 0 {
		t.Errorf("tickets given but not written: %v", seen)
	}
	if n, err := a.queued.queue.Len(ctx); err != nil || n != 0 {
		t.Errorf("queue left with %d cases (%v)", n, err)
	}
}
