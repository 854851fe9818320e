package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/services/imagetest"
	"github.com/leksono/sapa/store/pgstore"
)

// sktmScript is a citizen filing an SKTM request, line by line.
var sktmScript = []string{
	"halo", "2", "sktm", "setuju", "3307051708900001", "Siti Aminah", "17-08-1990", "1",
	"Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "0812 3456 7890", "ya",
}

func runChat(t *testing.T, vars map[string]string, args []string, lines ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{stdin: strings.NewReader(strings.Join(lines, "\n") + "\n"), stdout: &out, stderr: &errOut, getenv: envOf(vars), now: time.Now}
	code := runCommand(append([]string{"chat"}, args...), e)
	return code, out.String(), errOut.String()
}

var ticketLineRe = regexp.MustCompile(`(?m)^Nomor tiket: (LKS-\d{6}-\d{4})$`)

// TestChatSKTMOnEmbeddedStorage files an SKTM request through the terminal
// on the default storage (SQLite in DATA_DIR, in-process store), then an
// officer sees it in a second run, and the case is read back from the file.
func TestChatSKTMOnEmbeddedStorage(t *testing.T) {
	dataDir := t.TempDir()
	env := map[string]string{"DATA_DIR": dataDir}

	code, out, logs := runChat(t, env, nil, sktmScript...)
	if code != 0 {
		t.Fatalf("chat exit %d; stderr:\n%s", code, logs)
	}
	m := ticketLineRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no ticket line in the chat:\n%s", out)
	}
	ticket := m[1]
	for _, want := range []string{"  2. Ajukan surat\n", "  1. Sawangan\n", "3307**********01", "  1. Ya, kirim\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q", want)
		}
	}
	// The log goes to a file the chat names, never into the conversation.
	logPath := filepath.Join(dataDir, chatLogFile)
	if logs != "" || strings.Contains(out, "level=") || !strings.Contains(out, "the log goes to "+logPath+".\n") {
		t.Errorf("log lines in the chat, or the log file not named; stderr:\n%s\nstdout:\n%s", logs, out)
	}
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	logs = string(raw)
	dbPath := filepath.Join(dataDir, "sapa.db")
	if !strings.Contains(logs, `msg="storage ready" cases="sqlite `+dbPath+`" state="in-process miniredis 127.0.0.1:`) {
		t.Errorf("no storage log line naming the SQLite file and miniredis in %s:\n%s", logPath, logs)
	}
	for _, secret := range []string{"3307051708900001", "Siti Aminah", "081234567890"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs hold personal data %q", secret)
		}
	}

	// A second run, as the officer of the unit, on the same files.
	code, out, logs = runChat(t, env, []string{"--as", "staff:kasi_kesos"}, "kasus")
	if code != 0 {
		t.Fatalf("staff chat exit %d; stderr:\n%s", code, logs)
	}
	if !strings.Contains(out, ticket) || !strings.Contains(out, "terminal:staff:kasi_kesos") {
		t.Errorf("the officer's case list lacks %s:\n%s", ticket, out)
	}

	// The case is in the SQLite file.
	ctx := context.Background()
	// The chat generated the data keys beside the database; the NIK reads
	// back only through them.
	dk, err := loadDataKeys(office.Settings{DataDir: filepath.Dir(dbPath)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	store, err := pgstore.OpenSQLite(ctx, dbPath, pgstore.Options{TicketPrefix: "LKS", Location: time.UTC, Keys: dk.Keys})
	if err != nil {
		t.Fatalf("open %s: %v", dbPath, err)
	}
	defer store.Close()
	c, _, err := store.CaseByTicket(ctx, ticket)
	if err != nil {
		t.Fatalf("case %s: %v", ticket, err)
	}
	if c.ServiceCode != "sktm" || c.Channel != "terminal" || c.FormData["nik"] != "3307051708900001" || c.FormData["telepon"] != "6281234567890" {
		t.Errorf("case = service %q channel %q form %v", c.ServiceCode, c.Channel, c.FormData)
	}
}

// TestChatSwitchesIdentity plays citizen and officer in one session, typed
// line by line through a pipe: the officer's question to the citizen is
// printed for the citizen's chat.
func TestChatSwitchesIdentity(t *testing.T) {
	pr, pw := io.Pipe()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	e := env{stdin: pr, stdout: out, stderr: errOut, getenv: envOf(map[string]string{"DATA_DIR": t.TempDir()}), now: time.Now}
	go func() { done <- runCommand([]string{"chat"}, e) }()
	say := func(lines ...string) {
		t.Helper()
		for _, l := range lines {
			if _, err := io.WriteString(pw, l+"\n"); err != nil {
				t.Fatalf("type %q: %v", l, err)
			}
		}
	}
	waitFor := func(re *regexp.Regexp) []string {
		t.Helper()
		var m []string
		if !wait.Within(15*time.Second, func() bool { m = re.FindStringSubmatch(out.String()); return m != nil }) {
			t.Fatalf("no %v in the chat after 15s:\n%s\n%s", re, out, errOut)
		}
		return m
	}

	// The documents as files on disk, typed as paths: a complete file, so
	// the officer's question below moves the case to perlu perbaikan.
	var docs []string
	for i, name := range []string{"pengantar", "ktp", "kk"} {
		path := filepath.Join(t.TempDir(), name+".jpg")
		if err := os.WriteFile(path, imagetest.JPEG(40, 30, uint8(60*i+20), imagetest.EXIF{}), 0o600); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, path)
	}
	// The documents are sent at the summary, before "ya".
	confirm := slices.Index(sktmScript, "ya")
	say(slices.Concat(sktmScript[:confirm], docs, sktmScript[confirm:])...)
	ticket := waitFor(ticketLineRe)[1]
	say("/as staff:kasi_kesos", "tanya "+ticket+" mohon kirim foto KK", "/as citizen")
	waitFor(regexp.MustCompile(`\(/as citizen: chat terminal:local\)`))
	say("/quit")
	if code := <-done; code != 0 {
		t.Fatalf("chat exit %d; stderr:\n%s", code, errOut)
	}
	pw.Close()

	text := out.String()
	// The officers of the unit were sent the new case in their terminal
	// chats, though staff.yaml gives them no Telegram or WhatsApp yet.
	for _, officer := range []string{"kasi_kesos", "petugas_kesos"} {
		notice := regexp.MustCompile(`\[-> terminal:staff:` + officer + `\]\nKasus baru ` + ticket + `\n`)
		if !notice.MatchString(text) {
			t.Errorf("no new-case notice for %s:\n%s", officer, text)
		}
	}
	if strings.Contains(text, "[-> terminal:staff:kasi_pelayanan]") {
		t.Errorf("an officer of another unit was notified:\n%s", text)
	}
	if !strings.Contains(text, "(/as staff:kasi_kesos: chat terminal:staff:kasi_kesos)") {
		t.Errorf("switch to the officer not shown:\n%s", text)
	}
	note := regexp.MustCompile(`\[-> terminal:local\]\n[^\n]*` + ticket + `[^\n]*\nmohon kirim foto KK\n`)
	if !note.MatchString(text) {
		t.Errorf("the citizen's notification is not shown:\n%s", text)
	}
}

