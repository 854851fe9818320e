package delivery

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/channels/telegram"
	"github.com/leksono/sapa/channels/telegram/telegramtest"
	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

// silent answers nothing: the broadcast test's bot only sends.
type silent struct{}

func (silent) Handle(context.Context, conversation.Inbound) ([]conversation.Reply, error) {
	return nil, nil
}

// TestBroadcastResumesAfterAKill publishes an announcement to 2,000
// subscribers over the fake Bot API, stops the process (its runtime
// cancelled) halfway, and starts a new one: every subscriber gets exactly
// one message, never more than Telegram's 30 a second in any second, and
// the progress figure counts them.
func TestBroadcastResumesAfterAKill(t *testing.T) {
	const subscribers = 2000
	ctx := context.Background()
	cat, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := pgstore.Open(ctx, storetest.Postgres(t), pgstore.Options{TicketPrefix: "LKS", Location: cat.Office.Location, Keys: testKeys(t), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range subscribers {
		if _, err := db.Subscribe(ctx, "telegram", strconv.Itoa(700000+i), consultation.Kecamatan, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	office := casework.Consultations{Store: db, Messages: consultation.Messages{Texts: texts, Catalog: cat}}
	admin := services.Officer{ID: "admin", Role: services.RoleAdmin, Active: true}
	queued, err := office.Publish(ctx, admin, consultation.File{Announcement: &consultation.Announcement{
		Code: "libur-kantor", Text: "Kantor Kecamatan tutup Jumat untuk kerja bakti.",
	}})
	if err != nil || queued.Queued != subscribers {
		t.Fatalf("queued %d, %v; want %d", queued.Queued, err, subscribers)
	}
	// Publishing the same file again queues nothing.
	if _, err := office.Publish(ctx, admin, consultation.File{Announcement: &consultation.Announcement{Code: "libur-kantor", Text: "x"}}); err == nil {
		t.Error("the same announcement was published twice")
	}

	srv := telegramtest.NewServer(t, "123456:TEST-token")
	rdb, prefix := storetest.Redis(t)
	// process runs one bot process's broadcast until stopAfter messages
	// were confirmed (0: until nothing is due), then stops it as a kill of
	// the runtime does.
	process := func(stopAfter int64) {
		bot, err := telegram.New(telegram.Config{Token: "123456:TEST-token", APIURL: srv.URL()}, silent{}, log)
		if err != nil {
			t.Fatal(err)
		}
		core := New(Config{Redis: rdb, Prefix: prefix, States: redisstore.New(rdb, prefix), Cases: db, Location: cat.Office.Location, Log: log})
		pctx, kill := context.WithCancel(ctx)
		defer kill()
		var confirmed atomic.Int64
		idle := make(chan struct{})
		b := Broadcast{
			Store: db, Channel: "telegram", PerSecond: TelegramBroadcastRate, Idle: 20 * time.Millisecond,
			Idled: sync.OnceFunc(func() { close(idle) }),
			Deliver: func(ctx context.Context, chatID string, r conversation.Reply, done func()) error {
				return bot.NotifyThen(ctx, chatID, r, nil, func() {
					done()
					if confirmed.Add(1) == stopAfter {
						kill()
					}
				})
			},
		}
		ran := make(chan error, 1)
		go func() { ran <- core.Broadcaster(b)(pctx) }()
		select {
		case <-pctx.Done():
		case <-idle:
			kill()
		case <-time.After(3 * time.Minute):
			t.Fatalf("the broadcast did not finish: %d confirmed", confirmed.Load())
		}
		if err := <-ran; err != nil {
			t.Fatal(err)
		}
	}
	process(subscribers / 2)
	sent, total, err := office.Progress(ctx, queued.Key)
	if err != nil || total != subscribers || sent < subscribers/2 || sent >= subscribers {
		t.Fatalf("after the kill: terkirim %d dari %d, %v", sent, total, err)
	}
	t.Logf("after the kill: terkirim %d dari %d", sent, total)
	process(0)
	if sent, total, err = office.Progress(ctx, queued.Key); err != nil || sent != subscribers || total != subscribers {
		t.Fatalf("after the restart: terkirim %d dari %d, %v", sent, total, err)
	}

	msgs := srv.Sent()
	per := map[int64]int{}
	for _, m := range msgs {
		per[m.ChatID]++
	}
	if len(msgs) != subscribers || len(per) != subscribers {
		t.Fatalf("%d messages to %d chats, want one to each of %d", len(msgs), len(per), subscribers)
	}
	for chat, n := range per {
		if n != 1 {
			t.Errorf("chat %d got %d messages", chat, n)
		}
	}
	at := make([]time.Time, len(msgs))
	for i, m := range msgs {
		at[i] = m.At
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	most := 0
	for i, j := 0, 0; j < len(at); j++ {
		for at[j].Sub(at[i]) >= time.Second {
			i++
		}
		most = max(most, j-i+1)
	}
	if most > 30 {
		t.Errorf("%d messages within one second: over Telegram's 30 a second", most)
	}
	t.Logf("2,000 messages in %s, at most %d in any second", at[len(at)-1].Sub(at[0]).Round(time.Second), most)
}

// TestBroadcastKeepsWhatTheChannelRefused: messages a killed sender had
// claimed and not handed over are put back, and a message the channel did
// not take (not connected) stays queued and goes out at the next try:
// each once.
func TestBroadcastKeepsWhatTheChannelRefused(t *testing.T) {
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgstore.OpenSQLite(ctx, storetest.SQLite(t), pgstore.Options{TicketPrefix: "LKS", Location: loc, Keys: testKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var to []consultation.Outgoing
	for i := range 3 {
		to = append(to, consultation.Outgoing{Recipient: consultation.Recipient{Channel: "whatsapp", ChatID: "62812000000" + strconv.Itoa(i)}, Text: "Kantor tutup Jumat."})
	}
	if _, err := db.EnqueueBroadcast(ctx, "announce:tutup", "announcement", to, time.Now()); err != nil {
		t.Fatal(err)
	}
	// A process killed right after claiming two of them left them claimed.
	if claimed, err := db.ClaimBroadcast(ctx, "whatsapp", time.Now(), 2); err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	var (
		mu      sync.Mutex
		sent    []string
		refused bool
	)
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	b := Broadcast{Store: db, Channel: "whatsapp", PerSecond: 1000, Idle: 5 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Deliver: func(_ context.Context, chatID string, _ conversation.Reply, done func()) error {
			mu.Lock()
			defer mu.Unlock()
			if !refused && chatID == "628120000001" {
				refused = true
				return errors.New("not connected")
			}
			sent = append(sent, chatID)
			done()
			if len(sent) == 3 {
				stop()
			}
			return nil
		}}
	ran := make(chan error, 1)
	go func() { ran <- b.Run(bctx) }()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("sent %q, never all three", sent)
	}
	sort.Strings(sent)
	if strings.Join(sent, ",") != "628120000000,628120000001,628120000002" {
		t.Errorf("sent %q, want each chat once", sent)
	}
	if s, total, err := db.BroadcastProgress(ctx, "announce:tutup"); err != nil || s != 3 || total != 3 {
		t.Errorf("progress %d of %d, %v", s, total, err)
	}
}
