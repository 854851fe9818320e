package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

var _ conversation.PastRequests = pgstore.Desk{}

// A returning citizen is offered their newest request that was not
// rejected (complaints aside), NIK revealed from its sealed column; none
// while their request to be erased is open, and none once it is done.
func TestLastRequest(t *testing.T) { eachBackend(t, testLastRequest) }

func testLastRequest(t *testing.T, b backend) {
	ctx := context.Background()
	loc := jakarta(t)
	store, where := openStore(t, b)
	desk := store.Desk()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	n := 0
	file := func(kind services.Kind, chat, nik string) string {
		n++
		r, err := store.SubmitCase(ctx, services.NewCase{
			Kind: kind, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "telegram", ChatID: chat,
			CitizenName: "Siti Aminah", VillageCode: "33.07.05.2001",
			Form:          map[string]string{"nik": nik, "nama": "Siti Aminah", "alamat": "Dusun Krajan"},
			SourceMessage: "telegram:" + chat + ":" + time.Duration(n).String(), SubmittedAt: at.Add(time.Duration(n) * time.Minute),
			DueAt: at.Add(7 * time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r.Ticket
	}
	if _, err := desk.LastRequest(ctx, "telegram", "1001"); !errors.Is(err, conversation.ErrNoCase) {
		t.Fatalf("a chat with no case: want ErrNoCase, got %v", err)
	}
	first := file(services.KindRequest, "1001", "3307055708900003")
	file(services.KindComplaint, "1001", "")
	rejected := file(services.KindRequest, "1001", "3307051708900001")
	if _, err := desk.ChangeStatus(ctx, services.StatusChange{Ticket: rejected, To: services.StatusRejected, Actor: "budi", Note: "data ganda", At: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	file(services.KindRequest, "2002", "3307051708900009") // someone else's

	c, err := desk.LastRequest(ctx, "telegram", "1001")
	if err != nil {
		t.Fatal(err)
	}
	if c.Ticket != first || c.Form["nik"] != "3307055708900003" || c.Form["alamat"] != "Dusun Krajan" {
		t.Fatalf("last request = %s %v, want %s with its NIK revealed", c.Ticket, c.Form, first)
	}
	// The NIK rests sealed: the revealed one came from the sealed column.
	var raw string
	if err := rawDB(t, b, where).Raw(`SELECT form_data FROM cases WHERE ticket = ?`, first).Row().Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "3307055708900003") {
		t.Fatalf("the NIK is stored in clear: %s", raw)
	}

	if _, err := desk.RequestDeletion(ctx, "telegram", "1001", at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.LastRequest(ctx, "telegram", "1001"); !errors.Is(err, conversation.ErrNoCase) {
		t.Fatalf("while erasure is open: want ErrNoCase, got %v", err)
	}
	if _, err := desk.LastRequest(ctx, "telegram", "2002"); err != nil {
		t.Fatalf("another citizen's erasure must not hide this one's: %v", err)
	}
	reqs, err := desk.DeletionRequests(ctx)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("deletion requests = %v, %v", reqs, err)
	}
	if _, err := desk.CompleteDeletion(ctx, reqs[0].ID, "camat", at.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.LastRequest(ctx, "telegram", "1001"); !errors.Is(err, conversation.ErrNoCase) {
		t.Fatalf("once erased: want ErrNoCase, got %v", err)
	}
	// A request filed after the erasure is the citizen's again: offered.
	r, err := store.SubmitCase(ctx, services.NewCase{
		Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "telegram", ChatID: "1001",
		CitizenName: "Siti Aminah", VillageCode: "33.07.05.2001",
		Form:          map[string]string{"nik": "3307055708900003", "nama": "Siti Aminah", "alamat": "Dusun Baru"},
		SourceMessage: "telegram:1001:later", SubmittedAt: at.Add(4 * time.Hour), DueAt: at.Add(30 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := desk.LastRequest(ctx, "telegram", "1001"); err != nil || c.Ticket != r.Ticket {
		t.Errorf("after a new request: %v, %v; want %s offered", c.Ticket, err, r.Ticket)
	}
}
