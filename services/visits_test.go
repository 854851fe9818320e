package services

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/configs"
)

const visitsSection = `visits:
  slots: ["08:00-09:00", "13:00-14:00"]
  capacity: 2
  capacity_by_unit: {umum: 3}
  days_ahead: 2
  offer: 4
  remind_at: "15:30"
  lead_time: 2h
`

// TestLoadVisits: the counter's slots and capacities are read, a service
// names why the citizen comes, and every mistake is reported with its line.
func TestLoadVisits(t *testing.T) {
	services := strings.Replace(goodServices, "    keywords: [sktm]\n", "    keywords: [sktm]\n    visit: pickup\n", 1)
	cat, err := loadSnippets(goodKecamatan+visitsSection, services)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	r := cat.Office.Visits
	want := []SlotTime{{"08:00", "09:00"}, {"13:00", "14:00"}}
	if !slices.Equal(r.Slots, want) || r.CapacityOf("sosial") != 2 || r.CapacityOf("umum") != 3 ||
		r.DaysAhead != 2 || r.Offer != 4 || r.RemindAt != "15:30" || r.LeadTime != 2*time.Hour {
		t.Errorf("visits = %+v", r)
	}
	if s, _ := cat.Service("sktm"); s.Visit != VisitPickup {
		t.Errorf("sktm visit = %q, want pickup", s.Visit)
	}

	_, err = loadSnippets(goodKecamatan, services)
	if want := `service "sktm": visit needs the counter's slots: add "visits" to kecamatan.yaml`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("visit without slots: %v, want %s", err, want)
	}
	bad := `visits:
  slots: ["07:00-08:00", "09:00-08:30", "10:00-11:00", "09:30-10:30", "nanti"]
  capacity: 0
  offer: 12
`
	_, err = loadSnippets(goodKecamatan+bad, strings.Replace(services, "visit: pickup", "visit: jemput", 1))
	for _, want := range []string{
		`kecamatan.yaml:17: visits: slot "07:00-08:00" is outside office_hours 07:30-16:00`,
		`kecamatan.yaml:17: visits: slot "09:00-08:30" must be written "09:00-10:00", start before end`,
		`kecamatan.yaml:17: visits: slot "09:30-10:30" starts before the previous one ends`,
		`kecamatan.yaml:17: visits: slot "nanti" must be written`,
		`kecamatan.yaml:18: visits: capacity must be at least 1, not 0`,
		`kecamatan.yaml:19: visits: offer must be 1 to 9 slots, not 12`,
		`services.yaml:6: service "sktm": visit "jemput" is not pickup, originals or signature`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %s", err, want)
		}
	}
}

// The real office books visits on the letters picked up in person.
func TestRealCatalogVisits(t *testing.T) {
	cat, err := LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	if !cat.Office.Visits.Enabled() {
		t.Fatal("kecamatan.yaml offers no visits")
	}
	if s, _ := cat.Service("legalisasi"); s.Visit != VisitOriginals {
		t.Errorf("legalisasi visit = %q, want originals", s.Visit)
	}
}

// TestOpenSlots: slots fall on working days only, a holiday and a weekend
// are skipped, a slot too soon or full is left out, and a letter is picked
// up only after its due day.
func TestOpenSlots(t *testing.T) {
	loc := time.FixedZone("WIB", 7*3600)
	cal := Calendar{Location: loc, Holidays: map[string]bool{"2026-12-24": true, "2026-12-25": true}, Close: "16:00"}
	rules := VisitRules{Slots: []SlotTime{{"08:00", "09:00"}, {"13:00", "14:00"}}, Capacity: 2, DaysAhead: 2, Offer: 6, LeadTime: time.Hour}
	keys := func(slots []Slot) []string {
		var out []string
		for _, s := range slots {
			out = append(out, s.Key())
		}
		return out
	}
	// Wednesday 23 December 12:30: 13:00 is within the lead time; the 24th
	// and 25th are holidays, then a weekend.
	now := time.Date(2026, 12, 23, 12, 30, 0, 0, loc)
	got := keys(cal.OpenSlots(rules, VisitOriginals, "umum", now, time.Time{}, nil))
	want := []string{"2026-12-28T08:00", "2026-12-28T13:00"}
	if !slices.Equal(got, want) {
		t.Errorf("originals from Wednesday noon: %v, want %v", got, want)
	}
	now = time.Date(2026, 12, 21, 7, 0, 0, 0, loc) // Monday morning
	got = keys(cal.OpenSlots(rules, VisitOriginals, "umum", now, time.Time{}, map[string]int{"2026-12-21T08:00": 2, "2026-12-21T13:00": 1}))
	want = []string{"2026-12-21T13:00", "2026-12-22T08:00", "2026-12-22T13:00"}
	if !slices.Equal(got, want) {
		t.Errorf("with a full slot: %v, want %v", got, want)
	}
	due := cal.DueDate(now, 1) // Monday 16:00: picked up from Tuesday
	got = keys(cal.OpenSlots(rules, VisitPickup, "umum", now, due, nil))
	want = []string{"2026-12-22T08:00", "2026-12-22T13:00", "2026-12-23T08:00", "2026-12-23T13:00"}
	if !slices.Equal(got, want) {
		t.Errorf("pick-up: %v, want %v", got, want)
	}
	if s, ok := ParseSlotKey("2026-12-22T13:00", rules); !ok || s.End != "14:00" {
		t.Errorf("parse key = %+v %v", s, ok)
	}
	for _, bad := range []string{"2026-12-22T10:00", "2026-13-22T08:00", "x"} {
		if _, ok := ParseSlotKey(bad, rules); ok {
			t.Errorf("ParseSlotKey(%q) accepted", bad)
		}
	}
}
