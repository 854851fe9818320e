// Package terminal is a chat channel over a terminal: a line-based loop that
// sends each typed line to the conversation engine and prints its replies,
// options numbered. It lets a newcomer or a kecamatan officer try every flow
// without a phone, on the bot's real storage. It reads and writes plain
// io.Reader and io.Writer values, so it is tested like any other channel.
package terminal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// Channel is the ChatKey channel name of terminal chats.
const Channel = "terminal"

// MaxAttachmentSize is the largest file a line may attach, the same cap the
// chat apps' channels apply.
const MaxAttachmentSize = 10 << 20

// QuitCommand ends the session; so does the end of input.
const QuitCommand = "/quit"

// SwitchCommand, followed by who, changes the identity mid-session when the
// Session has a Switch function: "/as staff:budi", "/as citizen".
const SwitchCommand = "/as"

// Handler answers one inbound message: the conversation engine.
type Handler interface {
	Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error)
}

// Identity is who the terminal user is in the conversation.
type Identity struct {
	Chat     conversation.ChatKey
	SenderID string
}

// Citizen is a citizen's identity in chat chatID; an empty chatID is the
// default chat "local". Two terminals with different chat ids are two
// citizens.
func Citizen(chatID string) Identity {
	if chatID == "" {
		chatID = "local"
	}
	return Identity{Chat: conversation.ChatKey{Channel: Channel, ChatID: chatID}, SenderID: chatID}
}

// Staff is the identity of the active officer with the given id: chat
// "staff:<id>", sender <id>, which services.Staff.ByIdentity recognizes on
// the terminal channel. An unknown or inactive id is an error that lists
// the ids that may be used.
func Staff(dir *services.Staff, id string) (Identity, error) {
	if _, ok := dir.ByIdentity(Channel, id); ok {
		return Identity{Chat: conversation.ChatKey{Channel: Channel, ChatID: "staff:" + id}, SenderID: id}, nil
	}
	var known []string
	if dir != nil {
		for _, o := range dir.Officers {
			if o.Active {
				known = append(known, o.ID)
			}
		}
	}
	sort.Strings(known)
	list := strings.Join(known, ", ")
	if list == "" {
		list = "none (configs/staff.yaml lists no active officer)"
	}
	if o, ok := dir.Officer(id); ok && !o.Active {
		return Identity{}, fmt.Errorf("officer %q is not active in staff.yaml; active officers: %s", id, list)
	}
	return Identity{}, fmt.Errorf("no officer %q in staff.yaml; known officers: %s", id, list)
}

// Resolve returns the identity that who names, as --as and "/as" take it:
// "citizen" is the citizen of chat chatID (see Citizen), "staff:<id>" the
// active officer id of dir (see Staff).
func Resolve(dir *services.Staff, chatID, who string) (Identity, error) {
	if who == "citizen" {
		return Citizen(chatID), nil
	}
	if id, ok := strings.CutPrefix(who, "staff:"); ok {
		return Staff(dir, id)
	}
	return Identity{}, fmt.Errorf("%q: use citizen or staff:<id>", who)
}

// Reachable returns a copy of dir in which every active officer can also
// be notified in the terminal chat Staff gives them, so a session that
// plays an officer shows the new-case notices of their unit, which the
// shipped staff.yaml (with no Telegram or WhatsApp identities yet) sends
// nowhere. A unit with a group still notifies its group instead.
func Reachable(dir *services.Staff) *services.Staff {
	if dir == nil {
		return nil
	}
	out := &services.Staff{UnitGroups: dir.UnitGroups, Officers: make([]services.Officer, len(dir.Officers))}
	for i, o := range dir.Officers {
		contacts := services.Contacts{Channel: "staff:" + o.ID}
		for channel, addr := range o.Contacts {
			contacts[channel] = addr
		}
		o.Contacts = contacts
		out.Officers[i] = o
	}
	return out
}

// Session is one terminal conversation.
type Session struct {
	// Who is the user; build it with Citizen or Staff.
	Who Identity
	// Name is the sender's display name, as a chat app would give it.
	Name string
	// In is read line by line; Out receives the replies.
	In  io.Reader
	Out io.Writer
	// Prompt is written before each line is read; empty for none.
	Prompt string
	// Now stamps messages; defaults to time.Now.
	Now func() time.Time
	// Switch, when set, resolves the argument of "/as <who>" to the new
	// identity, so one session can play the citizen and the officer in
	// turn on one store.
	Switch func(who string) (Identity, error)

	mu sync.Mutex // Out is written by Run and by Notify
	// held are the notifications sent while a message is handled: they
	// are printed after its replies, as a chat app would show them.
	held     strings.Builder
	handling bool
}

// write writes to Out, one writer at a time.
func (s *Session) write(text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.Out, text); err != nil {
		return fmt.Errorf("write to terminal: %w", err)
	}
	return nil
}

// Notify implements conversation.Notifier: a message the engine sends to
// another chat (a staff notification, a citizen's update) is printed,
// marked with the chat it is for, so one terminal shows what every party
// would receive.
func (s *Session) Notify(_ context.Context, to conversation.ChatKey, r conversation.Reply) error {
	text := "[-> " + to.Channel + ":" + to.ChatID + "]\n" + render([]conversation.Reply{r})
	s.mu.Lock()
	if s.handling {
		s.held.WriteString(text)
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	return s.write(text)
}

// hold makes Notify keep what it is sent until release.
func (s *Session) hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handling = true
}

// release prints text, then the notifications held since hold.
func (s *Session) release(text string) error {
	s.mu.Lock()
	s.handling = false
	text += s.held.String()
	s.held.Reset()
	s.mu.Unlock()
	return s.write(text)
}

