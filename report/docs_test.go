package report_test

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leksono/sapa/report"
	"github.com/leksono/sapa/services"
)

var docs = flag.Bool("docs", false, "write the pictures of README.md (docs/report-chart.png, docs/ikm-card.pdf)")

// TestDocsPictures renders the chart and the card of a half year like the
// office's (480 cases, about 300 surveys, made up with a fixed seed) and
// checks they render. With -docs it writes them to docs/, where the card
// becomes a picture with: pdftoppm -png -r 80 -singlefile docs/ikm-card.pdf docs/ikm-card
func TestDocsPictures(t *testing.T) {
	catalog, texts := office(t)
	loc := catalog.Office.Location
	rng := rand.New(rand.NewPCG(2026, 6))
	var cases []services.ReportCase
	var surveys []services.ReportSurvey
	requests := []string{"sktm", "sktm", "sktm", "domisili", "domisili", "legalisasi", "tanggungan_keluarga", "izin_keramaian", "dispensasi_nikah"}
	categories := []string{"jalan_jembatan", "jalan_jembatan", "kebersihan", "air_bersih", "pelayanan_kantor", "bantuan_sosial", "lainnya"}
	profile := func() map[string]string {
		p := map[string]string{}
		for _, q := range services.SurveyProfile {
			if rng.IntN(10) > 0 { // one in ten skips
				p[q.Code] = q.Options[rng.IntN(len(q.Options))]
			}
		}
		return p
	}
	for range 480 {
		month := time.Month(1 + rng.IntN(6))
		created := time.Date(2026, month, 1+rng.IntN(27), 8+rng.IntN(8), 0, 0, 0, loc)
		kind, service, category := services.KindRequest, requests[rng.IntN(len(requests))], ""
		if rng.IntN(4) == 0 {
			kind, service, category = services.KindComplaint, "pengaduan", categories[rng.IntN(len(categories))]
		}
		due := created.AddDate(0, 0, 2)
		done := created.Add(time.Duration(4+rng.IntN(60)) * time.Hour)
		c := services.ReportCase{Kind: kind, ServiceCode: service, Category: category, CreatedAt: created, DueAt: due,
			VillageCode: catalog.Villages[rng.IntN(len(catalog.Villages))].Code,
			Events:      []services.ReportEvent{{At: created, To: services.StatusReceived}}}
		if month < 6 || rng.IntN(3) > 0 {
			c.Events = append(c.Events, services.ReportEvent{At: done, To: services.StatusDone})
			if rng.IntN(100) < 70 {
				scores := make([]int, len(services.SurveyElements))
				for _, e := range services.SurveyElementsFor(kind) {
					// Mostly 3 and 4; waiting (u3) and the waiting room (u8) fare worse.
					s := 3 + rng.IntN(2)
					if (e == "u3" || e == "u8") && rng.IntN(2) == 0 {
						s--
					}
					scores[services.SurveyElementIndex(e)] = s
				}
				answered := done.Add(2 * time.Hour)
				surveys = append(surveys, services.ReportSurvey{ServiceCode: service, StartedAt: answered, CompletedAt: &answered, Scores: scores, Profile: profile()})
			}
		}
		cases = append(cases, c)
	}
	period := report.Period{First: time.Date(2026, 1, 1, 0, 0, 0, 0, loc), Last: time.Date(2026, 6, 30, 0, 0, 0, 0, loc)}
	r := services.BuildReport(period.First, period.End(), time.Date(2026, 7, 1, 9, 0, 0, 0, loc), cases, surveys, services.NewCalendar(catalog.Office))
	d := report.Document{Period: period, Report: r, Weighting: services.WeightingRegulation, Population: 1200, PopulationConfigured: true,
		MinimumSample: services.MinimumSample(1200)}
	if !d.SampleReached() || r.IKM.Respondents < 250 {
		t.Fatalf("the sample has %d respondents for a minimum of %d", r.IKM.Respondents, d.MinimumSample)
	}

	w := report.New(catalog, texts, "id")
	dir := t.TempDir()
	if *docs {
		dir = filepath.Join("..", "docs")
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"report-chart.png": func(b *bytes.Buffer) error { return w.WriteChart(b, d) },
		"ikm-card.pdf":     func(b *bytes.Buffer) error { return w.WriteCard(b, d) },
	} {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
