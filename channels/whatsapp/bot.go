// Package whatsapp connects the conversation engine to WhatsApp through
// whatsmeow, which links the bot to an ordinary WhatsApp account as a
// companion device (like WhatsApp Web). It translates whatsmeow message
// events into conversation.Inbound values and conversation.Reply values into
// plain text messages with numbered options; the engine decides everything
// else.
//
// Delivery: whatsmeow acknowledges a message to WhatsApp once the event
// handler says it was taken care of, and WhatsApp does not deliver it
// again; the handler journals it (Config.Journal, one Redis round trip),
// refuses the acknowledgement when the journal cannot be written (WhatsApp
// then delivers it again), and queues it (a slow handler would hold up
// every chat). A message still in the journal when the process stops
// (killed, the grace ran out, or the session moved to another process) is
// replayed by the next holder, marked redelivered. A failing engine call is
// retried a few times with backoff, then logged and given up
// (channels/dispatch). Messages WhatsApp itself delivers twice are dropped
// by the engine's dedup on chat and message id. Without a journal, a
// message still queued when the process stops is lost.
//
// Session: Run may be called again after it returned (a lease lost and won
// back): each Run opens the device store, loads the device and builds its
// own client, so a process that stood by uses the session another process
// paired.
package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/channels/grace"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// Defaults applied by New to a zero Config field.
const (
	DefaultQRFile     = "data/whatsapp-qr.png"
	DefaultBacklogAge = 24 * time.Hour
	DefaultMaxMedia   = services.MaxFileBytes // bytes
	DefaultWorkers    = 8
	// DefaultRepliesPerMinute caps the replies to citizens who wrote in the
	// last minutes, over all chats: 40 citizens filling forms at once need
	// a few hundred a minute at one a second per chat. The cap is there to
	// stop a runaway, not to slow service; it is counted over 10 seconds,
	// so a burst is spread too.
	DefaultRepliesPerMinute = 600
	// DefaultNoticesPerMinute caps proactive sends (notifications, survey
	// invitations, officer alerts, replies to old messages) over all chats:
	// WhatsApp bans numbers that write first like machines.
	DefaultNoticesPerMinute = 20
)

// Pacing of every message sent, besides the caps of Config.
const (
	perChatGap   = time.Second      // least time between two messages to one chat
	noticeWindow = time.Minute      // the window NoticesPerMinute counts in
	replyWindow  = 10 * time.Second // the window RepliesPerMinute counts in, per sixth
	// replyFresh is how recent the citizen's message must be for the
	// answer to pace as a reply; an answer to an older one (a backlog, a
	// replay) paces like a notification.
	replyFresh = 5 * time.Minute
)

// Kinds of sends, as Config.Waited reports them.
const (
	SendReply  = "reply"
	SendNotice = "notice"
)

// Locale keys this package reads (locales/id/whatsapp.yaml).
const (
	keyOptionsHint    = "whatsapp.options_hint"
	keyBacklogApology = "whatsapp.backlog_apology"
)

// Reasons passed to the OnFatal callback. Each has a staff-facing text
// under whatsapp.fatal.<reason> in the locales.
const (
	ReasonLoggedOut      = "logged_out"      // the account unlinked the bot: pair again
	ReasonTemporaryBan   = "temporary_ban"   // WhatsApp banned the number for a while
	ReasonClientOutdated = "client_outdated" // whatsmeow must be updated
	ReasonStreamReplaced = "stream_replaced" // another process uses the same session
	ReasonConnectFailure = "connect_failure" // WhatsApp refused the connection for another reason
)

// ErrFirstContact is returned by Send for a chat that never wrote to the
// bot: writing first to strangers is what gets numbers banned.
var ErrFirstContact = errors.New("whatsapp: this chat never wrote to the bot")

// ErrRefused is returned, wrapped, by a send WhatsApp refused for this
// chat (error 463: no privacy token, or WhatsApp's block on writing to a
// chat that went cold) even after the bot fetched the chat's token again.
var ErrRefused = errors.New("whatsapp refused the message for this chat")

// Handler is what the bot needs from the conversation engine. Handle is
// called for one chat at a time, in the order the citizen sent the
// messages; it must be idempotent per Inbound.MessageID because a failed
// call is retried and WhatsApp may deliver a message twice.
type Handler interface {
	Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error)
}

