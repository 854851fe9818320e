package conversation_test

import (
	"bufio"
	"context"
	"flag"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/services/imagetest"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the transcripts in testdata/ with what the bot says now")

// start is a Monday morning in Leksono, so deadlines in transcripts are stable.
var start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("WIB", 7*3600))

// harness runs one chat against a real engine with in-memory stores and a
// clock the transcript moves.
type harness struct {
	t       *testing.T
	engine  *conversation.Engine
	states  *conversationtest.States
	cases   *conversationtest.Cases
	notes   *conversationtest.Notifier
	media   *conversationtest.Media
	privacy *conversationtest.Privacy
	letters *letters.Issuer
	visits  *pgstore.Store // booked visits
	talks   *pgstore.Store // the conversations with officers (the same store)
	once    memOnce        // the reminders' once-a-day claims
	staff   *services.Staff
	clock   time.Time
	chat    conversation.ChatKey
	sender  string
	nextID  int
	lastIn  conversation.Inbound
	prevIn  conversation.Inbound    // the message before lastIn
	offered [][]conversation.Option // option lists of past replies, newest last
	// rendered is every message the transcript sent, replies and
	// notifications, as a phone shows it (see phoneText).
	rendered []renderedMessage
	cfg      conversation.Config // what engine was built from
	consult  *consultHarness     // "-- consultations" (consult_test.go)
}

