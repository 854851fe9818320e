package terminal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// fakeHandler records what it is sent and answers with canned replies.
type fakeHandler struct {
	got     []conversation.Inbound
	replies func(in conversation.Inbound) []conversation.Reply
	err     error
}

func (f *fakeHandler) Handle(_ context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
	f.got = append(f.got, in)
	if f.err != nil {
		return nil, f.err
	}
	if f.replies == nil {
		return []conversation.Reply{{Text: "ok " + in.Text}}, nil
	}
	return f.replies(in), nil
}

func run(t *testing.T, s *Session, h Handler) string {
	t.Helper()
	var out bytes.Buffer
	s.Out = &out
	if err := s.Run(context.Background(), h); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String()
}

func TestRunPrintsRepliesWithNumberedOptions(t *testing.T) {
	h := &fakeHandler{replies: func(in conversation.Inbound) []conversation.Reply {
		return []conversation.Reply{
			{Text: "Selamat datang\nPilih:", Options: []conversation.Option{{Label: "Informasi", Payload: "p1"}, {Label: "Ajukan surat", Payload: "p2"}}},
			{Text: "kedua"},
		}
	}}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	out := run(t, &Session{Who: Citizen(""), Name: "Siti", In: strings.NewReader("halo\n"), Prompt: "> ", Now: func() time.Time { return at }}, h)

	// At the end of input the last prompt's line is ended.
	want := "> Selamat datang\nPilih:\n  1. Informasi\n  2. Ajukan surat\n\nkedua\n\n> \n"
	if out != want {
		t.Errorf("output:\n%q\nwant\n%q", out, want)
	}
	if len(h.got) != 1 {
		t.Fatalf("handler got %d messages, want 1", len(h.got))
	}
	in := h.got[0]
	if in.Chat != (conversation.ChatKey{Channel: "terminal", ChatID: "local"}) || in.SenderID != "local" || in.SenderName != "Siti" {
		t.Errorf("identity = chat %v sender %q name %q", in.Chat, in.SenderID, in.SenderName)
	}
	if in.Kind != conversation.KindText || in.Text != "halo" || !in.At.Equal(at) || in.MessageID == "" {
		t.Errorf("inbound = %+v", in)
	}
}

func TestRunSkipsEmptyLinesAndStopsAtQuit(t *testing.T) {
	h := &fakeHandler{}
	out := run(t, &Session{Who: Citizen("c1"), In: strings.NewReader("satu\r\n\n   \n2\n/quit\ntidak terkirim\n")}, h)
	var texts []string
	for _, in := range h.got {
		texts = append(texts, in.Text)
	}
	if strings.Join(texts, "|") != "satu|2" {
		t.Errorf("sent %q, want satu and 2 only", texts)
	}
	if out != "ok satu\n\nok 2\n\n" {
		t.Errorf("output %q", out)
	}
}

func TestRunSendsLastLineWithoutNewline(t *testing.T) {
	h := &fakeHandler{}
	run(t, &Session{Who: Citizen(""), In: strings.NewReader("a\nb")}, h)
	if len(h.got) != 2 || h.got[1].Text != "b" {
		t.Errorf("got %+v, want a and b", h.got)
	}
}

func TestMessageIDsAreUnique(t *testing.T) {
	h := &fakeHandler{}
	run(t, &Session{Who: Citizen(""), In: strings.NewReader("a\na\na\n")}, h)
	run(t, &Session{Who: Citizen(""), In: strings.NewReader("a\n")}, h)
	seen := map[string]bool{}
	for _, in := range h.got {
		if seen[in.MessageID] {
			t.Errorf("message id %q used twice", in.MessageID)
		}
		seen[in.MessageID] = true
		// The run part keeps ids of a later process run apart from this one's.
		if !strings.HasPrefix(in.MessageID, runID+"-") {
			t.Errorf("message id %q lacks the run prefix %q", in.MessageID, runID)
		}
	}
}

