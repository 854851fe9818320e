package pgstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/pgstore"
)

// answerAll gives the nine scores of a survey, in element order.
func answerAll(t testing.TB, s *pgstore.Store, ticket string, scores []int, at time.Time) {
	t.Helper()
	for i, score := range scores {
		if err := s.AnswerSurvey(context.Background(), ticket, services.SurveyElements[i], score, at); err != nil {
			t.Fatalf("answer %s of %s: %v", services.SurveyElements[i], ticket, err)
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
