package conversation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// VisitDesk keeps the citizens' booked visits to the counter (pgstore.Store
// implements it). BookVisit moves a case's booking when it has one and
// fails with services.ErrSlotFull when the last place went to someone else
// first; CancelVisit fails with services.ErrNoVisit when there is nothing
// to cancel.
type VisitDesk interface {
	TakenSlots(ctx context.Context, unit, from, to string) (map[string]int, error)
	BookVisit(ctx context.Context, n services.NewVisit) (services.Visit, error)
	CancelVisit(ctx context.Context, ticket string, at time.Time) (services.Visit, error)
	// ChatVisits are the visits still to come booked from a chat, from
	// day from ("2006-01-02") on.
	ChatVisits(ctx context.Context, channel, chatID, from string) ([]services.Visit, error)
	// The reminders of the afternoon before, and the visits missed.
	VisitsToRemind(ctx context.Context, day string) ([]services.Visit, error)
	ClaimReminder(ctx context.Context, id int64, at time.Time) (bool, error)
	UnclaimReminder(ctx context.Context, id int64) error
	RecordNoShows(ctx context.Context, day string, dayOver bool, at time.Time) (int, error)
	// ReleaseRefusedVisits cancels the visits of cases refused or
	// referred elsewhere.
	ReleaseRefusedVisits(ctx context.Context, at time.Time) (int, error)
}

// The steps of a booked visit.
const (
	// StepVisitSlot offers the open slots of State.Booking's case
	// (State.Slots, by key); "hari lain" shows the following days.
	StepVisitSlot Step = "visit_slot"
	// StepVisitManage asks what to do with State.Booking's visit: move
	// it, cancel it, or keep it.
	StepVisitManage Step = "visit_manage"
	// StepVisitPick asks which of several cases (State.Listed) the
	// citizen means.
	StepVisitPick Step = "visit_pick"
)

func init() {
	register(StepVisitSlot, stepKind{
		question: (*Engine).slotQuestion,
		scope:    func(_ *Engine, t *turn) string { return "vs:" + bookingTicket(t.st.Booking) },
		choices:  (*Engine).slotChoices,
		handle:   (*Engine).onVisitSlot,
		help:     "visit.help",
		menu:     true,
	})
	register(StepVisitManage, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "visit.manage_ask", nil) },
		scope:    func(_ *Engine, t *turn) string { return "vm:" + bookingTicket(t.st.Booking) },
		choices: func(e *Engine, t *turn) []services.Choice {
			return []services.Choice{
				{Value: "move", LabelKey: "visit.move", Keywords: e.texts.Words("visit_move")},
				{Value: "cancel", LabelKey: "visit.cancel", Keywords: e.texts.Words("visit_cancel")},
				{Value: "menu", LabelKey: "visit.keep", Keywords: e.vocab.No},
			}
		},
		handle: (*Engine).onVisitManage,
		help:   "visit.help",
	})
	register(StepVisitPick, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "visit.pick_case", nil) },
		scope:    fixedScope("vp"),
		choices: func(e *Engine, t *turn) []services.Choice {
			out := make([]services.Choice, 0, len(t.st.Listed)+1)
			for _, ticket := range t.st.Listed {
				out = append(out, services.Choice{Value: ticket, Label: ticket})
			}
			return e.withBack(t, out)
		},
		handle: (*Engine).onVisitPick,
		help:   "visit.help",
		menu:   true,
	})
}

// bookingTicket and bookingService read State.Booking, "<ticket>
// <service>", then " move" when the case's visit is being moved.
func bookingTicket(b string) string  { return field(b, 0) }
func bookingService(b string) string { return field(b, 1) }
func bookingMoves(b string) bool     { return field(b, 2) == "move" }

// field is the i-th word of s, "" when it has fewer.
func field(s string, i int) string {
	if f := strings.Fields(s); i < len(f) {
		return f[i]
	}
	return ""
}

// visitsOn reports whether the engine books visits for svc.
func (e *Engine) visitsOn(svc services.Service) bool {
	return e.visits != nil && svc.Visit != services.VisitNone && e.catalog.Office.Visits.Enabled()
}