func TestRunReturnsHandlerError(t *testing.T) {
	h := &fakeHandler{err: errors.New("redis down")}
	var out bytes.Buffer
	err := (&Session{Who: Citizen(""), In: strings.NewReader("a\nb\n"), Out: &out}).Run(context.Background(), h)
	if err == nil || !strings.Contains(err.Error(), "redis down") {
		t.Fatalf("Run = %v, want the handler's error", err)
	}
	if len(h.got) != 1 {
		t.Errorf("handler called %d times after an error, want 1", len(h.got))
	}
}

func TestRunStopsWhenContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := &fakeHandler{}
	if err := (&Session{Who: Citizen(""), In: strings.NewReader("a\n"), Out: &bytes.Buffer{}}).Run(ctx, h); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if len(h.got) != 0 {
		t.Errorf("handled %d messages after cancel", len(h.got))
	}
}

// Smallest files of each type, as http.DetectContentType sniffs them.
var (
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 32)...)
	webpBytes = append([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), make([]byte, 32)...)
	pdfBytes  = []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAttachments(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		data       []byte
		kind, mime string
	}{
		{"png", "ktp.png", pngBytes, "photo", "image/png"},
		{"jpeg named jpg", "foto.JPG", jpegBytes, "photo", "image/jpeg"},
		{"jpeg", "foto.jpeg", jpegBytes, "photo", "image/jpeg"},
		{"webp", "foto.webp", webpBytes, "photo", "image/webp"},
		{"pdf", "surat.pdf", pdfBytes, "document", "application/pdf"},
		// The type comes from the bytes, never from the name.
		{"png named pdf", "scan.pdf", pngBytes, "photo", "image/png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.data)
			h := &fakeHandler{}
			run(t, &Session{Who: Citizen(""), In: strings.NewReader(path + "\n'" + path + "'\n")}, h)
			if len(h.got) != 2 {
				t.Fatalf("handler got %d messages, want 2 (plain and quoted path)", len(h.got))
			}
			for _, in := range h.got {
				if in.Kind != conversation.KindUnsupported || in.Media != tc.kind || in.Text != "" || len(in.Attachments) != 1 {
					t.Fatalf("inbound = kind %v media %q text %q, %d attachments", in.Kind, in.Media, in.Text, len(in.Attachments))
				}
				a := in.Attachments[0]
				if a.Kind != tc.kind || a.MIME != tc.mime || a.Name != tc.file || !bytes.Equal(a.Data, tc.data) {
					t.Errorf("attachment = kind %q mime %q name %q, %d bytes", a.Kind, a.MIME, a.Name, len(a.Data))
				}
			}
		})
	}
}

func TestAttachmentRefusals(t *testing.T) {
	big := writeFile(t, "big.png", append(pngBytes, make([]byte, MaxAttachmentSize)...))
	text := writeFile(t, "notes.pdf", []byte("just some text\n"))
	exact := writeFile(t, "exact.pdf", append(pdfBytes, make([]byte, MaxAttachmentSize-len(pdfBytes))...))
	h := &fakeHandler{}
	out := run(t, &Session{Who: Citizen(""), In: strings.NewReader(big + "\n" + text + "\n" + exact + "\n")}, h)
	if !strings.Contains(out, "! "+big+" is larger than 10 MB") {
		t.Errorf("no size refusal in output:\n%s", out)
	}
	if !strings.Contains(out, "! "+text+" holds text/plain") {
		t.Errorf("no type refusal in output:\n%s", out)
	}
	if len(h.got) != 1 || len(h.got[0].Attachments) != 1 || len(h.got[0].Attachments[0].Data) != MaxAttachmentSize {
		t.Errorf("want only the 10 MB file sent, got %d messages", len(h.got))
	}
}

