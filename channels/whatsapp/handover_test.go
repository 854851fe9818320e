package whatsapp

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// fakeServer is WhatsApp's side of one session, as two processes see it:
// it keeps one connection, and a second one replaces the first (the first
// gets StreamReplaced), as WhatsApp does.
type fakeServer struct {
	mu       sync.Mutex
	current  *fakeConn
	log      []string
	replaced int
	qr       int
}

func (s *fakeServer) events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// fakeConn is one process's client of the session.
type fakeConn struct {
	*fakeSender
	srv     *fakeServer
	name    string
	handler func(any) bool
	device  *store.Device
}

func (c *fakeConn) Connect() error {
	if c.device.ID == nil {
		return errors.New("no session: this device would pair")
	}
	s := c.srv
	s.mu.Lock()
	old := s.current
	s.current = c
	s.log = append(s.log, "connect "+c.name)
	if old != nil {
		s.replaced++
	}
	s.mu.Unlock()
	if old != nil {
		go old.handler(&events.StreamReplaced{})
	}
	go c.handler(&events.Connected{})
	return nil
}

func (c *fakeConn) Disconnect() {
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == c {
		s.current = nil
		s.log = append(s.log, "disconnect "+c.name)
	}
}

func (c *fakeConn) GetQRChannel(context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	c.srv.mu.Lock()
	c.srv.qr++
	c.srv.mu.Unlock()
	return nil, errors.New("asked for a QR code")
}

// cutHook makes one process's Redis unreachable while cut is set.
type cutHook struct{ cut *atomic.Bool }

func (h cutHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h cutHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.cut.Load() {
			return errors.New("dial tcp 127.0.0.1:6379: i/o timeout")
		}
		return next(ctx, cmd)
	}
}
func (h cutHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.cut.Load() {
			return errors.New("dial tcp 127.0.0.1:6379: i/o timeout")
		}
		return next(ctx, cmds)
	}
}

// process is one bot process of the handover test: its Bot, its Redis
// (which the test can cut off) and its lease loop.
type process struct {
	bot    *Bot
	cut    atomic.Bool
	dials  atomic.Int32
	fatals atomic.Int32
	done   chan error
}

// TestSessionHandsOverAndBack: two processes share one Redis and one device
// store. The holder loses its lease in a Redis hiccup of its own; it
// disconnects before the other may connect, the other takes the session
// over with the stored device (no QR code), and when the lease comes back
// to the first it resumes in the same process: no exit, no QR, no false
// "stream replaced" alert.
func TestSessionHandsOverAndBack(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	dsn := filepath.Join(t.TempDir(), "sapa.db")
	ctx := context.Background()

	// A session paired earlier, as the store keeps it.
	st, err := openStore(ctx, DialectSQLite, dsn, newWALogger(quietLog(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	dev := st.NewDevice()
	dev.ID = &types.JID{User: "6281999999999", Device: 7, Server: types.DefaultUserServer}
	dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64),
		AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := dev.Save(ctx); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	srv := &fakeServer{}
	const ttl = 600 * time.Millisecond
	runCtx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	start := func(name string, h Handler) *process {
		p := &process{done: make(chan error, 1)}
		client := redis.NewClient(rdb.(*redis.Client).Options())
		client.AddHook(cutHook{cut: &p.cut})
		t.Cleanup(func() { _ = client.Close() })
		inbox := redisstore.NewQueue(client, prefix+"{whatsapp-inbox}")
		b, err := New(Config{StoreDialect: DialectSQLite, StoreDSN: dsn, Journal: inbox}, h, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		b.grace = 5 * time.Second
		b.dial = func(device *store.Device, handler func(any) bool) conn {
			p.dials.Add(1)
			return &fakeConn{fakeSender: newFakeSender(b.clock), srv: srv, name: name, handler: handler, device: device}
		}
		b.OnFatal(func(string) { p.fatals.Add(1) })
		p.bot = b
		leases := redisstore.New(client, prefix)
		go func() {
			p.done <- redisstore.HoldLease(runCtx, leases, "whatsapp", name, ttl, b.Run, nil)
		}()
		return p
	}
	connected := func(name string) func() bool {
		return func() bool {
			srv.mu.Lock()
			defer srv.mu.Unlock()
			return srv.current != nil && srv.current.name == name
		}
	}

	// a is slow with a citizen's message when its lease goes: the database
	// answers only after the stop.
	inHand := make(chan struct{})
	slow := handlerFunc(func(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
		if in.Redelivered {
			return nil, nil
		}
		close(inHand)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	a := start("a", slow)
	wait.Until(t, "a connected", 5*time.Second, connected("a"))
	taken := &recorder{}
	b := start("b", taken)
	srv.mu.Lock()
	onA := srv.current.handler
	srv.mu.Unlock()
	msg := dm("3EB0SLOW", citizenPhone, text("lanjut"))
	msg.Info.Timestamp = time.Now() // these processes run on the wall clock
	onA(msg)
	select {
	case <-inHand:
	case <-time.After(5 * time.Second):
		t.Fatal("a did not start handling the message")
	}

	a.cut.Store(true) // a's Redis hiccup: it cannot renew
	wait.Until(t, "b took the session over", 10*time.Second, connected("b"))
	a.cut.Store(false)
	// The message a had in hand is handed over by the journal.
	wait.Until(t, "b answered the message a had in hand", 5*time.Second, func() bool {
		taken.mu.Lock()
		defer taken.mu.Unlock()
		return len(taken.got) == 1 && taken.got[0].MessageID == "3EB0SLOW" && taken.got[0].Redelivered
	})

	b.cut.Store(true)
	wait.Until(t, "a took the session back", 10*time.Second, connected("a"))
	b.cut.Store(false)

	want := []string{"connect a", "disconnect a", "connect b", "disconnect b", "connect a"}
	if got := srv.events(); !slices.Equal(got, want) {
		t.Errorf("the server saw %q, want %q", strings.Join(got, ", "), strings.Join(want, ", "))
	}
	srv.mu.Lock()
	replaced, qr := srv.replaced, srv.qr
	srv.mu.Unlock()
	if replaced != 0 || qr != 0 {
		t.Errorf("%d streams replaced, %d QR codes asked for; want none", replaced, qr)
	}
	if n := a.fatals.Load() + b.fatals.Load(); n != 0 {
		t.Errorf("%d alerts to the staff, want none", n)
	}
	if n := a.dials.Load(); n != 2 {
		t.Errorf("a built %d clients, want one per run (2)", n)
	}
	for name, p := range map[string]*process{"a": a, "b": b} {
		select {
		case err := <-p.done:
			t.Errorf("process %s stopped holding: %v", name, err)
		default:
		}
	}
	stopAll()
	for _, p := range []*process{a, b} {
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("HoldLease = %v after the stop", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a process did not stop")
		}
	}
}