// Config configures a Bot. Zero fields take the defaults named on them.
type Config struct {
	StoreDialect string        // DialectPostgres (driver pgx) or DialectSQLite (driver "sqlite", linked by the program)
	StoreDSN     string        // database of the device keys; may be the application's own database
	PairPhone    string        // WHATSAPP_PAIR_PHONE: pair by code for this number instead of by QR
	QRFile       string        // where the pairing QR is written as PNG, default data/whatsapp-qr.png
	BacklogAge   time.Duration // messages older than this on arrival get an apology instead of an answer, default 24h
	MaxMedia     int64         // largest photo or PDF downloaded, in bytes, default 10 MB
	TempDir      string        // where downloads are capped on their way in, default the system's
	StaffGroups  []string      // group JIDs (…@g.us) whose messages are handled; other groups are ignored
	Workers      int           // chats handled in parallel, default 8

	// RepliesPerMinute caps the replies to recent messages over all chats,
	// default DefaultRepliesPerMinute; NoticesPerMinute caps every other
	// send, default DefaultNoticesPerMinute. Each chat gets at most one
	// message a second either way.
	RepliesPerMinute int
	NoticesPerMinute int
	// Waited, if set, is told how long each send waited for its slot
	// (kind SendReply or SendNotice), and how much of that the overall
	// cap added: the metric that says whether the caps slow service.
	Waited func(kind string, d dispatch.Delay)

	// Contacts are numbers the bot may write to without their writing
	// first: the staff officers of configs/staff.yaml. Any form (0812...,
	// +62 812...) is accepted. Their LIDs are looked up once connected, so
	// an officer writing from a LID-only account is still staff.
	Contacts []string
	// WroteBefore, if set, is asked by Send about a chat that has not
	// written since the bot started (the bot remembers only those), e.g.
	// "has this chat filed a case". Without it such sends are refused.
	WroteBefore func(ctx context.Context, chatID string) (bool, error)
	// Merge, if set, moves what is kept of a person under the chat id from
	// ("lid:<n>") to the chat id to (their phone number), once the bot
	// learns that they are one person; it must be safe to call again.
	Merge func(ctx context.Context, from, to string) error
	// Texts are the locales; nil loads the ones built into the binary.
	Texts *locales.Bundle
	// Journal, when set, keeps each message from its arrival until it is
	// answered, so a crash loses none (see Journal).
	Journal Journal
	// GiveUp, when set, receives every message whose handling failed on its
	// own at every attempt (the dead letters): WhatsApp will not deliver it
	// again, so this is where it is kept. Failures of the engine's storage
	// (conversation.ErrUnavailable) never count: the message waits for the
	// outage to end.
	GiveUp func(ctx context.Context, in conversation.Inbound, attempts int, err error)
}

// Bot is one WhatsApp account linked to the engine. Run serves it; two
// processes must not run one session at once (WhatsApp keeps only the
// newest connection: StreamReplaced), which a lease around Run ensures.
type Bot struct {
	cfg     Config
	handler Handler
	log     *slog.Logger
	texts   *locales.Bundle

	dial    dialer
	cur     atomic.Pointer[link] // this Run's connection; nil between runs
	up      *upSignal
	net     *netReport
	clock   dispatch.Clock
	replies *dispatch.Pacer[string]
	notices *dispatch.Pacer[string]                           // a lane of replies: the gaps are shared
	inbox   atomic.Pointer[dispatch.Dispatcher[string, *job]] // while serving
	out     io.Writer                                         // where QR and pairing codes are printed

	staff    map[string]bool // StaffGroups
	contacts map[string]bool // Contacts, normalized

	running atomic.Bool
	// presenceDue is set when marking the account available failed for
	// lack of a push name, which arrives with the first app state sync.
	presenceDue atomic.Bool
	// redeliverDue is set while a reset of the connection is pending after
	// a refused acknowledgement; redeliver counts the resets since the
	// journal last worked.
	redeliverDue atomic.Bool
	redeliver    atomic.Int64

	mu          sync.Mutex
	chats       map[string]types.JID // chats that wrote since start, and the JID to answer them at
	wrote       map[string]time.Time // when each of those chats last wrote, for Send's kind
	apologized  map[string]time.Time // backlog apologies sent, per chat
	officerLIDs map[string]string    // LID user -> officer's phone number, looked up at connect
	merged      map[string]bool      // LIDs whose records were merged onto their number by this process

	fatalMu sync.Mutex
	onFatal func(reason string)

	// Timings, fixed by New; tests shorten them.
	handleTries   int           // engine calls per message
	downloadTries int           // download attempts per file
	sendTries     int           // attempts per outgoing message
	retryBase     time.Duration // first wait between attempts, doubled each time
	grace         time.Duration // how long messages in hand may take once Run is asked to stop
}

