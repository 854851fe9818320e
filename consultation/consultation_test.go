package consultation_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/services"
)

func catalog(t *testing.T) *services.Catalog {
	t.Helper()
	cat, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatalf("load catalog: %v", err)
	}
	return cat
}

var now = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

const goodFile = `consultation:
  code: jalan-2027
  title: Prioritas perbaikan jalan 2027
  background: Dana perbaikan jalan 2027 cukup untuk tiga ruas.
  question: Ruas mana yang paling perlu diperbaiki?
  kind: ranking
  comment: true
  closes: "2026-12-20 16:00"
  options:
    - {code: sawangan, label: Jalan Sawangan - Lipursari}
    - {code: besani, label: Jalan Besani}
    - {code: timbang, label: Jalan Timbang - Manggis}
`

func TestReadFileConsultation(t *testing.T) {
	cat := catalog(t)
	f, err := consultation.ReadFile(fstest.MapFS{"jalan.yaml": {Data: []byte(goodFile)}}, "jalan.yaml", cat, now)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Consultation
	if c == nil || f.Announcement != nil {
		t.Fatalf("file = %+v, want one consultation", f)
	}
	if c.Code != "jalan-2027" || c.Kind != consultation.KindRanking || !c.Comment || len(c.Options) != 3 || c.Village != consultation.Kecamatan {
		t.Errorf("consultation = %+v", c)
	}
	want := time.Date(2026, 12, 20, 16, 0, 0, 0, cat.Office.Location)
	if !c.Closes.Equal(want) {
		t.Errorf("closes = %v, want %v (office time)", c.Closes, want)
	}
}

func TestReadFileAnnouncement(t *testing.T) {
	cat := catalog(t)
	src := "announcement:\n  code: keliling-sawangan\n  text: Pelayanan keliling di Balai Desa Sawangan, Kamis 10 Desember.\n  village: Sawangan\n"
	f, err := consultation.ReadFile(fstest.MapFS{"a.yaml": {Data: []byte(src)}}, "a.yaml", cat, now)
	if err != nil {
		t.Fatal(err)
	}
	if f.Announcement == nil || f.Announcement.Village != "33.07.05.2001" {
		t.Errorf("announcement = %+v, want Sawangan's code", f.Announcement)
	}
}

