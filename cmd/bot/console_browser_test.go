package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/letters/letterstest"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// screenshots rewrites docs/console/*.png from the browser tests:
// go test ./cmd/bot -run TestConsoleInABrowser -screenshots
var screenshots = flag.Bool("screenshots", false, "write the console's screenshots to docs/console/")

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// The one browser of this test binary: started by the first test that
// needs it, shared by every test (each in its own browser context, with its
// own cookies), closed by TestMain.
var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func sharedBrowser(t *testing.T) context.Context {
	t.Helper()
	shared.once.Do(func() {
		if _, err := exec.LookPath(chromiumPath); err != nil {
			shared.err = fmt.Errorf("%s is missing: apt-get install -y chromium (.ci/run does)", chromiumPath)
			return
		}
		dir, err := os.MkdirTemp("", "sapa-chromium-")
		if err != nil {
			shared.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.UserDataDir(dir),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil { // starts the browser
			cancel()
			cancelAlloc()
			shared.err = fmt.Errorf("start chromium: %w", err)
			return
		}
		shared.ctx = ctx
		shared.cancel = func() {
			cancel()
			cancelAlloc()
			os.RemoveAll(dir)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.ctx
}

// closeBrowser ends the shared browser, if a test started it.
func closeBrowser() {
	if shared.cancel != nil {
		shared.cancel()
	}
}

// tab is one browser context (its own cookies, as another person's
// browser) with one tab, of the given window size.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	name string // screenshots' suffix, "" at the office PC's size
}

func newTab(t *testing.T, base string, width, height int64) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// No step may hang the suite: every wait has this deadline.
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	tb := &tab{t: t, ctx: ctx, base: base}
	if width < 600 {
		tb.name = fmt.Sprintf("-%d", width)
	}
	tb.do(chromedp.EmulateViewport(width, height))
	return tb
}

func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v (at %s)", err, tb.location())
	}
}

func (tb *tab) location() string {
	loc, _ := chromedp.Run(tb.ctx, chromedp.Location())
	return loc
}

func (tb *tab) open(path string) { tb.do(chromedp.Navigate(tb.base + path)) }

// waitFor waits until an element matching the CSS selector is visible.
func (tb *tab) waitFor(css string) { tb.do(chromedp.WaitVisible(chromedp.CSS(css))) }