// New checks cfg and builds the bot. It does not touch the device store nor
// the network: each Run opens the store, loads the device and connects.
func New(cfg Config, h Handler, log *slog.Logger) (*Bot, error) {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("channel", channelName)
	if err := checkStore(cfg.StoreDialect, cfg.StoreDSN); err != nil {
		return nil, err
	}
	b, err := newBot(cfg, h, log, nil, dispatch.Wall)
	if err != nil {
		return nil, err
	}
	b.dial = b.dialWhatsApp
	return b, nil
}

// newBot builds everything but the connection. With api set (tests) that
// is the connection, up from the start.
func newBot(cfg Config, h Handler, log *slog.Logger, api conn, c dispatch.Clock) (*Bot, error) {
	if h == nil {
		return nil, errors.New("whatsapp: nil handler")
	}
	if cfg.QRFile == "" {
		cfg.QRFile = DefaultQRFile
	}
	if cfg.BacklogAge <= 0 {
		cfg.BacklogAge = DefaultBacklogAge
	}
	if cfg.MaxMedia <= 0 {
		cfg.MaxMedia = DefaultMaxMedia
	}
	if cfg.RepliesPerMinute <= 0 {
		cfg.RepliesPerMinute = DefaultRepliesPerMinute
	}
	if cfg.NoticesPerMinute <= 0 {
		cfg.NoticesPerMinute = DefaultNoticesPerMinute
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.PairPhone != "" && normalizePhone(cfg.PairPhone) == "" {
		return nil, fmt.Errorf("whatsapp: WHATSAPP_PAIR_PHONE %q is not a phone number (e.g. 6281234567890)", cfg.PairPhone)
	}
	texts := cfg.Texts
	if texts == nil {
		var err error
		if texts, err = locales.Load(locales.FS); err != nil {
			return nil, fmt.Errorf("whatsapp: load locales: %w", err)
		}
	}
	if missing := texts.Missing([]string{keyOptionsHint, keyBacklogApology}); len(missing) > 0 {
		return nil, fmt.Errorf("whatsapp: locales/%s lacks %v", locales.DefaultLang, missing)
	}
	staff := map[string]bool{}
	for _, g := range cfg.StaffGroups {
		j, err := types.ParseJID(g)
		if err != nil || j.Server != types.GroupServer {
			return nil, fmt.Errorf("whatsapp: staff group %q is not a group JID (…@g.us)", g)
		}
		staff[j.ToNonAD().String()] = true
	}
	contacts := map[string]bool{}
	for _, c := range cfg.Contacts {
		if n := normalizePhone(c); n != "" {
			contacts[n] = true
		}
	}
	replies := dispatch.NewPacer(c, dispatch.Pace[string]{
		Gap:   func(string) time.Duration { return perChatGap },
		Limit: max(1, (cfg.RepliesPerMinute+5)/6), Window: replyWindow,
	})
	b := &Bot{
		cfg:           cfg,
		handler:       h,
		log:           log,
		texts:         texts,
		up:            newUpSignal(),
		clock:         c,
		replies:       replies,
		notices:       replies.Lane(cfg.NoticesPerMinute, noticeWindow),
		out:           os.Stdout,
		staff:         staff,
		contacts:      contacts,
		chats:         map[string]types.JID{},
		wrote:         map[string]time.Time{},
		apologized:    map[string]time.Time{},
		officerLIDs:   map[string]string{},
		merged:        map[string]bool{},
		handleTries:   4,
		downloadTries: 3,
		sendTries:     3,
		retryBase:     time.Second,
		grace:         30 * time.Second,
	}
	b.net = &netReport{b: b}
	if api != nil {
		b.cur.Store(&link{c: api})
		b.up.set(true)
	}
	return b, nil
}

// Run opens the device store, loads the device, pairs the account if the
// store holds none, connects, and serves until ctx is done; then it
// finishes the messages in hand (for at most 30 s), disconnects and
// returns nil. When ctx ends because the session moved to another process
// (its cause has a TakenOver method reporting true, as a lost lease's
// does), it disconnects first and leaves the messages in hand to the
// journal, so the two connections never overlap. Disconnects are
// reconnected by whatsmeow. A fatal event (logged out, banned, outdated,
// replaced) is logged and reported to OnFatal, and Run keeps waiting for
// ctx without WhatsApp. It returns an error when the store cannot be
// opened or pairing cannot succeed; it may then be called again.
func (b *Bot) Run(ctx context.Context) error {
	if b.dial == nil {
		return errors.New("whatsapp: Run needs a Bot made by New")
	}
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("whatsapp: Run is already running")
	}
	defer b.running.Store(false)
	container, err := openStore(ctx, b.cfg.StoreDialect, b.cfg.StoreDSN, newWALogger(b.log, "store"))
	if err != nil {
		return err
	}
	defer func() {
		if err := container.Close(); err != nil {
			b.log.Warn("whatsapp store not closed cleanly", "err", err)
		}
	}()
	device, err := container.GetFirstDevice(ctx)
	if err != nil {
		return fmt.Errorf("load whatsapp device from store: %w", err)
	}
	if device.ID == nil {
		b.log.Info("WhatsApp is not linked to a phone yet: once connected the bot shows a QR code to scan (or a pairing code, with WHATSAPP_PAIR_PHONE)")
	} else {
		b.log.Info("whatsapp session loaded from store", "account", services.MaskID(device.ID.User))
	}
	// The container's map, not the device's: an unpaired device has none
	// until pairing sets it.
	l := &link{lids: container.LIDMap}
	l.c = b.dial(device, func(evt any) bool {
		if b.cur.Load() != l {
			return true // a late event of an earlier run's client
		}
		return b.onEvent(evt)
	})
	b.cur.Store(l)

	work, release := grace.Context(ctx, b.grace)
	defer release()
	stopWatch := context.AfterFunc(ctx, func() {
		if takenOver(context.Cause(ctx)) {
			// Another process may connect now: go first, and let the
			// journal hand what is in hand to it.
			l.leaving.Store(true)
			l.c.Disconnect()
			b.up.set(false)
			release()
			b.log.Warn("whatsapp session moved to another process: disconnected; messages in hand are left to it")
		}
	})
	defer stopWatch()
	// Without a journal nothing delivers a queued message again, so the
	// queue is drained for the whole grace, not only the messages in hand.
	closeInbox := b.serve(work, work, b.cfg.Workers)
	b.replay(ctx) // before connecting: older than anything WhatsApp sends now
	defer func() {
		closeInbox()
		l.c.Disconnect()
		b.up.set(false)
		b.cur.CompareAndSwap(l, nil)
		b.log.Info("whatsapp stopped")
	}()

	if device.ID == nil {
		if err := b.pair(ctx, l.c); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	} else if err := b.connectRetrying(ctx, l.c); err != nil {
		return nil // only a stop ends the retries
	}
	<-ctx.Done()
	return nil
}