// renderedMessage is one message sent during a transcript: to whom, after
// which input line, and its text with its options as a numbered list.
type renderedMessage struct {
	to, after, text string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatalf("load catalog: %v", err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatalf("load locales: %v", err)
	}
	h := &harness{t: t, clock: start, chat: citizenChat, sender: citizenChat.ChatID, notes: &conversationtest.Notifier{}, media: &conversationtest.Media{}, staff: testStaff(), privacy: conversationtest.NewPrivacy()}
	h.states = conversationtest.NewStates(func() time.Time { return h.clock })
	h.cases = conversationtest.NewCases(catalog.Office.Location)
	h.privacy.Cases = h.cases
	templates, err := letters.LoadTemplates(configs.FS, catalog)
	if err != nil {
		t.Fatalf("load letter templates: %v", err)
	}
	h.letters = letters.New(letters.Config{
		Catalog: catalog, Templates: templates, Texts: texts, Register: conversationtest.NewLetters(h.cases),
		PublicURL: "https://sapa.leksono.example", Now: func() time.Time { return h.clock },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The same codes every run, so transcripts can type them.
		Random: rand.NewChaCha8([32]byte{'s', 'a', 'p', 'a'}),
	})
	h.cases.Erasing = h.privacy.Erasing
	// Booked visits and the conversations with officers are kept by the
	// real store, on SQLite: the race for a slot's last place is the
	// database's to settle, and its sealing, locking and timers are what
	// citizens meet.
	h.visits, err = pgstore.OpenSQLite(context.Background(), storetest.SQLite(t), pgstore.Options{
		TicketPrefix: catalog.Office.TicketPrefix, Location: catalog.Office.Location, AllowPlaintext: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("open the visits' store: %v", err)
	}
	t.Cleanup(func() { _ = h.visits.Close() })
	h.talks = h.visits
	h.cfg = conversation.Config{
		Catalog: catalog, Texts: texts, States: h.states, Cases: h.cases, Desk: h.cases, Surveys: h.cases, Past: h.cases,
		Staff: h.staff, Notifier: h.notes, Media: h.media, Privacy: h.privacy, Letters: h.letters, Handovers: h.talks,
		Visits: h.visits, Schedule: casework.NewSchedule(catalog, h.visits, h.cases, func() time.Time { return h.clock }),
		Now: func() time.Time { return h.clock },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	h.engine, err = conversation.New(h.cfg)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	return h
}

// citizenChat is the transcripts' citizen, on Telegram.
var citizenChat = conversation.ChatKey{Channel: "telegram", ChatID: "1001"}

// testStaff is a small office for transcripts: officers reachable on
// Telegram, so their notifications show up in the transcript.
func testStaff() *services.Staff {
	return &services.Staff{
		UnitGroups: map[string]services.Contacts{},
		Officers: []services.Officer{
			{ID: "camat", Name: "Bu Camat", Role: services.RoleCamat, Contacts: services.Contacts{"telegram": "9000"}, Active: true},
			{ID: "kasi_kesos", Name: "Pak Kasi Kesos", Role: services.RoleKasi, Unit: "kesejahteraan_sosial", Contacts: services.Contacts{"telegram": "9001"}, Active: true},
			{ID: "petugas_kesos", Name: "Mbak Petugas Kesos", Role: services.RolePetugas, Unit: "kesejahteraan_sosial", Contacts: services.Contacts{"telegram": "9002"}, Active: true},
			{ID: "petugas_umum", Name: "Mas Petugas Umum", Role: services.RolePetugas, Unit: "pelayanan_umum", Contacts: services.Contacts{"telegram": "9003"}, Active: true},
			{ID: "petugas_pem", Name: "Pak Petugas Pemerintahan", Role: services.RolePetugas, Unit: "pemerintahan", Contacts: services.Contacts{"telegram": "9004"}, Active: true},
			{ID: "admin", Name: "Mas Admin", Role: services.RoleAdmin, Contacts: services.Contacts{"telegram": "9005"}, Active: true},
		},
	}
}

// who names a chat in transcripts: an officer's id, or the citizen's chat.
func (h *harness) who(chat conversation.ChatKey) string {
	for _, o := range h.staff.Officers {
		if o.Contacts[chat.Channel] == chat.ChatID {
			return o.ID
		}
	}
	return "warga " + chat.ChatID
}

// send delivers one inbound message and returns the bot's replies rendered
// as transcript lines.
func (h *harness) send(in conversation.Inbound) []string {
	h.t.Helper()
	replies, err := h.engine.Handle(context.Background(), in)
	if err != nil {
		h.t.Fatalf("handle %+v: %v", in, err)
	}
	var out []string
	for _, r := range replies {
		h.rendered = append(h.rendered, renderedMessage{to: h.who(in.Chat), after: in.Text, text: phoneText(r)})
	}
	for i, r := range replies {
		if i > 0 {
			// A turn that said too much for one message goes out as several.
			out = append(out, "<--- next message")
		}
		for _, line := range strings.Split(r.Text, "\n") {
			out = append(out, strings.TrimRight("< "+line, " "))
		}
		for n, o := range r.Options {
			out = append(out, "<   ["+strconv.Itoa(n+1)+"] "+o.Label)
		}
		if len(r.Options) > 0 {
			h.offered = append(h.offered, r.Options)
		}
	}
	if len(replies) == 0 {
		out = append(out, "< (no reply)")
	}
	return append(out, h.noteLines(in.Text)...)
}

// noteLines renders the notifications sent since the last look, to other
// chats than the one that wrote, as transcript lines.
func (h *harness) noteLines(after string) []string {
	var out []string
	for _, n := range h.notes.Take() {
		h.rendered = append(h.rendered, renderedMessage{to: h.who(n.To), after: after, text: phoneText(n.Reply)})
		for i, line := range strings.Split(n.Reply.Text, "\n") {
			prefix := "<<        "
			if i == 0 {
				prefix = "<< [" + h.who(n.To) + "] "
			}
			out = append(out, strings.TrimRight(prefix+line, " "))
		}
		for _, f := range n.Reply.Files {
			out = append(out, "<<        [berkas "+f.Kind+" "+f.SHA256[:8]+"]")
		}
		for i, o := range n.Reply.Options {
			out = append(out, "<<          ["+strconv.Itoa(i+1)+"] "+o.Label)
		}
		if len(n.Reply.Options) > 0 && n.To == citizenChat {
			h.offered = append(h.offered, n.Reply.Options)
		}
	}
	return out
}

// inbound turns a transcript input line into a message:
//
//	> text          typed text
//	> [2]           presses button 2 of the latest reply with buttons
//	> [2^]          presses button 2 of the reply before that (an old message)
//	> <sticker>     a sticker (any media name)
//	> <empty>       an empty text
//	> <long 5000>   a text of 5,000 letters
//	> <photo name>  a JPEG photo (its bytes are its name); <pdf name> a PDF;
//	                <photo name | caption> with a caption
//	> <location lat lon name>  a shared location
//	> <contact number>  the sender's own contact, shared
//	> <unsupported_file>, <too_large_file>  a file the channel refused
func (h *harness) inbound(line string) conversation.Inbound {
	h.nextID++
	in := conversation.Inbound{
		Chat: h.chat, SenderID: h.sender, MessageID: strconv.Itoa(h.nextID),
		Kind: conversation.KindText, Text: line, At: h.clock,
	}
	switch {
	case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
		spec := strings.Trim(line, "[]")
		back := strings.Count(spec, "^")
		n, err := strconv.Atoi(strings.TrimRight(spec, "^"))
		idx := len(h.offered) - 1 - back
		if err != nil || idx < 0 || n < 1 || n > len(h.offered[idx]) {
			h.t.Fatalf("transcript presses %s but no such button was offered", line)
		}
		in.Kind, in.Text, in.Payload = conversation.KindChoice, "", h.offered[idx][n-1].Payload
	case line == "<empty>":
		in.Text = ""
	case strings.HasPrefix(line, "<long "):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(line, "<long "), ">"))
		in.Text = strings.Repeat("a", n)
	case strings.HasPrefix(line, "<photo ") || strings.HasPrefix(line, "<pdf "):
		// "<photo jalan-rusak>": a real JPEG drawn from its name, so the
		// same name is the same file.
		kind, name, mime := "photo", strings.TrimSuffix(strings.TrimPrefix(line, "<photo "), ">"), "image/jpeg"
		if strings.HasPrefix(line, "<pdf ") {
			kind, name, mime = "document", strings.TrimSuffix(strings.TrimPrefix(line, "<pdf "), ">"), "application/pdf"
		}
		in.Kind, in.Text, in.Media = conversation.KindUnsupported, "", kind
		// "<photo kk-siti | ini kk>": the photo with a caption.
		if n, caption, ok := strings.Cut(name, " | "); ok {
			name, in.Text = n, caption
		} else {
			in.Text = ""
		}
		in.Attachments = []conversation.Attachment{{Kind: kind, MIME: mime, Name: name, Data: fileOf(kind, name)}}
	case strings.HasPrefix(line, "<location "):
		// "<location -7.3612 109.9231 Jembatan Kali Serayu>"
		f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(line, "<location "), ">"))
		lat, _ := strconv.ParseFloat(f[0], 64)
		lon, _ := strconv.ParseFloat(f[1], 64)
		in.Kind, in.Text, in.Media = conversation.KindUnsupported, "", "location"
		in.Location = &conversation.Location{Latitude: lat, Longitude: lon, Name: strings.Join(f[2:], " ")}
	case strings.HasPrefix(line, "<contact "):
		// "<contact 0812-3456-7890>": the sender shares their own contact.
		in.Kind, in.Text, in.Media = conversation.KindUnsupported, "", "contact"
		in.Phone = strings.TrimSuffix(strings.TrimPrefix(line, "<contact "), ">")
	case strings.HasPrefix(line, "<") && strings.HasSuffix(line, ">"):
		in.Kind, in.Text, in.Media = conversation.KindUnsupported, "", strings.Trim(line, "<>")
	}
	return in
}

