package dispatch_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/channels/dispatch/dispatchtest"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func everySecond(string) time.Duration { return time.Second }

func TestPacerOneMessagePerGapPerChat(t *testing.T) {
	c := dispatchtest.NewClock(t0)
	p := dispatch.NewPacer(c, dispatch.Pace[string]{Gap: everySecond, Limit: 100, Window: time.Minute})
	var at []time.Duration
	for range 3 {
		if err := p.Wait(context.Background(), "6281"); err != nil {
			t.Fatal(err)
		}
		at = append(at, c.Now().Sub(t0))
	}
	if want := []time.Duration{0, time.Second, 2 * time.Second}; !slices.Equal(at, want) {
		t.Errorf("sends to one chat at %v, want %v", at, want)
	}
	// Another chat is not held back by the first chat's gap beyond its last slot.
	if err := p.Wait(context.Background(), "6282"); err != nil {
		t.Fatal(err)
	}
	if got := c.Now().Sub(t0); got != 2*time.Second {
		t.Errorf("other chat sent at %v, want 2s", got)
	}
	// Once time has passed, no wait at all.
	c.Advance(10 * time.Second)
	before := c.Now()
	if err := p.Wait(context.Background(), "6281"); err != nil {
		t.Fatal(err)
	}
	if c.Now() != before {
		t.Errorf("waited %v although the chat was quiet for 10s", c.Now().Sub(before))
	}
}

func TestPacerOverallCapPerWindow(t *testing.T) {
	c := dispatchtest.NewClock(t0)
	p := dispatch.NewPacer(c, dispatch.Pace[string]{Gap: everySecond, Limit: 20, Window: time.Minute})
	var at []time.Duration
	for i := range 45 {
		if err := p.Wait(context.Background(), "chat"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		at = append(at, c.Now().Sub(t0))
	}
	for i, d := range at {
		var want time.Duration
		switch {
		case i < 20:
			want = 0
		case i < 40:
			want = time.Minute
		default:
			want = 2 * time.Minute
		}
		if d != want {
			t.Errorf("message %d sent at %v, want %v", i+1, d, want)
		}
	}
	// No 60-second window holds more than 20 sends.
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j]-at[i] < time.Minute; j++ {
			n++
		}
		if n > 20 {
			t.Fatalf("%d sends within a minute from message %d", n, i+1)
		}
	}
}

func TestPacerStopsWithContext(t *testing.T) {
	c := dispatchtest.NewClock(t0)
	p := dispatch.NewPacer(c, dispatch.Pace[string]{Gap: everySecond, Limit: 1, Window: time.Minute})
	if err := p.Wait(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx, "b"); err == nil {
		t.Error("wait returned nil although its context ended before the slot")
	}
}

// Without an overall limit each chat keeps only its own gap, which may
// differ by chat (Telegram's groups are slower), and Next tells when a
// chat may be written to without taking the slot.
func TestPacerGapPerChatWithoutLimit(t *testing.T) {
	c := dispatchtest.NewClock(t0)
	gap := func(chat int64) time.Duration {
		if chat < 0 {
			return 3 * time.Second
		}
		return time.Second
	}
	p := dispatch.NewPacer(c, dispatch.Pace[int64]{Gap: gap})
	if got := p.Reserve(-100); !got.Equal(t0) {
		t.Fatalf("first slot of the group at %v, want now", got.Sub(t0))
	}
	if got := p.Next(-100); got.Sub(t0) != 3*time.Second {
		t.Errorf("group may be written again after %v, want 3s", got.Sub(t0))
	}
	if got := p.Next(-100); got.Sub(t0) != 3*time.Second {
		t.Errorf("Next took the slot: the second call says %v", got.Sub(t0))
	}
	if got := p.Reserve(7); !got.Equal(t0) {
		t.Errorf("a private chat waits %v behind the group, want no wait", got.Sub(t0))
	}
	if got := p.Reserve(-100); got.Sub(t0) != 3*time.Second {
		t.Errorf("second slot of the group at %v, want 3s", got.Sub(t0))
	}
	c.Advance(time.Minute)
	if got := p.Next(7); !got.Equal(c.Now()) {
		t.Errorf("a quiet chat may be written at %v, want now", got.Sub(c.Now()))
	}
}

// A chat whose own gap has passed goes at once while the cap has room,
// even when another chat took a later slot: one chat's gap holds up no
// other chat.
func TestPacerGapHoldsUpNoOtherChat(t *testing.T) {
	c := dispatchtest.NewClock(t0)
	p := dispatch.NewPacer(c, dispatch.Pace[string]{Gap: everySecond, Limit: 100, Window: time.Minute})
	p.Reserve("a")
	if got := p.Reserve("a"); got.Sub(t0) != time.Second {
		t.Fatalf("second slot of a at %v, want 1s", got.Sub(t0))
	}
	d, err := p.WaitSlot(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	if d.Total != 0 || d.Capped != 0 {
		t.Errorf("b waited %+v behind a's gap, want no wait", d)
	}
}

// Lanes share the chats' gaps and keep caps of their own: replies do not
// use up the notifications' cap, nor the other way round, and a chat gets
// no two messages within its gap whichever lane they took.
func TestPacerLanesShareGapsNotCaps(t *testing.T) {
	c := dispatchtest.NewClock(t0)
	replies := dispatch.NewPacer(c, dispatch.Pace[string]{Gap: everySecond, Limit: 100, Window: time.Minute})
	notices := replies.Lane(2, time.Minute)
	for i := range 2 {
		if got := notices.Reserve("n" + strconv.Itoa(i)); !got.Equal(t0) {
			t.Fatalf("notice %d at %v, want now", i, got.Sub(t0))
		}
	}
	d, err := notices.WaitSlot(context.Background(), "n2")
	if err != nil {
		t.Fatal(err)
	}
	if d.Total != time.Minute || d.Capped != time.Minute {
		t.Errorf("third notice waited %+v, want a minute, all of it on the cap", d)
	}
	// The replies' lane is not held up by the notices' full cap.
	if got := replies.Reserve("r"); !got.Equal(c.Now()) {
		t.Errorf("a reply waits %v behind the notices' cap", got.Sub(c.Now()))
	}
	// The gap is shared: a notice to a chat just answered waits its gap.
	if got := notices.Lane(10, time.Minute).Reserve("r"); got.Sub(c.Now()) != time.Second {
		t.Errorf("a notice right after a reply to the same chat at %v, want 1s", got.Sub(c.Now()))
	}
}

// Under load the cap still holds in every window, with slots given out of
// order to chats whose gaps differ.
func TestPacerCapHoldsOutOfOrder(t *testing.T) {
	c := dispatchtest.NewClock(t0)
	p := dispatch.NewPacer(c, dispatch.Pace[string]{Gap: everySecond, Limit: 10, Window: 10 * time.Second})
	var slots []time.Time
	for i := range 200 {
		chat := "c" + strconv.Itoa(i%7)
		slots = append(slots, p.Reserve(chat))
		if i%5 == 0 {
			c.Advance(300 * time.Millisecond)
		}
	}
	slices.SortFunc(slots, time.Time.Compare)
	for i := range slots {
		n := 0
		for j := i; j < len(slots) && slots[j].Sub(slots[i]) < 10*time.Second; j++ {
			n++
		}
		if n > 10 {
			t.Fatalf("%d slots within 10s from %v", n, slots[i].Sub(t0))
		}
	}
}
