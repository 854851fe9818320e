package pgstore_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// answerAll gives the scores of a survey, in element order; 0 is an
// element not asked.
func answerAll(t testing.TB, s *pgstore.Store, ticket string, scores []int, at time.Time) {
	t.Helper()
	for i, score := range scores {
		if score == 0 {
			continue
		}
		if err := s.AnswerSurvey(context.Background(), ticket, services.SurveyElements[i], score, at); err != nil {
			t.Fatalf("answer %s of %s: %v", services.SurveyElements[i], ticket, err)
		}
	}
}

// profile answers profile questions of a survey.
func profile(t testing.TB, s *pgstore.Store, ticket string, answers map[string]string, at time.Time) {
	t.Helper()
	for q, v := range answers {
		if err := s.AnswerProfile(context.Background(), ticket, q, v, at); err != nil {
			t.Fatalf("answer %s of %s: %v", q, ticket, err)
		}
	}
}

func TestSurveyLifecycle(t *testing.T) { eachBackend(t, testSurveyLifecycle) }

func testSurveyLifecycle(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	at := time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC)
	ticket := submitAt(t, s, 1, at)

	if _, err := s.StartSurvey(ctx, "LKS-000000-0000", at); !errors.Is(err, pgstore.ErrNotFound) {
		t.Errorf("start survey of an unknown ticket: %v, want ErrNotFound", err)
	}
	if err := s.AnswerSurvey(ctx, ticket, "u1", 3, at); !errors.Is(err, pgstore.ErrNoSurvey) {
		t.Errorf("answer before start: %v, want ErrNoSurvey", err)
	}
	if st, err := s.Survey(ctx, ticket); err != nil || st.Started || st.Completed || len(st.Answers) != 0 {
		t.Errorf("survey before start = %+v, %v; want nothing started", st, err)
	}

	started, err := s.StartSurvey(ctx, ticket, at)
	if err != nil || !started {
		t.Fatalf("first start = %v, %v; want true", started, err)
	}
	if again, err := s.StartSurvey(ctx, ticket, at.Add(time.Hour)); err != nil || again {
		t.Errorf("second start = %v, %v; want false: one survey per case", again, err)
	}

	for _, bad := range []struct {
		element string
		score   int
	}{{"u10", 3}, {"", 3}, {"u1", 0}, {"u1", 5}} {
		if err := s.AnswerSurvey(ctx, ticket, bad.element, bad.score, at); err == nil {
			t.Errorf("answer %q = %d accepted", bad.element, bad.score)
		}
	}

	answerAll(t, s, ticket, []int{1, 2, 3, 4, 4, 3, 2, 1}, at) // u1..u8
	if err := s.CompleteSurvey(ctx, ticket, "", at); !errors.Is(err, pgstore.ErrSurveyIncomplete) {
		t.Errorf("complete with 8 answers: %v, want ErrSurveyIncomplete", err)
	}
	if err := s.AnswerSurvey(ctx, ticket, "u9", 4, at); err != nil {
		t.Fatalf("answer u9: %v", err)
	}
	// A corrected answer replaces the first one.
	if err := s.AnswerSurvey(ctx, ticket, "u1", 4, at); err != nil {
		t.Fatalf("correct u1: %v", err)
	}
	st, err := s.Survey(ctx, ticket)
	if err != nil {
		t.Fatalf("survey: %v", err)
	}
	var scores []int
	for i, a := range st.Answers {
		if a.Element != services.SurveyElements[i] {
			t.Errorf("answer %d is %s, want %s", i, a.Element, services.SurveyElements[i])
		}
		scores = append(scores, a.Score)
	}
	if !st.Started || st.Completed || !slices.Equal(scores, []int{4, 2, 3, 4, 4, 3, 2, 1, 4}) {
		t.Errorf("survey = %+v, want started, not completed, scores 4 2 3 4 4 3 2 1 4", st)
	}

	if err := s.CompleteSurvey(ctx, ticket, "antrean cepat", at.Add(time.Minute)); err != nil {
		t.Fatalf("complete: %v", err)
	}
	if err := s.CompleteSurvey(ctx, ticket, "lagi", at.Add(2*time.Minute)); !errors.Is(err, pgstore.ErrSurveyDone) {
		t.Errorf("complete twice: %v, want ErrSurveyDone", err)
	}
	if err := s.AnswerSurvey(ctx, ticket, "u2", 4, at); !errors.Is(err, pgstore.ErrSurveyDone) {
		t.Errorf("answer after completion: %v, want ErrSurveyDone", err)
	}
	if again, err := s.StartSurvey(ctx, ticket, at.Add(time.Hour)); err != nil || again {
		t.Errorf("start after completion = %v, %v; want false", again, err)
	}
	if st, err := s.Survey(ctx, ticket); err != nil || !st.Completed || len(st.Answers) != 9 || st.Answers[1].Score != 2 {
		t.Errorf("completed survey = %+v, %v; want completed with u2 still 2", st, err)
	}
}