// fileOf is the file a transcript's "<photo name>" or "<pdf name>" sends:
// a small real JPEG whose colour comes from the name, carrying a phone's
// EXIF block (which the bot must not keep), or a PDF that names it.
func fileOf(kind, name string) []byte {
	if kind == "document" {
		return []byte("%PDF-1.4\n% " + name + "\n%%EOF\n")
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return imagetest.JPEG(16, 12, uint8(h.Sum32()), imagetest.EXIF{Artist: "Warga " + name, Latitude: -7.36, Longitude: 109.92})
}

// TestTranscripts replays every testdata/*.txt conversation. Lines starting
// with ">" are the citizen's, "<" the bot's, "--" move the clock or repeat a
// delivery, "#" are comments. Run with -update to rewrite the bot's lines,
// then review the diff like code: it is what citizens will read.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in testdata/: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := run(t, string(raw))
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(raw) {
				t.Errorf("transcript %s differs from what the bot says now (run go test ./conversation -run TestTranscripts -update and review the diff):\n%s", file, diff(string(raw), got))
			}
		})
	}
}

func run(t *testing.T, script string) string {
	_, out := replay(t, script)
	return out
}

// replay runs a transcript and returns the harness, for tests that look
// at what was stored as well.
func replay(t *testing.T, script string) (*harness, string) {
	h := newHarness(t)
	var out []string
	sc := bufio.NewScanner(strings.NewReader(script))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "<"):
			continue // the bot's lines are regenerated
		case strings.HasPrefix(line, "-- wait "):
			d, err := time.ParseDuration(strings.TrimPrefix(line, "-- wait "))
			if err != nil {
				t.Fatalf("bad wait %q: %v", line, err)
			}
			h.clock = h.clock.Add(d)
			out = append(out, line)
		case strings.HasPrefix(line, "-- as "):
			// "-- as petugas_kesos" speaks as that officer, "-- as citizen"
			// (or "-- as citizen 1002") as a citizen again.
			who := strings.Fields(strings.TrimPrefix(line, "-- as "))
			h.chat, h.sender = citizenChat, citizenChat.ChatID
			if who[0] == "citizen" && len(who) > 1 {
				h.chat = conversation.ChatKey{Channel: "telegram", ChatID: who[1]}
				h.sender = who[1]
			} else if who[0] != "citizen" {
				o, ok := h.staff.Officer(who[0])
				if !ok {
					t.Fatalf("transcript speaks as unknown officer %q", who[0])
				}
				h.chat = conversation.ChatKey{Channel: "telegram", ChatID: o.Contacts["telegram"]}
				h.sender = o.Contacts["telegram"]
			}
			out = append(out, line)
		case strings.HasPrefix(line, "-- print "):
			// "-- print LKS-261123-0001 as kasi_kesos": the officer prints
			// the case's letter (the console's button); its number and code
			// follow as the bot's line.
			ticket, officer, _ := strings.Cut(strings.TrimPrefix(line, "-- print "), " as ")
			l, err := h.letters.Issue(context.Background(), ticket, officer)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			out = append(out, line, "<- letter "+l.Number+", code "+l.Code)
		case strings.HasPrefix(line, "-- revoke "):
			// "-- revoke <code> as camat: <reason>"
			code, rest, _ := strings.Cut(strings.TrimPrefix(line, "-- revoke "), " as ")
			officer, reason, _ := strings.Cut(rest, ": ")
			if err := h.letters.Revoke(context.Background(), code, officer, reason); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			out = append(out, line)
		case line == "-- run reminders":
			// The minute's run of the reminders job: deadline lists,
			// visit reminders, missed visits.
			if _, err := h.engine.Remind(context.Background(), &h.once); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			out = append(out, line)
			for _, n := range h.notes.Take() {
				for i, l := range strings.Split(n.Reply.Text, "\n") {
					prefix := "<<        "
					if i == 0 {
						prefix = "<< [" + h.who(n.To) + "] "
					}
					out = append(out, strings.TrimRight(prefix+l, " "))
				}
			}
		case line == "-- tick":
			// The minute's timers run (reminders, the conversations' clocks).
			out = append(out, line)
			if err := h.engine.HandoverTimers(context.Background()); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			out = append(out, h.noteLines(line)...)
		case line == "-- ask consent":
			// From here on, citizens must agree to the privacy notice.
			h.privacy.AssumeConsent = false
			out = append(out, line)
		case line == "-- deliver again":
			out = append(out, line)
			out = append(out, h.send(h.lastIn)...)
		case line == "-- redeliver after a crash", line == "-- redeliver the one before after a crash":
			// The channel hands over a message a stopped process had taken.
			in := h.lastIn
			if strings.Contains(line, "the one before") {
				in = h.prevIn
			}
			in.Redelivered = true
			out = append(out, line)
			out = append(out, h.send(in)...)
		case isConsultDirective(line):
			out = append(out, line)
			out = append(out, h.consultDirective(line)...)
		case strings.HasPrefix(line, "> "):
			h.prevIn, h.lastIn = h.lastIn, h.inbound(strings.TrimPrefix(line, "> "))
			out = append(out, line)
			out = append(out, h.send(h.lastIn)...)
		default:
			out = append(out, line)
		}
	}
	return h, strings.Join(out, "\n") + "\n"
}

// diff shows the first lines where two transcripts part.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return ""
}
