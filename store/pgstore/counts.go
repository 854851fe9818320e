package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/leksono/sapa/services"
)

// CountOpen counts the cases still waiting for the office, and those of
// them past their due date at now (a case waiting for the citizen, clock
// paused, is never overdue): the numbers behind the office's gauges.
func (s *Store) CountOpen(ctx context.Context, now time.Time) (open, overdue int, err error) {
	var n, late int64
	q := s.db.WithContext(ctx).Model(&Case{}).Where("status IN ?", openStatuses())
	if err := q.Count(&n).Error; err != nil {
		return 0, 0, fmt.Errorf("count open cases: %w", err)
	}
	err = s.db.WithContext(ctx).Model(&Case{}).
		Where("status IN ? AND status <> ? AND due_at < ?", openStatuses(), services.StatusIncomplete, dbTime(now)).
		Count(&late).Error
	if err != nil {
		return 0, 0, fmt.Errorf("count overdue cases: %w", err)
	}
	return int(n), int(late), nil
}
