package whatsapp

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
)

// sender is every call the bot makes on a live connection to send and
// fetch. Tests fake it; in production it is the *whatsmeow.Client.
type sender interface {
	SendMessage(ctx context.Context, to types.JID, message *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	GenerateMessageID() types.MessageID
	MarkRead(ctx context.Context, ids []types.MessageID, timestamp time.Time, chat, sender types.JID, receiptTypeExtra ...types.ReceiptType) error
	SendChatPresence(ctx context.Context, jid types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error
	SendPresence(ctx context.Context, state types.Presence) error
	DownloadToFile(ctx context.Context, msg whatsmeow.DownloadableMessage, file whatsmeow.File) error
	Upload(ctx context.Context, plaintext []byte, appInfo whatsmeow.MediaType) (whatsmeow.UploadResponse, error)
	// GetUserInfo looks people up by phone number: their LID, and the
	// privacy token a send to them needs.
	GetUserInfo(ctx context.Context, jids []types.JID) (map[types.JID]types.UserInfo, error)
}

// conn is a connection to WhatsApp: the sends, and what Run does to open,
// pair and close it. In production it is a *whatsmeow.Client built by
// dial; tests build fakes that act like WhatsApp's server.
type conn interface {
	sender
	Connect() error
	Disconnect()
	// ResetConnection drops the connection and reconnects, so WhatsApp
	// delivers again what was not acknowledged.
	ResetConnection()
	GetQRChannel(ctx context.Context) (<-chan whatsmeow.QRChannelItem, error)
	PairPhone(ctx context.Context, phone string, showPushNotification bool, clientType whatsmeow.PairClientType, clientDisplayName string) (string, error)
}

var _ conn = (*whatsmeow.Client)(nil)

// lidStore is what the bot asks of whatsmeow's map of LIDs to phone
// numbers: store.LIDStore, filled by whatsmeow from messages, history
// syncs and lookups.
type lidStore interface {
	GetPNForLID(ctx context.Context, lid types.JID) (types.JID, error)
	GetLIDForPN(ctx context.Context, pn types.JID) (types.JID, error)
}

var _ lidStore = (store.LIDStore)(nil)

// dialer builds the connection of one Run on a device loaded from the
// store, with handler as its only event handler. Its boolean answer says
// whether the event was taken care of: false refuses the acknowledgement,
// and WhatsApp delivers the message again.
type dialer func(device *store.Device, handler func(evt any) bool) conn

// dialWhatsApp is the production dialer: a whatsmeow client set up as the
// bot needs it.
func (b *Bot) dialWhatsApp(device *store.Device, handler func(evt any) bool) conn {
	c := whatsmeow.NewClient(device, newWALogger(b.log, "client"))
	c.EnableAutoReconnect = true
	// Acknowledge a message only once the handler journaled it, and keep
	// its decrypted text meanwhile: a refused message is delivered again,
	// and the Signal session has already moved past it, so only the buffer
	// can decrypt it a second time.
	c.SynchronousAck = true
	c.EnableDecryptedEventBuffer = true
	// Ask the phone for a message this device could not decrypt; it comes
	// back as a resend the bot answers (translate).
	c.AutomaticMessageRerequestFromPhone = true
	// Keep sent messages in the store, so a retry receipt ("waiting for
	// this message" on the citizen's phone) is answered after a restart.
	c.UseRetryMessageStore = true
	// whatsmeow retries by itself once a connection was up; the bot says in
	// one line what is wrong instead of logging every attempt.
	c.AutoReconnectHook = func(err error) bool {
		b.net.failed(err)
		return true
	}
	c.AddEventHandlerWithSuccessStatus(handler)
	return c
}

// link is one Run's connection and what goes with it.
type link struct {
	c         conn
	lids      lidStore // nil in tests that do not need it
	fatalOnce sync.Once
	leaving   atomic.Bool // the session moved to another process
	resolved  atomic.Bool // the officers' LIDs were looked up on this connection
}

// upSignal is whether the connection is up, and a way to wait for it.
type upSignal struct {
	mu sync.Mutex
	up bool
	ch chan struct{} // closed while up
}

func newUpSignal() *upSignal { return &upSignal{ch: make(chan struct{})} }

func (u *upSignal) set(up bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case up && !u.up:
		close(u.ch)
	case !up && u.up:
		u.ch = make(chan struct{})
	}
	u.up = up
}

func (u *upSignal) is() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.up
}

// wait returns nil once the connection is up, or ctx's error.
func (u *upSignal) wait(ctx context.Context) error {
	u.mu.Lock()
	ch := u.ch
	u.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// netReport says in one line why WhatsApp cannot be reached, once for
// each situation: a newcomer without internet reads what to do, not a Go
// error chain every minute.
type netReport struct {
	b    *Bot
	mu   sync.Mutex
	last string // situation last reported, "" while connected
}

// Situations netReport tells apart.
const (
	netOffline = "offline" // no network, or no route to WhatsApp
	netRefused = "refused" // WhatsApp answered, and refused
)

func (r *netReport) failed(err error) {
	situation := netRefused
	if offline(err) {
		situation = netOffline
	}
	r.mu.Lock()
	same := r.last == situation
	r.last = situation
	r.mu.Unlock()
	if same {
		r.b.log.Debug("whatsapp still unreachable", "err", err)
		return
	}
	switch situation {
	case netOffline:
		r.b.log.Warn("WhatsApp is unreachable from this computer: check its internet connection; the bot keeps trying. Meanwhile `go run ./cmd/bot chat` tries every conversation with no phone",
			"err", err)
	default:
		r.b.log.Warn("WhatsApp refused the connection; the bot keeps trying", "err", err)
	}
}

// connected ends the situation reported, with a line if one was.
func (r *netReport) connected() {
	r.mu.Lock()
	was := r.last
	r.last = ""
	r.mu.Unlock()
	if was != "" {
		r.b.log.Info("WhatsApp reachable again")
	}
}

// offline reports whether err is the network's, not WhatsApp's answer.
func offline(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	if errors.As(err, &dns) || errors.As(err, &op) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"no such host", "connection refused", "network is unreachable", "i/o timeout", "dial"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
