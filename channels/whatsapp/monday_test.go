package whatsapp

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/channels/dispatch/dispatchtest"
	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// mondayCitizens is how many citizens fill a form at the same moment, and
// mondayThink how long each takes to read a question and send the answer:
// a quick one (typing a NIK takes far longer).
const (
	mondayCitizens = 40
	mondayThink    = 5 * time.Second
	// mondayCapWait is the most any send may wait on the overall cap,
	// beyond its chat's own one-second gap.
	mondayCapWait = 3 * time.Second
)

// turns counts, per chat, the messages the engine answered and the texts
// its replies render to, so the test knows when a citizen has read the
// whole answer.
type turns struct {
	h    Handler
	hint string
	mu   sync.Mutex
	due  map[string]int // texts the chat should have received so far
	done map[string]int // messages of the chat handled
}

func (r *turns) Handle(ctx context.Context, in conversation.Inbound) ([]conversation.Reply, error) {
	replies, err := r.h.Handle(ctx, in)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, rep := range replies {
		n += len(render(rep, r.hint))
	}
	r.mu.Lock()
	r.due[in.Chat.ChatID] += n
	r.done[in.Chat.ChatID]++
	r.mu.Unlock()
	return replies, nil
}

// TestBusyMondayMorning: 40 citizens start an SKTM request in the same
// second and answer every question 5 seconds after it arrives. On the
// bot's default pacing each gets every reply at one message a second per
// chat, and no send waits more than a few seconds on the overall cap. The
// clock is a timeline: concurrent waits overlap as in real time, and the
// test steps from one wake-up to the next without waiting for any.
func TestBusyMondayMorning(t *testing.T) {
	script := citizenLines(t, "../../conversation/testdata/sktm_happy.txt")
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	tl := dispatchtest.NewTimeline(replayStart)
	cases := conversationtest.NewCases(catalog.Office.Location)
	engine, err := conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: conversationtest.NewStates(tl.Now), Cases: cases, Desk: cases,
		Now: tl.Now, Log: quietLog(),
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &turns{h: engine, hint: texts.T(locales.DefaultLang, keyOptionsHint, nil), due: map[string]int{}, done: map[string]int{}}
	var (
		waitMu  sync.Mutex
		maxCap  time.Duration
		waited  time.Duration
		replies int
	)
	cfg := Config{Texts: texts, Waited: func(kind string, d dispatch.Delay) {
		waitMu.Lock()
		defer waitMu.Unlock()
		if kind == SendReply {
			replies++
		}
		maxCap = max(maxCap, d.Capped)
		waited += d.Capped
	}}
	api := newFakeSender(tl)
	b, err := newBot(cfg, rec, quietLog(), api, tl)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	closeInbox := b.serve(ctx, ctx, b.cfg.Workers)
	defer func() {
		cancel()
		closeInbox()
	}()

	type citizen struct {
		chat string
		next int       // index of the next line to send
		at   time.Time // when it is sent
	}
	var people []*citizen
	for i := range mondayCitizens {
		people = append(people, &citizen{chat: "628120000" + fmt.Sprintf("%04d", i), at: tl.Now()})
	}
	sent := map[string][]time.Time{}
	quiet := func() bool {
		d := b.inbox.Load()
		in := d.Chats()
		return in == 0 && tl.Sleepers() == 0 || in > 0 && (tl.Sleepers() == in || tl.Sleepers() == b.cfg.Workers)
	}
	for step := 0; ; step++ {
		if step > 100000 {
			t.Fatal("the simulation does not end")
		}
		now := tl.Now()
		for _, p := range people {
			if p.next < len(script) && !p.at.After(now) {
				evt := dm("3EB0"+p.chat[len(p.chat)-4:]+"-"+strconv.Itoa(p.next), p.chat, text(script[p.next]))
				evt.Info.Timestamp = now
				p.next++
				p.at = time.Time{} // until the answer is read
				b.onEvent(evt)
			}
		}
		waitQuiet(t, quiet)
		// Citizens who have read their whole answer write again after
		// thinking.
		for _, m := range api.take() {
			sent[m.to.User] = append(sent[m.to.User], m.at)
		}
		rec.mu.Lock()
		next, pending := time.Time{}, false
		for _, p := range people {
			if p.at.IsZero() && rec.done[p.chat] == p.next && len(sent[p.chat]) == rec.due[p.chat] {
				p.at = sent[p.chat][len(sent[p.chat])-1].Add(mondayThink)
			}
			if p.next < len(script) {
				pending = true
				if !p.at.IsZero() && (next.IsZero() || p.at.Before(next)) {
					next = p.at
				}
			}
		}
		rec.mu.Unlock()
		if wake, ok := tl.NextWake(); ok && (next.IsZero() || wake.Before(next)) {
			next = wake
		}
		if next.IsZero() {
			if pending {
				t.Fatal("citizens wait for answers that never come")
			}
			break
		}
		tl.AdvanceTo(next)
	}

	took := tl.Now().Sub(replayStart)
	for _, p := range people {
		times := sent[p.chat]
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap < time.Second {
				t.Fatalf("chat %s got two messages %v apart", p.chat, gap)
			}
		}
	}
	open, err := cases.OpenCases(context.Background(), services.CaseFilter{})
	if err != nil || len(open) != mondayCitizens {
		t.Errorf("%d cases filed (%v), want %d", len(open), err, mondayCitizens)
	}
	t.Logf("%d citizens, %d replies in %v; longest wait on the overall cap %v, %v in all", mondayCitizens, replies, took, maxCap, waited)
	if maxCap > mondayCapWait {
		t.Errorf("a reply waited %v on the overall cap, want at most %v", maxCap, mondayCapWait)
	}
}

// waitQuiet returns once every goroutine of the bot waits for the
// timeline, polling closely with a deadline.
func waitQuiet(t *testing.T, quiet func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !quiet() {
		if time.Now().After(deadline) {
			t.Fatal("the bot did not settle within 10s")
		}
		runtime.Gosched()
		time.Sleep(20 * time.Microsecond)
	}
}

// citizenLines are the citizen's side of a transcript, as WhatsApp users
// type it, without the documents' photos: the load is in the typing, and
// these citizens send their photos another day.
func citizenLines(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "> ")
		switch {
		case !ok:
		case strings.HasPrefix(line, "<photo "):
			// Left out: the documents asked at the summary follow.
		default:
			out = append(out, strings.Trim(line, "[]"))
		}
	}
	return out
}
