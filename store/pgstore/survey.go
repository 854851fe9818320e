package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leksono/sapa/services"
)

// ErrNoSurvey is returned when a survey is answered or completed for a
// case whose survey was never started.
var ErrNoSurvey = errors.New("no survey started for this case")

// ErrSurveyDone is returned when a completed survey is answered or
// completed again: its answers are final once the citizen sent them.
var ErrSurveyDone = errors.New("survey already completed")

// ErrSurveyIncomplete is returned when a survey is completed before every
// element asked about the case's kind has a score.
var ErrSurveyIncomplete = errors.New("survey has unanswered elements")

// SurveyResponse is one citizen's satisfaction survey (SKM) about one
// case. A case has at most one, ever.
type SurveyResponse struct {
	ID     int64 `gorm:"primaryKey"`
	CaseID int64 `gorm:"not null;uniqueIndex"`
	// Case exists for the foreign key; it is never loaded nor written.
	Case      *Case     `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	StartedAt time.Time `gorm:"not null"`
	// CompletedAt is nil while the citizen is still answering; a response
	// counts in the index only once completed.
	CompletedAt *time.Time `gorm:"index"`
	// Comment is the citizen's free-text suggestion (saran), "" if none.
	Comment string `gorm:"not null;default:''"`
	// The respondent's profile (services.SurveyProfile), each an option
	// code or "" when skipped: statistics for the published report. They
	// are personal data nonetheless: never logged (GORM's logger here
	// never prints parameters) and erased with the citizen's other data.
	AgeBand    string `gorm:"size:16;not null;default:''"`
	Sex        string `gorm:"size:16;not null;default:''"`
	Education  string `gorm:"size:16;not null;default:''"`
	Occupation string `gorm:"size:16;not null;default:''"`
}

// profileColumns maps each profile question (services.SurveyProfile) to
// its column of survey_responses.
var profileColumns = map[string]string{
	"usia":       "age_band",
	"kelamin":    "sex",
	"pendidikan": "education",
	"pekerjaan":  "occupation",
}

// profile returns the response's profile answers by question code.
func (r SurveyResponse) profile() map[string]string {
	return map[string]string{"usia": r.AgeBand, "kelamin": r.Sex, "pendidikan": r.Education, "pekerjaan": r.Occupation}
}

// SurveyAnswer is the score of one element in one survey response.
type SurveyAnswer struct {
	ID         int64 `gorm:"primaryKey"`
	ResponseID int64 `gorm:"not null;uniqueIndex:idx_survey_answers_response_element,priority:1"`
	// Response exists for the foreign key; it is never loaded nor written.
	Response *SurveyResponse `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	// Element is one of services.SurveyElements.
	Element    string    `gorm:"size:8;not null;uniqueIndex:idx_survey_answers_response_element,priority:2"`
	Score      int       `gorm:"not null;check:chk_survey_answers_score,score BETWEEN 1 AND 4"`
	AnsweredAt time.Time `gorm:"not null"`
}

// SurveyState is how far the survey of a case went.
type SurveyState struct {
	Started   bool
	Completed bool
	// Answers are the scores given so far, in the order of
	// services.SurveyElements.
	Answers []services.SurveyAnswer
	// Profile holds the profile answers by question code, "" where none.
	Profile map[string]string
}

// StartSurvey opens the satisfaction survey of the case with the ticket.
// It returns false, and changes nothing, when the case already has a
// survey, started or completed: a case is surveyed once, never twice. An
// unknown ticket fails with ErrNotFound.
func (s *Store) StartSurvey(ctx context.Context, ticket string, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, fmt.Errorf("start survey of %s: time is zero", ticket)
	}
	var started bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		caseID, err := caseIDOf(tx, ticket)
		if err != nil {
			return err
		}
		// DO NOTHING settles two concurrent starts: one row, one true.
		res := tx.Omit(clause.Associations).
			Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "case_id"}}, DoNothing: true}).
			Create(&SurveyResponse{CaseID: caseID, StartedAt: dbTime(at)})
		if res.Error != nil {
			return fmt.Errorf("insert survey: %w", res.Error)
		}
		started = res.RowsAffected == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("start survey of %s: %w", ticket, err)
	}
	return started, nil
}

// AnswerSurvey records the score (1..4) of one element (u1..u9) of the
// case's survey; answering an element again replaces its score, so a
// citizen may correct an answer until the survey is completed. An element
// not asked about the case's kind (services.SurveyElementsFor) is refused.
// It fails with ErrNoSurvey before StartSurvey and with ErrSurveyDone after
// CompleteSurvey.
func (s *Store) AnswerSurvey(ctx context.Context, ticket, element string, score int, at time.Time) error {
	switch {
	case services.SurveyElementIndex(element) < 0:
		return fmt.Errorf("answer survey of %s: unknown element %q", ticket, element)
	case !services.ValidSurveyScore(score):
		return fmt.Errorf("answer survey of %s: score %d is not 1 to 4", ticket, score)
	case at.IsZero():
		return fmt.Errorf("answer survey of %s: time is zero", ticket)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		resp, kind, err := openResponse(tx, ticket)
		if err != nil {
			return err
		}
		if !slices.Contains(services.SurveyElementsFor(kind), element) {
			return fmt.Errorf("element %s is not asked after a %s", element, kind)
		}
		err = tx.Omit(clause.Associations).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "response_id"}, {Name: "element"}},
			DoUpdates: clause.AssignmentColumns([]string{"score", "answered_at"}),
		}).Create(&SurveyAnswer{ResponseID: resp.ID, Element: element, Score: score, AnsweredAt: dbTime(at)}).Error
		if err != nil {
			return fmt.Errorf("save answer: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("answer survey of %s: %w", ticket, err)
	}
	return nil
}