// takenOver reports whether cause says the session moved to another
// process.
func takenOver(cause error) bool {
	var t interface{ TakenOver() bool }
	return errors.As(cause, &t) && t.TakenOver()
}

// connectRetrying opens the connection, retrying with backoff while the
// network is down; whatsmeow reconnects by itself once it was up. It fails
// only when ctx ends.
func (b *Bot) connectRetrying(ctx context.Context, c conn) error {
	wait := b.backoff()
	for {
		err := c.Connect()
		if err == nil || errors.Is(err, whatsmeow.ErrAlreadyConnected) {
			return nil
		}
		b.net.failed(err)
		if !b.clock.Sleep(ctx, wait.Next()) {
			return ctx.Err()
		}
	}
}

// Connected reports whether the bot is connected and logged in to WhatsApp.
func (b *Bot) Connected() bool { return b.up.is() }

// OnFatal sets f to be called, once per Run and on its own goroutine, when
// WhatsApp ends the session for good: f gets one of the Reason constants.
// Typically f tells the staff channel, in the words of
// whatsapp.fatal.<reason>.
func (b *Bot) OnFatal(f func(reason string)) {
	b.fatalMu.Lock()
	b.onFatal = f
	b.fatalMu.Unlock()
}

// onEvent is whatsmeow's event handler. whatsmeow calls it for one event at
// a time and waits for it, so it only logs, flips flags and queues work. It
// returns false to refuse the acknowledgement of a message it could not
// journal, so WhatsApp delivers it again.
func (b *Bot) onEvent(evt any) bool {
	switch e := evt.(type) {
	case *events.Message:
		return b.receive(e)
	case *events.Connected:
		b.up.set(true)
		b.net.connected()
		b.log.Info("whatsapp connected")
		go b.markAvailable()
		if l := b.cur.Load(); l != nil && l.resolved.CompareAndSwap(false, true) {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				b.resolveOfficers(ctx, l)
			}()
		}
	case *events.Disconnected:
		b.up.set(false)
		b.log.Warn("whatsapp disconnected; reconnecting automatically")
	case *events.KeepAliveTimeout:
		b.log.Warn("whatsapp keepalive timed out", "failures", e.ErrorCount)
	case *events.KeepAliveRestored:
		b.log.Info("whatsapp keepalive restored")
	case *events.OfflineSyncPreview:
		b.log.Info("whatsapp replaying what arrived while offline", "messages", e.Messages)
	case *events.OfflineSyncCompleted:
		b.log.Info("whatsapp offline replay done", "events", e.Count)
	case *events.PairSuccess:
		b.log.Info("whatsapp account linked", "account", services.MaskID(e.ID.User))
	case *events.PushNameSetting:
		if b.presenceDue.Load() {
			go b.markAvailable()
		}
	case *events.LoggedOut:
		b.fatal(ReasonLoggedOut, "whatsapp logged out: the phone removed this linked device (or WhatsApp did) and the session is deleted; restart the bot and pair again (QR code, or WHATSAPP_PAIR_PHONE)",
			"reason", e.Reason.String())
	case *events.TemporaryBan:
		b.fatal(ReasonTemporaryBan, "whatsapp temporarily banned this number: do not re-pair or reconnect until the ban ends, then restart the bot; send less, and only to people who wrote first",
			"ban", e.String())
	case *events.ClientOutdated:
		b.fatal(ReasonClientOutdated, "whatsapp refuses this client as outdated: upgrade whatsmeow to its newest commit as README.md says (go get go.mau.fi/whatsmeow@<pseudo-version>; @latest is too old), rebuild and restart")
	case *events.StreamReplaced:
		if l := b.cur.Load(); l != nil && l.leaving.Load() {
			b.log.Info("whatsapp stream replaced by the process that took the session over, as expected")
			return true
		}
		b.fatal(ReasonStreamReplaced, "whatsapp session taken over by another process using the same session: stop the other instance, then restart this bot")
	case events.PermanentDisconnect:
		b.fatal(ReasonConnectFailure, "whatsapp refused the connection and will not reconnect: check the account on the phone, then restart the bot",
			"detail", e.PermanentDisconnectDescription())
	case *events.UndecryptableMessage:
		b.log.Debug("whatsapp message could not be decrypted; whatsmeow asked the sender and the phone for it again", "message", e.Info.ID, "unavailable", e.IsUnavailable)
	case *events.HistorySync:
		// whatsmeow has stored what the bot needs of it (LIDs of phone
		// numbers, privacy tokens) before this event; the old chats' messages
		// are not answered.
		b.log.Debug("whatsapp history sync processed", "conversations", len(e.Data.GetConversations()))
	}
	return true
}

