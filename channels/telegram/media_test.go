package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/conversation"
)

func sampleJPEG(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func samplePNG(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var samplePDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

// lastCall waits for the echo of an unsupported message in chat and returns
// what the handler received for it.
func lastCall(t *testing.T, hs *harness, chatID int64, n int) conversation.Inbound {
	t.Helper()
	hs.srv.WaitSent(t, chatID, n, replyWait)
	hs.h.mu.Lock()
	defer hs.h.mu.Unlock()
	for i := len(hs.h.calls) - 1; i >= 0; i-- {
		if hs.h.calls[i].Chat.ChatID == fmt.Sprint(chatID) {
			return hs.h.calls[i]
		}
	}
	t.Fatalf("no handler call for chat %d", chatID)
	return conversation.Inbound{}
}

func TestPhotosAndDocumentsAreDownloadedAndChecked(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.bot.maxMedia = 4096
	photo, pdf := sampleJPEG(t), samplePDF
	hs.srv.PutFile("ph-1", photo)
	hs.srv.PutFile("doc-pdf", pdf)
	hs.srv.PutFile("doc-fake", []byte("this is text, whatever its name says"))
	hs.srv.PutFile("doc-big", append(append([]byte(nil), pdf...), make([]byte, 5000)...))
	hs.srv.PutFile("doc-docx", []byte("PK\x03\x04 a word file"))
	hs.srv.PutFile("doc-png-octet", samplePNG(t))
	hs.start(t)

	tests := []struct {
		name  string
		push  func(chat int64) int
		media string
		text  string
		want  *conversation.Attachment
		file  string // file id whose downloads are counted
		loads int
	}{
		{"photo, largest size", func(c int64) int { return hs.srv.PushPhoto(c, c, "ph-1", "Jalan rusak") },
			"photo", "Jalan rusak", &conversation.Attachment{Kind: "photo", MIME: "image/jpeg", Data: photo}, "ph-1", 1},
		{"pdf document", func(c int64) int {
			return hs.srv.PushDocument(c, c, "doc-pdf", "pengantar.pdf", "application/pdf", "")
		}, "document", "", &conversation.Attachment{Kind: "document", MIME: "application/pdf", Name: "pengantar.pdf", Data: pdf}, "doc-pdf", 1},
		{"png sent as a file with no useful type", func(c int64) int {
			return hs.srv.PushDocument(c, c, "doc-png-octet", "scan.PNG", "application/octet-stream", "")
		}, "document", "", &conversation.Attachment{Kind: "photo", MIME: "image/png", Name: "scan.PNG", Data: samplePNG(t)}, "doc-png-octet", 1},
		// The name and the declared type lie: the bytes decide.
		{"text file named .jpg", func(c int64) int {
			return hs.srv.PushDocument(c, c, "doc-fake", "ktp.jpg", "image/jpeg", "KTP")
		}, "unsupported_file", "KTP", nil, "doc-fake", 1},
		{"declared word document is not even downloaded", func(c int64) int {
			return hs.srv.PushDocument(c, c, "doc-docx", "surat.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "")
		}, "unsupported_file", "", nil, "doc-docx", 0},
		{"declared too large is not downloaded", func(c int64) int {
			return hs.srv.PushDocument(c, c, "doc-big", "besar.pdf", "application/pdf", "")
		}, "too_large_file", "", nil, "doc-big", 0},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chat := int64(7100 + i)
			tc.push(chat)
			in := lastCall(t, hs, chat, 1)
			if in.Kind != conversation.KindUnsupported || in.Media != tc.media || in.Text != tc.text {
				t.Errorf("inbound kind %v media %q text %q, want unsupported %q %q", in.Kind, in.Media, in.Text, tc.media, tc.text)
			}
			switch {
			case tc.want == nil && len(in.Attachments) != 0:
				t.Errorf("%d attachments, want none", len(in.Attachments))
			case tc.want != nil && (len(in.Attachments) != 1 || in.Attachments[0].Kind != tc.want.Kind ||
				in.Attachments[0].MIME != tc.want.MIME || in.Attachments[0].Name != tc.want.Name ||
				!bytes.Equal(in.Attachments[0].Data, tc.want.Data)):
				t.Errorf("attachments = %+v, want %s %s %q of %d bytes", in.Attachments, tc.want.Kind, tc.want.MIME, tc.want.Name, len(tc.want.Data))
			}
			if n := hs.srv.Downloads(tc.file); n != tc.loads {
				t.Errorf("%d downloads of %s, want %d", n, tc.file, tc.loads)
			}
		})
	}
	if strings.Contains(hs.logs.String(), testToken) {
		t.Error("the bot token reached the logs")
	}
}

// Location and venue messages reach the engine with their coordinates.
func TestLocationReachesHandler(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.start(t)
	hs.srv.PushUpdate([]byte(`{"message": {"message_id": 9, "date": 1735693800,
		"from": {"id": 7201, "is_bot": false, "first_name": "Siti"},
		"chat": {"id": 7201, "type": "private", "first_name": "Siti"},
		"location": {"latitude": -7.372, "longitude": 109.953}}}`))
	in := lastCall(t, hs, 7201, 1)
	if in.Media != "location" || in.Location == nil || in.Location.Latitude != -7.372 || in.Location.Longitude != 109.953 {
		t.Fatalf("inbound media %q location %+v", in.Media, in.Location)
	}
}

// fileServer is a Bot API that answers getFile without a size and serves
// the file body it is given, failing the first failures downloads with 502.
type fileServer struct {
	body     []byte
	failures int32
	gets     atomic.Int32
}

func (f *fileServer) start(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/getMe"):
			io.WriteString(w, `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"Sapa","username":"sapa_bot"}}`)
		case strings.HasSuffix(r.URL.Path, "/getFile"):
			io.WriteString(w, `{"ok":true,"result":{"file_id":"x","file_unique_id":"ux","file_path":"photos/x.jpg"}}`)
		case r.URL.Path == "/file/bot"+testToken+"/photos/x.jpg":
			if f.gets.Add(1) <= f.failures {
				http.Error(w, "bad gateway", http.StatusBadGateway)
				return
			}
			w.Write(f.body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func botOn(t *testing.T, url string) *Bot {
	t.Helper()
	b, err := New(Config{Token: testToken, APIURL: url, MaxMedia: 100}, &echoHandler{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	b.sendBackoff = 10 * time.Millisecond
	return b
}

// A file without a declared size is cut off at the cap: the bot reads at
// most one byte past it.
func TestDownloadCapsUndeclaredSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		size int
		ok   bool
	}{{100, true}, {101, false}, {1 << 20, false}} {
		f := &fileServer{body: append([]byte("%PDF-"), make([]byte, tc.size-5)...)}
		b := botOn(t, f.start(t).URL)
		data, err := b.download(context.Background(), "x", b.maxMedia)
		if tc.ok && (err != nil || len(data) != tc.size) {
			t.Errorf("%d bytes: %d read, err %v", tc.size, len(data), err)
		}
		if !tc.ok && !errors.Is(err, errFileTooLarge) {
			t.Errorf("%d bytes: err %v, want errFileTooLarge", tc.size, err)
		}
	}
}

// A file server failing for a moment is retried; one failing for good
// makes the update fail, to be handled again later.
func TestAttachRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	msg := func() *tgbotapi.Message {
		return &tgbotapi.Message{Photo: []tgbotapi.PhotoSize{{FileID: "x-thumb", FileSize: 10}, {FileID: "x"}}}
	}
	f := &fileServer{body: sampleJPEG(t), failures: 2}
	b := botOn(t, f.start(t).URL)
	b.maxMedia = 1 << 20
	in := conversation.Inbound{Kind: conversation.KindUnsupported, Media: "photo", MessageID: "1"}
	if err := b.attach(context.Background(), 1, msg(), &in); err != nil {
		t.Fatalf("attach after two 502s: %v", err)
	}
	if len(in.Attachments) != 1 || f.gets.Load() != 3 {
		t.Fatalf("%d attachments after %d downloads, want 1 after 3", len(in.Attachments), f.gets.Load())
	}

	down := &fileServer{body: sampleJPEG(t), failures: 100}
	b = botOn(t, down.start(t).URL)
	in = conversation.Inbound{Kind: conversation.KindUnsupported, Media: "photo", MessageID: "2"}
	if err := b.attach(context.Background(), 1, msg(), &in); err == nil {
		t.Fatal("attach succeeded although the file server kept failing")
	}
	if got := down.gets.Load(); got != downloadTries {
		t.Fatalf("%d downloads, want %d", got, downloadTries)
	}
}

// opener counts how often a file is opened, as a retried upload must
// reopen it.
type opener struct {
	data  []byte
	opens atomic.Int32
}

func (o *opener) open() (io.ReadCloser, error) {
	o.opens.Add(1)
	return io.NopCloser(bytes.NewReader(o.data)), nil
}

func TestNotifyFilesPacedInOrderNeverMerged(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.bot.outbox.chat = 150 * time.Millisecond
	ctx := context.Background()
	const officer = int64(9101)
	jpg, pdf := &opener{data: sampleJPEG(t)}, &opener{data: samplePDF}
	started := time.Now()
	err := hs.bot.NotifyThen(ctx, "9101", conversation.Reply{Text: "Pengaduan baru LKS-1"}, []PhotoFile{
		{MIME: "image/jpeg", Open: jpg.open},
		{Name: "LKS-1-lampiran.pdf", MIME: "application/pdf", Open: pdf.open},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Texts after the files merge with each other, not across them.
	hs.bot.NotifyThen(ctx, "9101", conversation.Reply{Text: "Kasus LKS-2"}, nil, nil)
	hs.bot.NotifyThen(ctx, "9101", conversation.Reply{Text: "Kasus LKS-3"}, nil, nil)

	files := hs.srv.WaitFiles(t, officer, 2, replyWait)
	msgs := hs.srv.WaitSent(t, officer, 2, replyWait)
	if elapsed := time.Since(started); elapsed < 3*150*time.Millisecond {
		t.Errorf("four sends took %s, faster than the pacing allows", elapsed)
	}
	if msgs[0].Text != "Pengaduan baru LKS-1" || !strings.Contains(msgs[1].Text, "LKS-2") || !strings.Contains(msgs[1].Text, "LKS-3") {
		t.Errorf("texts = %q", texts(msgs))
	}
	if files[0].Method != "sendPhoto" || !bytes.Equal(files[0].Data, jpg.data) || files[0].FileName != "file.jpg" {
		t.Errorf("first file = %s %q %d bytes", files[0].Method, files[0].FileName, files[0].Size)
	}
	if files[1].Method != "sendDocument" || files[1].FileName != "LKS-1-lampiran.pdf" || files[1].Size != len(samplePDF) {
		t.Errorf("second file = %s %q %d bytes", files[1].Method, files[1].FileName, files[1].Size)
	}
	// Order: the notification text, then the files, then the digest.
	if files[0].MessageID < msgs[0].MessageID || files[1].MessageID > msgs[1].MessageID || files[0].MessageID > files[1].MessageID {
		t.Errorf("order of message ids: text %d, files %d %d, digest %d",
			msgs[0].MessageID, files[0].MessageID, files[1].MessageID, msgs[1].MessageID)
	}
	waitOutboxIdle(t, hs.bot)
	if n := len(hs.srv.SentTo(officer)); n != 2 {
		t.Errorf("%d text messages, want 2", n)
	}
	if n := hs.bot.Pending(); n != 0 {
		t.Errorf("%d pending", n)
	}
}

func TestNotifyFilesRetriedAndFallBack(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.bot.outbox.chat = 10 * time.Millisecond
	ctx := context.Background()

	// A 5xx is retried with the file opened again from its first byte.
	img := &opener{data: sampleJPEG(t)}
	hs.srv.FailNextFileSends(http.StatusInternalServerError, 0, 1)
	if err := hs.bot.NotifyThen(ctx, "9201", conversation.Reply{Text: "foto"}, []PhotoFile{{MIME: "image/jpeg", Open: img.open}}, nil); err != nil {
		t.Fatal(err)
	}
	got := hs.srv.WaitFiles(t, 9201, 1, replyWait)
	if got[0].Method != "sendPhoto" || !bytes.Equal(got[0].Data, img.data) || img.opens.Load() != 2 {
		t.Fatalf("after a 500: %s of %d bytes, %d opens", got[0].Method, got[0].Size, img.opens.Load())
	}

	// A photo Telegram refuses still reaches the staff, as a document.
	hs.srv.FailNextFileSends(http.StatusBadRequest, 0, 1)
	if err := hs.bot.NotifyThen(ctx, "9202", conversation.Reply{Text: "foto"}, []PhotoFile{{MIME: "image/png", Open: (&opener{data: samplePNG(t)}).open}}, nil); err != nil {
		t.Fatal(err)
	}
	got = hs.srv.WaitFiles(t, 9202, 1, replyWait)
	if got[0].Method != "sendDocument" || got[0].FileName != "file.png" {
		t.Fatalf("refused photo went out as %s %q", got[0].Method, got[0].FileName)
	}

	// A file that cannot be opened is dropped without blocking the queue.
	broken := func() (io.ReadCloser, error) { return nil, errors.New("gone") }
	hs.bot.NotifyThen(ctx, "9203", conversation.Reply{Text: "before"}, []PhotoFile{{MIME: "application/pdf", Open: broken}}, nil)
	hs.bot.NotifyThen(ctx, "9203", conversation.Reply{Text: "after"}, nil, nil)
	if msgs := hs.srv.WaitSent(t, 9203, 2, replyWait); msgs[1].Text != "after" {
		t.Fatalf("text after a broken file = %q", msgs[1].Text)
	}
	if n := len(hs.srv.SentFiles()); n != 2 {
		t.Fatalf("%d files uploaded, want 2", n)
	}
}

func TestNotifyRefusesBadFiles(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	ctx := context.Background()
	ok := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("")), nil }
	r := conversation.Reply{Text: "foto"}
	for name, files := range map[string][]PhotoFile{
		"nil open":   {{MIME: "image/jpeg"}},
		"gif":        {{MIME: "image/gif", Open: ok}},
		"empty mime": {{Open: ok}},
	} {
		if err := hs.bot.NotifyThen(ctx, "1", r, files, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := hs.bot.Pending(); n != 0 {
		t.Errorf("%d queued after refusals", n)
	}
}

func TestWithCodeReadsUploadErrors(t *testing.T) {
	for msg, want := range map[string]failureKind{
		"Bad Request: IMAGE_PROCESS_FAILED":        failRejected,
		"Forbidden: bot was blocked by the user":   failForbidden,
		"Too Many Requests: retry after 3":         failRateLimited,
		"Internal Server Error":                    failTransient,
		"Request Entity Too Large":                 failRejected,
		"Bad Request: message caption is too long": failRejected,
	} {
		kind, _ := classify(withCode(&tgbotapi.Error{Message: msg}))
		if kind != want {
			t.Errorf("%q classified %v, want %v", msg, kind, want)
		}
	}
	// A code the library did set is kept.
	if kind, _ := classify(withCode(&tgbotapi.Error{Code: 502, Message: "Bad Request: odd"})); kind != failTransient {
		t.Errorf("a set code was replaced")
	}
}

// TestNotifyThenReportsWhenAllIsOut: done comes once, after the text and
// every file reached Telegram; for a chat that blocked the bot it comes too
// (given up), and a bad request queues nothing.
func TestNotifyThenReportsWhenAllIsOut(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &echoHandler{})
	hs.bot.outbox.chat = 50 * time.Millisecond
	ctx := context.Background()
	var calls atomic.Int32
	doneAt := make(chan int, 1)
	err := hs.bot.NotifyThen(ctx, "9201", conversation.Reply{Text: "Pengaduan baru LKS-9"},
		[]PhotoFile{{MIME: "image/jpeg", Open: (&opener{data: sampleJPEG(t)}).open}}, func() {
			calls.Add(1)
			doneAt <- len(hs.srv.SentTo(9201)) + len(hs.srv.SentFiles())
		})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-doneAt:
		if n != 2 {
			t.Errorf("done came with %d of 2 sends made", n)
		}
	case <-time.After(replyWait):
		t.Fatal("done never came")
	}

	hs.srv.BlockChat(9202)
	given := make(chan struct{})
	if err := hs.bot.NotifyThen(ctx, "9202", conversation.Reply{Text: "x"}, nil, func() { close(given) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-given:
	case <-time.After(replyWait):
		t.Fatal("done never came for a chat that blocked the bot")
	}

	if err := hs.bot.NotifyThen(ctx, "9203", conversation.Reply{Text: "x"}, []PhotoFile{{MIME: "text/plain", Open: (&opener{}).open}}, func() { calls.Add(1) }); err == nil {
		t.Error("a file of a type Telegram cannot show was accepted")
	}
	waitOutboxIdle(t, hs.bot)
	if n := calls.Load(); n != 1 {
		t.Errorf("done called %d times for the first notification, want 1", n)
	}
	if n := len(hs.srv.SentTo(9203)); n != 0 {
		t.Errorf("a refused notification was sent anyway")
	}
}