// TestReadFileProblems: every problem of a file is named with its line, as
// `bot check` names those of the other configuration files.
func TestReadFileProblems(t *testing.T) {
	cat := catalog(t)
	bad := `consultation:
  code: Jalan 2027
  title: Jalan
  background: ` + strings.Repeat("x", 700) + `
  question: Mana?
  kind: pilihan
  village: Atlantis
  closes: "2026-12-01 16:00"
  colour: red
  options:
    - {code: a1, label: Satu}
    - {code: a1, label: Dua}
`
	_, err := consultation.ReadFile(fstest.MapFS{"bad.yaml": {Data: []byte(bad)}}, "bad.yaml", cat, now)
	if err == nil {
		t.Fatal("a broken file was accepted")
	}
	for _, want := range []string{
		`bad.yaml:2: consultation "Jalan 2027": code must be`,
		`bad.yaml:4: consultation "Jalan 2027": background has 700 characters`,
		`bad.yaml:6: consultation "Jalan 2027": kind "pilihan"`,
		`bad.yaml:7: consultation "Jalan 2027": village "Atlantis"`,
		`bad.yaml:8: consultation "Jalan 2027": closes 2026-12-01 16:00 is already past`,
		`bad.yaml:9:`,
		`bad.yaml:12: consultation "Jalan 2027": option code "a1" used twice`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	many := strings.Replace(goodFile, "    - {code: timbang", "    - {code: d4, label: D}\n    - {code: e5, label: E}\n    - {code: f6, label: F}\n    - {code: timbang", 1)
	_, err = consultation.ReadFile(fstest.MapFS{"m.yaml": {Data: []byte(many)}}, "m.yaml", cat, now)
	if err == nil || !strings.Contains(err.Error(), "6 options: a ranking needs 2 to 5") {
		t.Errorf("a ranking of six: %v", err)
	}
	_, err = consultation.ReadFile(fstest.MapFS{"e.yaml": {Data: []byte("title: x\n")}}, "e.yaml", cat, now)
	if err == nil || !strings.Contains(err.Error(), "e.yaml:1:") {
		t.Errorf("a file with neither: %v", err)
	}
}

func TestCheckAnswer(t *testing.T) {
	rank := consultation.Consultation{Kind: consultation.KindRanking, Options: []consultation.Option{{Code: "a"}, {Code: "b"}, {Code: "c"}}}
	choice := consultation.Consultation{Kind: consultation.KindChoice, Options: rank.Options}
	for _, tc := range []struct {
		c    consultation.Consultation
		a    consultation.Answer
		want error
	}{
		{rank, consultation.Answer{Ranking: []string{"b", "a"}}, nil},
		{rank, consultation.Answer{Ranking: []string{"b", "b"}}, consultation.ErrRanking},
		{rank, consultation.Answer{Ranking: []string{"z"}}, consultation.ErrUnknownOption},
		{rank, consultation.Answer{Choice: "a"}, consultation.ErrRanking},
		{choice, consultation.Answer{Choice: "c"}, nil},
		{choice, consultation.Answer{Choice: "x"}, consultation.ErrUnknownOption},
		{choice, consultation.Answer{Choice: "a", Comment: strings.Repeat("é", 501)}, consultation.ErrCommentLong},
	} {
		if got := tc.c.Check(tc.a); got != tc.want {
			t.Errorf("Check(%+v) = %v, want %v", tc.a, got, tc.want)
		}
	}
}

func TestCleanComment(t *testing.T) {
	got, ok := consultation.CleanComment("  Jalan\u202e rusak\u200b   parah \n\n  tolong\u2066 ")
	if !ok || got != "Jalan rusak parah\n\ntolong" {
		t.Errorf("CleanComment = %q, %v", got, ok)
	}
	if _, ok := consultation.CleanComment(strings.Repeat("a", 500) + "\u200b\u200b"); !ok {
		t.Error("500 letters and two invisible characters are 500 characters")
	}
	if _, ok := consultation.CleanComment(strings.Repeat("a", 501)); ok {
		t.Error("501 letters were accepted")
	}
}

// TestTally: per option, per village, and villages under five answers
// merged, so nobody's choice can be read off a small village.
func TestTally(t *testing.T) {
	c := consultation.Consultation{Kind: consultation.KindRanking, Options: []consultation.Option{{Code: "a"}, {Code: "b"}, {Code: "c"}}}
	var answers []consultation.Answer
	for i := 0; i < 6; i++ {
		answers = append(answers, consultation.Answer{Village: "V1", Ranking: []string{"a", "b", "c"}})
	}
	for i := 0; i < 3; i++ {
		answers = append(answers, consultation.Answer{Village: "V2", Ranking: []string{"b"}})
	}
	answers = append(answers, consultation.Answer{Village: "V3", Ranking: []string{"c", "a"}}, consultation.Answer{Ranking: []string{"c"}})
	r := consultation.Tally(c, answers, map[string]int{"V1": 40, "V2": 10, consultation.Kecamatan: 50})
	if r.Answers != 11 || r.Subscribers != 100 {
		t.Errorf("answers %d subscribers %d", r.Answers, r.Subscribers)
	}
	// a: 6 firsts x3 + 1 second x2 = 20; b: 6x2 + 3x3 = 21; c: 6x1 + 2x3 = 12.
	want := map[string][2]int{"a": {6, 20}, "b": {3, 21}, "c": {2, 12}}
	for _, o := range r.Options {
		if got := [2]int{o.Votes, o.Points}; got != want[o.Code] {
			t.Errorf("option %s: votes, points = %v, want %v", o.Code, got, want[o.Code])
		}
	}
	if got := r.Ranked(c.Kind)[0].Code; got != "b" {
		t.Errorf("first by points = %s, want b", got)
	}
	if len(r.Villages) != 2 || r.Villages[0].Village != "V1" || r.Villages[0].Answers != 6 || r.Villages[0].Subscribers != 40 {
		t.Fatalf("villages = %+v", r.Villages)
	}
	other := r.Villages[1]
	if other.Village != consultation.OtherVillages || other.Answers != 5 || other.Votes["b"] != 3 || other.Votes["c"] != 2 || other.Subscribers != 60 {
		t.Errorf("lainnya = %+v, want V2, V3 and the unknown village merged", other)
	}
}

func TestBursts(t *testing.T) {
	base := now
	var times []time.Time
	for i := 0; i < 25; i++ { // 25 within 5 minutes
		times = append(times, base.Add(time.Duration(i)*12*time.Second))
	}
	for i := 0; i < 10; i++ { // then one an hour
		times = append(times, base.Add(time.Duration(i+1)*time.Hour))
	}
	got := consultation.Bursts(times, consultation.BurstWindow, consultation.BurstThreshold)
	if len(got) != 1 || got[0].Answers != 25 || !got[0].From.Equal(base) {
		t.Errorf("bursts = %+v, want one of 25 from the start", got)
	}
	if got := consultation.Bursts(times[25:], consultation.BurstWindow, consultation.BurstThreshold); len(got) != 0 {
		t.Errorf("steady answers flagged: %+v", got)
	}
}
