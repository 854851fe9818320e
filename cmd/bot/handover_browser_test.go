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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/services/imagetest"
)

// TestHandoverInTheConsole (issue #22): the console's inbox in a real
// browser against the wired bot (fake Bot API, real Redis and PostgreSQL).
// A citizen asks for a person in the middle of an SKTM; the kasi logs in,
// finds the conversation in the inbox, answers with a canned answer and a
// line of his own (the citizen's chat gets both), sees the citizen's answer
// in the thread, while a second officer who answers in the chat is told
// the kasi holds it; the kasi then turns the conversation into a case: the
// citizen is asked to file the SKTM and to rate the conversation.
func TestHandoverInTheConsole(t *testing.T) {
	srv := telegramtest.NewServer(t, testToken)
	cfg := serverSettings(t, srv, map[string]string{"CONFIG_DIR": officeWithStaff(t), "CONSOLE_ADDR": "127.0.0.1:0"})
	a := startBot(t, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	base := "http://" + a.console.Addr()
	c := &chats{t: t, srv: srv, seen: map[int64]int{}}
	const citizen, kasi, petugas = int64(5570001), int64(7002), int64(7001)

	for _, line := range []string{"2", "sktm", "setuju"} {
		srv.PushText(citizen, citizen, line)
		c.next(citizen, "")
	}
	srv.PushText(citizen, citizen, "mau tanya langsung")
	number := regexp.MustCompile(`#(\d+)`).FindStringSubmatch(c.next(citizen, "percakapan #"))[1]
	c.find(kasi, "Percakapan baru #"+number)

	tb := newTab(t, base, 1366, 768)
	tb.login(c, "kasi_kesos", kasi)
	tb.open("/percakapan")
	row := fmt.Sprintf("tr[data-talk=%q]", number)
	tb.waitFor(row)
	if got := tb.text(row); !strings.Contains(got, "menunggu petugas") {
		t.Fatalf("the inbox shows the conversation as %q", got)
	}
	// The inbox follows: a second citizen's conversation appears unasked.
	tb.waitFor("html[data-live-ready]")
	const second = int64(5570002)
	for _, line := range []string{"2", "sktm", "setuju"} {
		srv.PushText(second, second, line)
		c.next(second, "")
	}
	srv.PushText(second, second, "petugas")
	other := regexp.MustCompile(`#(\d+)`).FindStringSubmatch(c.next(second, "percakapan #"))[1]
	tb.waitFor(fmt.Sprintf("tr[data-talk=%q]", other))
	tb.shot("inbox")
	tb.do(chromedp.Click(chromedp.CSS(row + " a")))
	tb.waitFor("#pesan")
	if got := tb.text(".thread"); !strings.Contains(got, "mau tanya langsung") {
		t.Fatalf("the thread lacks the citizen's words:\n%s", got)
	}
	tb.do(chromedp.SetValue(chromedp.CSS("#templat"), "1"))
	tb.submit("button[value=balas]", "#pesan", "Silakan tulis pertanyaannya.")
	tb.waitFor("p.notice[role=status]")
	if got := tb.text("p.notice[role=status]"); !strings.Contains(got, "Pesan terkirim") {
		t.Fatalf("after the reply: %q", got)
	}
	got := c.next(citizen, "Petugas Seksi Kesejahteraan Sosial")
	if !strings.Contains(got, "Selamat pagi, saya petugas Kecamatan Leksono") || !strings.Contains(got, "Silakan tulis pertanyaannya.") {
		t.Fatalf("the citizen got:\n%s", got)
	}

	// The thread follows: the citizen's answer and photo appear unasked.
	tb.waitFor("html[data-live-ready]")
	srv.PushText(citizen, citizen, "KK saya hilang waktu banjir")
	tb.waitText("KK saya hilang waktu banjir")
	srv.PutFile("surat-kehilangan", imagetest.JPEG(64, 48, 120, imagetest.EXIF{}))
	srv.PushPhoto(citizen, citizen, "surat-kehilangan", "ini surat kehilangannya")
	tb.waitText("ini surat kehilangannya")
	// The citizen's photo shows in the thread, served to this officer only.
	width, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`new Promise(done => {
		const img = document.querySelector('.thread img.thumb');
		if (!img) { done(-1); return; }
		if (img.complete) { done(img.naturalWidth); return; }
		img.addEventListener('load', () => done(img.naturalWidth));
		img.addEventListener('error', () => done(0));
	})`, chromedp.EvalAwaitPromise))
	if err != nil || width != 64 {
		t.Fatalf("the citizen's photo in the thread: width %d, %v", width, err)
	}
	// Who read the conversation and looked at its photo is on record.
	n, _ := strconv.ParseInt(number, 10, 64)
	reads, err := a.cases.HandoverReads(context.Background(), n)
	var purposes []string
	for _, r := range reads {
		purposes = append(purposes, r.Officer+":"+r.Purpose)
	}
	if err != nil || len(reads) < 2 || !strings.HasPrefix(purposes[len(purposes)-1], "kasi_kesos:berkas ") {
		t.Errorf("reads of the conversation: %v, %v", purposes, err)
	}
	tb.shot("talk")

	// A PDF sent from the reply box reaches the citizen as a document.
	pdf := filepath.Join(t.TempDir(), "syarat-sktm.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n% syarat SKTM\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.SetUploadFiles(chromedp.CSS("#berkas"), []string{pdf}))
	tb.submit("button[value=balas]", "#pesan", "Ini daftar syaratnya.")
	tb.waitText("Pesan terkirim")
	c.next(citizen, "Ini daftar syaratnya.")
	if files := srv.WaitFiles(t, citizen, 1, 20*time.Second); files[0].Method != "sendDocument" || !bytes.Contains(files[0].Data, []byte("syarat SKTM")) {
		t.Errorf("the officer's PDF reached the citizen as %s of %d bytes", files[0].Method, files[0].Size)
	}

	// The second officer answers in the chat and is told who holds it.
	srv.PushText(petugas, petugas, "balas "+number+" Saya bantu")
	c.find(petugas, "sedang dipegang oleh Pak Hadi")

	tb.do(chromedp.SetValue(chromedp.CSS("#layanan"), "sktm"))
	tb.submit("button[value=jadikan]")
	tb.waitFor("p.notice[role=status]")
	if got := c.next(citizen, "buat sktm"); !strings.Contains(got, "Bagaimana pelayanan petugas") {
		t.Fatalf("the citizen is not asked to rate the conversation:\n%s", got)
	}
	tb.open("/percakapan")
	tb.waitFor(fmt.Sprintf("tr[data-talk=%q]", other))
	gone, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector('tr[data-talk="%s"]') === null`, number)))
	if err != nil || !gone {
		t.Errorf("the closed conversation is still in the inbox (%v)", err)
	}

	// Another unit's officer finds neither the conversation nor its photo.
	pem := newTab(t, base, 1366, 768)
	pem.login(c, "petugas_pem", 7003)
	pem.open("/percakapan/" + number)
	pem.waitText("Halaman atau kasus itu tidak ada.")
}
