package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
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
	rdb, prefix := storetest.Redis(t)
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	keys := testKeys(t)
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := pgstore.Open(ctx, proxied, pgstore.Options{TicketPrefix: "LKS", Location: loc, Keys: keys, Log: log})
	if err != nil {
		t.Fatalf("open the case database: %v", err)
	}
	defer db.Close()
	core := New(Config{
		Redis: rdb, Prefix: prefix, States: redisstore.New(rdb, prefix), Cases: db, Keys: keys,
		Location: loc, Durable: true, Log: log,
	})
	queued := core.Cases()
	queued.seed(ctx) // what the writer does each minute while the database answers
	go queued.drain(ctx)

	proxy.cut()
	at := time.Now()
	tickets := make([]string, 50)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range tickets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := queued.SubmitCase(ctx, services.NewCase{
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

	// The outage lasts until the writer found the database gone (30 s in
	// the issue; shortened here).
	waitFor(t, "the case writer to fail", 30*time.Second, func() bool {
		return strings.Contains(logs.String(), "database still unreachable")
	})
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
	if n, err := queued.queue.Len(ctx); err != nil || n != 0 {
		t.Errorf("queue left with %d cases (%v)", n, err)
	}
}

// testKeys are fresh keys to seal NIK numbers with.
func testKeys(t *testing.T) *pgstore.Keys {
	t.Helper()
	secret := func() string {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	keys, err := pgstore.ParseKeys("k1:"+secret(), secret())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
