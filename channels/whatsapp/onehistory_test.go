package whatsapp

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/delivery"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/redisstore"
	"github.com/leksono/sapa/store/storetest"
)

var ticketRE = regexp.MustCompile(`LKS-\d{6}-\d{4}`)

// TestLIDAndPhoneAreOneCitizenWithOneHistory runs the engine on the real
// stores (Redis, PostgreSQL) behind the adapter, with whatsmeow's real LID
// map. A citizen whose number WhatsApp hides files an SKTM and starts a
// second one; then WhatsApp shares their number. Written to by number,
// they continue the half-filled form where they left it, and "cek status"
// lists both tickets: one citizen, one history.
func TestLIDAndPhoneAreOneCitizenWithOneHistory(t *testing.T) {
	ctx := context.Background()
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	loc := catalog.Office.Location
	rdb, prefix := storetest.Redis(t)
	states := redisstore.New(rdb, prefix)
	cases, err := pgstore.Open(ctx, storetest.Postgres(t), pgstore.Options{TicketPrefix: catalog.Office.TicketPrefix, Location: loc, AllowPlaintext: true, Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cases.Close() })
	core := delivery.New(delivery.Config{Redis: rdb, Prefix: prefix, States: states, Cases: cases, Location: loc, Durable: true, Log: quietLog()})
	engine, err := conversation.New(conversation.Config{Catalog: catalog, Texts: texts, States: states, Gate: states,
		Cases: cases, Desk: cases.Desk(), Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	b, api, clk := testBot(t, Config{Texts: texts, Merge: func(ctx context.Context, from, to string) error {
		return core.MergeChat(ctx, "whatsapp", from, to)
	}}, engine)
	lids := lidMap(t)
	b.cur.Load().lids = lids

	n := 0
	send := func(evt *events.Message, line string) string {
		t.Helper()
		n++
		evt.Info.ID = "3EB0" + strconv.Itoa(n)
		evt.Message = text(line)
		evt.Info.Timestamp = clk.Now()
		b.onEvent(evt)
		b.waitIdle()
		var got []string
		for _, m := range api.take() {
			got = append(got, m.text)
		}
		return strings.Join(got, "\n")
	}
	byLID := func(line string) string { return send(fromLID("", citizenLID, types.JID{}), line) }
	byPhone := func(line string) string {
		evt := dm("", citizenPhone, nil)
		evt.Info.SenderAlt = types.NewJID(citizenLID, types.HiddenUserServer)
		return send(evt, line)
	}

	form := []string{"2", "sktm", "3307051708900001", "Siti Aminah", "17-08-1990", "sawangan",
		"Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "0812-3456-7890", "ya"}
	byLID("halo")
	var last string
	for _, line := range form {
		last = byLID(line)
	}
	first := ticketRE.FindString(last)
	if first == "" {
		t.Fatalf("no ticket under the LID:\n%s", last)
	}
	for _, line := range form[:4] { // a second request, halfway
		last = byLID(line)
	}
	if !strings.Contains(last, "(3/7)") {
		t.Fatalf("second form not at its third question:\n%s", last)
	}

	// WhatsApp shares the number: whatsmeow stores the pair when it parses
	// such a message, and the message names both.
	if err := lids.PutLIDMapping(ctx, types.NewJID(citizenLID, types.HiddenUserServer), person(citizenPhone)); err != nil {
		t.Fatal(err)
	}
	if got := byPhone("17-08-1990"); !strings.Contains(got, "(4/7)") {
		t.Fatalf("by number, the half-filled form did not go on:\n%s", got)
	}
	for _, line := range form[5:] {
		last = byPhone(line)
	}
	second := ticketRE.FindString(last)
	if second == "" || second == first {
		t.Fatalf("no second ticket by number:\n%s", last)
	}
	status := byLID("cek status") // by LID again: the map says it is the number
	if !strings.Contains(status, first) || !strings.Contains(status, second) {
		t.Errorf("cek status shows\n%s\nwant both %s and %s", status, first, second)
	}
	mine, err := cases.CitizenCases(ctx, "whatsapp", citizenPhone, 0)
	if err != nil || len(mine) != 2 {
		t.Errorf("the number's cases: %d, %v; want 2", len(mine), err)
	}
	if left, _ := cases.CitizenCases(ctx, "whatsapp", lidPrefix+citizenLID, 0); len(left) != 0 {
		t.Errorf("%d cases left under the LID", len(left))
	}
}