// visitDue reports whether a visit for svc can be booked while the
// documents missing are still to come: a pick-up waits for the complete
// file (its time limit starts only then), other visits do not.
func (e *Engine) visitDue(svc services.Service, missing []services.Field) bool {
	return svc.Visit != services.VisitPickup || len(missing) == 0
}

// today is the office's date now, "2006-01-02".
func (e *Engine) today() string {
	return e.now().In(e.catalog.Office.Location).Format("2006-01-02")
}

// offerVisit starts booking a visit for ticket of svc, just filed or
// without one yet: it says why the citizen must come and offers the first
// open slots from the day from on. due is when the case is due (pick-up is
// offered after it). With no slot open it says so and leaves the citizen
// where they were.
func (e *Engine) offerVisit(ctx context.Context, t *turn, ticket string, svc services.Service, due time.Time, from time.Time, moving bool) error {
	slots, err := e.openSlots(ctx, svc, due, from)
	if err != nil {
		return err
	}
	if len(slots) == 0 {
		args := e.officeArgs()
		args["days"] = strconv.Itoa(e.catalog.Office.Visits.DaysAhead)
		t.say(e.tr(t, "visit.none", args))
		return nil
	}
	t.st.Booking = ticket + " " + svc.Code
	if moving {
		t.st.Booking += " move"
	}
	t.st.Slots = t.st.Slots[:0]
	for _, s := range slots {
		t.st.Slots = append(t.st.Slots, s.Key())
	}
	t.st.Step, t.st.Retries = StepVisitSlot, 0
	args := e.officeArgs()
	args["purpose"] = e.tr(t, "visit.purpose."+string(svc.Visit), nil)
	args["ticket"] = ticket
	if moving {
		t.say(e.tr(t, "visit.move_offer", args))
	}
	return nil
}

// slotQuestion asks for a time, saying why the citizen comes: the one
// question the filing's answer ends with, so it stays one message.
func (e *Engine) slotQuestion(t *turn) string {
	svc, ok := e.catalog.Service(bookingService(t.st.Booking))
	if !ok || bookingMoves(t.st.Booking) {
		return e.tr(t, "visit.pick_slot", nil)
	}
	return e.tr(t, "visit.offer", map[string]string{"purpose": e.tr(t, "visit.purpose."+string(svc.Visit), nil)})
}

// openSlots are the first slots (Visits.Offer of them) open for svc's unit
// from the day of from on.
func (e *Engine) openSlots(ctx context.Context, svc services.Service, due, from time.Time) ([]services.Slot, error) {
	slots, err := e.allOpenSlots(ctx, svc, due, from)
	if err != nil {
		return nil, err
	}
	if offer := e.catalog.Office.Visits.Offer; len(slots) > offer {
		slots = slots[:offer]
	}
	return slots, nil
}

// allOpenSlots are all the slots open for svc's unit from the day of from
// on, over Visits.DaysAhead working days.
func (e *Engine) allOpenSlots(ctx context.Context, svc services.Service, due, from time.Time) ([]services.Slot, error) {
	rules := e.catalog.Office.Visits
	now := e.now()
	if from.Before(now) {
		from = now
	}
	// The taken places of the days that may be offered: DaysAhead
	// working days, so at most twice as many calendar days and a margin
	// for holidays.
	start := from
	if svc.Visit == services.VisitPickup && due.After(start) {
		start = due
	}
	first := start.In(e.catalog.Office.Location).Format("2006-01-02")
	last := start.AddDate(0, 0, 2*rules.DaysAhead+14).In(e.catalog.Office.Location).Format("2006-01-02")
	taken, err := e.visits.TakenSlots(ctx, svc.Unit, first, last)
	if err != nil {
		return nil, fmt.Errorf("count the booked places of %s: %w", svc.Unit, err)
	}
	return e.calendar.OpenSlots(rules, svc.Visit, svc.Unit, from, due, taken), nil
}

