// Package console is the office console: a web desk, served by the bot
// itself, where officers log in with a code sent to their own chat, work
// the queue of their unit as it changes, read a case's whole file (on
// record) and act on it. Every action goes through the casework desk the
// chat commands use, so the two never disagree.
//
// Pages are rendered on the server from html/template; the stylesheet and
// the one small script (live updates by server-sent events) are embedded.
// Every response carries a strict Content-Security-Policy (no inline
// script), forbids framing, and is never cached when it holds personal
// data; state-changing requests from another origin are refused.
package console

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/report"
	"github.com/leksono/sapa/services"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Tokens keeps the console's login codes, sessions and spent links, with
// their expiry, shared by every bot process: *redisstore.Tokens.
type Tokens interface {
	Put(ctx context.Context, name string, value []byte, ttl time.Duration) error
	Get(ctx context.Context, name string, refresh time.Duration) ([]byte, bool, error)
	Delete(ctx context.Context, name string) (bool, error)
	Count(ctx context.Context, name string, ttl time.Duration) (int64, error)
	Claim(ctx context.Context, name string, ttl time.Duration) (bool, error)
}

// Changes tells of every case that changed, in any process, until ctx is
// done; ready is called once it listens: *redisstore.Changes.
type Changes interface {
	Listen(ctx context.Context, ready func(), tell func(ticket string)) error
}

// Media opens the photos and documents citizens sent: *mediastore.Store.
type Media interface {
	Open(f services.StoredFile) (io.ReadCloser, error)
}

// Config is what New needs.
type Config struct {
	Desk    *casework.Desk
	Catalog *services.Catalog
	Texts   *locales.Bundle
	Staff   *services.Staff
	Tokens  Tokens
	// Changes, nil: the pages do not update themselves.
	Changes Changes
	// Notifier sends the login codes to the officers' own chats: the
	// bot's delivery core.
	Notifier conversation.Notifier
	// Media, nil: the files of a case are listed, not shown.
	Media Media
	// Reports, nil: the home page has no figures of the month.
	Reports report.Source
	// Consult, nil: no consultation pages.
	Consult *casework.Consultations
	// Letters, nil: no letters are printed, no register shown, and
	// /verifikasi is not served.
	Letters Letters
	// Schedule, nil: no page of the day's booked visits.
	Schedule *casework.Schedule
	// Secret signs the one-time login links and keys the hash of the login
	// codes. Every process of one bot must have the same (cmd/bot derives
	// it from the data keys).
	Secret []byte
	// TrustedProxies are the reverse proxies in front of the console:
	// from them, X-Forwarded-Proto says whether the browser used https
	// (the session cookie is then Secure). A request over TLS always is.
	TrustedProxies []netip.Prefix
	Now            func() time.Time // defaults to time.Now
	Log            *slog.Logger     // defaults to slog.Default()
}

// Server is the console. It is safe for concurrent use.
type Server struct {
	cfg     Config
	desk    *casework.Desk
	catalog *services.Catalog
	texts   *locales.Bundle
	staff   *services.Staff
	now     func() time.Time
	log     *slog.Logger
	pages   map[string]*page
	hub     *hub
	handler http.Handler
	// listening is closed once case changes are heard (or will not be):
	// an event stream opens only then, so a page that sees its stream
	// open misses no change.
	listening chan struct{}
	heard     sync.Once
	// bound is closed once the console listens, on addr.
	bound chan struct{}
	addr  string

	chartMu sync.Mutex
	chart   cachedChart
}

