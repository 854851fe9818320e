package conversation

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// Remind sends each unit one message listing its cases due today and those
// overdue, once per working day from the configured time, and tells the
// unit's kasi and the camat about cases late by more than the configured
// number of working days. Call it periodically (every minute is fine): guard
// makes sure one run happens per day across all bot processes. It reports
// whether this call did the day's run.
func (e *Engine) Remind(ctx context.Context, guard OnceGuard) (bool, error) {
	if err := e.remindVisits(ctx); err != nil {
		// The deadlines do not wait for the visits: the next run retries.
		e.log.Warn("visit reminders failed; retrying at the next run", "err", err)
	}
	// The conversations' clocks run every minute, working day or not.
	if err := e.HandoverTimers(ctx); err != nil {
		e.log.Warn("conversation timers", "err", err)
	}
	office := e.catalog.Office
	now := e.now().In(office.Location)
	if !e.calendar.IsWorkingDay(now) || now.Format("15:04") < office.RemindAt {
		return false, nil
	}
	day := now.Format("2006-01-02")
	first, err := guard.Once(ctx, "remind:"+day, 36*time.Hour)
	if err != nil {
		return false, fmt.Errorf("claim the reminders of %s: %w", day, err)
	}
	if !first {
		return false, nil
	}
	endOfDay := time.Date(now.Year(), now.Month(), now.Day(), 23, 59, 59, 0, office.Location)
	t := &turn{st: State{Lang: e.staffLang()}}
	for _, unit := range office.Units {
		cases, err := e.desk.OpenCases(ctx, services.CaseFilter{Unit: unit, DueBefore: &endOfDay, Limit: 200})
		if err != nil {
			return true, fmt.Errorf("list due cases of %s: %w", unit, err)
		}
		if len(cases) == 0 {
			continue
		}
		unitName := e.tr(t, "unit."+unit, nil)
		var due, late []string
		for _, c := range cases {
			due = append(due, e.staffLine(t, c))
			if e.calendar.WorkingDaysLate(c.DueAt, now) > office.EscalateAfterDays {
				late = append(late, e.staffLine(t, c))
			}
		}
		title := e.tr(t, "staff.reminder_title", map[string]string{"unit": unitName, "date": e.formatDate(t, now), "count": strconv.Itoa(len(due))})
		e.notifyAll(ctx, e.toAll(e.unitTargets(unit), title+"\n"+strings.Join(due, "\n")))
		if len(late) > 0 {
			title := e.tr(t, "staff.escalation_title", map[string]string{
				"unit": unitName, "date": e.formatDate(t, now), "count": strconv.Itoa(len(late)),
				"days": strconv.Itoa(office.EscalateAfterDays),
			})
			var heads []ChatKey
			for _, o := range e.staff.Heads(unit) {
				heads = append(heads, officerChats(o)...)
			}
			e.notifyAll(ctx, e.toAll(heads, title+"\n"+strings.Join(late, "\n")))
		}
	}
	return true, nil
}

// toAll addresses one text to several chats.
func (e *Engine) toAll(chats []ChatKey, text string) []outgoing {
	out := make([]outgoing, 0, len(chats))
	for _, c := range chats {
		out = append(out, outgoing{to: c, reply: Reply{Text: text}})
	}
	return out
}