// slotLabel writes a slot as citizens read it: "Senin 15 Desember,
// 09.00-10.00".
func (e *Engine) slotLabel(t *turn, s services.Slot) string {
	day, err := time.ParseInLocation("2006-01-02", s.Day, e.catalog.Office.Location)
	if err != nil {
		return s.Key()
	}
	weekday := int(day.Weekday())
	if weekday == 0 {
		weekday = 7
	}
	return e.tr(t, "visit.slot", map[string]string{
		"weekday": e.tr(t, "visit.weekday."+strconv.Itoa(weekday), nil),
		"day":     strconv.Itoa(day.Day()),
		"month":   e.tr(t, "date.month."+strconv.Itoa(int(day.Month())), nil),
		"start":   services.FormatClock(s.Start),
		"end":     services.FormatClock(s.End),
	})
}

// slotChoices are the slots offered, then "another day" and "later".
func (e *Engine) slotChoices(t *turn) []services.Choice {
	rules := e.catalog.Office.Visits
	out := make([]services.Choice, 0, len(t.st.Slots)+2)
	for _, key := range t.st.Slots {
		if s, ok := services.ParseSlotKey(key, rules); ok {
			out = append(out, services.Choice{Value: key, Label: e.slotLabel(t, s)})
		}
	}
	return append(out,
		services.Choice{Value: "more", LabelKey: "visit.more", Keywords: e.texts.Words("visit_more")},
		services.Choice{Value: "later", LabelKey: "visit.later", Keywords: e.texts.Words("visit_later")},
	)
}

