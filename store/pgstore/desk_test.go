package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
	"github.com/leksono/sapa/store/storetest"
)

var (
	_ conversation.CaseDesk   = pgstore.Desk{}
	_ conversation.SurveyDesk = pgstore.Desk{}
)

// The desk hands the conversation services views with the citizen filled
// in, and ErrNoCase both for an unknown ticket and for someone else's.
func TestDeskViewsAndNoCase(t *testing.T) {
	ctx := context.Background()
	loc := time.FixedZone("WIB", 7*3600)
	store, err := pgstore.Open(ctx, storetest.Postgres(t), pgstore.Options{TicketPrefix: "LKS", Location: loc, Keys: testKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	r, err := store.SubmitCase(ctx, services.NewCase{
		Kind: services.KindRequest, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Channel: "telegram",
		ChatID: "1001", CitizenName: "Siti Aminah", VillageCode: "33.07.05.2001",
		Form: map[string]string{"nama": "Siti Aminah"}, SourceMessage: "telegram:1001:1", SubmittedAt: at, DueAt: at.Add(7 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	desk := store.Desk()
	if err := desk.SetCitizenLang(ctx, "telegram", "1001", "en"); err != nil {
		t.Fatal(err)
	}
	v, events, err := desk.CitizenCase(ctx, r.Ticket, "telegram", "1001")
	if err != nil {
		t.Fatal(err)
	}
	if v.ChatID != "1001" || v.CitizenName != "Siti Aminah" || v.CitizenLang != "en" || v.Status != services.StatusReceived || v.Form["nama"] != "Siti Aminah" {
		t.Errorf("view = %+v", v)
	}
	if len(events) != 1 || events[0].Kind != services.EventSubmit {
		t.Errorf("events = %+v", events)
	}
	if _, _, err := desk.CitizenCase(ctx, r.Ticket, "telegram", "2002"); !errors.Is(err, conversation.ErrNoCase) {
		t.Errorf("another citizen's ticket: want ErrNoCase, got %v", err)
	}
	if _, _, err := desk.Case(ctx, "LKS-261123-9999"); !errors.Is(err, conversation.ErrNoCase) {
		t.Errorf("unknown ticket: want ErrNoCase, got %v", err)
	}
	if _, err := desk.ChangeStatus(ctx, services.StatusChange{Ticket: r.Ticket, To: services.StatusDone, Actor: "budi", At: at}); !errors.Is(err, services.ErrIllegalTransition) {
		t.Errorf("diterima -> selesai: want ErrIllegalTransition, got %v", err)
	}
	open, err := desk.OpenCases(ctx, services.CaseFilter{Unit: "kesejahteraan_sosial"})
	if err != nil || len(open) != 1 || open[0].CitizenName != "Siti Aminah" {
		t.Errorf("open cases = %+v, %v", open, err)
	}
}
