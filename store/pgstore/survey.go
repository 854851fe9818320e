package pgstore

import (
	"context"
	"errors"
	"fmt"
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

// ErrSurveyIncomplete is returned when a survey is completed before all
// nine elements have a score.
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
// citizen may correct an answer until the survey is completed. It fails
// with ErrNoSurvey before StartSurvey and with ErrSurveyDone after
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
		resp, err := openResponse(tx, ticket)
		if err != nil {
			return err
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

// CompleteSurvey closes the case's survey with the citizen's comment ("" if
// none). Every element must have a score (ErrSurveyIncomplete otherwise);
// a survey is completed once (ErrSurveyDone the second time).
func (s *Store) CompleteSurvey(ctx context.Context, ticket, comment string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("complete survey of %s: time is zero", ticket)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		resp, err := openResponse(tx, ticket)
		if err != nil {
			return err
		}
		var answered int64
		if err := tx.Model(&SurveyAnswer{}).Where("response_id = ?", resp.ID).Count(&answered).Error; err != nil {
			return fmt.Errorf("count answers: %w", err)
		}
		if answered < int64(len(services.SurveyElements)) {
			return fmt.Errorf("%w: %d of %d answered", ErrSurveyIncomplete, answered, len(services.SurveyElements))
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
	st := SurveyState{Started: true, Completed: resp.CompletedAt != nil}
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
// locking its row on PostgreSQL so an answer and the completion do not
// interleave (SQLite's single connection serialises them anyway).
func openResponse(tx *gorm.DB, ticket string) (SurveyResponse, error) {
	caseID, err := caseIDOf(tx, ticket)
	if err != nil {
		return SurveyResponse{}, err
	}
	var resp SurveyResponse
	res := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
		Where("case_id = ?", caseID).Limit(1).Find(&resp)
	if res.Error != nil {
		return SurveyResponse{}, fmt.Errorf("lock survey: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return SurveyResponse{}, ErrNoSurvey
	}
	if resp.CompletedAt != nil {
		return SurveyResponse{}, ErrSurveyDone
	}
	return resp, nil
}
