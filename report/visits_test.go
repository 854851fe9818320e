package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/leksono/sapa/report"
	"github.com/leksono/sapa/services"
)

// TestVisitWaitsInTheReport: the camat's service report shows, per service
// and for all, the visits due in the period, who came, who did not, and
// the working days waited from booking to slot, read from the store.
func TestVisitWaitsInTheReport(t *testing.T) {
	catalog, texts := office(t)
	sd := newSeeder(t, catalog)
	ctx := context.Background()
	book := func(ticket, service, day, start string, bookedAt int, outcome services.VisitStatus) {
		t.Helper()
		_, err := sd.s.BookVisit(ctx, services.NewVisit{
			Ticket: ticket, ServiceCode: service, Unit: "pelayanan_umum", Purpose: services.VisitPickup,
			Slot: services.Slot{Day: day, Start: start, End: "23:00"}, Capacity: 4,
			At: sd.at(3, bookedAt, 9), Channel: "telegram", ChatID: ticket, Lang: "id",
		})
		if err != nil {
			t.Fatal(err)
		}
		if outcome != services.VisitBooked {
			if _, err := sd.s.MarkVisit(ctx, ticket, outcome, "petugas", sd.at(3, 20, 10)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Monday 2 March 09:00 booked for Wednesday 4 March 09:00: two working
	// days; Monday 9 March booked for Monday 16 March: five.
	book("T1", "sktm", "2026-03-04", "09:00", 2, services.VisitVisited)
	book("T2", "sktm", "2026-03-16", "09:00", 9, services.VisitNoShow)
	book("T3", "legalisasi", "2026-03-04", "09:00", 2, services.VisitVisited)
	book("T4", "legalisasi", "2026-04-06", "09:00", 2, services.VisitBooked) // after the period
	d, err := report.Build(ctx, sd.s, catalog.Office, report.Period{First: sd.at(3, 1, 0), Last: sd.at(3, 31, 0)}, sd.at(4, 1, 8))
	if err != nil {
		t.Fatal(err)
	}
	got := d.Report.Visits
	if len(got) != 3 {
		t.Fatalf("visits = %+v, want legalisasi, sktm and the total", got)
	}
	sktm, all := got[1], got[2]
	if sktm.Service != "sktm" || sktm.Booked != 2 || sktm.Visited != 1 || sktm.NoShow != 1 || sktm.AvgDays != 3.5 || sktm.MaxDays != 5 {
		t.Errorf("sktm = %+v, want 2 booked, 1 came, 1 missed, 3.5 and 5 days", sktm)
	}
	if all.Service != "" || all.Booked != 3 || all.NoShow != 1 || all.NoShowShare() != 1.0/3 || all.AvgDays != 3 {
		t.Errorf("all = %+v, want 3 booked, a third missed, 3 days", all)
	}
	var text bytes.Buffer
	if err := report.New(catalog, texts, "id").WriteText(&text, d, report.SetService); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Kunjungan terjadwal ke kantor", "Surat Keterangan Tidak Mampu (SKTM)", "Semua layanan", "3,5", "33"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, text.String())
		}
	}
}
