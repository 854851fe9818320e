package services_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/services"
)

func TestOfficeHoursForHandovers(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	cal := services.Calendar{Location: wib, Holidays: map[string]bool{"2026-12-25": true}, Close: "16:00"}
	hours := services.OfficeHours{Open: "07:30", Close: "16:00"}
	at := func(day, clock string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, wib)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		now  time.Time
		open bool
		next time.Time
	}{
		{at("2026-12-07", "09:00"), true, at("2026-12-07", "09:00")},  // Monday morning
		{at("2026-12-07", "07:00"), false, at("2026-12-07", "07:30")}, // before opening
		{at("2026-12-07", "16:00"), false, at("2026-12-08", "07:30")}, // closing time
		{at("2026-12-24", "18:00"), false, at("2026-12-28", "07:30")}, // Christmas and a weekend follow
		{at("2026-12-25", "10:00"), false, at("2026-12-28", "07:30")}, // on the holiday itself
		{at("2026-12-26", "10:00"), false, at("2026-12-28", "07:30")}, // Saturday
	} {
		if got := cal.OfficeOpen(c.now, hours); got != c.open {
			t.Errorf("OfficeOpen(%s) = %v, want %v", c.now, got, c.open)
		}
		if got := cal.NextOpening(c.now, hours); !got.Equal(c.next) {
			t.Errorf("NextOpening(%s) = %s, want %s", c.now, got, c.next)
		}
	}
	// Friday 15:50 to Monday 07:40: ten minutes on Friday, ten on Monday.
	if got := cal.OfficeTime(at("2026-12-04", "15:50"), at("2026-12-07", "07:40"), hours); got != 20*time.Minute {
		t.Errorf("OfficeTime over a weekend = %s, want 20m", got)
	}
	if got := cal.OfficeTime(at("2026-12-07", "09:00"), at("2026-12-07", "09:20"), hours); got != 20*time.Minute {
		t.Errorf("OfficeTime within a day = %s, want 20m", got)
	}
}

func TestHandoverRulesShipped(t *testing.T) {
	c, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Handover
	if r.FrontDesk != "pelayanan_umum" || r.EscalateAfter != 15*time.Minute || r.ReleaseAfter != 2*time.Hour || len(r.Templates) == 0 {
		t.Errorf("shipped hand-over rules = %+v", r)
	}
}

func TestHandoverRulesRefused(t *testing.T) {
	base := fstest.MapFS{}
	for _, name := range []string{"kecamatan.yaml", "services.yaml"} {
		raw, err := configs.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		base[name] = &fstest.MapFile{Data: raw}
	}
	if c, err := services.LoadCatalog(base); err != nil || c.Handover.FrontDesk != "pelayanan_umum" || c.Handover.ReleaseAfter != 2*time.Hour {
		t.Errorf("without handover.yaml: %+v, %v; want the defaults", c.Handover, err)
	}
	for yaml, want := range map[string]string{
		"front_desk: loket\nescalate_after: 15m\nrelease_after: 2h\n":                                       "front_desk \"loket\"",
		"front_desk: pemerintahan\nescalate_after: soon\nrelease_after: 2h\n":                               "escalate_after",
		"front_desk: pemerintahan\nescalate_after: 15m\nrelease_after: 2h\nextra: 1\n":                      "extra",
		"front_desk: pemerintahan\nescalate_after: 15m\nrelease_after: 2h\ntemplat_balasan: [{title: x}]\n": "templat_balasan #1",
	} {
		fsys := fstest.MapFS{"handover.yaml": &fstest.MapFile{Data: []byte(yaml)}}
		for k, v := range base {
			fsys[k] = v
		}
		_, err := services.LoadCatalog(fsys)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %s", yaml, err, want)
		}
	}
}

func TestCanSeeHandover(t *testing.T) {
	h := services.Handover{Unit: "pemerintahan"}
	for _, c := range []struct {
		o    services.Officer
		want bool
	}{
		{services.Officer{Role: services.RolePetugas, Unit: "pemerintahan", Active: true}, true},
		{services.Officer{Role: services.RolePetugas, Unit: "pelayanan_umum", Active: true}, false},
		{services.Officer{Role: services.RoleCamat, Active: true}, true},
		{services.Officer{Role: services.RoleCamat}, false},
	} {
		if got := services.CanSeeHandover(c.o, h); got != c.want {
			t.Errorf("CanSeeHandover(%+v) = %v, want %v", c.o, got, c.want)
		}
	}
}