// fatal reports a session WhatsApp ended for good: one error line saying
// what the operator must do, and the OnFatal callback, once per Run.
func (b *Bot) fatal(reason, msg string, args ...any) {
	b.up.set(false)
	l := b.cur.Load()
	if l == nil {
		return
	}
	l.fatalOnce.Do(func() {
		b.log.Error(msg, append([]any{"reason", reason}, args...)...)
		b.fatalMu.Lock()
		f := b.onFatal
		b.fatalMu.Unlock()
		if f != nil {
			go f(reason)
		}
	})
}

// api is the connection of the current Run, nil between runs.
func (b *Bot) api() conn {
	if l := b.cur.Load(); l != nil {
		return l.c
	}
	return nil
}

// markAvailable shows the account online, which makes WhatsApp deliver
// normal (blue-tick) receipts and the typing indicator.
func (b *Bot) markAvailable() {
	api := b.api()
	if api == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := api.SendPresence(ctx, types.PresenceAvailable)
	switch {
	case err == nil:
		b.presenceDue.Store(false)
	case errors.Is(err, whatsmeow.ErrNoPushName):
		// Right after pairing the account's name is not known yet; it
		// arrives with the app state, and PushNameSetting retries.
		b.presenceDue.Store(true)
		b.log.Debug("whatsapp presence deferred until the account name is synced")
	default:
		b.log.Warn("whatsapp presence not sent", "err", err)
	}
}

// receive translates one message event, journals it and queues it for its
// chat. It reports false when the journal could not be written: the
// acknowledgement is refused then, and the message is handled from memory
// meanwhile.
func (b *Bot) receive(evt *events.Message) bool {
	inc, reason := translate(evt, b.staff)
	if reason != "" {
		b.log.Debug("whatsapp message ignored", "reason", reason, "message", evt.Info.ID)
		return true
	}
	if evt.UnavailableRequestID != "" {
		b.log.Info("whatsapp message recovered: the phone sent again one that arrived unreadable", "message", evt.Info.ID)
	}
	b.identify(&inc)
	raw, journaled := b.hold(evt)
	b.enqueue(inc, raw)
	return journaled
}

// job is a message in its chat's line: what translate made of it, its
// journal entry, and how far its handling got.
type job struct {
	inc   incoming
	raw   []byte // journal entry, removed once finished; nil without a journal
	stale bool   // older than Config.BacklogAge on arrival
	begun bool   // read, its file fetched, "typing…" shown: not again on a retry
}