// onVisitSlot books the slot picked, shows the following days, or leaves
// the booking for later.
func (e *Engine) onVisitSlot(ctx context.Context, t *turn) error {
	svc, ok := e.catalog.Service(bookingService(t.st.Booking))
	if !ok || !e.visitsOn(svc) {
		// The catalog changed under the state: nothing to book any more.
		e.endVisit(t)
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	// The citizen may also say what else they want ("cek status", a
	// service's name): booking waits for "kunjungan".
	value, ok, err := e.chooseOrUnderstand(ctx, t, "visit.unknown")
	if !ok || err != nil {
		if t.st.Step != StepVisitSlot {
			e.endVisit(t)
		}
		return err
	}
	ticket := bookingTicket(t.st.Booking)
	switch value {
	case "later":
		t.say(e.tr(t, "visit.later_done", nil))
		e.endVisit(t)
		e.toMenu(t)
		e.prompt(t)
		return nil
	case "more":
		// The times after the last one shown, over the days offered; past
		// their end, from the first again.
		due, err := e.caseDue(ctx, t, ticket, svc)
		if err != nil {
			return err
		}
		open, err := e.allOpenSlots(ctx, svc, due, e.now())
		if err != nil {
			return err
		}
		var next []services.Slot
		if n := len(t.st.Slots); n > 0 {
			last := t.st.Slots[n-1]
			for _, s := range open {
				if s.Key() > last {
					next = append(next, s)
				}
			}
		}
		if len(next) == 0 {
			next = open
			t.say(e.tr(t, "visit.no_more", nil))
		}
		if offer := e.catalog.Office.Visits.Offer; len(next) > offer {
			next = next[:offer]
		}
		if len(next) == 0 {
			return e.offerAgain(ctx, t, svc, due, "visit.full", services.Slot{})
		}
		t.st.Slots = t.st.Slots[:0]
		for _, s := range next {
			t.st.Slots = append(t.st.Slots, s.Key())
		}
		t.st.Retries = 0
		e.prompt(t)
		return nil
	}
	slot, _ := services.ParseSlotKey(value, e.catalog.Office.Visits)
	due, err := e.caseDue(ctx, t, ticket, svc)
	if err != nil {
		return err
	}
	// A list shown a while ago may name a slot that has passed or is too
	// soon now: it is not booked. A full one is the store's to refuse.
	if slot.StartsAt(e.catalog.Office.Location).Before(e.now().Add(e.catalog.Office.Visits.LeadTime)) {
		return e.offerAgain(ctx, t, svc, due, "visit.gone", slot)
	}
	v, err := e.visits.BookVisit(ctx, services.NewVisit{
		Ticket: ticket, ServiceCode: svc.Code, Unit: svc.Unit, Purpose: svc.Visit, Slot: slot,
		Capacity: e.catalog.Office.Visits.CapacityOf(svc.Unit), At: e.now(),
		Channel: t.in.Chat.Channel, ChatID: t.in.Chat.ChatID, Lang: t.st.Lang,
	})
	if errors.Is(err, services.ErrSlotFull) {
		// Someone took the last place since the list was shown: the same
		// list again, without it.
		return e.offerAgain(ctx, t, svc, due, "visit.full", slot)
	}
	if err != nil {
		return fmt.Errorf("book a visit for %s: %w", ticket, err)
	}
	e.log.Info("visit booked", "channel", t.in.Chat.Channel, "chat", services.MaskID(t.in.Chat.ChatID), "ticket", ticket, "slot", v.Slot.Key())
	bring := ""
	if svc.Visit == services.VisitOriginals {
		bring = e.tr(t, "visit.bring_originals", nil)
	}
	booked := "visit.booked"
	if bookingMoves(t.st.Booking) {
		booked = "visit.moved"
	}
	t.say(e.tr(t, booked, map[string]string{
		"slot": e.slotLabel(t, v.Slot), "ticket": ticket, "bring": bring,
		"remind_at": services.FormatClock(e.catalog.Office.Visits.RemindAt),
	}))
	e.endVisit(t)
	e.toMenu(t)
	e.prompt(t)
	return nil
}

// offerAgain says why slot cannot be booked (key) and offers the slots
// open now, or says that none is and leaves for the menu.
func (e *Engine) offerAgain(ctx context.Context, t *turn, svc services.Service, due time.Time, key string, slot services.Slot) error {
	slots, err := e.openSlots(ctx, svc, due, e.now())
	if err != nil {
		return err
	}
	if len(slots) == 0 {
		args := e.officeArgs()
		args["days"] = strconv.Itoa(e.catalog.Office.Visits.DaysAhead)
		t.say(e.tr(t, "visit.none", args))
		e.endVisit(t)
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	t.st.Slots = t.st.Slots[:0]
	for _, s := range slots {
		t.st.Slots = append(t.st.Slots, s.Key())
	}
	t.st.Retries = 0
	t.say(e.tr(t, key, map[string]string{"slot": e.slotLabel(t, slot)}))
	e.prompt(t)
	return nil
}

// caseDue is when the case of ticket is due, for the pick-up days: from
// the case store when the case is there, else counted from now as the
// filing did (the case may still wait in the write-behind queue).
func (e *Engine) caseDue(ctx context.Context, t *turn, ticket string, svc services.Service) (time.Time, error) {
	c, _, err := e.desk.CitizenCase(ctx, ticket, t.in.Chat.Channel, t.in.Chat.ChatID)
	switch {
	case err == nil:
		return c.DueAt, nil
	case errors.Is(err, services.ErrNoCase):
		return e.calendar.DueDate(e.now(), svc.Days), nil
	default:
		return time.Time{}, fmt.Errorf("read case %s for its visit: %w", ticket, err)
	}
}

// endVisit forgets the visit being booked or changed.
func (e *Engine) endVisit(t *turn) {
	t.st.Booking = ""
	t.st.Slots = nil
}

// visitWord handles "kunjungan" (words.visit) at every step but those
// that take free text: the citizen's visits, to move or cancel, and the
// cases still waiting for one, to book. It reports whether the message was
// one.
func (e *Engine) visitWord(ctx context.Context, t *turn) (bool, error) {
	word := normalize(t.text)
	if e.visits == nil || t.in.Kind != KindText || stepOf(t.st.Step).typed || !e.words["visit"][word] {
		return false, nil
	}
	if t.st.Step == StepVisitManage && (e.isWord("visit_cancel", word) || e.isWord("visit_move", word)) {
		// "batalkan kunjungan" asked what to do with the visit answers it.
		return false, nil
	}
	return true, e.showVisits(ctx, t)
}

// visitItem is a case of the chat that has, or needs, a visit.
type visitItem struct {
	ticket string
	svc    services.Service
	visit  *services.Visit // nil: none booked yet
	due    time.Time
}

// chatVisitItems lists the chat's booked visits, then its open cases that
// need one and have none.
func (e *Engine) chatVisitItems(ctx context.Context, t *turn) ([]visitItem, error) {
	booked, err := e.visits.ChatVisits(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, e.today())
	if err != nil {
		return nil, fmt.Errorf("list the visits of %s: %w", t.in.Chat, err)
	}
	var items []visitItem
	for i := range booked {
		if svc, ok := e.catalog.Service(booked[i].ServiceCode); ok {
			items = append(items, visitItem{ticket: booked[i].Ticket, svc: svc, visit: &booked[i]})
		}
	}
	cases, err := e.desk.CitizenCases(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, maxListed)
	if err != nil {
		return nil, fmt.Errorf("list the cases of %s: %w", t.in.Chat, err)
	}
	for _, c := range cases {
		svc, ok := e.catalog.Service(c.ServiceCode)
		if !ok || !e.visitsOn(svc) || !c.Status.Open() || !e.visitDue(svc, svc.MissingDocuments(c.Form)) {
			continue
		}
		if slices.ContainsFunc(items, func(it visitItem) bool { return it.ticket == c.Ticket }) {
			continue
		}
		items = append(items, visitItem{ticket: c.Ticket, svc: svc, due: c.DueAt})
	}
	return items, nil
}

// showVisits answers "kunjungan": the one visit to manage or book at once,
// a choice among several, or that there is none.
func (e *Engine) showVisits(ctx context.Context, t *turn) error {
	items, err := e.chatVisitItems(ctx, t)
	if err != nil {
		return err
	}
	switch len(items) {
	case 0:
		t.say(e.tr(t, "visit.nothing", nil))
		e.toMenu(t)
		e.prompt(t)
		return nil
	case 1:
		return e.openVisitItem(ctx, t, items[0])
	}
	lines := []string{e.tr(t, "visit.list_title", nil)}
	t.st.Listed = t.st.Listed[:0]
	for _, it := range items {
		lines = append(lines, e.visitLine(t, it))
		t.st.Listed = append(t.st.Listed, it.ticket)
	}
	t.say(strings.Join(lines, "\n"))
	t.st.Step, t.st.Retries = StepVisitPick, 0
	e.prompt(t)
	return nil
}

// visitLine is one case in the list of visits.
func (e *Engine) visitLine(t *turn, it visitItem) string {
	when := e.tr(t, "visit.not_booked", nil)
	if it.visit != nil {
		when = e.slotLabel(t, it.visit.Slot)
	}
	return e.tr(t, "visit.list_line", map[string]string{"ticket": it.ticket, "service": e.serviceName(t, it.svc.Code), "when": when})
}

// openVisitItem moves to what one case's visit allows: managing a booked
// one, or booking one.
func (e *Engine) openVisitItem(ctx context.Context, t *turn, it visitItem) error {
	t.st.Listed = nil
	if it.visit == nil {
		if err := e.offerVisit(ctx, t, it.ticket, it.svc, it.due, e.now(), false); err != nil {
			return err
		}
		if t.st.Step != StepVisitSlot {
			e.toMenu(t)
		}
		e.prompt(t)
		return nil
	}
	t.st.Booking = it.ticket + " " + it.svc.Code
	t.st.Step, t.st.Retries = StepVisitManage, 0
	t.say(e.tr(t, "visit.mine", map[string]string{
		"slot": e.slotLabel(t, it.visit.Slot), "service": e.serviceName(t, it.svc.Code), "ticket": it.ticket,
	}))
	e.prompt(t)
	return nil
}

func (e *Engine) onVisitPick(ctx context.Context, t *turn) error {
	value, ok, err := e.chooseOrUnderstand(ctx, t, "input.unknown_choice")
	if !ok || err != nil {
		return err
	}
	if value == "menu" {
		t.st.Listed = nil
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	items, err := e.chatVisitItems(ctx, t)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.ticket == value {
			return e.openVisitItem(ctx, t, it)
		}
	}
	// Cancelled or finished meanwhile: the list as it is now.
	return e.showVisits(ctx, t)
}

func (e *Engine) onVisitManage(ctx context.Context, t *turn) error {
	value, ok := e.choose(t, "input.unknown_choice")
	if !ok {
		return nil
	}
	ticket := bookingTicket(t.st.Booking)
	svc, known := e.catalog.Service(bookingService(t.st.Booking))
	switch {
	case value == "cancel":
		v, err := e.visits.CancelVisit(ctx, ticket, e.now())
		switch {
		case errors.Is(err, services.ErrNoVisit):
			t.say(e.tr(t, "visit.nothing", nil))
		case err != nil:
			return fmt.Errorf("cancel the visit of %s: %w", ticket, err)
		default:
			e.log.Info("visit cancelled", "channel", t.in.Chat.Channel, "chat", services.MaskID(t.in.Chat.ChatID), "ticket", ticket)
			t.say(e.tr(t, "visit.cancelled", map[string]string{"slot": e.slotLabel(t, v.Slot), "ticket": ticket}))
		}
	case value == "move" && known && e.visitsOn(svc):
		due, err := e.caseDue(ctx, t, ticket, svc)
		if err != nil {
			return err
		}
		if err := e.offerVisit(ctx, t, ticket, svc, due, e.now(), true); err != nil {
			return err
		}
		if t.st.Step == StepVisitSlot {
			e.prompt(t)
			return nil
		}
	}
	e.endVisit(t)
	e.toMenu(t)
	e.prompt(t)
	return nil
}

// remindVisits sends, from Visits.RemindAt on, the reminder of each visit
// of tomorrow (the afternoon before), once per visit across every process
// (ClaimReminder), through the notifier's durable queue; and it records as
// missed the visits of the days before, and of today once the office has
// closed, that no officer marked as made; a refused case's visit is
// released first, so it is neither reminded nor missed. It runs from
// Remind, every minute.
func (e *Engine) remindVisits(ctx context.Context) error {
	rules := e.catalog.Office.Visits
	if e.visits == nil || !rules.Enabled() {
		return nil
	}
	office := e.catalog.Office
	now := e.now().In(office.Location)
	today := now.Format("2006-01-02")
	if _, err := e.visits.ReleaseRefusedVisits(ctx, now); err != nil {
		return err
	}
	if _, err := e.visits.RecordNoShows(ctx, today, now.Format("15:04") >= office.Hours.Close, now); err != nil {
		return fmt.Errorf("record the missed visits: %w", err)
	}
	if now.Format("15:04") < rules.RemindAt {
		return nil
	}
	tomorrow := now.AddDate(0, 0, 1).Format("2006-01-02")
	due, err := e.visits.VisitsToRemind(ctx, tomorrow)
	if err != nil {
		return fmt.Errorf("list the visits of %s to remind: %w", tomorrow, err)
	}
	for _, v := range due {
		mine, err := e.visits.ClaimReminder(ctx, v.ID, now)
		if err != nil {
			return err
		}
		if !mine {
			continue
		}
		t := &turn{st: State{Lang: v.Lang}}
		if !e.hasLang(t.st.Lang) {
			t.st.Lang = e.staffLang()
		}
		args := e.officeArgs()
		args["slot"] = e.slotLabel(t, v.Slot)
		args["ticket"] = v.Ticket
		args["purpose"] = e.tr(t, "visit.purpose."+string(v.Purpose), nil)
		text := e.tr(t, "visit.reminder", args)
		if err := e.notifier.Notify(ctx, ChatKey{Channel: v.Channel, ChatID: v.ChatID}, Reply{Text: text}); err != nil {
			// Not queued: the next run sends it.
			if uerr := e.visits.UnclaimReminder(context.WithoutCancel(ctx), v.ID); uerr != nil {
				err = errors.Join(err, uerr)
			}
			return fmt.Errorf("remind the visit of %s: %w", v.Ticket, err)
		}
		e.log.Info("visit reminder queued", "channel", v.Channel, "chat", services.MaskID(v.ChatID), "ticket", v.Ticket)
	}
	return nil
}