// runID makes message ids unique across runs of the process: the engine
// drops a message id it has seen, and the storage outlives a run.
var runID = strconv.FormatInt(time.Now().UnixNano(), 36)

var seq atomic.Int64

// nextMessageID is unique per process run and across runs.
func nextMessageID() string {
	return runID + "-" + strconv.FormatInt(seq.Add(1), 10)
}

// Run reads lines until /quit, the end of input or ctx is done, sends each
// to h and prints the replies. An empty line is not sent. A line naming an
// existing .jpg, .jpeg, .png, .webp or .pdf file sends that file as an
// attachment. A handler error ends the session and is returned, since a
// message the engine could not handle would otherwise be silently lost.
func (s *Session) Run(ctx context.Context, h Handler) error {
	now := s.Now
	if now == nil {
		now = time.Now
	}
	r := bufio.NewReader(s.In)
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		if s.Prompt != "" {
			if err := s.write(s.Prompt); err != nil {
				return err
			}
		}
		line, readErr := r.ReadString('\n')
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			return fmt.Errorf("read input: %w", readErr)
		}
		line = strings.TrimRight(line, "\r\n")
		eof := errors.Is(readErr, io.EOF)
		if eof && line == "" && s.Prompt != "" {
			// End the prompt's line, so what the shell prints next starts on its own.
			if err := s.write("\n"); err != nil {
				return err
			}
		}
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch {
		case cmd == QuitCommand && arg == "":
			return nil
		case cmd == SwitchCommand && s.Switch != nil:
			if err := s.switchTo(strings.TrimSpace(arg)); err != nil {
				return err
			}
		case strings.TrimSpace(line) != "":
			in, err := s.inbound(line, now())
			if err != nil {
				// A file that cannot be sent is the user's typo, not the
				// engine's business: say so and read the next line.
				if err := s.write("! " + err.Error() + "\n"); err != nil {
					return err
				}
			} else {
				s.hold()
				replies, err := h.Handle(ctx, in)
				if err != nil {
					return errors.Join(fmt.Errorf("handle message %s: %w", in.MessageID, err), s.release(""))
				}
				if err := s.release(render(replies)); err != nil {
					return err
				}
			}
		}
		if eof {
			return nil
		}
	}
}

// switchTo changes the identity to who, or says why it cannot.
func (s *Session) switchTo(who string) error {
	id, err := s.Switch(who)
	if err != nil {
		return s.write("! " + err.Error() + "\n")
	}
	s.Who = id
	return s.write("(" + SwitchCommand + " " + who + ": chat " + id.Chat.Channel + ":" + id.Chat.ChatID + ")\n\n")
}

// inbound turns a typed line into a message.
func (s *Session) inbound(line string, at time.Time) (conversation.Inbound, error) {
	in := conversation.Inbound{
		Chat:       s.Who.Chat,
		SenderID:   s.Who.SenderID,
		SenderName: s.Name,
		MessageID:  nextMessageID(),
		Kind:       conversation.KindText,
		Text:       line,
		At:         at,
	}
	path, ok := attachmentPath(line)
	if !ok {
		return in, nil
	}
	a, err := readAttachment(path)
	if err != nil {
		return conversation.Inbound{}, err
	}
	// As a chat app's photo or document arrives: a media message the
	// engine may read the attachment of, or politely decline.
	in.Kind, in.Text, in.Media = conversation.KindUnsupported, "", a.Kind
	in.Attachments = []conversation.Attachment{a}
	return in, nil
}

// attachmentExts are the file names a line may attach.
var attachmentExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".webp": true, ".pdf": true}

// attachmentPath reports whether line names an existing regular file with
// an attachable extension. Quotes, as terminals add when a file is dropped
// on them, are removed.
func attachmentPath(line string) (string, bool) {
	p := strings.TrimSpace(line)
	if len(p) >= 2 && (p[0] == '\'' || p[0] == '"') && p[len(p)-1] == p[0] {
		p = p[1 : len(p)-1]
	}
	if !attachmentExts[strings.ToLower(filepath.Ext(p))] {
		return "", false
	}
	info, err := os.Stat(p)
	if err != nil || !info.Mode().IsRegular() {
		return "", false
	}
	return p, true
}

// allowedMIME maps the types a citizen may send to the attachment kind.
var allowedMIME = map[string]string{
	"image/jpeg":      "photo",
	"image/png":       "photo",
	"image/webp":      "photo",
	"application/pdf": "document",
}

// readAttachment reads at most MaxAttachmentSize bytes of path and detects
// its type from its bytes, never from its name.
func readAttachment(path string) (conversation.Attachment, error) {
	f, err := os.Open(path)
	if err != nil {
		return conversation.Attachment{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxAttachmentSize+1))
	if err != nil {
		return conversation.Attachment{}, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxAttachmentSize {
		return conversation.Attachment{}, fmt.Errorf("%s is larger than %d MB: not sent", path, MaxAttachmentSize>>20)
	}
	mime, _, _ := strings.Cut(http.DetectContentType(data), ";")
	kind, ok := allowedMIME[mime]
	if !ok {
		return conversation.Attachment{}, fmt.Errorf("%s holds %s, not a JPEG, PNG, WebP or PDF: not sent", path, mime)
	}
	return conversation.Attachment{Kind: kind, MIME: mime, Name: filepath.Base(path), Data: data}, nil
}

// render is replies as the terminal shows them: each reply's text, its
// options numbered "  1. Label", and a blank line after each reply.
func render(replies []conversation.Reply) string {
	var b strings.Builder
	for _, r := range replies {
		b.WriteString(r.Text)
		b.WriteByte('\n')
		for i, o := range r.Options {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, o.Label)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