// waitText waits until some element shows text (an XPath search: no
// script runs in the page, whose policy forbids eval).
func (tb *tab) waitText(text string) {
	tb.do(chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//*[contains(text(), %q)]`, text))))
}

func (tb *tab) text(css string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		tb.t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

// submit types into fields (selector, text pairs) and clicks the button.
func (tb *tab) submit(button string, fields ...string) {
	tb.t.Helper()
	var actions []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		actions = append(actions, chromedp.SendKeys(chromedp.CSS(fields[i]), fields[i+1]))
	}
	tb.do(append(actions, chromedp.Click(chromedp.CSS(button)))...)
}

// act opens the case page afresh, takes one of its actions (with a note
// when given) and waits for the page that says what became of it.
func (tb *tab) act(ticket, action, note, result string) {
	tb.t.Helper()
	tb.open("/kasus/" + ticket)
	button := fmt.Sprintf("button[value=%s]", action)
	if note == "" {
		tb.submit(button)
	} else {
		tb.submit(button, fmt.Sprintf("form:has(%s) textarea", button), note)
	}
	tb.waitFor("p.notice[role=status]")
	if got := tb.text("p.notice[role=status]"); !strings.Contains(got, result) {
		tb.t.Fatalf("after %s: %q, want %q", action, got, result)
	}
}

// print submits the case page's print form as the browser would, from the
// page (same origin, its cookies), and returns the PDF it answered.
func (tb *tab) print(ticket string) []byte {
	tb.t.Helper()
	b64, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`(async () => {
		const form = document.querySelector('form[action$="/cetak"]');
		const r = await fetch(form.action, {method: 'POST', credentials: 'same-origin'});
		if (!r.ok || r.headers.get('Content-Type') !== 'application/pdf') { return ''; }
		const bytes = new Uint8Array(await r.arrayBuffer());
		let bin = '';
		for (const b of bytes) { bin += String.fromCharCode(b); }
		return btoa(bin);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || b64 == "" {
		tb.t.Fatalf("print the letter of %s: %v", ticket, err)
	}
	pdf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		tb.t.Fatal(err)
	}
	return pdf
}

// shot saves the page's screenshot as docs/console/<name>.png when the
// screenshots flag is set.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	if !*screenshots {
		return
	}
	raw, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("screenshot: %v", err)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		tb.t.Fatal(err)
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		tb.t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "console", name+tb.name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// chats follows the fake Telegram server's chats: what each has been sent.
type chats struct {
	t    *testing.T
	srv  *telegramtest.Server
	mu   sync.Mutex
	seen map[int64]int
}

// next waits for the next message to chat and checks it holds want.
func (c *chats) next(chat int64, want string) string {
	c.t.Helper()
	c.mu.Lock()
	c.seen[chat]++
	n := c.seen[chat]
	c.mu.Unlock()
	got := c.srv.WaitSent(c.t, chat, n, 20*time.Second)[n-1].Text
	if !strings.Contains(got, want) {
		c.t.Fatalf("message %d to %d: want %q in:\n%s", n, chat, want, got)
	}
	return got
}

// find waits for a message to chat that holds want, passing over the
// others: an officer's chat also gets the unit's news.
func (c *chats) find(chat int64, want string) string {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.mu.Lock()
		c.seen[chat]++
		n := c.seen[chat]
		c.mu.Unlock()
		got := c.srv.WaitSent(c.t, chat, n, time.Until(deadline))[n-1].Text
		if strings.Contains(got, want) {
			return got
		}
	}
}

// loginCode finds the code in a message to an officer: the pacer may have
// joined it to an earlier notice that holds other six-digit numbers (a
// ticket's date), so it is read after its own words.
var loginCode = regexp.MustCompile(`Kode masuk[^:\n]*: (\d{6})`)

func codeIn(message string) string {
	if m := loginCode.FindStringSubmatch(message); m != nil {
		return m[1]
	}
	return ""
}

// login logs officer (their Telegram chat) in with the code the fake Bot
// API received, and returns the code.
func (tb *tab) login(c *chats, officer string, chat int64) string {
	tb.t.Helper()
	tb.open("/masuk")
	tb.waitFor("#siapa")
	tb.shot("login")
	tb.submit("form[action='/masuk'] button", "#siapa", officer)
	tb.waitFor("#kode")
	code := codeIn(c.find(chat, "Kode masuk"))
	tb.submit("form[action='/masuk/kode'] button", "#kode", code)
	tb.waitFor(".tiles")
	return code
}

// fileSKTM is a citizen's SKTM over the fake Telegram, up to the summary;
// "ya" is left to the caller.
func fileSKTM(c *chats, citizen int64, name string) {
	c.t.Helper()
	for _, line := range []string{"halo", "2", "sktm", "setuju", "3307051708900001", name, "17-08-1990",
		"Sawangan", "Dusun Krajan RT 02", "beasiswa sekolah anak", "081234567890"} {
		c.srv.PushText(citizen, citizen, line)
		c.next(citizen, "")
	}
	pushDocuments(c.srv, citizen, "sktm-"+strconv.FormatInt(citizen, 10))
	for range 3 {
		c.next(citizen, "Diterima")
	}
}

// TestConsoleInABrowser is the scenario in a real browser, against
// the wired bot (fake Bot API, real Redis and PostgreSQL), at the office
// PC's size and at a phone's: an officer logs in with the code their chat
// received, finds the citizen's new SKTM in the queue within seconds of
// the "ya", opens it, reveals the NIK (on record), takes it, asks a
// question (the citizen's chat gets it), sees the answer appear with the
// actions it allows (a note being typed kept), prints
// the letter (name, full NIK and number in the PDF's text), and finishes
// the case (the citizen is told and invited to the survey). Then
// what must fail does: another unit's officer, a logged-out browser, a
// forged cross-site POST and a replayed code.
func TestConsoleInABrowser(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": officeWithStaff(t), "CONSOLE_ADDR": "127.0.0.1:0"})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := startBot(t, cfg, log)
	base := "http://" + a.console.Addr()
	c := &chats{t: t, srv: srv, seen: map[int64]int{}}
	const kasi, petugasPem = int64(7002), int64(7003)

	var ticket string
	for i, size := range [][2]int64{{1366, 768}, {360, 740}} {
		citizen := int64(5560001 + i)
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			c.t = t
			tb := newTab(t, base, size[0], size[1])
			tb.login(c, "kasi_kesos", kasi)
			tb.open("/antrian")
			tb.waitFor("html[data-live-ready]")

			fileSKTM(c, citizen, fmt.Sprintf("Siti Aminah %d", i+1))
			c.srv.PushText(citizen, citizen, "ya")
			// The file is complete: the same message offers the time to pick
			// the letter up (a booked visit) instead of the main menu.
			ticket = regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(c.next(citizen, "Pilih waktu datang"))
			c.find(kasi, "Kasus baru "+ticket) // the chat's notice, as before
			// In the queue within seconds, with no reload.
			row := fmt.Sprintf("tr[data-ticket=%q]", ticket)
			tb.waitFor(row)
			tb.shot("queue")

			// The home page counts it among today's, beside the year's
			// chart drawn by the report package.
			tb.open("/")
			tb.waitFor("#today " + row)
			width, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`new Promise(done => {
				const img = document.querySelector('.chart img');
				if (img.complete) { done(img.naturalWidth); return; }
				img.addEventListener('load', () => done(img.naturalWidth));
				img.addEventListener('error', () => done(0));
			})`, chromedp.EvalAwaitPromise))
			if err != nil || width == 0 {
				t.Fatalf("the home page's chart did not load: width %d, %v", width, err)
			}
			tb.shot("home")

			tb.open("/antrian")
			tb.do(chromedp.Click(chromedp.CSS(row + " a")))
			tb.waitFor("#alasan")
			if got := tb.text(".fields"); !strings.Contains(got, "3307**********01") || strings.Contains(got, "3307051708900001") {
				t.Fatalf("the case page shows the NIK unmasked before the reveal:\n%s", got)
			}
			tb.shot("case")
			reads := len(readsOf(t, a, ticket))
			tb.submit("form.reveal button", "#alasan", "mengetik SKTM")
			tb.waitText("NIK dan KK ditampilkan utuh")
			if got := tb.text(".fields"); !strings.Contains(got, "3307051708900001") {
				t.Fatalf("the reveal did not show the NIK:\n%s", got)
			}
			// The page shown again loads the case's document photos too,
			// each a read of its own: the reveal is among the new records.
			after := readsOf(t, a, ticket)
			if len(after) <= reads || !slices.ContainsFunc(after[reads:], func(r pgstore.CaseRead) bool {
				return r.Purpose == "mengetik SKTM" && r.Officer == "kasi_kesos"
			}) {
				t.Fatalf("the read record did not gain the reveal: %+v", after)
			}

			tb.act(ticket, "ambil", "", "Kasus sudah ditugaskan.")
			tb.act(ticket, "tanya", "Mohon kirim nama sekolah anak.", "Warga sudah diberi tahu.")
			c.next(citizen, "Mohon kirim nama sekolah anak.")
			// While the question waits, the officer starts a note on the
			// open page; nothing but verifikasi, tolak and bukan is offered.
			tb.waitFor("html[data-live-ready]")
			noProses, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`document.querySelector('button[value=proses]') === null`))
			if err != nil || !noProses {
				t.Fatalf("proses offered while the case waits for the citizen (%v)", err)
			}
			const typing = "Sudah ditelepon, menunggu"
			tb.do(chromedp.SendKeys(chromedp.CSS("form:has(button[value=catat]) textarea"), typing))
			c.srv.PushText(citizen, citizen, "SD Negeri 1 Sawangan")
			c.next(citizen, "")
			// The answer appears in the open page by itself, and the
			// actions follow the case (verifikasi now: proses and the
			// letter), keeping the note being typed.
			tb.waitText("SD Negeri 1 Sawangan")
			tb.waitFor("button[value=proses]")
			tb.waitFor("button[value=cetak]")
			if got, err := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("form:has(button[value=catat]) textarea"))); err != nil || got != typing {
				t.Errorf("the note being typed is %q after the refresh (%v), want %q", got, err, typing)
			}
			tb.do(chromedp.ScrollIntoView(chromedp.CSS("#case-history")))
			tb.shot("case-answer")

			// The letter, printed through the page's print form (posted
			// from the page, with its cookies): the PDF's text holds the
			// name, the full NIK and the register's number.
			tb.open("/kasus/" + ticket)
			tb.waitFor("button[value=cetak]")
			pdf := tb.print(ticket)
			text, err := letterstest.Text(pdf)
			if err != nil {
				t.Fatal(err)
			}
			letter := a.letters
			entries, err := letter.Register(context.Background(), time.Now().Year())
			if err != nil || len(entries) == 0 {
				t.Fatalf("the register after printing: %v, %v", entries, err)
			}
			number := entries[len(entries)-1].Number
			for _, want := range []string{fmt.Sprintf("Siti Aminah %d", i+1), "3307051708900001", number} {
				if !strings.Contains(text, want) {
					t.Errorf("the printed letter lacks %q:\n%s", want, text)
				}
			}
			tb.open("/kasus/" + ticket)
			tb.waitText("mencetak surat nomor " + number)
			if i == 0 {
				tb.open("/agenda")
				tb.waitText(number)
				tb.shot("register")
				// The report page: the IKM tables of the year so far.
				tb.open("/laporan")
				tb.waitFor("#tabel-ikm_elements")
				tb.shot("report")
			}

			tb.act(ticket, "proses", "", "Warga sudah diberi tahu.")
			c.next(citizen, "sedang diproses")
			tb.act(ticket, "selesai", "Surat bisa diambil di loket 2.", "Warga sudah diberi tahu.")
			done := c.next(citizen, "Surat bisa diambil di loket 2.")
			if !strings.Contains(done, "survei") {
				t.Errorf("the citizen was not invited to the survey:\n%s", done)
			}
			cs, _, err := a.cases.CaseByTicket(context.Background(), ticket)
			if err != nil || cs.Status != services.StatusDone || cs.Assignee != "kasi_kesos" {
				t.Errorf("the case ends %s with %q (%v)", cs.Status, cs.Assignee, err)
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		c.t = t
		citizen := int64(5560009)
		fileSKTM(c, citizen, "Sri Rahayu")
		c.srv.PushText(citizen, citizen, "ya")
		open := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(c.next(citizen, "Nomor tiket"))
		c.find(kasi, "Kasus baru "+open)

		// Another unit's officer: the same page as for a case that does not exist.
		other := newTab(t, base, 1366, 768)
		other.login(c, "petugas_pem", petugasPem)
		other.open("/kasus/" + open)
		notSeen := other.text("main")
		other.open("/kasus/LKS-991231-9999")
		if none := other.text("main"); notSeen != none || !strings.Contains(none, "tidak ada") {
			t.Errorf("another unit's case %q, a missing one %q: want the same not-found page", notSeen, none)
		}

		// A logged-out browser is sent to the login page.
		out := newTab(t, base, 1366, 768)
		out.open("/kasus/" + open)
		out.waitFor("#siapa")

		// A page of another site, open in the kasi's logged-in browser,
		// posts a form to the console: refused, the case unchanged.
		officer := newTab(t, base, 1366, 768)
		code := officer.login(c, "kasi_kesos", kasi)
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/kasus/%s"><input type="hidden" name="aksi" value="tolak">`+
				`<input type="hidden" name="catatan" value="ditolak"><button id="go">Lihat hadiah</button></form>`, base, open)
		}))
		defer evil.Close()
		officer.do(chromedp.Navigate(evil.URL))
		officer.submit("#go")
		officer.waitText("ditolak karena tidak berasal dari meja kerja ini")
		if cs, _, err := a.cases.CaseByTicket(context.Background(), open); err != nil || cs.Status != services.StatusReceived {
			t.Errorf("a forged cross-site POST moved the case to %s (%v)", cs.Status, err)
		}

		// The code the kasi just used, typed again in another browser
		// that asked for a code of its own: refused.
		replay := newTab(t, base, 1366, 768)
		replay.open("/masuk")
		replay.submit("form[action='/masuk'] button", "#siapa", "kasi_kesos")
		replay.waitFor("#kode")
		fresh := codeIn(c.find(kasi, "Kode masuk"))
		if fresh == code {
			t.Skip("the new code happens to equal the old one (one in a million)")
		}
		replay.submit("form[action='/masuk/kode'] button", "#kode", code)
		replay.waitText("Kode salah")
	})
}

// readsOf is the read record of a case.
func readsOf(t *testing.T, a *app, ticket string) []pgstore.CaseRead {
	t.Helper()
	reads, err := a.cases.Reads(context.Background(), ticket)
	if err != nil {
		t.Fatal(err)
	}
	return reads
}
