package casework

import (
	"context"
	"fmt"
	"time"

	"github.com/leksono/sapa/services"
)

// VisitBook is what the day's list of visits needs from their storage
// (pgstore.Store implements it).
type VisitBook interface {
	// DayVisits lists the visits of day ("2006-01-02") that hold a place,
	// in units (all when none), by slot.
	DayVisits(ctx context.Context, day string, units []string) ([]services.Visit, error)
	// TicketVisit is the case's booking that holds a place;
	// services.ErrNoVisit when it has none.
	TicketVisit(ctx context.Context, ticket string) (services.Visit, error)
	// MarkVisit records the visit's outcome, by officer.
	MarkVisit(ctx context.Context, ticket string, status services.VisitStatus, officer string, at time.Time) (services.Visit, error)
}

// Schedule is the office's list of booked visits: the day's citizens at the
// counter, unit by unit, and the record that one came. The officers' chat
// command (jadwal, datang) and the console's day page both use it, under
// the same rule as the cases: an officer sees their unit, the camat and
// admins every unit.
type Schedule struct {
	visits  VisitBook
	cases   Cases
	catalog *services.Catalog
	now     func() time.Time
}

// NewSchedule builds the schedule over visits; cases is the case storage
// the desk uses, to check that an officer may see a ticket's case.
func NewSchedule(catalog *services.Catalog, visits VisitBook, cases Cases, now func() time.Time) *Schedule {
	if now == nil {
		now = time.Now
	}
	return &Schedule{visits: visits, cases: cases, catalog: catalog, now: now}
}

// Day lists the visits of day ("2006-01-02") the officer may see.
func (s *Schedule) Day(ctx context.Context, o services.Officer, day string) ([]services.Visit, error) {
	if !o.Active {
		return nil, nil
	}
	var units []string
	if !o.Role.AllUnits() {
		units = []string{o.Unit}
	}
	visits, err := s.visits.DayVisits(ctx, day, units)
	if err != nil {
		return nil, fmt.Errorf("list the visits of %s for %s: %w", day, o.ID, err)
	}
	for i, v := range visits {
		if v.CitizenName != "" {
			continue
		}
		// The store names the citizens of the cases it holds; a case kept
		// elsewhere (written behind) is asked for by its ticket.
		if c, _, err := s.cases.Case(ctx, v.Ticket); err == nil {
			visits[i].CitizenName = c.CitizenName
		}
	}
	return visits, nil
}

// Arrived records that the citizen of ticket came for their visit. It
// fails with services.ErrNoCase for a case the officer may not see (as for
// one that does not exist) and services.ErrNoVisit when the case holds no
// place.
func (s *Schedule) Arrived(ctx context.Context, o services.Officer, ticket string) (services.Visit, error) {
	c, _, err := s.cases.Case(ctx, ticket)
	if err != nil {
		return services.Visit{}, fmt.Errorf("read case %s: %w", ticket, err)
	}
	if !services.CanSee(o, c) {
		return services.Visit{}, fmt.Errorf("case %s: %w", ticket, services.ErrNoCase)
	}
	v, err := s.visits.MarkVisit(ctx, ticket, services.VisitVisited, o.ID, s.now())
	if err != nil {
		return services.Visit{}, fmt.Errorf("record the arrival for %s: %w", ticket, err)
	}
	return v, nil
}

// ParseDay reads the day an officer asks for: "" is today, the words of
// tomorrow and today as given, "15/12" or "15-12" (this year, or the next
// once that date has passed), "15/12/2026", or "2026-12-15". ok is false
// when it is none of them.
func (s *Schedule) ParseDay(text string, today, tomorrow []string) (string, bool) {
	now := s.now().In(s.catalog.Office.Location)
	for _, w := range tomorrow {
		if text == w {
			return now.AddDate(0, 0, 1).Format(time.DateOnly), true
		}
	}
	if text == "" {
		return now.Format(time.DateOnly), true
	}
	for _, w := range today {
		if text == w {
			return now.Format(time.DateOnly), true
		}
	}
	loc := s.catalog.Office.Location
	for _, layout := range []string{time.DateOnly, "2/1/2006", "2-1-2006"} {
		if d, err := time.ParseInLocation(layout, text, loc); err == nil {
			return d.Format(time.DateOnly), true
		}
	}
	for _, layout := range []string{"2/1", "2-1"} {
		if d, err := time.ParseInLocation(layout, text, loc); err == nil {
			d = time.Date(now.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
			if d.Before(now.AddDate(0, 0, -7)) {
				// "3/1" in late December is the coming January.
				d = d.AddDate(1, 0, 0)
			}
			return d.Format(time.DateOnly), true
		}
	}
	return "", false
}
