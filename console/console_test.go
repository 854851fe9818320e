package console_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/console"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/letters/letterstest"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/mediastore"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// The stores the bot gives the console are what it declares.
var (
	_ console.Tokens  = (*redisstore.Tokens)(nil)
	_ console.Changes = (*redisstore.Changes)(nil)
	_ console.Media   = (*mediastore.Store)(nil)
)

// desk is a console served as the bot serves it: the engine's casework
// desk on real PostgreSQL and Redis, the console on a real listener,
// officers' chats caught at the notifier.
type desk struct {
	t      *testing.T
	url    string
	store  *pgstore.Store
	media  *mediastore.Store
	engine *conversation.Engine
	staff  *services.Staff
	notes  *chats
	tokens *redisstore.Tokens
	rdb    redis.UniversalClient
	prefix string
	secret []byte
	cfg    console.Config
	seq    int
}

func staffOf(activeKasi bool) *services.Staff {
	return &services.Staff{
		UnitGroups: map[string]services.Contacts{},
		Officers: []services.Officer{
			{ID: "camat", Name: "Bu Camat", Role: services.RoleCamat, Contacts: services.Contacts{"telegram": "9000"}, Active: true},
			{ID: "kasi_kesos", Name: "Pak Kasi Kesos", Role: services.RoleKasi, Unit: "kesejahteraan_sosial", Contacts: services.Contacts{"telegram": "9001", "whatsapp": "6281234567001"}, Active: activeKasi},
			{ID: "petugas_kesos", Name: "Mbak Petugas Kesos", Role: services.RolePetugas, Unit: "kesejahteraan_sosial", Contacts: services.Contacts{"telegram": "9002"}, Active: true},
			{ID: "petugas_umum", Name: "Mas Petugas Umum", Role: services.RolePetugas, Unit: "pelayanan_umum", Contacts: services.Contacts{"telegram": "9003"}, Active: true},
		},
	}
}

