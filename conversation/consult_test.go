package conversation_test

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/delivery"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

// consultHarness is what a transcript about consultations adds: the real
// case database (SQLite) holding consultations, answers, subscriptions and
// the broadcast outbox, and the office's actions on them.
type consultHarness struct {
	store  *pgstore.Store
	office casework.Consultations
}

// The transcript lines about consultations:
//
//	-- consultations              the engine gets the consultation desk
//	-- publish <file>             the camat publishes testdata/consultations/<file>
//	-- close <code>               the camat closes it; its result is sent
//	-- respond <code>: <text>     the camat writes the office's response
//	-- send broadcasts            the broadcast senders send what is due
//	-- closing time               the job that closes consultations at their time runs
//	-- quote <code> <n>           an officer marks the n-th comment for quoting
//	-- whatsapp <number>          speak as that WhatsApp chat
//	-- link <telegram chat> <number>  a Telegram chat shared its phone number (as "> <contact ...>" does)
func isConsultDirective(line string) bool {
	for _, p := range []string{"-- consultations", "-- send broadcasts", "-- closing time", "-- quote ", "-- publish ", "-- close ", "-- respond ", "-- whatsapp ", "-- link "} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// camat is who publishes in transcripts.
var camat = services.Officer{ID: "camat", Role: services.RoleCamat, Active: true}

func (h *harness) consultDirective(line string) []string {
	t := h.t
	t.Helper()
	ctx := context.Background()
	if line == "-- consultations" {
		store, err := pgstore.OpenSQLite(ctx, storetest.SQLite(t), pgstore.Options{
			TicketPrefix: h.cfg.Catalog.Office.TicketPrefix, Location: h.cfg.Catalog.Office.Location, AllowPlaintext: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close() })
		h.consult = &consultHarness{store: store, office: casework.Consultations{
			Store: store, Messages: consultation.Messages{Texts: h.cfg.Texts, Catalog: h.cfg.Catalog}, Now: func() time.Time { return h.clock },
		}}
		h.cfg.Consult = store
		if h.engine, err = conversation.New(h.cfg); err != nil {
			t.Fatal(err)
		}
		return nil
	}
	if h.consult == nil {
		t.Fatalf("%s: the transcript needs -- consultations first", line)
	}
	var sent casework.Queued
	var err error
	switch {
	case strings.HasPrefix(line, "-- publish "):
		f, rerr := consultation.ReadFile(os.DirFS("testdata/consultations"), strings.TrimPrefix(line, "-- publish "), h.cfg.Catalog, h.clock)
		if rerr != nil {
			t.Fatal(rerr)
		}
		sent, err = h.consult.office.Publish(ctx, camat, f)
	case strings.HasPrefix(line, "-- close "):
		sent, err = h.consult.office.Close(ctx, camat, strings.TrimPrefix(line, "-- close "))
	case strings.HasPrefix(line, "-- respond "):
		code, text, _ := strings.Cut(strings.TrimPrefix(line, "-- respond "), ": ")
		sent, err = h.consult.office.Respond(ctx, camat, code, text)
	case strings.HasPrefix(line, "-- quote "):
		f := strings.Fields(strings.TrimPrefix(line, "-- quote "))
		n, _ := strconv.Atoi(f[1])
		comments, cerr := h.consult.store.ConsultationComments(ctx, f[0])
		if cerr != nil || n < 1 || n > len(comments) {
			t.Fatalf("%s: %d comments, %v", line, len(comments), cerr)
		}
		err = h.consult.store.QuoteComment(ctx, f[0], comments[n-1].ID, true)
	case line == "-- closing time":
		n, cerr := h.consult.office.CloseDue(ctx)
		if cerr != nil {
			t.Fatalf("%s: %v", line, cerr)
		}
		h.broadcast(ctx)
		return append(h.noteLines(line), "<- "+strconv.Itoa(n)+" ditutup")
	case line == "-- send broadcasts":
		h.broadcast(ctx)
		return h.noteLines(line)
	case strings.HasPrefix(line, "-- whatsapp "):
		number := strings.TrimPrefix(line, "-- whatsapp ")
		h.chat, h.sender = conversation.ChatKey{Channel: "whatsapp", ChatID: number}, number
		return nil
	case strings.HasPrefix(line, "-- link "):
		f := strings.Fields(strings.TrimPrefix(line, "-- link "))
		err = h.consult.store.LinkPhone(ctx, "telegram", f[0], f[1], h.clock)
	}
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if sent.Key == "" {
		return nil
	}
	h.broadcast(ctx)
	sentNow, total, err := h.consult.office.Progress(ctx, sent.Key)
	if err != nil {
		t.Fatal(err)
	}
	return append(h.noteLines(line), "<- "+sent.Key+": "+h.consult.office.Messages.Progress("id", sentNow, total))
}

// broadcast runs the broadcast senders of both channels until nothing is
// due, then gives what they handed over to the notifications in the order
// of their chats, so the transcript reads the same every run.
func (h *harness) broadcast(ctx context.Context) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		mu  sync.Mutex
		got []conversationtest.Notification
	)
	deliverOn := func(channel string) delivery.Deliver {
		return func(_ context.Context, chatID string, r conversation.Reply, done func()) error {
			mu.Lock()
			got = append(got, conversationtest.Notification{To: conversation.ChatKey{Channel: channel, ChatID: chatID}, Reply: r})
			mu.Unlock()
			done()
			return nil
		}
	}
	ran := make(chan error, 2)
	for _, channel := range []string{"telegram", "whatsapp"} {
		idle := make(chan struct{})
		b := delivery.Broadcast{Store: h.consult.store, Channel: channel, PerSecond: 1e6, Idle: time.Millisecond,
			Now: func() time.Time { return h.clock }, Deliver: deliverOn(channel), Idled: sync.OnceFunc(func() { close(idle) })}
		bctx, bstop := context.WithCancel(ctx)
		go func() { ran <- b.Run(bctx) }()
		select {
		case <-idle:
		case <-time.After(10 * time.Second):
			h.t.Fatalf("broadcast on %s never ran out of due messages", channel)
		}
		bstop()
		if err := <-ran; err != nil {
			h.t.Fatal(err)
		}
	}
	sort.Slice(got, func(i, j int) bool {
		if got[i].To.Channel != got[j].To.Channel {
			return got[i].To.Channel < got[j].To.Channel
		}
		return got[i].To.ChatID < got[j].To.ChatID
	})
	for _, n := range got {
		if err := h.notes.Notify(ctx, n.To, n.Reply); err != nil {
			h.t.Fatal(err)
		}
	}
}

