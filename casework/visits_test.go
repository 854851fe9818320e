package casework_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

var _ casework.VisitBook = (*pgstore.Store)(nil)

// TestSchedule: an officer's day list holds their unit's visits only (the
// camat's every unit's), with the citizen's name; an arrival is recorded by
// an officer who may see the case, refused like a missing case otherwise.
func TestSchedule(t *testing.T) {
	o := newOffice(t)
	ctx := context.Background()
	cat, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	sched := casework.NewSchedule(cat, o.store, o.store.Desk(), func() time.Time { return o.clock })
	ticket := o.file("5001", "")
	slot := services.Slot{Day: "2026-11-24", Start: "09:00", End: "10:00"}
	_, err = o.store.BookVisit(ctx, services.NewVisit{
		Ticket: ticket, ServiceCode: "sktm", Unit: "kesejahteraan_sosial", Purpose: services.VisitPickup, Slot: slot,
		Capacity: 4, At: o.clock, Channel: "telegram", ChatID: "5001", Lang: "id",
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{"petugas_kesos": 1, "camat": 1, "admin": 1, "petugas_umum": 0} {
		got, err := sched.Day(ctx, o.officer(id), "2026-11-24")
		if err != nil || len(got) != want {
			t.Errorf("%s sees %+v, %v; want %d", id, got, err, want)
		}
		if want == 1 && len(got) == 1 && got[0].CitizenName != "Siti Aminah" {
			t.Errorf("%s sees the visit without its citizen: %+v", id, got[0])
		}
	}
	if _, err := sched.Arrived(ctx, o.officer("petugas_umum"), ticket); !errors.Is(err, services.ErrNoCase) {
		t.Errorf("another unit's arrival: %v, want ErrNoCase", err)
	}
	v, err := sched.Arrived(ctx, o.officer("petugas_kesos"), ticket)
	if err != nil || v.Status != services.VisitVisited || v.DoneBy != "petugas_kesos" {
		t.Errorf("arrival = %+v, %v", v, err)
	}
	other := o.file("5002", "")
	if _, err := sched.Arrived(ctx, o.officer("petugas_kesos"), other); !errors.Is(err, services.ErrNoVisit) {
		t.Errorf("arrival without a visit: %v, want ErrNoVisit", err)
	}
}

// TestParseDay: the days an officer may type after "jadwal".
func TestParseDay(t *testing.T) {
	o := newOffice(t)
	o.clock = time.Date(2026, 12, 28, 9, 0, 0, 0, monday.Location())
	cat, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	sched := casework.NewSchedule(cat, o.store, o.store.Desk(), func() time.Time { return o.clock })
	today, tomorrow := []string{"hari ini"}, []string{"besok"}
	for in, want := range map[string]string{
		"": "2026-12-28", "hari ini": "2026-12-28", "besok": "2026-12-29", "30/12": "2026-12-30",
		"2-1": "2027-01-02", "15/12/2026": "2026-12-15", "2027-01-04": "2027-01-04", "27/12": "2026-12-27",
	} {
		if got, ok := sched.ParseDay(in, today, tomorrow); !ok || got != want {
			t.Errorf("ParseDay(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"kemarin", "32/12", "12/2026/1"} {
		if got, ok := sched.ParseDay(bad, today, tomorrow); ok {
			t.Errorf("ParseDay(%q) = %q, want refused", bad, got)
		}
	}
}
