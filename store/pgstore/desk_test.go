package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

var (
	_ conversation.CaseDesk    = pgstore.Desk{}
	_ conversation.SurveyDesk  = pgstore.Desk{}
	_ conversation.PrivacyDesk = pgstore.Desk{}
)

// The desk hands the conversation services views with the citizen filled
// in, and ErrNoCase both for an unknown ticket and for someone else's.
func TestDeskViewsAndNoCase(t *testing.T) { eachBackend(t, testDeskViewsAndNoCase) }

func testDeskViewsAndNoCase(t *testing.T, b backend) {
	ctx := context.Background()
	loc := jakarta(t)
	store, _ := openStore(t, b)
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

// The staff views of an anonymous complaint never load who filed it; the
// view a change returns (used to notify the citizen) still knows the chat.
func TestAnonymousComplaintStaffViews(t *testing.T) { eachBackend(t, testAnonymousComplaintStaffViews) }

func testAnonymousComplaintStaffViews(t *testing.T, b backend) {
	ctx := context.Background()
	loc := jakarta(t)
	store, _ := openStore(t, b)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	file := func(chat, msg, conf, name string) string {
		r, err := store.SubmitCase(ctx, services.NewCase{
			Kind: services.KindComplaint, ServiceCode: "pengaduan", Unit: "pemerintahan", Channel: "whatsapp",
			ChatID: chat, CitizenName: name, VillageCode: "33.07.05.2011", Confidentiality: conf,
			Form: map[string]string{"uraian": "Lampu jalan mati sejak seminggu di depan balai desa."}, SourceMessage: msg,
			SubmittedAt: at, DueAt: at.Add(96 * time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r.Ticket
	}
	anon := file("6281234567890", "m1", services.ConfidentialAnonymous, "")
	named := file("6285700000000", "m2", "", "Budi")
	desk := store.Desk()
	v, _, err := desk.Case(ctx, anon)
	if err != nil {
		t.Fatal(err)
	}
	if v.ChatID != "" || v.CitizenName != "" || v.Confidentiality != services.ConfidentialAnonymous {
		t.Errorf("staff view of an anonymous case = chat %q name %q conf %q", v.ChatID, v.CitizenName, v.Confidentiality)
	}
	open, err := desk.OpenCases(ctx, services.CaseFilter{})
	if err != nil || len(open) != 2 {
		t.Fatalf("open cases: %v, %d", err, len(open))
	}
	for _, c := range open {
		switch c.Ticket {
		case anon:
			if c.ChatID != "" {
				t.Errorf("the staff list loaded the anonymous complainant %q", c.ChatID)
			}
		case named:
			if c.ChatID != "6285700000000" || c.CitizenName != "Budi" || c.Confidentiality != services.ConfidentialNormal {
				t.Errorf("named case view = %+v", c)
			}
		}
	}
	changed, err := desk.ChangeStatus(ctx, services.StatusChange{Ticket: anon, To: services.StatusVerifying, Actor: "pem", At: at})
	if err != nil || changed.ChatID != "6281234567890" {
		t.Fatalf("the change must still reach the citizen: %v, chat %q", err, changed.ChatID)
	}
}

// A citizen a chat app refused is marked unreachable; filing a new case
// (they wrote again) clears the mark.
func TestMarkUnreachable(t *testing.T) { eachBackend(t, testMarkUnreachable) }

func testMarkUnreachable(t *testing.T, b backend) {
	ctx := context.Background()
	loc := jakarta(t)
	store, _ := openStore(t, b)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	submit := func(msg string) string {
		r, err := store.SubmitCase(ctx, services.NewCase{Kind: services.KindRequest, ServiceCode: "sktm", Unit: "u",
			Channel: "telegram", ChatID: "42", CitizenName: "Siti", VillageCode: "v", Form: map[string]string{},
			SourceMessage: msg, SubmittedAt: at, DueAt: at.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return r.Ticket
	}
	ticket := submit("m1")
	if first, err := store.MarkUnreachable(ctx, "telegram", "42", at.Add(time.Minute)); err != nil || !first {
		t.Fatalf("the first mark = %v, %v; want it made", first, err)
	}
	// Found refusing again: the mark stays as first made, and says so.
	if again, err := store.MarkUnreachable(ctx, "telegram", "42", at.Add(time.Hour)); err != nil || again {
		t.Fatalf("the second mark = %v, %v; want it known already", again, err)
	}
	c, _, err := store.CaseByTicket(ctx, ticket)
	if err != nil || c.Citizen == nil || c.Citizen.UnreachableAt == nil || !c.Citizen.UnreachableAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("citizen not marked unreachable at the first refusal: %+v, %v", c.Citizen, err)
	}
	ticket = submit("m2")
	c, _, err = store.CaseByTicket(ctx, ticket)
	if err != nil || c.Citizen.UnreachableAt != nil {
		t.Fatalf("a new case must clear the mark: %+v, %v", c.Citizen, err)
	}
}