// AnswerProfile records the respondent's answer to one profile question
// (services.SurveyProfile): an option code, or "" when they skipped it.
// Answering again replaces the answer. It fails with ErrNoSurvey before
// StartSurvey and with ErrSurveyDone after CompleteSurvey.
func (s *Store) AnswerProfile(ctx context.Context, ticket, question, value string, at time.Time) error {
	column, ok := profileColumns[question]
	switch {
	case !ok:
		return fmt.Errorf("answer profile of %s: unknown question %q", ticket, question)
	case !services.ValidProfileAnswer(question, value):
		// The value is a code of ours, never what the citizen typed.
		return fmt.Errorf("answer profile of %s: %q is not an option of %s", ticket, value, question)
	case at.IsZero():
		return fmt.Errorf("answer profile of %s: time is zero", ticket)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		resp, _, err := openResponse(tx, ticket)
		if err != nil {
			return err
		}
		if err := tx.Model(&SurveyResponse{}).Where("id = ?", resp.ID).UpdateColumn(column, value).Error; err != nil {
			return fmt.Errorf("save %s: %w", question, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("answer profile of %s: %w", ticket, err)
	}
	return nil
}

// CompleteSurvey closes the case's survey with the citizen's comment ("" if
// none). Every element asked about the case's kind must have a score
// (ErrSurveyIncomplete otherwise); the profile questions may stay
// unanswered. A survey is completed once (ErrSurveyDone the second time).
func (s *Store) CompleteSurvey(ctx context.Context, ticket, comment string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("complete survey of %s: time is zero", ticket)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		resp, kind, err := openResponse(tx, ticket)
		if err != nil {
			return err
		}
		asked := services.SurveyElementsFor(kind)
		var answered int64
		err = tx.Model(&SurveyAnswer{}).Where("response_id = ? AND element IN ?", resp.ID, asked).Count(&answered).Error
		if err != nil {
			return fmt.Errorf("count answers: %w", err)
		}
		if answered < int64(len(asked)) {
			return fmt.Errorf("%w: %d of %d answered", ErrSurveyIncomplete, answered, len(asked))
		}
		done := dbTime(at)
		// The completed_at IS NULL guard makes a concurrent second
		// completion update nothing instead of overwriting the first.
		res := tx.Model(&SurveyResponse{}).Where("id = ? AND completed_at IS NULL", resp.ID).
			UpdateColumns(map[string]any{"completed_at": done, "comment": comment})
		if res.Error != nil {
			return fmt.Errorf("complete: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrSurveyDone
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("complete survey of %s: %w", ticket, err)
	}
	return nil
}

// Survey returns how far the survey of the case with the ticket went, for
// the chat to resume it. An unknown ticket fails with ErrNotFound.
func (s *Store) Survey(ctx context.Context, ticket string) (SurveyState, error) {
	db := s.db.WithContext(ctx)
	caseID, err := caseIDOf(db, ticket)
	if err != nil {
		return SurveyState{}, fmt.Errorf("load survey of %s: %w", ticket, err)
	}
	var resp SurveyResponse
	res := db.Where("case_id = ?", caseID).Limit(1).Find(&resp)
	if res.Error != nil {
		return SurveyState{}, fmt.Errorf("load survey of %s: %w", ticket, res.Error)
	}
	if res.RowsAffected == 0 {
		return SurveyState{}, nil
	}
	var answers []SurveyAnswer
	if err := db.Where("response_id = ?", resp.ID).Find(&answers).Error; err != nil {
		return SurveyState{}, fmt.Errorf("load survey answers of %s: %w", ticket, err)
	}
	st := SurveyState{Started: true, Completed: resp.CompletedAt != nil, Profile: resp.profile()}
	byElement := map[string]int{}
	for _, a := range answers {
		byElement[a.Element] = a.Score
	}
	for _, e := range services.SurveyElements {
		if score, ok := byElement[e]; ok {
			st.Answers = append(st.Answers, services.SurveyAnswer{Element: e, Score: score})
		}
	}
	return st, nil
}

// caseIDOf returns the id of the case with the ticket, or ErrNotFound.
func caseIDOf(db *gorm.DB, ticket string) (int64, error) {
	var c Case
	res := db.Select("id").Where("ticket = ?", ticket).Limit(1).Find(&c)
	if res.Error != nil {
		return 0, fmt.Errorf("look up case: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return 0, ErrNotFound
	}
	return c.ID, nil
}

// openResponse returns the case's survey while it may still be answered,
// and the case's kind, locking the survey's row on PostgreSQL so an answer
// and the completion do not interleave (SQLite's single connection
// serialises them anyway).
func openResponse(tx *gorm.DB, ticket string) (SurveyResponse, services.Kind, error) {
	var c Case
	res := tx.Select("id", "kind").Where("ticket = ?", ticket).Limit(1).Find(&c)
	if res.Error != nil {
		return SurveyResponse{}, "", fmt.Errorf("look up case: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return SurveyResponse{}, "", ErrNotFound
	}
	var resp SurveyResponse
	res = tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
		Where("case_id = ?", c.ID).Limit(1).Find(&resp)
	if res.Error != nil {
		return SurveyResponse{}, "", fmt.Errorf("lock survey: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return SurveyResponse{}, "", ErrNoSurvey
	}
	if resp.CompletedAt != nil {
		return SurveyResponse{}, "", ErrSurveyDone
	}
	return resp, c.Kind, nil
}