// TestSurveySchema checks the database itself refuses what the methods
// refuse: a score out of range, a second score for one element, a survey
// of a case that does not exist, a second survey of a case.
func TestSurveySchema(t *testing.T) { eachBackend(t, testSurveySchema) }

func testSurveySchema(t *testing.T, b backend) {
	ctx := context.Background()
	s, where := openStore(t, b)
	at := time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC)
	ticket := submitAt(t, s, 1, at)
	if _, err := s.StartSurvey(ctx, ticket, at); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := s.AnswerSurvey(ctx, ticket, "u1", 3, at); err != nil {
		t.Fatalf("answer: %v", err)
	}
	db := rawDB(t, b, where)
	respID := count(t, db, `SELECT id FROM survey_responses`)
	caseID := count(t, db, `SELECT case_id FROM survey_responses`)
	for _, c := range []struct {
		name string
		sql  string
		args []any
	}{
		{"score 5", `INSERT INTO survey_answers (response_id, element, score, answered_at) VALUES (?, 'u2', 5, ?)`, []any{respID, at}},
		{"score 0", `INSERT INTO survey_answers (response_id, element, score, answered_at) VALUES (?, 'u2', 0, ?)`, []any{respID, at}},
		{"element twice", `INSERT INTO survey_answers (response_id, element, score, answered_at) VALUES (?, 'u1', 2, ?)`, []any{respID, at}},
		{"unknown response", `INSERT INTO survey_answers (response_id, element, score, answered_at) VALUES (?, 'u3', 2, ?)`, []any{respID + 1000, at}},
		{"second survey", `INSERT INTO survey_responses (case_id, started_at, comment) VALUES (?, ?, '')`, []any{caseID, at}},
		{"unknown case", `INSERT INTO survey_responses (case_id, started_at, comment) VALUES (?, ?, '')`, []any{caseID + 1000, at}},
	} {
		if err := db.Exec(c.sql, c.args...).Error; err == nil {
			t.Errorf("%s: the database accepted it", c.name)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM survey_answers`); n != 1 {
		t.Errorf("%d answers stored, want 1", n)
	}
}

// TestComplaintSurveyAndProfile: a complaint's survey has no requirements
// (u1) nor cost (u4) and completes with the other seven; the profile
// answers are stored, replaced, skipped as "", and checked against the
// options.
func TestComplaintSurveyAndProfile(t *testing.T) { eachBackend(t, testComplaintSurveyAndProfile) }

func testComplaintSurveyAndProfile(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	at := time.Date(2026, 5, 4, 3, 0, 0, 0, time.UTC)
	ticket := submitAt(t, s, 1, at, func(nc *services.NewCase) { nc.Kind, nc.ServiceCode = services.KindComplaint, "pengaduan" })
	if err := s.AnswerProfile(ctx, ticket, "usia", "30_39", at); !errors.Is(err, pgstore.ErrNoSurvey) {
		t.Errorf("profile before start: %v, want ErrNoSurvey", err)
	}
	if _, err := s.StartSurvey(ctx, ticket, at); err != nil {
		t.Fatalf("start: %v", err)
	}
	for _, e := range []string{"u1", "u4"} {
		if err := s.AnswerSurvey(ctx, ticket, e, 3, at); err == nil {
			t.Errorf("a complaint's survey accepted %s", e)
		}
	}
	answerAll(t, s, ticket, []int{0, 3, 3, 0, 3, 3}, at) // u2, u3, u5, u6
	if err := s.CompleteSurvey(ctx, ticket, "", at); !errors.Is(err, pgstore.ErrSurveyIncomplete) {
		t.Errorf("complete with 4 of 7: %v, want ErrSurveyIncomplete", err)
	}
	answerAll(t, s, ticket, []int{0, 0, 0, 0, 0, 0, 4, 4, 4}, at) // u7, u8, u9

	for _, bad := range [][2]string{{"umur", "30_39"}, {"usia", "31"}, {"kelamin", "perempuan "}} {
		if err := s.AnswerProfile(ctx, ticket, bad[0], bad[1], at); err == nil {
			t.Errorf("profile %s = %q accepted", bad[0], bad[1])
		}
	}
	profile(t, s, ticket, map[string]string{"usia": "20_29", "kelamin": "perempuan", "pendidikan": "sma", "pekerjaan": "petani"}, at)
	profile(t, s, ticket, map[string]string{"usia": "30_39", "pendidikan": ""}, at) // corrected, skipped
	st, err := s.Survey(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"usia": "30_39", "kelamin": "perempuan", "pendidikan": "", "pekerjaan": "petani"}; !maps.Equal(st.Profile, want) {
		t.Errorf("profile = %v, want %v", st.Profile, want)
	}
	if err := s.CompleteSurvey(ctx, ticket, "", at); err != nil {
		t.Fatalf("complete with the seven elements of a complaint: %v", err)
	}
	if err := s.AnswerProfile(ctx, ticket, "usia", "40_49", at); !errors.Is(err, pgstore.ErrSurveyDone) {
		t.Errorf("profile after completion: %v, want ErrSurveyDone", err)
	}
}