// TestBurstOfNewIdentities: twenty people who never wrote to the office
// answering one consultation within ten minutes are flagged to the camat
// and the admin, once; the answers all count.
func TestBurstOfNewIdentities(t *testing.T) {
	h := newHarness(t)
	h.consultDirective("-- consultations")
	h.consultDirective("-- publish jam-layanan.yaml")
	alerts := 0
	for i := range 22 {
		chat := strconv.Itoa(3000 + i)
		h.chat, h.sender = conversation.ChatKey{Channel: "telegram", ChatID: chat}, chat
		for _, line := range []string{"konsultasi", "1", "1", "sawangan", "perlu"} {
			for _, out := range h.send(h.inbound(line)) {
				if strings.HasPrefix(out, "<< [camat] Perhatian: 20 identitas baru") {
					alerts++
					if i != 19 {
						t.Errorf("the alert came with answer %d, want the 20th", i+1)
					}
				}
			}
		}
		h.clock = h.clock.Add(20 * time.Second)
	}
	if alerts != 1 {
		t.Errorf("%d alerts to the camat, want 1", alerts)
	}
	_, r, err := h.consult.store.ConsultationResults(context.Background(), "jam-layanan")
	if err != nil || r.Answers != 22 {
		t.Errorf("answers = %d, %v; want all 22 counted", r.Answers, err)
	}
}