// serve starts handling queued messages on workers goroutines: each chat's
// in order, chats in parallel. No message starts once stop is done; work is
// what the handling gets. It returns the function that stops taking
// messages and waits for the ones queued.
func (b *Bot) serve(stop, work context.Context, workers int) (closeInbox func()) {
	pool := dispatch.NewPool(workers)
	d := dispatch.New(stop, work, pool, dispatch.Config[string, *job]{
		Name:     "whatsapp message",
		Handle:   b.process,
		Finished: func(_ string, j *job) { b.finish(j.raw) },
		// The message is already acknowledged to WhatsApp: these attempts
		// are its only second chance, and then it is given up.
		MaxAttempts: b.handleTries,
		Transient:   func(err error) bool { return errors.Is(err, conversation.ErrUnavailable) },
		GiveUp: func(ctx context.Context, _ string, j *job, attempts int, err error) {
			b.presence(ctx, j.inc.chat, types.ChatPresencePaused)
			if b.cfg.GiveUp != nil {
				b.cfg.GiveUp(ctx, j.inc.in, attempts, err)
			}
		},
		Backoff: b.backoff(),
		Clock:   b.clock,
		Log:     b.log,
	})
	b.inbox.Store(d)
	return func() {
		d.Close()
		pool.Close()
		b.inbox.CompareAndSwap(d, nil)
	}
}

// backoff is the wait between attempts at anything on the connection.
func (b *Bot) backoff() dispatch.Backoff {
	return dispatch.Backoff{Min: b.retryBase, Max: time.Minute}
}

// enqueue queues a message for its chat; raw is its journal entry, removed
// once the message is finished.
func (b *Bot) enqueue(inc incoming, raw []byte) {
	chatID := inc.in.Chat.ChatID
	b.mu.Lock()
	b.chats[chatID] = inc.chat
	if inc.in.At.After(b.wrote[chatID]) {
		b.wrote[chatID] = inc.in.At
	}
	b.mu.Unlock()
	j := &job{inc: inc, raw: raw, stale: b.clock.Now().Sub(inc.in.At) > b.cfg.BacklogAge}
	if d := b.inbox.Load(); d == nil || !d.Add(chatID, j) {
		b.log.Warn("whatsapp message arrived while stopping, not handled", "chat", services.MaskID(chatID), "message", inc.in.MessageID)
	}
}

// process handles one queued message: read receipt, typing indicator,
// engine, replies. It fails only when the engine fails (a panic in it is
// caught by the dispatcher); the dispatcher then tries the engine again,
// and the receipt, the file and the indicator are not repeated.
func (b *Bot) process(ctx context.Context, chatID string, j *job) error {
	inc := &j.inc
	if !j.begun {
		j.begun = true
		b.markRead(ctx, *inc)
		if j.stale {
			b.apologize(ctx, *inc)
			return nil
		}
		b.merge(ctx, inc)
		if inc.media != nil {
			b.attach(ctx, inc)
		}
		b.presence(ctx, inc.chat, types.ChatPresenceComposing)
	}
	replies, err := b.handler.Handle(ctx, inc.in)
	if err != nil {
		return fmt.Errorf("handle message %s: %w", inc.in.MessageID, err)
	}
	if len(replies) == 0 {
		b.presence(ctx, inc.chat, types.ChatPresencePaused)
		return nil
	}
	kind := SendReply
	if b.clock.Now().Sub(inc.in.At) > replyFresh {
		kind = SendNotice
	}
	b.sendReplies(ctx, kind, chatID, inc.chat, inc.in.MessageID, replies)
	return nil
}

// attach downloads the message's file and adds it to the inbound message
// when it is a photo or PDF within the size cap. A file that cannot be had
// leaves the message as unsupported media, which the engine answers.
func (b *Bot) attach(ctx context.Context, inc *incoming) {
	wait := b.backoff()
	for try := 1; ; try++ {
		var att conversation.Attachment
		var refused string
		err := b.onConnection(ctx, func(api conn) error {
			var err error
			att, refused, err = fetch(ctx, api, inc.media, b.cfg.MaxMedia, b.cfg.TempDir)
			return err
		})
		switch {
		case err == nil && refused == "":
			inc.in.Attachments = append(inc.in.Attachments, att)
			return
		case err == nil:
			inc.in.Media = refused
			b.log.Info("whatsapp file refused", "message", inc.in.MessageID, "media", inc.media.media, "reason", refused)
			return
		case try >= b.downloadTries || ctx.Err() != nil:
			b.log.Warn("whatsapp file not downloaded", "message", inc.in.MessageID, "tries", try, "err", err)
			return
		}
		if !b.clock.Sleep(ctx, wait.Next()) {
			return
		}
	}
}

