package conversation

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/services"
)

// visitCommand handles the officers' visit commands: "jadwal" (today's
// visits of their unit), "jadwal besok" or "jadwal 15/12" (another day),
// and "datang <tiket>" (the citizen came). It reports whether the message
// was one; the action is the schedule's, shared with the console.
func (e *Engine) visitCommand(ctx context.Context, t *turn, o services.Officer, fields []string) (bool, error) {
	if e.schedule == nil || len(fields) == 0 {
		return false, nil
	}
	word := normalize(fields[0])
	switch {
	case e.isWord("staff_schedule", word):
		arg := normalize(strings.Join(fields[1:], " "))
		day, ok := e.schedule.ParseDay(arg, e.texts.Words("staff_day.today"), e.texts.Words("staff_day.tomorrow"))
		if !ok {
			t.say(e.tr(t, "visit.staff.bad_date", nil))
			return true, nil
		}
		return true, e.staffDay(ctx, t, o, day)
	case e.isWord("staff_arrived", word):
		ticket, _, ok := splitTicket(fields[1:])
		if !ok {
			t.say(e.tr(t, "staff.need_ticket", map[string]string{"command": fields[0]}))
			return true, nil
		}
		v, err := e.schedule.Arrived(ctx, o, ticket)
		switch {
		case errors.Is(err, services.ErrNoCase):
			t.say(e.tr(t, "staff.not_found", map[string]string{"ticket": ticket}))
		case errors.Is(err, services.ErrNoVisit):
			t.say(e.tr(t, "visit.staff.no_visit", map[string]string{"ticket": ticket}))
		case err != nil:
			return true, err
		default:
			t.say(e.tr(t, "visit.staff.arrived", map[string]string{"ticket": ticket, "slot": e.slotLabel(t, v.Slot)}))
		}
		return true, nil
	}
	return false, nil
}

// Schedule is the day's list of visits the engine's "jadwal" reads: the
// office console shows the same one. Nil when visits are not kept.
func (e *Engine) Schedule() *casework.Schedule { return e.schedule }

// staffDay shows an officer the visits of day their unit expects.
func (e *Engine) staffDay(ctx context.Context, t *turn, o services.Officer, day string) error {
	visits, err := e.schedule.Day(ctx, o, day)
	if err != nil {
		return err
	}
	d, _ := time.ParseInLocation(time.DateOnly, day, e.catalog.Office.Location)
	date := e.slotDay(t, d)
	if len(visits) == 0 {
		t.say(e.tr(t, "visit.staff.day_empty", map[string]string{"date": date}))
		return nil
	}
	lines := []string{e.tr(t, "visit.staff.day_title", map[string]string{"date": date, "count": strconv.Itoa(len(visits))})}
	for _, v := range visits {
		lines = append(lines, e.VisitLine(t.st.Lang, v))
	}
	t.say(strings.Join(lines, "\n"))
	return nil
}

// slotDay writes a day with its weekday: "Senin 15 Desember 2026".
func (e *Engine) slotDay(t *turn, d time.Time) string {
	weekday := int(d.Weekday())
	if weekday == 0 {
		weekday = 7
	}
	return e.tr(t, "visit.weekday."+strconv.Itoa(weekday), nil) + " " + e.formatDate(t, d)
}

// VisitLine is one visit of the day's list, in lang: the slot, the ticket,
// the citizen, the service and why they come, and whether they came.
func (e *Engine) VisitLine(lang string, v services.Visit) string {
	t := &turn{st: State{Lang: lang}}
	name := v.CitizenName
	if name == "" {
		name = e.tr(t, "visit.staff.no_name", nil)
	}
	return e.tr(t, "visit.staff.line", map[string]string{
		"start": services.FormatClock(v.Slot.Start), "end": services.FormatClock(v.Slot.End),
		"ticket": v.Ticket, "name": name, "service": e.serviceName(t, v.ServiceCode),
		"purpose": e.tr(t, "visit.staff.purpose."+string(v.Purpose), nil),
		"outcome": e.tr(t, "visit.staff.outcome."+string(v.Status), nil),
	})
}