// New builds the console and checks its templates and texts, so a broken
// page fails start-up.
func New(cfg Config) (*Server, error) {
	if cfg.Desk == nil || cfg.Catalog == nil || cfg.Texts == nil || cfg.Tokens == nil || cfg.Notifier == nil {
		return nil, errors.New("console needs the casework desk, the catalog, texts, a token store and a notifier")
	}
	if len(cfg.Secret) < 32 {
		return nil, errors.New("console needs a secret of at least 32 bytes")
	}
	if missing := cfg.Texts.Missing(textKeys()); len(missing) > 0 {
		return nil, fmt.Errorf("console: missing locale keys %v", missing)
	}
	s := &Server{
		cfg: cfg, desk: cfg.Desk, catalog: cfg.Catalog, texts: cfg.Texts, staff: cfg.Staff,
		now: cfg.Now, log: cmp.Or(cfg.Log, slog.Default()), hub: newHub(), listening: make(chan struct{}),
		bound: make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.staff == nil {
		s.staff = &services.Staff{}
	}
	var err error
	if s.pages, err = s.parsePages(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Handler is the console as one http.Handler, every security header and
// the cross-origin check included.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve listens on addr and serves the console until ctx is done, then
// stops gracefully: open event streams end, requests in flight finish.
// An address it cannot listen on (a port in use) is logged in one line
// saying what to change, and the bot goes on without its console: the
// citizens' chats matter more.
func (s *Server) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.log.Error("console not served: set CONSOLE_ADDR to a free host:port, or off", "addr", addr, "err", err)
		<-ctx.Done()
		return nil
	}
	return s.ServeListener(ctx, ln)
}

// Addr is the address the console listens on, once Listening is closed.
func (s *Server) Addr() string {
	<-s.bound
	return s.addr
}

// Listening is closed once the console listens.
func (s *Server) Listening() <-chan struct{} { return s.bound }

// ServeListener is Serve on a listener the caller opened.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	s.addr = ln.Addr().String()
	close(s.bound)
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	listening := make(chan struct{})
	ready := func() { s.heard.Do(func() { close(s.listening) }) }
	go func() {
		defer close(listening)
		defer ready()
		if s.cfg.Changes == nil {
			return
		}
		if err := s.cfg.Changes.Listen(ctx, ready, s.hub.publish); err != nil {
			s.log.Warn("console: case changes are not heard; pages show them when reloaded", "err", err)
		}
	}()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Requests (event streams too) end with the server's context.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		stop()
		<-listening
		return fmt.Errorf("console: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	<-served
	<-listening
	if err != nil {
		return fmt.Errorf("console: stop: %w", err)
	}
	return nil
}

// routes is every page of the console behind the security headers and
// the cross-origin check.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))

	mux.HandleFunc("GET /masuk", s.loginPage)
	mux.HandleFunc("POST /masuk", s.sendCode)
	mux.HandleFunc("POST /masuk/kode", s.checkCode)
	mux.HandleFunc("GET /masuk/tautan/{token}", s.followLink)
	mux.HandleFunc("POST /masuk/tautan/{token}", s.useLink)
	mux.HandleFunc("POST /keluar", s.logout)

	mux.Handle("GET /{$}", s.officer(s.home))
	mux.Handle("GET /grafik.png", s.officer(s.chartPNG))
	mux.Handle("GET /antrian", s.officer(s.queue))
	mux.Handle("GET /kasus/{ticket}", s.officer(s.casePage))
	mux.Handle("POST /kasus/{ticket}", s.officer(s.act))
	mux.Handle("POST /kasus/{ticket}/tampilkan", s.officer(s.reveal))
	mux.Handle("GET /kasus/{ticket}/berkas/{sha}", s.officer(s.file))
	mux.Handle("GET /peristiwa", s.officer(s.events))
	mux.Handle("GET /percakapan", s.officer(s.inbox))
	mux.Handle("GET /percakapan/{number}", s.officer(s.talk))
	mux.Handle("POST /percakapan/{number}", s.officer(s.talkAct))
	mux.Handle("GET /percakapan/{number}/berkas/{sha}", s.officer(s.talkFile))
	mux.Handle("POST /kasus/{ticket}/cetak", s.officer(s.print))
	mux.Handle("GET /agenda", s.officer(s.register))
	mux.Handle("GET /agenda.xlsx", s.officer(s.registerXLSX))
	mux.Handle("POST /agenda/cabut", s.officer(s.revoke))
	mux.Handle("GET /jadwal", s.officer(s.visitsPage))
	mux.Handle("POST /jadwal/datang", s.officer(s.arrived))
	mux.Handle("GET /laporan", s.officer(s.reportPage))
	mux.Handle("GET /laporan/unduh/{format}", s.officer(s.reportFile))
	mux.Handle("GET /konsultasi", s.officer(s.consultList))
	mux.Handle("POST /konsultasi", s.officer(s.consultPublish))
	mux.Handle("GET /konsultasi/{code}", s.officer(s.consultPage))
	mux.Handle("POST /konsultasi/{code}", s.officer(s.consultAct))
	mux.Handle("GET /konsultasi/{code}/unduh", s.officer(s.consultXLSX))
	if s.cfg.Letters != nil {
		// The public page that checks a printed letter's code: no login.
		verify := s.cfg.Letters.VerifyHandler()
		mux.Handle("/verifikasi", verify)
		mux.Handle("/verifikasi/", verify)
	}
	mux.HandleFunc("/", s.notFoundPage)

	// A form posted from another site (a forged request) is refused
	// before any handler runs: the browser says where it came from.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusForbidden, "console.error.cross_origin")
	}))
	return securityHeaders(cop.Handler(mux))
}

// contentPolicy allows only the console's own files: no inline script or
// style, no framing of its pages by anyone.
const contentPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries. Pages hold
// personal data: none is stored by the browser or a proxy (static files
// set their own caching).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// staticFiles serves the embedded stylesheet and script; they hold nothing
// personal and may be cached for an hour.
func staticFiles(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