// apologize answers backlog too old to act on, once per chat: the citizen
// learns the message was not read and is asked to write again.
func (b *Bot) apologize(ctx context.Context, inc incoming) {
	chatID := inc.in.Chat.ChatID
	now := b.clock.Now()
	b.mu.Lock()
	last, done := b.apologized[chatID]
	if done && now.Sub(last) < b.cfg.BacklogAge {
		b.mu.Unlock()
		b.log.Debug("whatsapp backlog message ignored", "chat", services.MaskID(chatID), "message", inc.in.MessageID)
		return
	}
	b.apologized[chatID] = now
	b.mu.Unlock()
	b.log.Info("whatsapp backlog message too old, apologizing", "chat", services.MaskID(chatID), "message", inc.in.MessageID,
		"age", now.Sub(inc.in.At).Round(time.Minute))
	text := b.texts.T(locales.DefaultLang, keyBacklogApology, map[string]string{
		"hours": strconv.Itoa(int(b.cfg.BacklogAge.Hours())),
	})
	b.sendReplies(ctx, SendNotice, chatID, inc.chat, inc.in.MessageID, []conversation.Reply{{Text: text}})
}

// markRead sends the read receipt (blue ticks). Cosmetic: a failure is
// logged at debug level only.
func (b *Bot) markRead(ctx context.Context, inc incoming) {
	api := b.api()
	if api == nil {
		return
	}
	err := api.MarkRead(ctx, []types.MessageID{inc.in.MessageID}, b.clock.Now(), inc.chat, inc.sender)
	if err != nil {
		b.log.Debug("whatsapp read receipt not sent", "message", inc.in.MessageID, "err", err)
	}
}

// presence shows or clears "typing…" in a chat. Cosmetic, like markRead.
func (b *Bot) presence(ctx context.Context, chat types.JID, state types.ChatPresence) {
	api := b.api()
	if api == nil {
		return
	}
	if err := api.SendChatPresence(ctx, chat, state, types.ChatPresenceMediaText); err != nil {
		b.log.Debug("whatsapp chat presence not sent", "state", state, "err", err)
	}
}

// sendReplies sends the replies to one message in order, and stops at the
// first that cannot be sent, since later ones build on it.
func (b *Bot) sendReplies(ctx context.Context, kind, chatID string, to types.JID, messageID string, replies []conversation.Reply) {
	for i, r := range replies {
		if err := b.sendReply(ctx, kind, chatID, to, r); err != nil {
			b.log.Warn("whatsapp reply not sent", "chat", services.MaskID(chatID), "message", messageID,
				"reply", i, "dropped", len(replies)-i, "err", err)
			return
		}
	}
}

// Send sends r to a chat outside a conversation turn (a notification),
// paced as a proactive send. It refuses chats that never wrote to the bot
// (ErrFirstContact) unless they are staff contacts or staff groups, or
// Config.WroteBefore vouches for them. While WhatsApp is not connected it
// waits for the connection, as long as ctx allows.
func (b *Bot) Send(ctx context.Context, chatID string, r conversation.Reply) error {
	to, err := b.target(ctx, chatID)
	if err != nil {
		return err
	}
	return b.sendReply(ctx, b.sendKind(chatID), chatID, to, r)
}

// sendKind is how a message outside a conversation turn is paced: as a
// reply when the chat wrote within replyFresh (an officer answering a
// citizen in a conversation, issue #22: WhatsApp sees an answer, not a
// proactive message), else as a notice.
func (b *Bot) sendKind(chatID string) string {
	b.mu.Lock()
	last, ok := b.wrote[chatID]
	b.mu.Unlock()
	if ok && b.clock.Now().Sub(last) <= replyFresh {
		return SendReply
	}
	return SendNotice
}

// target is the JID to send to for chatID, if the bot may write there. A
// "lid:" chat whose number is known now (a notification queued before the
// person's records moved onto it) is sent to as the number.
func (b *Bot) target(ctx context.Context, chatID string) (types.JID, error) {
	if lid, ok := strings.CutPrefix(chatID, lidPrefix); ok {
		if phone := b.phoneOf(lid); phone != "" {
			chatID = phone
		}
	}
	b.mu.Lock()
	to, ok := b.chats[chatID]
	b.mu.Unlock()
	if ok {
		return to, nil
	}
	to, err := jidOf(chatID)
	if err != nil {
		return types.JID{}, fmt.Errorf("whatsapp send: %w", err)
	}
	switch {
	case to.Server == types.GroupServer && b.staff[to.String()]:
		return to, nil
	case to.Server == types.DefaultUserServer && b.contacts[to.User]:
		return to, nil
	case to.Server != types.GroupServer && b.cfg.WroteBefore != nil:
		known, err := b.cfg.WroteBefore(ctx, chatID)
		if err != nil {
			return types.JID{}, fmt.Errorf("whatsapp send: check whether %s wrote before: %w", services.MaskID(chatID), err)
		}
		if known {
			return to, nil
		}
	}
	return types.JID{}, fmt.Errorf("send to %s: %w", services.MaskID(chatID), ErrFirstContact)
}