func TestTextThatLooksLikeAFileIsText(t *testing.T) {
	dir := t.TempDir()
	h := &fakeHandler{}
	lines := []string{
		filepath.Join(dir, "missing.png"),      // no such file
		dir + "/",                              // a directory
		"surat.pdf",                            // no such file here
		writeFile(t, "notes.txt", []byte("x")), // not an attachable name
	}
	run(t, &Session{Who: Citizen(""), In: strings.NewReader(strings.Join(lines, "\n") + "\n")}, h)
	if len(h.got) != len(lines) {
		t.Fatalf("got %d messages, want %d", len(h.got), len(lines))
	}
	for i, in := range h.got {
		if in.Kind != conversation.KindText || in.Text != lines[i] || in.Attachments != nil {
			t.Errorf("line %q sent as kind %v text %q", lines[i], in.Kind, in.Text)
		}
	}
}

func TestStaffIdentity(t *testing.T) {
	dir := &services.Staff{Officers: []services.Officer{
		{ID: "budi", Name: "Budi", Role: services.RolePetugas, Unit: "pelayanan_umum", Active: true},
		{ID: "ani", Name: "Ani", Role: services.RoleCamat, Active: true},
		{ID: "lama", Name: "Pensiun", Role: services.RolePetugas, Unit: "pelayanan_umum", Active: false},
	}}
	id, err := Staff(dir, "budi")
	if err != nil {
		t.Fatalf("Staff(budi): %v", err)
	}
	if id.Chat != (conversation.ChatKey{Channel: "terminal", ChatID: "staff:budi"}) || id.SenderID != "budi" {
		t.Errorf("identity = %+v", id)
	}
	if o, ok := dir.ByIdentity(id.Chat.Channel, id.SenderID); !ok || o.ID != "budi" {
		t.Errorf("the directory does not recognize the identity it gave")
	}

	_, err = Staff(dir, "joko")
	if err == nil || !strings.Contains(err.Error(), `no officer "joko"`) || !strings.Contains(err.Error(), "ani, budi") {
		t.Errorf("Staff(joko) = %v, want an error listing ani, budi", err)
	}
	_, err = Staff(dir, "lama")
	if err == nil || !strings.Contains(err.Error(), "not active") || strings.Contains(err.Error(), "lama,") {
		t.Errorf("Staff(lama) = %v, want a not-active error", err)
	}
	_, err = Staff(nil, "budi")
	if err == nil || !strings.Contains(err.Error(), "no active officer") {
		t.Errorf("Staff with no directory = %v", err)
	}

	h := &fakeHandler{}
	run(t, &Session{Who: id, In: strings.NewReader("kasus\n")}, h)
	if h.got[0].Chat.ChatID != "staff:budi" || h.got[0].SenderID != "budi" {
		t.Errorf("staff message = chat %v sender %q", h.got[0].Chat, h.got[0].SenderID)
	}
}

func TestCitizenChatID(t *testing.T) {
	if c := Citizen("warung"); c.Chat.ChatID != "warung" || c.Chat.Channel != Channel {
		t.Errorf("Citizen(warung) = %+v", c)
	}
}