func TestChatRefusesBadIdentity(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--as", "staff:joko"}, `no officer "joko" in staff.yaml; known officers: admin, camat, kasi_kesos`},
		{[]string{"--as", "bupati"}, `--as "bupati": use citizen or staff:<id>`},
		{[]string{"--as", "staff:camat", "--chat", "x"}, "--chat is for citizens"},
		{[]string{"--chat", "staff:camat"}, "--chat is for citizens"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		code, _, errOut := runChat(t, map[string]string{"DATA_DIR": t.TempDir()}, tc.args)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("chat %q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestChatOtherCitizen(t *testing.T) {
	code, out, logs := runChat(t, map[string]string{"DATA_DIR": t.TempDir()}, []string{"--chat", "warung"}, "halo")
	if code != 0 || !strings.Contains(out, "chat terminal:warung") || !strings.Contains(out, "  1. Informasi layanan") {
		t.Errorf("chat --chat warung: exit %d\n%s\n%s", code, out, logs)
	}
}

// TestChatEraseMyDataIsConfirmed (#18 bug 2): "hapus data saya" after a
// first message was answered with the welcome menu, as if the chat were
// new (the state was deleted under the turn, whose commit then conflicted
// and was taken again as a first message). It is answered with the
// request's number and deadline.
func TestChatEraseMyDataIsConfirmed(t *testing.T) {
	code, out, logs := runChat(t, map[string]string{"DATA_DIR": t.TempDir()}, nil, "halo", "hapus data saya", "data saya")
	if code != 0 {
		t.Fatalf("chat: exit %d\n%s", code, logs)
	}
	_, after, _ := strings.Cut(out, "> Selamat datang")
	if strings.Contains(after, "Selamat datang") {
		t.Errorf("the erasure request was greeted as a new chat:\n%s", out)
	}
	for _, want := range []string{"Permintaan hapus data Anda sudah kami catat dengan nomor #1", "Permintaan hapus data #1: sedang diproses"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestTwoProcessesOnOneDataDirGiveDistinctTickets is issue #18's bug 4:
// `bot chat` beside another `bot chat` (or beside the running bot) on one
// DATA_DIR each numbered tickets from an in-process counter of its own, so
// the second filing of LKS-...-0002 failed with "UNIQUE constraint failed:
// cases.ticket" and the citizen's request was lost. On embedded storage
// the database numbers the cases.
func TestTwoProcessesOnOneDataDirGiveDistinctTickets(t *testing.T) {
	cfg, o := shipped(t, map[string]string{"DATA_DIR": t.TempDir(), "WHATSAPP": "off"})
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	var procs []*app
	for range 2 {
		a, err := buildCore(ctx, cfg, o, nil, log)
		if err != nil {
			t.Fatal(err)
		}
		defer a.close(log)
		procs = append(procs, a)
	}
	seen := map[string]bool{}
	for i, a := range []*app{procs[0], procs[1], procs[0], procs[1]} {
		at := time.Now()
		r, err := a.delivery.Cases().SubmitCase(ctx, services.NewCase{
			Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesos", Channel: "terminal", ChatID: "local",
			Form: map[string]string{"nik": "3307051708900001"}, SourceMessage: fmt.Sprintf("terminal:local:%d", i),
			SubmittedAt: at, DueAt: at.Add(24 * time.Hour),
		})
		if err != nil {
			t.Fatalf("submission %d: %v", i, err)
		}
		if seen[r.Ticket] {
			t.Fatalf("submission %d got %s, given already", i, r.Ticket)
		}
		seen[r.Ticket] = true
	}
}
