package console

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/leksono/sapa/services"
)

// visitsView is the day's visits page's data.
type visitsView struct {
	Day, Date, Prev, Next string
	Rows                  []visitRow
	Result, Error         string
}

// visitRow is one visit of the day.
type visitRow struct {
	Time, Ticket, CaseURL, Name, Service, Purpose, Status, StatusClass string
	// CanArrive: the citizen may still be recorded as come (booked, and
	// the day has come).
	CanArrive bool
}

// dayParam reads ?tanggal=YYYY-MM-DD; today when absent or unreadable.
func (s *Server) dayParam(r *http.Request) time.Time {
	loc := s.catalog.Office.Location
	now := s.now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	if d, err := time.ParseInLocation(time.DateOnly, r.URL.Query().Get("tanggal"), loc); err == nil {
		return d
	}
	return today
}

// visitsPage is the day's list of booked visits of the officer's unit (the
// camat's and admins': every unit's), with the button that records that
// a citizen came: the same schedule the chat's "jadwal" reads.
func (s *Server) visitsPage(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Schedule == nil {
		s.notFound(w, r)
		return
	}
	day := s.dayParam(r)
	visits, err := s.cfg.Schedule.Day(r.Context(), o, day.Format(time.DateOnly))
	if err != nil {
		s.fail(w, r, "list the day's visits", err)
		return
	}
	now := s.now().In(s.catalog.Office.Location)
	v := visitsView{
		Day: day.Format(time.DateOnly), Date: s.tr("visit.weekday."+weekdayNumber(day)) + " " + s.date(day),
		Prev: day.AddDate(0, 0, -1).Format(time.DateOnly), Next: day.AddDate(0, 0, 1).Format(time.DateOnly),
	}
	for _, vi := range visits {
		row := visitRow{
			Time:   services.FormatClock(vi.Slot.Start) + "-" + services.FormatClock(vi.Slot.End),
			Ticket: vi.Ticket, CaseURL: "/kasus/" + url.PathEscape(vi.Ticket), Name: vi.CitizenName,
			Service: s.tr("service." + vi.ServiceCode + ".name"), Purpose: s.tr("visit.staff.purpose." + string(vi.Purpose)),
			Status: s.tr("console.visits.status." + string(vi.Status)), StatusClass: string(vi.Status),
			CanArrive: vi.Status == services.VisitBooked && !day.After(now),
		}
		if row.Name == "" {
			row.Name = s.tr("visit.staff.no_name")
		}
		v.Rows = append(v.Rows, row)
	}
	q := r.URL.Query()
	if q.Get("hasil") == "arrived" {
		v.Result = s.tr("console.visits.arrived")
	}
	if q.Get("galat") == "no_visit" {
		v.Error = s.tr("console.visits.no_visit")
	}
	s.render(w, r, http.StatusOK, "visits", &o, v)
}

// arrived records that the citizen of a visit came, then shows the day
// again.
func (s *Server) arrived(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Schedule == nil {
		s.notFound(w, r)
		return
	}
	ticket, ok := services.NormalizeTicket(r.PostFormValue("tiket"))
	if !ok {
		s.notFound(w, r)
		return
	}
	back := func(key, value string) {
		http.Redirect(w, r, "/jadwal?"+url.Values{key: {value}, "tanggal": {r.PostFormValue("tanggal")}}.Encode(), http.StatusSeeOther)
	}
	_, err := s.cfg.Schedule.Arrived(r.Context(), o, ticket)
	switch {
	case errors.Is(err, services.ErrNoCase):
		s.notFound(w, r)
	case errors.Is(err, services.ErrNoVisit):
		back("galat", "no_visit")
	case err != nil:
		s.fail(w, r, "record an arrival", err)
	default:
		back("hasil", "arrived")
	}
}

// weekdayNumber is the weekday of d as the locales number it, Monday 1 to
// Sunday 7.
func weekdayNumber(d time.Time) string {
	n := int(d.Weekday())
	if n == 0 {
		n = 7
	}
	return string(rune('0' + n))
}