func newDesk(t *testing.T) *desk {
	t.Helper()
	ctx := context.Background()
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pgstore.ParseKeys("k1:"+randomKey(t), randomKey(t))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sensitive, personal := catalog.PersonalFields()
	store, err := pgstore.Open(ctx, storetest.Postgres(t), pgstore.Options{
		TicketPrefix: catalog.Office.TicketPrefix, Location: catalog.Office.Location, Keys: keys,
		Sensitive: sensitive, Personal: personal, Log: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	media, err := mediastore.New(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := storetest.Redis(t)
	d := &desk{t: t, store: store, media: media, staff: staffOf(true), notes: &chats{}, tokens: redisstore.NewTokens(rdb, prefix),
		rdb: rdb, prefix: prefix, secret: keys.Derive("console")}
	changes := redisstore.NewChanges(rdb, prefix, quiet)
	store.OnChange(changes.Tell)
	d.engine, err = conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: redisstore.New(rdb, prefix), Cases: store, Desk: store.Desk(),
		Surveys: store.Desk(), Privacy: store.Desk(), Staff: d.staff, Notifier: d.notes, Media: media, Log: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	templates, err := letters.LoadTemplates(configs.FS, catalog)
	if err != nil {
		t.Fatal(err)
	}
	issuer := letters.New(letters.Config{
		Catalog: catalog, Templates: templates, Texts: texts, Register: store.Letters(), Limiter: redisstore.New(rdb, prefix),
		PublicURL: "https://sapa.leksono.example", Log: quiet,
	})
	d.cfg = console.Config{
		Desk: d.engine.Casework(), Catalog: catalog, Texts: texts, Staff: d.staff, Tokens: d.tokens, Changes: changes,
		Notifier: d.notes, Media: media, Reports: store, Letters: issuer, Secret: d.secret, Log: quiet,
	}
	d.url = d.serve(d.cfg)
	return d
}

// serve runs a console on cfg on a free port until the test ends.
func (d *desk) serve(cfg console.Config) string {
	d.t.Helper()
	c, err := console.New(cfg)
	if err != nil {
		d.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.ServeListener(ctx, ln) }()
	d.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			d.t.Errorf("console stopped with %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func randomKey(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// file submits a case from citizen chat: an SKTM, or a complaint of the
// given confidentiality, with files.
func (d *desk) file(chat, name, confidentiality string, files ...services.StoredFile) string {
	d.t.Helper()
	d.seq++
	at := time.Now().Add(-time.Hour)
	nc := services.NewCase{
		Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "telegram", ChatID: chat,
		CitizenName: name, VillageCode: "33.07.05.2001",
		Form:          map[string]string{"nik": "3307051708900001", "nama": name, "desa": "33.07.05.2001", "telepon": "6281234567890"},
		SourceMessage: fmt.Sprintf("telegram:%s:%d", chat, d.seq), SubmittedAt: at, DueAt: at.Add(8 * time.Hour),
		Attachments: files,
	}
	if confidentiality != "" {
		nc.Kind, nc.ServiceCode, nc.Confidentiality = services.KindComplaint, "pengaduan", confidentiality
		nc.Form = map[string]string{"kategori": "bantuan_sosial", "desa": "33.07.05.2001", "uraian": "Nama saya tidak ada di daftar penerima.",
			"kerahasiaan": confidentiality, "nama": name, "lokasi": "geo:-7.3612,109.9231|Balai desa"}
	}
	r, err := d.store.SubmitCase(context.Background(), nc)
	if err != nil {
		d.t.Fatal(err)
	}
	return r.Ticket
}

// chats is the notifier: what reached each chat.
type chats struct {
	mu   sync.Mutex
	sent map[string][]string
}

func (c *chats) Notify(_ context.Context, to conversation.ChatKey, r conversation.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent == nil {
		c.sent = map[string][]string{}
	}
	c.sent[to.ChatID] = append(c.sent[to.ChatID], r.Text)
	return nil
}

func (c *chats) to(chat string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent[chat]...)
}

var codeRe = regexp.MustCompile(`\b[0-9]{6}\b`)

// lastCode is the last login code sent to chat.
func (c *chats) lastCode(t *testing.T, chat string) string {
	t.Helper()
	msgs := c.to(chat)
	if len(msgs) == 0 {
		t.Fatalf("no message reached chat %s", chat)
	}
	code := codeRe.FindString(msgs[len(msgs)-1])
	if code == "" {
		t.Fatalf("no code in %q", msgs[len(msgs)-1])
	}
	return code
}

// browser is an HTTP client with its own cookies, as one browser is.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (d *desk) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		d.t.Fatal(err)
	}
	return &browser{t: d.t, base: d.url, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// get returns the status and body of a page, redirects followed.
func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post submits a form, redirects followed, and returns where it ended.
func (b *browser) post(path string, form url.Values, header ...string) (int, string, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.RequestURI(), string(body)
}

// login logs officer in with the code sent to their chat.
func (d *desk) login(b *browser, officer, chat string) {
	d.t.Helper()
	if _, where, _ := b.post("/masuk", url.Values{"siapa": {officer}}); !strings.HasPrefix(where, "/masuk?kode=1") {
		d.t.Fatalf("after asking for a code: at %s", where)
	}
	code := d.notes.lastCode(d.t, chat)
	if status, where, body := b.post("/masuk/kode", url.Values{"kode": {code}}); status != http.StatusOK || where != "/" {
		d.t.Fatalf("login of %s: %d at %s\n%s", officer, status, where, body)
	}
}

// Login: a code in the officer's own chat, good once; wrong codes count,
// and the sixth try fails even with the right code; an unknown name is
// answered like a known one.
func TestLoginWithCode(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	b := d.browser()
	if status, body := b.get("/antrian"); status != http.StatusOK || !strings.Contains(body, `action="/masuk"`) {
		t.Fatalf("a logged-out browser is not sent to the login page: %d", status)
	}
	// By phone number, in any form: the code reaches every chat of the officer.
	_, where, _ := b.post("/masuk", url.Values{"siapa": {"0812-3456-7001"}})
	if where != "/masuk?kode=1" {
		t.Fatalf("at %s", where)
	}
	code := d.notes.lastCode(t, "9001")
	if d.notes.lastCode(t, "6281234567001") != code {
		t.Error("the officer's chats got different codes")
	}
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	for i := 1; i <= 5; i++ {
		status, _, body := b.post("/masuk/kode", url.Values{"kode": {wrong}})
		if status != http.StatusUnauthorized || !strings.Contains(body, "Kode salah") {
			t.Fatalf("wrong code %d: %d", i, status)
		}
	}
	if _, where, _ := b.post("/masuk/kode", url.Values{"kode": {code}}); where == "/" {
		t.Fatal("the right code worked after five wrong tries")
	}

	// A fresh code works once; the same code again (replayed) does not.
	b2 := d.browser()
	d.login(b2, "kasi_kesos", "9001")
	if status, body := b2.get("/antrian"); status != http.StatusOK || !strings.Contains(body, "Pak Kasi Kesos") {
		t.Fatalf("logged in, the queue: %d", status)
	}
	replay := d.notes.lastCode(t, "9001")
	b3 := d.browser()
	b3.post("/masuk", url.Values{"siapa": {"petugas_kesos"}})
	if _, where, _ := b3.post("/masuk/kode", url.Values{"kode": {replay}}); where == "/" {
		t.Fatal("another officer's spent code logged a browser in")
	}

	// Someone unknown is answered the same way, and no chat gets a code.
	before := len(d.notes.to("9003"))
	b4 := d.browser()
	if _, where, body := b4.post("/masuk", url.Values{"siapa": {"orang_lain"}}); where != "/masuk?kode=1" || !strings.Contains(body, "kode masuk sudah dikirim") {
		t.Errorf("an unknown name: at %s", where)
	}
	if len(d.notes.to("9003")) != before {
		t.Error("a code went out for an unknown name")
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// The session cookie is HttpOnly and SameSite=Strict, Secure over https
// (here: behind a proxy that says so, when trusted); logging out ends it;
// an officer made inactive is logged out at their next request.
func TestSessions(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	b := d.browser()
	b.post("/masuk", url.Values{"siapa": {"kasi_kesos"}})
	code := d.notes.lastCode(t, "9001")
	req, _ := http.NewRequest(http.MethodPost, d.url+"/masuk/kode", strings.NewReader(url.Values{"kode": {code}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noRedirect := &http.Client{Jar: b.c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "sapa_sesi" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain http", session)
	}
	// The session lives in Redis for 30 minutes from its last use, and
	// only the hash of its secret is kept there.
	keys, err := d.rdb.Keys(context.Background(), d.prefix+"tok:session*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("session keys %v, %v", keys, err)
	}
	ttl := d.rdb.PTTL(context.Background(), keys[0]).Val()
	stored := d.rdb.Get(context.Background(), keys[0]).Val()
	_, secretPart, _ := strings.Cut(session.Value, ".")
	if ttl < 29*time.Minute || ttl > 30*time.Minute || strings.Contains(stored, secretPart) {
		t.Errorf("session in Redis: ttl %v (want 30 minutes), holds the secret: %v", ttl, strings.Contains(stored, secretPart))
	}

	// Behind a trusted TLS proxy (here: this host) the cookie is Secure;
	// the same header from anyone else changes nothing.
	for _, trust := range []bool{true, false} {
		cfg := d.cfg
		if trust {
			cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		} else {
			cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		}
		base := d.serve(cfg)
		bb := d.browser()
		bb.base = base
		bb.post("/masuk", url.Values{"siapa": {"petugas_kesos"}})
		code := d.notes.lastCode(t, "9002")
		req, _ := http.NewRequest(http.MethodPost, base+"/masuk/kode", strings.NewReader(url.Values{"kode": {code}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		nr := &http.Client{Jar: bb.c.Jar, CheckRedirect: noRedirect.CheckRedirect}
		resp, err := nr.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == "sapa_sesi" && c.Secure != trust {
				t.Errorf("trust proxy %v: Secure %v", trust, c.Secure)
			}
		}
	}

	// The same sessions, served from a staff.yaml where the kasi is no
	// longer active: out at once.
	cfg := d.cfg
	cfg.Staff = staffOf(false)
	other := d.browser()
	other.base = d.serve(cfg)
	other.c.Jar.SetCookies(mustURL(t, other.base), []*http.Cookie{{Name: "sapa_sesi", Value: session.Value}})
	if _, body := other.get("/antrian"); !strings.Contains(body, `action="/masuk"`) {
		t.Error("an inactive officer's session still opens the queue")
	}
	if _, body := b.get("/antrian"); !strings.Contains(body, `action="/masuk"`) {
		t.Error("the inactive officer's session was not ended for good")
	}

	// Logging out ends the session.
	b5 := d.browser()
	d.login(b5, "petugas_kesos", "9002")
	b5.post("/keluar", nil)
	if _, body := b5.get("/antrian"); !strings.Contains(body, `action="/masuk"`) {
		t.Error("the queue opens after logging out")
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Every page forbids framing and inline script and is not stored; a
// forged cross-site POST changes nothing; a case another unit's officer
// may not see is the same 404 as one that does not exist, and so is its
// file; citizen text is escaped.
func TestSecurity(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	photo := savePhoto(t, d.media)
	evil := `<script>alert("x")</script>Siti`
	ticket := d.file("1001", evil, "", photo)
	secret := d.file("1002", "Rahasia", services.ConfidentialSecret)
	kasi, umum := d.browser(), d.browser()
	d.login(kasi, "kasi_kesos", "9001")
	d.login(umum, "petugas_umum", "9003")

	for _, path := range []string{"/", "/antrian", "/kasus/" + ticket, "/masuk"} {
		resp, err := kasi.c.Get(d.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: Cache-Control %q, X-Frame-Options %q", path, h.Get("Cache-Control"), h.Get("X-Frame-Options"))
		}
		if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).Match(body) || bytes.Contains(body, []byte(" on")) && regexp.MustCompile(` on[a-z]+=`).Match(body) {
			t.Errorf("%s: inline script or handler in the page", path)
		}
		if strings.Contains(string(body), evil) {
			t.Errorf("%s: the citizen's name is not escaped", path)
		}
	}
	if _, body := kasi.get("/antrian"); !strings.Contains(body, "&lt;script&gt;") {
		t.Error("the escaped name is not in the queue")
	}

	// Forged: a form on another site posts to the console.
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "http://jahat.example"}} {
		status, _, _ := kasi.post("/kasus/"+ticket, url.Values{"aksi": {"ambil"}}, h...)
		if status != http.StatusForbidden {
			t.Errorf("cross-site POST with %s: %d, want 403", h[0], status)
		}
	}
	if c, _, err := d.store.CaseByTicket(context.Background(), ticket); err != nil || c.Assignee != "" {
		t.Errorf("a forged POST changed the case: assignee %q, %v", c.Assignee, err)
	}

	// The same 404 for a case one may not see, one that does not exist, a
	// file of either, and a file the case does not hold.
	statusA, bodyA := umum.get("/kasus/" + ticket)
	statusB, bodyB := umum.get("/kasus/LKS-991231-9999")
	statusC, bodyC := umum.get("/kasus/" + ticket + "/berkas/" + photo.SHA256)
	statusD, bodyD := kasi.get("/kasus/" + ticket + "/berkas/" + strings.Repeat("0", 64))
	statusE, _ := kasi.get("/kasus/" + secret)
	if statusA != 404 || statusB != 404 || statusC != 404 || bodyA != bodyB || bodyA != bodyC {
		t.Errorf("not the same 404: %d, %d, %d", statusA, statusB, statusC)
	}
	if _, body := kasi.get("/kasus/" + secret); !strings.Contains(body, `href="https://www.openstreetmap.org/?mlat=-7.3612&amp;mlon=109.9231#map=17/-7.3612/109.9231"`) {
		t.Error("the shared location has no link to the map")
	}
	if _, missing := kasi.get("/kasus/LKS-991231-9999"); statusD != 404 || bodyD != missing || statusE != 200 {
		t.Errorf("kasi: a file the case lacks %d (want 404, the page of a missing case), the unit's rahasia case %d (want 200)", statusD, statusE)
	}
	if statusX, _, _ := umum.post("/kasus/"+ticket, url.Values{"aksi": {"ambil"}}); statusX != 404 {
		t.Errorf("acting on a case one may not see: %d, want 404", statusX)
	}

	// The file itself: to the unit, of its type, never cached, on record.
	resp, err := kasi.c.Get(d.url + "/kasus/" + ticket + "/berkas/" + photo.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("Cache-Control") != "no-store" || int64(len(data)) != photo.Size {
		t.Errorf("file: %d %q %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), len(data))
	}
	reads, err := d.store.Reads(context.Background(), ticket)
	if err != nil || len(reads) == 0 || reads[len(reads)-1].Purpose != "berkas "+photo.SHA256 {
		t.Errorf("the file's read is not on record: %+v, %v", reads, err)
	}
}

// savePhoto stores a small real JPEG.
func savePhoto(t *testing.T, m *mediastore.Store) services.StoredFile {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	f, err := m.Save(context.Background(), services.FilePhoto, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// An officer works a case from the console: takes it, asks the citizen,
// reveals the NIK with a reason, finishes it; the citizen hears of each
// step, the history and the read record keep it.
func TestWorkACase(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ticket := d.file("1001", "Siti Aminah", "")
	b := d.browser()
	d.login(b, "petugas_kesos", "9002")
	page := "/kasus/" + ticket
	_, body := b.get(page)
	if !strings.Contains(body, "3307**********01") || strings.Contains(body, "3307051708900001") {
		t.Fatal("the case page does not mask the NIK")
	}
	if _, where, _ := b.post(page, url.Values{"aksi": {"ambil"}}); !strings.Contains(where, "hasil=assigned") {
		t.Errorf("take: at %s", where)
	}
	_, where, _ := b.post(page, url.Values{"aksi": {"tanya"}, "catatan": {"Mohon kirim foto KK"}})
	if !strings.Contains(where, "hasil=told") {
		t.Errorf("ask: at %s", where)
	}
	if got := d.notes.to("1001"); len(got) != 1 || !strings.Contains(got[0], "Mohon kirim foto KK") {
		t.Errorf("the citizen got %q", got)
	}
	// The question waits for its answer, as from the chat.
	if _, err := d.engine.Handle(context.Background(), conversation.Inbound{
		Chat: conversation.ChatKey{Channel: "telegram", ChatID: "1001"}, SenderID: "1001", MessageID: "a1",
		Kind: conversation.KindText, Text: "Foto KK saya kirim besok pagi",
	}); err != nil {
		t.Fatal(err)
	}
	if _, body := b.get(page); !strings.Contains(body, "Foto KK saya kirim besok pagi") {
		t.Error("the citizen's answer is not on the case page")
	}
	if _, where, _ := b.post(page+"/tampilkan", url.Values{"alasan": {""}}); !strings.Contains(where, "galat=reason") {
		t.Errorf("reveal without a reason: at %s", where)
	}
	status, _, body := b.post(page+"/tampilkan", url.Values{"alasan": {"mengetik SKTM"}})
	if status != 200 || !strings.Contains(body, "3307051708900001") {
		t.Errorf("reveal: %d, NIK shown: %v", status, strings.Contains(body, "3307051708900001"))
	}
	reads, err := d.store.Reads(context.Background(), ticket)
	found := false
	for _, r := range reads {
		found = found || (r.Officer == "petugas_kesos" && r.Purpose == "mengetik SKTM")
	}
	if err != nil || !found {
		t.Errorf("the reveal is not on record: %+v, %v", reads, err)
	}
	if _, where, _ := b.post(page, url.Values{"aksi": {"selesai"}}); !strings.Contains(where, "galat=") {
		t.Errorf("finish without a note, from verifikasi: at %s", where)
	}
	for _, step := range []url.Values{{"aksi": {"proses"}}, {"aksi": {"selesai"}, "catatan": {"Ambil di loket 2"}}} {
		if _, where, _ := b.post(page, step); !strings.Contains(where, "hasil=told") {
			t.Errorf("%s: at %s", step.Get("aksi"), where)
		}
	}
	got := d.notes.to("1001")
	if last := got[len(got)-1]; !strings.Contains(last, "Ambil di loket 2") || !strings.Contains(last, "survei") {
		t.Errorf("the citizen's last message %q: want the note and the survey invitation", last)
	}

	// The page was shown a dozen times in this session, itself and
	// after each action: one open on record, beside the reveal. Another
	// session of the same officer, and the page's fragment there, is one
	// more.
	opens := func() int {
		t.Helper()
		reads, err := d.store.Reads(context.Background(), ticket)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range reads {
			if r.Officer == "petugas_kesos" && r.Purpose == "" {
				n++
			}
		}
		return n
	}
	if n := opens(); n != 1 {
		t.Errorf("%d opens on record in one session, want 1", n)
	}
	other := d.browser()
	d.login(other, "petugas_kesos", "9002")
	for range 2 {
		if status, _ := other.get(page); status != 200 {
			t.Fatalf("the case page in another session: %d", status)
		}
	}
	if n := opens(); n != 2 {
		t.Errorf("%d opens on record after a second session, want 2", n)
	}
}

// An officer's browser sending forms faster than a person clicks is
// refused for the rest of the minute, and nothing it sent is done.
func TestFormsPerMinute(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ticket := d.file("1001", "Siti Aminah", "")
	b := d.browser()
	d.login(b, "petugas_kesos", "9002")
	page := "/kasus/" + ticket
	for i := range 30 {
		if status, where, _ := b.post(page, url.Values{"aksi": {"tidak_ada"}}); status != 200 || !strings.Contains(where, "galat=action") {
			t.Fatalf("form %d: %d at %s", i+1, status, where)
		}
	}
	status, _, body := b.post(page, url.Values{"aksi": {"catat"}, "catatan": {"satu lagi"}})
	if status != http.StatusTooManyRequests || !strings.Contains(body, "Terlalu banyak formulir") {
		t.Errorf("form 31: %d, want 429 and why", status)
	}
	if _, events, err := d.store.CaseByTicket(context.Background(), ticket); err != nil || len(events) != 1 {
		t.Errorf("the refused note was kept: %d events, %v", len(events), err)
	}
	// Reading goes on.
	if status, _ := b.get(page); status != 200 {
		t.Errorf("the case page after the refusal: %d", status)
	}
}

// The event stream tells an officer of changes to cases they may see, and
// of no other.
func TestEventsFollowTheRule(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	b := d.browser()
	d.login(b, "petugas_umum", "9003")
	req, _ := http.NewRequest(http.MethodGet, d.url+"/peristiwa", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := b.c.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream type %q", resp.Header.Get("Content-Type"))
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the stream ended before %q", want)
				}
				if strings.Contains(l, "LKS-") && !strings.Contains(l, want) {
					t.Fatalf("heard %q before %q", l, want)
				}
				if strings.Contains(l, want) {
					return
				}
			case <-deadline:
				t.Fatalf("%q not heard", want)
			}
		}
	}
	waitFor(": open")
	kesos := d.file("1001", "Siti", "") // not petugas_umum's unit
	umum := d.fileUmum("1002")
	waitFor("data: " + umum)
	_ = kesos
}

// fileUmum submits a domisili case, of the pelayanan_umum unit.
func (d *desk) fileUmum(chat string) string {
	d.t.Helper()
	d.seq++
	at := time.Now()
	r, err := d.store.SubmitCase(context.Background(), services.NewCase{
		Kind: services.KindRequest, ServiceCode: "domisili", Unit: "pelayanan_umum", Channel: "telegram", ChatID: chat,
		CitizenName: "Budi", VillageCode: "33.07.05.2002", Form: map[string]string{"nama": "Budi"},
		SourceMessage: fmt.Sprintf("telegram:%s:%d", chat, d.seq), SubmittedAt: at, DueAt: at.Add(8 * time.Hour),
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return r.Ticket
}

// A console-link link asks before it logs in, logs in once, and a link
// tampered with or expired does not.
func TestOneTimeLink(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	token := console.NewLink(d.secret, "kasi_kesos", time.Now())
	b := d.browser()
	status, body := b.get(console.LinkPath(token))
	if status != 200 || !strings.Contains(body, "Pak Kasi Kesos") {
		t.Fatalf("link page: %d", status)
	}
	if _, body := b.get("/antrian"); !strings.Contains(body, `action="/masuk"`) {
		t.Fatal("opening the link (a previewer) logged in")
	}
	if _, where, _ := b.post(console.LinkPath(token), nil); where != "/" {
		t.Fatalf("following the link: at %s", where)
	}
	again := d.browser()
	if _, where, _ := again.post(console.LinkPath(token), nil); where == "/" {
		t.Error("a link logged in twice")
	}
	tampered := console.NewLink(d.secret, "petugas_kesos", time.Now())
	tampered = strings.Replace(tampered, ".", ".A", 1)
	if _, where, _ := d.browser().post(console.LinkPath(tampered), nil); where == "/" {
		t.Error("a tampered link logged in")
	}
	old := console.NewLink(d.secret, "petugas_kesos", time.Now().Add(-time.Hour))
	if _, where, _ := d.browser().post(console.LinkPath(old), nil); where == "/" {
		t.Error("an expired link logged in")
	}
	forged := console.NewLink([]byte(strings.Repeat("x", 32)), "camat", time.Now())
	if _, where, _ := d.browser().post(console.LinkPath(forged), nil); where == "/" {
		t.Error("a link signed with another secret logged in")
	}
}

// A letter is printed from the case page once the file is verified: the
// PDF holds the name, the full NIK and the register's number; printing is
// in the history and on record. The register lists it for the unit; the
// kasi revokes it, and the public verification page, which needs no login,
// then says so.
func TestLetters(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ticket := d.file("1001", "Siti Aminah", "")
	petugas, kasi, umum, camat := d.browser(), d.browser(), d.browser(), d.browser()
	d.login(petugas, "petugas_kesos", "9002")
	d.login(kasi, "kasi_kesos", "9001")
	d.login(umum, "petugas_umum", "9003")
	d.login(camat, "camat", "9000")
	page := "/kasus/" + ticket
	if _, body := petugas.get(page); strings.Contains(body, "/cetak") {
		t.Error("a letter is offered before the file was verified")
	}
	if _, where, _ := petugas.post(page+"/cetak", nil); !strings.Contains(where, "galat=not_printable") {
		t.Errorf("printing an unverified case: at %s", where)
	}
	petugas.post(page, url.Values{"aksi": {"verifikasi"}})
	if _, body := petugas.get(page); !strings.Contains(body, page+"/cetak") {
		t.Fatal("no print button on a verified case")
	}
	if status, _, _ := umum.post(page+"/cetak", nil); status != http.StatusNotFound {
		t.Errorf("another unit's officer prints: %d, want 404", status)
	}
	resp, err := petugas.c.Post(d.url+page+"/cetak", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("print: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	text, err := letterstest.Text(pdf)
	if err != nil {
		t.Fatal(err)
	}
	_, register := petugas.get("/agenda")
	m := regexp.MustCompile(`<tr class="letter" data-code="([^"]+)">\s*<td[^>]*>([^<]+)</td>`).FindStringSubmatch(register)
	if m == nil {
		t.Fatalf("the register lists no letter:\n%s", register)
	}
	code, number := m[1], m[2]
	for _, want := range []string{"Siti Aminah", "3307051708900001", number} {
		if !strings.Contains(text, want) {
			t.Errorf("the letter's text lacks %q:\n%s", want, text)
		}
	}
	if _, body := petugas.get(page); !strings.Contains(body, "mencetak surat nomor "+number) {
		t.Error("the printing is not in the case's history")
	}
	reads, err := d.store.Reads(context.Background(), ticket)
	printed := false
	for _, r := range reads {
		printed = printed || (r.Officer == "petugas_kesos" && r.Purpose == "cetak surat")
	}
	if err != nil || !printed {
		t.Errorf("the printing is not on record: %+v, %v", reads, err)
	}

	if _, body := umum.get("/agenda"); strings.Contains(body, code) {
		t.Error("another unit's officer sees the letter in the register")
	}
	if status, _ := petugas.get("/agenda.xlsx"); status != http.StatusNotFound {
		t.Errorf("a petugas downloads the whole register: %d", status)
	}
	resp, err = camat.c.Get(d.url + "/agenda.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	xlsx, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(xlsx, []byte("PK")) {
		t.Errorf("the camat's XLSX: %d, %d bytes", resp.StatusCode, len(xlsx))
	}

	if _, where, _ := petugas.post("/agenda/cabut", url.Values{"kode": {code}, "alasan": {"salah ketik"}}); !strings.Contains(where, "galat=revoke_forbidden") {
		t.Errorf("a petugas revokes: at %s", where)
	}
	if _, where, _ := kasi.post("/agenda/cabut", url.Values{"kode": {code}, "alasan": {"salah ketik nama"}}); !strings.Contains(where, "hasil=revoked") {
		t.Errorf("the kasi revokes: at %s", where)
	}
	public := d.browser()
	status, body := public.get("/verifikasi/" + code)
	if status != 200 || !strings.Contains(strings.ToLower(body), "dicabut") || !strings.Contains(body, number) {
		t.Errorf("the public verification page after the revocation: %d\n%s", status, body)
	}
}

// The report page is `bot report` in the console: the regulation's IKM
// tables of a period (by default this year), or the service report, and
// its files to download.
func TestReportPage(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ctx := context.Background()
	ticket := d.file("1001", "Siti Aminah", "")
	now := time.Now()
	for _, st := range []services.Status{services.StatusVerifying, services.StatusProcessing, services.StatusDone} {
		if _, _, err := d.store.ChangeStatus(ctx, pgstore.StatusChange{Ticket: ticket, To: st, Actor: "kasi_kesos", At: now}); err != nil {
			t.Fatal(err)
		}
	}
	// One respondent: the scores sum to 32. Weight 0.11: 32 x 0.11 x 25 =
	// 88.00, B; weight 1/9: 32 / 9 x 25 = 88.89, A.
	if _, err := d.store.StartSurvey(ctx, ticket, now); err != nil {
		t.Fatal(err)
	}
	for i, score := range []int{4, 3, 3, 4, 4, 3, 4, 3, 4} {
		if err := d.store.AnswerSurvey(ctx, ticket, services.SurveyElements[i], score, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.store.CompleteSurvey(ctx, ticket, "", now); err != nil {
		t.Fatal(err)
	}
	b := d.browser()
	d.login(b, "petugas_kesos", "9002")

	status, body := b.get("/laporan")
	for _, want := range []string{"Laporan Survei Kepuasan Masyarakat Kecamatan Leksono", "88,00", "B (baik)", "88,89", "A (sangat baik)",
		`id="tabel-ikm_elements"`, `href="/laporan/unduh/kartu?`} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("the IKM report page (%d) lacks %q", status, want)
		}
	}
	// The home page's tile: the month's published index (0.11), written
	// the Indonesian way.
	if _, body := b.get("/"); !strings.Contains(body, `<span class="n">88,00</span>`) {
		t.Error("the home page does not show the month's IKM as 88,00")
	}
	if status, body := b.get("/laporan?jenis=layanan"); status != 200 || !strings.Contains(body, "Surat Keterangan Tidak Mampu (SKTM)") || strings.Contains(body, `id="tabel-ikm_elements"`) {
		t.Errorf("the service report page: %d", status)
	}
	if status, body := b.get("/laporan?dari=2026-06-30&sampai=2026-01-01"); status != http.StatusBadRequest || !strings.Contains(body, "Periode tidak dapat dibaca") {
		t.Errorf("a period ending before it starts: %d", status)
	}

	for format, want := range map[string]struct{ mime, magic, disposition string }{
		"xlsx":   {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK", "attachment"},
		"kartu":  {"application/pdf", "%PDF", "inline"},
		"grafik": {"image/png", "\x89PNG", "inline"},
	} {
		resp, err := b.c.Get(d.url + "/laporan/unduh/" + format)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want.mime || !bytes.HasPrefix(data, []byte(want.magic)) ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), want.disposition) {
			t.Errorf("%s: %d %q %q, starts %q", format, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), data[:min(len(data), 4)])
		}
	}
	if status, _ := b.get("/laporan/unduh/csv"); status != 404 {
		t.Errorf("an unknown format: %d, want 404", status)
	}
	// Logged out: the login page, no figures.
	if _, body := d.browser().get("/laporan"); !strings.Contains(body, `action="/masuk"`) || strings.Contains(body, "88,00") {
		t.Error("the report page opens without a login")
	}
}

// submitAt files a case of the kesejahteraan_sosial unit by name and
// village, submitted at and due at the given times.
func (d *desk) submitAt(service, name, village string, at, due time.Time) string {
	d.t.Helper()
	d.seq++
	chat := fmt.Sprint(3000 + d.seq)
	nc := services.NewCase{
		Kind: services.KindRequest, ServiceCode: service, Unit: "kesejahteraan_sosial", Channel: "telegram", ChatID: chat,
		CitizenName: name, VillageCode: village, Form: map[string]string{"nama": name, "desa": village},
		SourceMessage: fmt.Sprintf("telegram:%s:%d", chat, d.seq), SubmittedAt: at, DueAt: due,
	}
	if service == "pengaduan" {
		nc.Kind, nc.Confidentiality = services.KindComplaint, services.ConfidentialNormal
		nc.Form["kategori"] = "bantuan_sosial"
	}
	r, err := d.store.SubmitCase(context.Background(), nc)
	if err != nil {
		d.t.Fatal(err)
	}
	return r.Ticket
}

var rowTicket = regexp.MustCompile(`<tr class="case[^"]*" data-ticket="(LKS-\d{6}-\d{4})"`)

// rows are the tickets a page lists, in order.
func rows(body string) string {
	var out []string
	for _, m := range rowTicket.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return strings.Join(out, " ")
}

// The queue lists the unit's open cases oldest first, each filter and the
// search narrow it, and the home page puts each case in its place.
func TestQueueFilters(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	now := time.Now()
	siti := d.submitAt("sktm", "Siti Aminah", "33.07.05.2001", now.Add(-3*time.Hour), now.Add(48*time.Hour))
	budi := d.submitAt("sktm", "Budi Santoso", "33.07.05.2002", now.Add(-50*time.Hour), now.Add(-2*time.Hour)) // overdue
	aduan := d.submitAt("pengaduan", "Sri Rahayu", "33.07.05.2001", now.Add(-2*time.Hour), now.Add(72*time.Hour))
	other := d.fileUmum("3999") // another unit's
	b := d.browser()
	d.login(b, "petugas_kesos", "9002")
	if _, where, _ := b.post("/kasus/"+siti, url.Values{"aksi": {"ambil"}}); !strings.Contains(where, "hasil=assigned") {
		t.Fatalf("take: at %s", where)
	}
	if _, where, _ := b.post("/kasus/"+aduan, url.Values{"aksi": {"verifikasi"}}); !strings.Contains(where, "hasil=told") {
		t.Fatalf("verify: at %s", where)
	}

	for query, want := range map[string]string{
		"":                                 budi + " " + siti + " " + aduan, // oldest first, not the other unit's
		"?terlambat=1":                     budi,
		"?saya=1":                          siti,
		"?desa=33.07.05.2002":              budi,
		"?layanan=pengaduan":               aduan,
		"?status=verifikasi":               aduan,
		"?cari=siti":                       siti,
		"?cari=" + strings.ToLower(budi):   budi,
		"?cari=" + siti[4:]:                siti, // a part of a ticket
		"?layanan=sktm&desa=33.07.05.2001": siti,
	} {
		status, body := b.get("/antrian" + query)
		if got := rows(body); status != 200 || got != want {
			t.Errorf("/antrian%s (%d) lists %q, want %q", query, status, got, want)
		}
	}
	_, body := b.get("/antrian?layanan=pengaduan")
	if !strings.Contains(body, "Bantuan sosial") {
		t.Error("the queue does not show the complaint's category")
	}
	if strings.Contains(body, other) {
		t.Error("the queue shows another unit's case")
	}

	// Home: budi, and only he, is overdue.
	_, body = b.get("/")
	overdue := body[strings.Index(body, "<h2>Terlambat</h2>"):strings.Index(body, "<h2>Jatuh tempo hari ini</h2>")]
	if rows(overdue) != budi {
		t.Errorf("the home page's overdue list is %q, want %q", rows(overdue), budi)
	}
}
