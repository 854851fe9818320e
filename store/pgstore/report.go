package pgstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/leksono/sapa/services"
)

// complaintCategoryField is the form field of a complaint that holds its
// category.
const complaintCategoryField = "kategori"

// Report loads the cases, events and surveys a report of [from, to) made
// at now needs and aggregates them with services.BuildReport: statuses are
// counted as of the earlier of now and to. It also counts the cases filed
// in the year up to to (Report.YearCases). The SQL only selects rows
// (plain WHERE, IN with subqueries, one JOIN) and counts, which PostgreSQL
// and SQLite read alike; the counting and percentiles are done in Go,
// which a kecamatan's few thousand cases a year allow.
func (s *Store) Report(ctx context.Context, from, to, now time.Time, cal services.Calendar) (services.Report, error) {
	if !to.After(from) {
		return services.Report{}, fmt.Errorf("report: period end %s is not after its start %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	asOf := to
	if !now.IsZero() && now.Before(to) {
		asOf = now
	}
	db := s.db.WithContext(ctx)
	cases, err := reportCases(db, dbTime(from), dbTime(to), dbTime(asOf))
	if err != nil {
		return services.Report{}, fmt.Errorf("report: %w", err)
	}
	surveys, err := reportSurveys(db, dbTime(from), dbTime(to))
	if err != nil {
		return services.Report{}, fmt.Errorf("report: %w", err)
	}
	var year int64
	err = db.Model(&Case{}).Where("created_at >= ? AND created_at < ?", dbTime(to.AddDate(-1, 0, 0)), dbTime(to)).Count(&year).Error
	if err != nil {
		return services.Report{}, fmt.Errorf("report: count the year's cases: %w", err)
	}
	r := services.BuildReport(from.In(s.loc), to.In(s.loc), asOf.In(s.loc), cases, surveys, cal)
	r.YearCases = int(year)
	if r.Visits, err = s.visitWaits(ctx, from, to, cal); err != nil {
		return services.Report{}, fmt.Errorf("report: %w", err)
	}
	if r.HandoverRatings, err = s.HandoverRatings(ctx, from, to); err != nil {
		return services.Report{}, fmt.Errorf("report: %w", err)
	}
	return r, nil
}

// reportCaseScope selects the cases a report reads: filed before to, and
// either filed in the period or possibly still open at asOf (open now, or
// changed after asOf, which a case closed after asOf must have been).
func reportCaseScope(db *gorm.DB, from, to, asOf time.Time) *gorm.DB {
	return db.Model(&Case{}).
		Where("created_at < ?", to).
		Where("(created_at >= ? OR status IN ? OR updated_at >= ?)", from, openStatuses(), asOf)
}

func reportCases(db *gorm.DB, from, to, asOf time.Time) ([]services.ReportCase, error) {
	var rows []Case
	err := reportCaseScope(db, from, to, asOf).
		Select("id", "kind", "service_code", "village_code", "form_data", "created_at", "due_at").
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load cases: %w", err)
	}
	var events []CaseEvent
	err = db.Model(&CaseEvent{}).Select("case_id", "at", "to_status").
		Where("case_id IN (?)", reportCaseScope(db, from, to, asOf).Select("id")).
		Order("at, id").Find(&events).Error
	if err != nil {
		return nil, fmt.Errorf("load case events: %w", err)
	}
	byCase := make(map[int64][]services.ReportEvent, len(rows))
	for _, e := range events {
		byCase[e.CaseID] = append(byCase[e.CaseID], services.ReportEvent{At: e.At, To: e.ToStatus})
	}
	out := make([]services.ReportCase, 0, len(rows))
	for _, c := range rows {
		rc := services.ReportCase{
			Kind:        c.Kind,
			ServiceCode: c.ServiceCode,
			VillageCode: c.VillageCode,
			CreatedAt:   c.CreatedAt,
			DueAt:       c.DueAt,
			Events:      byCase[c.ID],
		}
		if c.Kind == services.KindComplaint {
			rc.Category = c.FormData[complaintCategoryField]
		}
		out = append(out, rc)
	}
	return out, nil
}

// surveyRow is a survey response with the service of its case.
type surveyRow struct {
	ID          int64
	ServiceCode string
	StartedAt   time.Time
	CompletedAt *time.Time
	AgeBand     string
	Sex         string
	Education   string
	Occupation  string
}

func reportSurveys(db *gorm.DB, from, to time.Time) ([]services.ReportSurvey, error) {
	scope := func() *gorm.DB {
		return db.Table("survey_responses").
			Where("(completed_at >= ? AND completed_at < ?) OR (started_at >= ? AND started_at < ?)", from, to, from, to)
	}
	var rows []surveyRow
	err := scope().Select("survey_responses.id, cases.service_code, survey_responses.started_at, survey_responses.completed_at, " +
		"survey_responses.age_band, survey_responses.sex, survey_responses.education, survey_responses.occupation").
		Joins("JOIN cases ON cases.id = survey_responses.case_id").
		Order("survey_responses.id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load surveys: %w", err)
	}
	var answers []SurveyAnswer
	err = db.Model(&SurveyAnswer{}).Select("response_id", "element", "score").
		Where("response_id IN (?)", scope().Select("id")).Find(&answers).Error
	if err != nil {
		return nil, fmt.Errorf("load survey answers: %w", err)
	}
	scores := make(map[int64][]int, len(rows))
	for _, a := range answers {
		i := services.SurveyElementIndex(a.Element)
		if i < 0 {
			continue // not written by AnswerSurvey; it cannot count
		}
		if scores[a.ResponseID] == nil {
			scores[a.ResponseID] = make([]int, len(services.SurveyElements))
		}
		scores[a.ResponseID][i] = a.Score
	}
	out := make([]services.ReportSurvey, 0, len(rows))
	for _, r := range rows {
		sc := scores[r.ID]
		if sc == nil {
			sc = make([]int, len(services.SurveyElements))
		}
		profile := SurveyResponse{AgeBand: r.AgeBand, Sex: r.Sex, Education: r.Education, Occupation: r.Occupation}.profile()
		out = append(out, services.ReportSurvey{ServiceCode: r.ServiceCode, StartedAt: r.StartedAt, CompletedAt: r.CompletedAt, Scores: sc, Profile: profile})
	}
	return out, nil
}