// TestNotifyPrintsForOtherChats: what the engine sends other chats while
// it handles a line is printed after the line's replies, marked with its
// chat; at other times at once.
func TestNotifyPrintsForOtherChats(t *testing.T) {
	var out bytes.Buffer
	s := &Session{Who: Citizen(""), In: strings.NewReader("tanya\n"), Out: &out}
	h := &fakeHandler{replies: func(in conversation.Inbound) []conversation.Reply {
		// As the engine does: a notification during the turn, then the reply.
		if err := s.Notify(context.Background(), conversation.ChatKey{Channel: "telegram", ChatID: "777"},
			conversation.Reply{Text: "Kasus baru", Options: []conversation.Option{{Label: "Lihat"}}}); err != nil {
			t.Errorf("Notify: %v", err)
		}
		return []conversation.Reply{{Text: "Terkirim"}}
	}}
	if err := s.Run(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if want := "Terkirim\n\n[-> telegram:777]\nKasus baru\n  1. Lihat\n\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	out.Reset()
	if err := s.Notify(context.Background(), conversation.ChatKey{Channel: Channel, ChatID: "staff:budi"}, conversation.Reply{Text: "Pengingat"}); err != nil {
		t.Fatal(err)
	}
	if want := "[-> terminal:staff:budi]\nPengingat\n\n"; out.String() != want {
		t.Errorf("output between lines %q, want %q", out.String(), want)
	}
}

func TestSwitchIdentity(t *testing.T) {
	dir := &services.Staff{Officers: []services.Officer{{ID: "budi", Name: "Budi", Role: services.RolePetugas, Unit: "u", Active: true}}}
	var asked []string
	s := &Session{Who: Citizen(""), In: strings.NewReader("a\n/as staff:budi\nb\n/as staff:joko\nc\n/as citizen\nd\n")}
	s.Switch = func(who string) (Identity, error) {
		asked = append(asked, who)
		if who == "citizen" {
			return Citizen(""), nil
		}
		return Staff(dir, strings.TrimPrefix(who, "staff:"))
	}
	h := &fakeHandler{}
	out := run(t, s, h)
	if strings.Join(asked, "|") != "staff:budi|staff:joko|citizen" {
		t.Errorf("Switch asked %q", asked)
	}
	var chats []string
	for _, in := range h.got {
		chats = append(chats, in.Text+"@"+in.Chat.ChatID)
	}
	// A refused switch keeps the identity; "/as" lines are never sent.
	if want := "a@local|b@staff:budi|c@staff:budi|d@local"; strings.Join(chats, "|") != want {
		t.Errorf("sent %q, want %q", strings.Join(chats, "|"), want)
	}
	for _, w := range []string{"(/as staff:budi: chat terminal:staff:budi)\n", "! no officer \"joko\"", "(/as citizen: chat terminal:local)\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}

	// Without a Switch function "/as" is text like any other.
	h = &fakeHandler{}
	run(t, &Session{Who: Citizen(""), In: strings.NewReader("/as staff:budi\n")}, h)
	if len(h.got) != 1 || h.got[0].Text != "/as staff:budi" {
		t.Errorf("without Switch: sent %+v", h.got)
	}
}

// TestReachableOfficers: in the terminal every officer gets notices in the
// chat Staff plays, besides their other addresses, and the directory given
// is left as it was.
func TestReachableOfficers(t *testing.T) {
	dir := &services.Staff{
		Officers: []services.Officer{
			{ID: "budi", Role: services.RolePetugas, Unit: "umum", Active: true, Contacts: services.Contacts{"telegram": "42"}},
			{ID: "sari", Role: services.RoleKasi, Unit: "umum", Active: true},
		},
		UnitGroups: map[string]services.Contacts{},
	}
	got := Reachable(dir)
	for i, o := range got.Officers {
		id, err := Staff(got, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Contacts[Channel] != id.Chat.ChatID {
			t.Errorf("officer %s: terminal address %q, want the chat %q", o.ID, o.Contacts[Channel], id.Chat.ChatID)
		}
		if _, ok := dir.Officers[i].Contacts[Channel]; ok {
			t.Errorf("officer %s: the given directory was changed", o.ID)
		}
	}
	if got.Officers[0].Contacts["telegram"] != "42" {
		t.Errorf("budi lost his Telegram address: %v", got.Officers[0].Contacts)
	}
	if Reachable(nil) != nil {
		t.Error("Reachable(nil) is not nil")
	}
}

func TestResolve(t *testing.T) {
	dir := &services.Staff{Officers: []services.Officer{{ID: "budi", Role: services.RolePetugas, Unit: "umum", Active: true}}}
	for _, tc := range []struct {
		who, chat string
		want      string // the chat, or the error's start
	}{
		{"citizen", "", "terminal:local"},
		{"citizen", "warung", "terminal:warung"},
		{"staff:budi", "", "terminal:staff:budi"},
		{"staff:joko", "", `no officer "joko" in staff.yaml; known officers: budi`},
		{"bupati", "", `"bupati": use citizen or staff:<id>`},
	} {
		id, err := Resolve(dir, tc.chat, tc.who)
		got := id.Chat.Channel + ":" + id.Chat.ChatID
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("Resolve(%q, %q) = %q, want %q", tc.chat, tc.who, got, tc.want)
		}
	}
}
