package whatsapp

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/channels/dispatch/dispatchtest"
	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/services/imagetest"
)

// replayStart is the transcripts' clock: a Monday morning in Leksono.
var replayStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("WIB", 7*3600))

// turnRecorder wraps the engine to keep the replies of each turn, so the
// test can compare them with what went out on WhatsApp.
type turnRecorder struct {
	engine *conversation.Engine
	mu     sync.Mutex
	turns  [][]conversation.Reply
	errs   []error
}

func (r *turnRecorder) Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
	replies, err := r.engine.Handle(ctx, in)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, err)
	}
	r.turns = append(r.turns, replies)
	return replies, err
}

func (r *turnRecorder) take() [][]conversation.Reply {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.turns
	r.turns = nil
	return out
}

// TestTranscriptsOverWhatsApp replays the citizen's side of every engine
// transcript (conversation/testdata) through the WhatsApp adapter: each
// line becomes a whatsmeow message event, a button press "[2]" becomes the
// typed number "2", and what the engine answers must go out as numbered
// lists. A transcript that ends in a ticket on Telegram must end in one on
// WhatsApp too. Staff transcripts ("-- as" lines) need the staff directory
// and are left to the engine's own tests; "[2^]" (a press on an older
// message) has no WhatsApp equivalent and is skipped.
func TestTranscriptsOverWhatsApp(t *testing.T) {
	files, err := filepath.Glob("../../conversation/testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in conversation/testdata: %v", err)
	}
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatalf("load catalog: %v", err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatalf("load locales: %v", err)
	}
	hint := texts.T(locales.DefaultLang, keyOptionsHint, nil)
	replayed, tickets := 0, 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		script := string(raw)
		if strings.Contains(script, "\n-- as ") {
			continue
		}
		replayed++
		wantTicket := strings.Contains(script, "Nomor tiket: LKS-")
		if wantTicket {
			tickets++
		}
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			replay(t, script, catalog, texts, hint, wantTicket)
		})
	}
	if replayed < 10 || tickets < 5 {
		t.Fatalf("replayed %d transcripts with %d tickets; the testdata looks wrong", replayed, tickets)
	}
}

func replay(t *testing.T, script string, catalog *services.Catalog, texts *locales.Bundle, hint string, wantTicket bool) {
	clk := dispatchtest.NewClock(replayStart)
	cases := conversationtest.NewCases(catalog.Office.Location)
	engine, err := conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: conversationtest.NewStates(clk.Now), Cases: cases, Desk: cases,
		Media: &conversationtest.Media{}, Now: clk.Now, Log: quietLog(),
	})
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	rec := &turnRecorder{engine: engine}
	api := newFakeSender(clk)
	// A picture that decodes: the engine keeps the documents of a form.
	api.files["/photo"] = imagetest.JPEG(32, 24, 90, imagetest.EXIF{})
	b, err := newBot(Config{Texts: texts}, rec, quietLog(), api, clk)
	if err != nil {
		t.Fatalf("newBot: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	closeInbox := b.serve(ctx, ctx, 2)
	defer func() {
		cancel()
		closeInbox()
	}()

	const citizen = "6281234567890"
	var (
		nextID  int
		last    *events.Message
		allSent []string
	)
	deliver := func(evt *events.Message) {
		b.onEvent(evt)
		b.waitIdle()
		turns := rec.take()
		out := api.take()
		if len(turns) != 1 {
			t.Fatalf("%d engine turns for one message", len(turns))
		}
		var want []string
		for _, r := range turns[0] {
			want = append(want, render(r, hint)...)
			if len(r.Options) > 0 {
				assertNumbered(t, r, hint)
			}
		}
		if len(out) != len(want) {
			t.Fatalf("sent %d messages, the engine's replies render to %d", len(out), len(want))
		}
		for i := range out {
			if out[i].text != want[i] {
				t.Errorf("sent %q, want %q", out[i].text, want[i])
			}
			if out[i].to != person(citizen) {
				t.Errorf("sent to %v, want the citizen", out[i].to)
			}
			allSent = append(allSent, out[i].text)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(script))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "-- wait "):
			d, err := time.ParseDuration(strings.TrimPrefix(line, "-- wait "))
			if err != nil {
				t.Fatalf("bad wait %q: %v", line, err)
			}
			clk.Advance(d)
		case line == "-- deliver again":
			if last == nil {
				t.Fatal("deliver again before any message")
			}
			b.onEvent(last)
			b.waitIdle()
			if out := api.take(); len(out) != 0 {
				t.Errorf("a redelivered message was answered again: %q", out[0].text)
			}
			rec.take()
		case strings.HasPrefix(line, "> "):
			msg, ok := citizenMessage(strings.TrimPrefix(line, "> "))
			if !ok {
				continue
			}
			nextID++
			evt := dm("3EB0"+strconv.Itoa(nextID), citizen, msg)
			evt.Info.Timestamp = clk.Now()
			last = evt
			deliver(evt)
		}
	}
	if errs := rec.errs; len(errs) > 0 {
		t.Fatalf("engine failed: %v", errs)
	}
	if wantTicket {
		if len(allSent) == 0 || !strings.Contains(strings.Join(allSent, "\n"), "Nomor tiket: LKS-") {
			t.Errorf("the conversation did not end with a ticket on WhatsApp; it ended with:\n%s", strings.Join(allSent[max(0, len(allSent)-3):], "\n---\n"))
		}
	}
}

// citizenMessage turns a transcript input line into what a WhatsApp user
// sends. ok is false for lines with no WhatsApp equivalent.
func citizenMessage(line string) (*waE2E.Message, bool) {
	switch {
	case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "^]"):
		return nil, false
	case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
		return text(strings.Trim(line, "[]")), true // a button press is the typed number
	case line == "<empty>":
		return text(""), true
	case strings.HasPrefix(line, "<long "):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(line, "<long "), ">"))
		return text(strings.Repeat("a", n)), true
	case line == "<sticker>":
		return &waE2E.Message{StickerMessage: &waE2E.StickerMessage{}}, true
	case line == "<voice>":
		return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true)}}, true
	case line == "<photo>" || strings.HasPrefix(line, "<photo "):
		// "<photo name | caption>": a photo, its caption the words after "|"
		// (a document the citizen names).
		img := &waE2E.ImageMessage{DirectPath: proto.String("/photo")}
		if _, caption, ok := strings.Cut(strings.TrimSuffix(line, ">"), " | "); ok {
			img.Caption = proto.String(caption)
		}
		return &waE2E.Message{ImageMessage: img}, true
	case line == "<location>":
		return &waE2E.Message{LocationMessage: &waE2E.LocationMessage{
			DegreesLatitude: proto.Float64(-7.36), DegreesLongitude: proto.Float64(109.9),
		}}, true
	case strings.HasPrefix(line, "<") && strings.HasSuffix(line, ">"):
		return &waE2E.Message{ContactMessage: &waE2E.ContactMessage{}}, true
	default:
		return text(line), true
	}
}

// assertNumbered checks that a reply with options goes out as "N. Label"
// lines followed by the hint.
func assertNumbered(t *testing.T, r conversation.Reply, hint string) {
	t.Helper()
	parts := render(r, hint)
	lastPart := parts[len(parts)-1]
	var list []string
	for i, o := range r.Options {
		list = append(list, strconv.Itoa(i+1)+". "+o.Label)
	}
	if want := strings.Join(list, "\n") + "\n\n" + hint; !strings.HasSuffix(lastPart, want) {
		t.Errorf("options not rendered as a numbered list with the hint:\n%s", lastPart)
	}
}
