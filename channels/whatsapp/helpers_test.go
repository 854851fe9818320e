package whatsapp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/channels/dispatch/dispatchtest"
	"github.com/leksono/sapa/conversation"
)

// sent is one message the fake sender was asked to send.
type sent struct {
	to   types.JID
	text string
	id   types.MessageID
	at   time.Time
	msg  *waE2E.Message
}

// upload is one file the fake sender was asked to upload.
type upload struct {
	data []byte
	kind whatsmeow.MediaType
}

// fakeSender records what the bot does on the connection. failSends makes
// the next n SendMessage calls fail; files are served by direct path.
type fakeSender struct {
	mu        sync.Mutex
	clock     dispatch.Clock
	sent      []sent
	reads     []types.MessageID
	presences []types.ChatPresence
	available int
	files     map[string][]byte
	failSends int
	refuse    map[string]int // SendMessage to this user answers error 463 this many times
	lookups   [][]types.JID  // every GetUserInfo call
	lids      map[string]string
	nextID    int
	tries     []types.MessageID // id of every SendMessage call, failed or not
	uploads   []upload
	failUps   int // the next n Upload calls fail
	resets    int
	written   int64 // bytes the last DownloadToFile wrote
}

var _ conn = (*fakeSender)(nil)

func newFakeSender(c dispatch.Clock) *fakeSender {
	return &fakeSender{clock: c, files: map[string][]byte{}, refuse: map[string]int{}, lids: map[string]string{}}
}

func (f *fakeSender) SendMessage(_ context.Context, to types.JID, m *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var id types.MessageID
	if len(extra) > 0 {
		id = extra[0].ID
	}
	f.tries = append(f.tries, id)
	if f.refuse[to.User] > 0 {
		f.refuse[to.User]--
		return whatsmeow.SendResponse{}, fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 463)
	}
	if f.failSends > 0 {
		f.failSends--
		return whatsmeow.SendResponse{}, whatsmeow.ErrNotConnected
	}
	f.sent = append(f.sent, sent{to: to, text: m.GetConversation(), id: id, at: f.clock.Now(), msg: m})
	return whatsmeow.SendResponse{ID: id}, nil
}

func (f *fakeSender) GenerateMessageID() types.MessageID {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return "OUT" + strconv.Itoa(f.nextID)
}

func (f *fakeSender) MarkRead(_ context.Context, ids []types.MessageID, _ time.Time, _, _ types.JID, _ ...types.ReceiptType) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, ids...)
	return nil
}

func (f *fakeSender) SendChatPresence(_ context.Context, _ types.JID, state types.ChatPresence, _ types.ChatPresenceMedia) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.presences = append(f.presences, state)
	return nil
}

func (f *fakeSender) SendPresence(context.Context, types.Presence) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.available++
	return nil
}

// DownloadToFile writes the file as whatsmeow does: io.Copy of the body
// into the file, which may refuse to grow.
func (f *fakeSender) DownloadToFile(_ context.Context, m whatsmeow.DownloadableMessage, file whatsmeow.File) error {
	f.mu.Lock()
	data, ok := f.files[m.GetDirectPath()]
	f.mu.Unlock()
	if !ok {
		return errors.New("media gone from the server")
	}
	n, err := io.Copy(file, io.TeeReader(bytes.NewReader(data), io.Discard))
	f.mu.Lock()
	f.written = n
	f.mu.Unlock()
	return err
}

// GetUserInfo answers the LIDs the fake knows, by phone number.
func (f *fakeSender) GetUserInfo(_ context.Context, jids []types.JID) (map[types.JID]types.UserInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, jids)
	out := map[types.JID]types.UserInfo{}
	for _, j := range jids {
		info := types.UserInfo{}
		if lid := f.lids[j.User]; lid != "" {
			info.LID = types.NewJID(lid, types.HiddenUserServer)
		}
		out[j] = info
	}
	return out, nil
}

func (f *fakeSender) Connect() error { return nil }
func (f *fakeSender) Disconnect()    {}

func (f *fakeSender) ResetConnection() {
	f.mu.Lock()
	f.resets++
	f.mu.Unlock()
}

func (f *fakeSender) GetQRChannel(context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	return nil, errors.New("the fake sender does not pair")
}

func (f *fakeSender) PairPhone(context.Context, string, bool, whatsmeow.PairClientType, string) (string, error) {
	return "", errors.New("the fake sender does not pair")
}

// Upload records the file and answers like WhatsApp's media server, with a
// direct path numbered by upload and the plaintext's length and hash.
func (f *fakeSender) Upload(_ context.Context, data []byte, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failUps > 0 {
		f.failUps--
		return whatsmeow.UploadResponse{}, errors.New("media upload failed: 503")
	}
	f.uploads = append(f.uploads, upload{data: append([]byte(nil), data...), kind: kind})
	sum := sha256.Sum256(data)
	path := "/up/" + strconv.Itoa(len(f.uploads))
	return whatsmeow.UploadResponse{
		URL: "https://mmg.whatsapp.net" + path, DirectPath: path,
		MediaKey: []byte("key"), FileEncSHA256: []byte("enc"), FileSHA256: sum[:], FileLength: uint64(len(data)),
	}, nil
}

// take returns the messages sent since the last take.
func (f *fakeSender) take() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.sent
	f.sent = nil
	return out
}

// handlerFunc adapts a function to Handler.
type handlerFunc func(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error)

func (f handlerFunc) Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
	return f(ctx, in)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// t0 is when the tests' messages are sent.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// testBot builds a Bot on a fake sender and fake clock, with its workers
// running until the test ends.
func testBot(t *testing.T, cfg Config, h Handler) (*Bot, *fakeSender, *dispatchtest.Clock) {
	t.Helper()
	c := dispatchtest.NewClock(t0)
	api := newFakeSender(c)
	b, err := newBot(cfg, h, quietLog(), api, c)
	if err != nil {
		t.Fatalf("newBot: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	closeInbox := b.serve(ctx, ctx, 4)
	t.Cleanup(func() {
		cancel()
		closeInbox()
	})
	return b, api, c
}

// waitIdle blocks until every message queued so far is finished, so a test
// steps through a conversation one message at a time.
func (b *Bot) waitIdle() { b.inbox.Load().Idle() }

// person is a citizen's phone JID as WhatsApp addresses it.
func person(user string) types.JID { return types.NewJID(user, types.DefaultUserServer) }

// dm is a message from user to the bot in their one-to-one chat.
func dm(id, user string, m *waE2E.Message) *events.Message {
	jid := person(user)
	return &events.Message{
		Info: types.MessageInfo{
			MessageSource: types.MessageSource{Chat: jid, Sender: jid, AddressingMode: types.AddressingModePN},
			ID:            id, PushName: "Siti", Timestamp: t0, Type: "text",
		},
		Message: m,
	}
}

func text(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