// sendReply sends one reply, rendered and split, part by part.
func (b *Bot) sendReply(ctx context.Context, kind, chatID string, to types.JID, r conversation.Reply) error {
	parts := render(r, b.texts.T(locales.DefaultLang, keyOptionsHint, nil))
	for i, text := range parts {
		if err := b.sendMessage(ctx, kind, chatID, to, &waE2E.Message{Conversation: proto.String(text)}); err != nil {
			return fmt.Errorf("part %d of %d: %w", i+1, len(parts), err)
		}
	}
	return nil
}

// onConnection runs f on the connection once it is up, waiting for it as
// long as ctx allows: a send queued while WhatsApp reconnects goes out when
// it is back instead of failing.
func (b *Bot) onConnection(ctx context.Context, f func(api conn) error) error {
	for {
		if err := b.up.wait(ctx); err != nil {
			return fmt.Errorf("waiting for the whatsapp connection: %w", err)
		}
		if api := b.api(); api != nil {
			return f(api)
		}
		// Up, but the run is ending: wait for the next.
		if !b.clock.Sleep(ctx, b.retryBase) {
			return fmt.Errorf("waiting for the whatsapp connection: %w", ctx.Err())
		}
	}
}

// sendMessage sends one message, paced as kind, retrying with backoff.
// Every try carries the same message id, so a try that reached WhatsApp
// although its answer got lost is not shown twice. A send WhatsApp refuses
// with 463 is tried again once after fetching the chat's privacy token
// anew, then reported as ErrRefused.
func (b *Bot) sendMessage(ctx context.Context, kind, chatID string, to types.JID, msg *waE2E.Message) error {
	var id types.MessageID
	wait := b.backoff()
	refreshed := false
	pace := b.replies
	if kind == SendNotice {
		pace = b.notices
	}
	for try := 1; ; try++ {
		err := b.onConnection(ctx, func(api conn) error {
			if id == "" {
				id = api.GenerateMessageID()
			}
			d, err := pace.WaitSlot(ctx, chatID)
			if b.cfg.Waited != nil {
				b.cfg.Waited(kind, d)
			}
			if err != nil {
				return fmt.Errorf("stopped waiting for a send slot: %w", err)
			}
			_, err = api.SendMessage(ctx, to, msg, whatsmeow.SendRequestExtra{ID: id})
			if refusedByServer(err) && !refreshed {
				// The privacy token may be missing or stale: ask for it
				// again, and try once more at once.
				refreshed = true
				if _, uerr := api.GetUserInfo(ctx, []types.JID{to.ToNonAD()}); uerr != nil {
					b.log.Debug("whatsapp privacy token not fetched", "chat", services.MaskID(chatID), "err", uerr)
				}
				_, err = api.SendMessage(ctx, to, msg, whatsmeow.SendRequestExtra{ID: id})
			}
			if refusedByServer(err) {
				return fmt.Errorf("%w (%w)", ErrRefused, err)
			}
			return err
		})
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrRefused) || try >= b.sendTries || ctx.Err() != nil {
			return fmt.Errorf("send to %s after %d tries: %w", services.MaskID(chatID), try, err)
		}
		delay := wait.Next()
		b.log.Debug("whatsapp send failed, retrying", "chat", services.MaskID(chatID), "retry_in", delay, "err", err)
		if !b.clock.Sleep(ctx, delay) {
			return fmt.Errorf("send to %s: stopped while waiting to retry: %w", services.MaskID(chatID), err)
		}
	}
}

// refusedByServer reports whether WhatsApp answered a send with error 463.
func refusedByServer(err error) bool {
	return errors.Is(err, whatsmeow.ErrServerReturnedError) && strings.HasSuffix(err.Error(), " 463")
}

// NotifyWith sends a notification: its text, then its files, each read
// with open (the media store's). The delivery core's outboxes send with it.
func (b *Bot) NotifyWith(open func(services.StoredFile) (io.ReadCloser, error)) func(ctx context.Context, chatID string, r conversation.Reply) error {
	return func(ctx context.Context, chatID string, r conversation.Reply) error {
		if err := b.Send(ctx, chatID, r); err != nil {
			return err
		}
		if len(r.Files) == 0 {
			return nil
		}
		return b.SendFiles(ctx, chatID, "", dispatch.StoredFiles(r.Files, open))
	}
}
