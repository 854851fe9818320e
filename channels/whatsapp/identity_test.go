package whatsapp

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/internal/wait"
	"github.com/leksono/sapa/services"
)

const (
	citizenLID   = "123456789012345"
	citizenPhone = "6281234567890"
)

// lidMap is whatsmeow's real LID map, in a device store of the test's own.
func lidMap(t *testing.T) *sqlstore.CachedLIDMap {
	t.Helper()
	st, err := openStore(context.Background(), DialectSQLite, filepath.Join(t.TempDir(), "wa.db"), newWALogger(quietLog(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st.LIDMap
}

// fromLID is a message from a person WhatsApp names by LID only, the way
// it arrives when the phone number is hidden.
func fromLID(id, lid string, alt types.JID) *events.Message {
	evt := dm(id, citizenPhone, text("halo"))
	l := types.NewJID(lid, types.HiddenUserServer)
	evt.Info.Chat, evt.Info.Sender, evt.Info.SenderAlt, evt.Info.AddressingMode = l, l, alt, types.AddressingModeLID
	return evt
}

// merges records the Merge calls.
type merges struct {
	mu  sync.Mutex
	got []string
}

func (m *merges) merge(_ context.Context, from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got = append(m.got, from+">"+to)
	return nil
}

func (m *merges) list() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.got)
}

// TestLIDSenderIsOnePerson: a person first known only by LID, then by
// phone number, then again by LID only, is one chat: the phone number once
// known, whatever whatsmeow's map or the message says, and what was kept
// under the LID is merged onto the number once.
func TestLIDSenderIsOnePerson(t *testing.T) {
	m := &merges{}
	h := &recorder{}
	b, _, _ := testBot(t, Config{Merge: m.merge}, h)
	lids := lidMap(t)
	b.cur.Load().lids = lids

	b.onEvent(fromLID("M1", citizenLID, types.JID{})) // number hidden, not known
	b.waitIdle()
	// WhatsApp shares the number beside the LID; whatsmeow stores the pair
	// when it parses such a message (handleEncryptedMessage), as here.
	if err := lids.PutLIDMapping(context.Background(), types.NewJID(citizenLID, types.HiddenUserServer), person(citizenPhone)); err != nil {
		t.Fatal(err)
	}
	b.onEvent(fromLID("M2", citizenLID, person(citizenPhone)))
	b.waitIdle()
	b.onEvent(fromLID("M3", citizenLID, types.JID{})) // LID only again: the map knows
	plain := dm("M4", citizenPhone, text("halo"))     // addressed by number
	plain.Info.SenderAlt = types.NewJID(citizenLID, types.HiddenUserServer)
	b.onEvent(plain)
	b.waitIdle()

	var chats []string
	for _, in := range h.got {
		chats = append(chats, in.Chat.ChatID+"/"+in.SenderID)
	}
	want := []string{"lid:" + citizenLID + "/lid:" + citizenLID}
	for range 3 {
		want = append(want, citizenPhone+"/"+citizenPhone)
	}
	if !slices.Equal(chats, want) {
		t.Errorf("chats %v, want %v", chats, want)
	}
	if got := m.list(); !slices.Equal(got, []string{"lid:" + citizenLID + ">" + citizenPhone}) {
		t.Errorf("merges %v, want the LID onto the number once", got)
	}
}

// TestMergeFailureIsTriedAgain: a merge that fails (the database is down)
// does not hold the message up, and is tried again at the next message.
func TestMergeFailureIsTriedAgain(t *testing.T) {
	var calls atomic.Int32
	h := &recorder{}
	b, _, _ := testBot(t, Config{Merge: func(context.Context, string, string) error {
		if calls.Add(1) == 1 {
			return context.DeadlineExceeded
		}
		return nil
	}}, h)
	for i, id := range []string{"M1", "M2", "M3"} {
		b.onEvent(fromLID(id, citizenLID, person(citizenPhone)))
		b.waitIdle()
		if len(h.got) != i+1 {
			t.Fatalf("message %s not handled", id)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("Merge called %d times, want 2 (failed, then done)", n)
	}
}

// TestOfficerWritingFromALIDIsStaff: the officers' numbers are looked up at
// connect, so an officer whose account shows only a LID, with no number in
// the message and none in whatsmeow's map yet, is known by their number,
// which is what services.Staff matches.
func TestOfficerWritingFromALIDIsStaff(t *testing.T) {
	const officer, officerLID = "6281111111111", "987654321098765"
	h := &recorder{}
	b, api, _ := testBot(t, Config{Contacts: []string{"0811-1111-1111"}}, h)
	api.lids[officer] = officerLID
	b.onEvent(&events.Connected{})
	wait.Until(t, "the officers' LIDs looked up", 5*time.Second, func() bool { return b.phoneOf(officerLID) != "" })

	evt := fromLID("M1", officerLID, types.JID{})
	evt.Message = text("kasus")
	b.onEvent(evt)
	b.waitIdle()
	if len(h.got) != 1 || h.got[0].SenderID != officer || h.got[0].Chat.ChatID != officer {
		t.Fatalf("engine got %+v, want the officer's number as sender and chat", h.got)
	}
	staff := &services.Staff{Officers: []services.Officer{{ID: "kasi_kesos", Active: true,
		Contacts: services.Contacts{"whatsapp": officer}}}}
	if o, ok := staff.ByIdentity("whatsapp", h.got[0].SenderID); !ok || o.ID != "kasi_kesos" {
		t.Errorf("services.Staff does not know the sender %s as the officer", h.got[0].SenderID)
	}
	api.mu.Lock()
	looked := api.lookups
	api.mu.Unlock()
	if len(looked) != 1 || len(looked[0]) != 1 || looked[0][0] != person(officer) {
		t.Errorf("looked up %v, want the officer's number", looked)
	}
}

// TestNotificationToAMergedLIDGoesToTheNumber: a notification queued for a
// "lid:" chat before the person's records moved onto their number goes to
// the number, which WroteBefore vouches for now.
func TestNotificationToAMergedLIDGoesToTheNumber(t *testing.T) {
	b, api, _ := testBot(t, Config{WroteBefore: func(_ context.Context, chatID string) (bool, error) {
		return chatID == citizenPhone, nil
	}}, &recorder{})
	lids := lidMap(t)
	b.cur.Load().lids = lids
	if err := lids.PutLIDMapping(context.Background(), types.NewJID(citizenLID, types.HiddenUserServer), person(citizenPhone)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(context.Background(), lidPrefix+citizenLID, conversation.Reply{Text: "Status pengajuan Anda berubah."}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if out := api.take(); len(out) != 1 || out[0].to != person(citizenPhone) {
		t.Errorf("sent %+v, want one message to the number", out)
	}
}
