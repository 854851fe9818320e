package services

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// visits reads kecamatan.yaml "visits": the counter's slots and how many
// citizens a unit serves in one. The section is optional: without it no
// service offers booked visits, and a service asking for one is refused.
func (l *loader) visits(v *yaml.Node, o *Office) {
	m := l.mapping(v, "visits", "slots", "capacity", "capacity_by_unit", "days_ahead", "offer", "remind_at", "lead_time")
	r := VisitRules{UnitCapacity: map[string]int{}, DaysAhead: 5, Offer: 6, RemindAt: "15:00", LeadTime: time.Hour}
	slots, nodes := m.words("slots", true)
	openAt, closeAt := minutesOf(o.Hours.Open), minutesOf(o.Hours.Close)
	prevEnd := -1
	for i, s := range slots {
		start, end, _ := strings.Cut(s, "-")
		start, end = strings.TrimSpace(start), strings.TrimSpace(end)
		a, b := minutesOf(start), minutesOf(end)
		switch {
		case a < 0 || b < 0 || a >= b:
			l.errorf(nodes[i], "visits", "slot %q must be written \"09:00-10:00\", start before end", s)
			continue
		case openAt >= 0 && closeAt >= 0 && (a < openAt || b > closeAt):
			l.errorf(nodes[i], "visits", "slot %q is outside office_hours %s-%s", s, o.Hours.Open, o.Hours.Close)
			continue
		case a < prevEnd:
			l.errorf(nodes[i], "visits", "slot %q starts before the previous one ends: list the slots in the day's order", s)
			continue
		}
		prevEnd = b
		r.Slots = append(r.Slots, SlotTime{Start: start, End: end})
	}
	if n, node, ok := m.integer("capacity", true); ok {
		if n < 1 {
			l.errorf(node, "visits", "capacity must be at least 1, not %d", n)
		}
		r.Capacity = n
	}
	if cv := m.get("capacity_by_unit", false); cv != nil {
		if cv.Kind != yaml.MappingNode {
			l.errorf(cv, "visits", "capacity_by_unit must map a unit to a number, like {pelayanan_umum: 6}")
		} else {
			cm := l.mapping(cv, "visits, capacity_by_unit", o.Units...)
			for _, u := range o.Units {
				if n, node, ok := cm.integer(u, false); ok {
					if n < 1 {
						l.errorf(node, "visits, capacity_by_unit", "%s must be at least 1, not %d", u, n)
					}
					r.UnitCapacity[u] = n
				}
			}
		}
	}
	if n, node, ok := m.integer("days_ahead", false); ok {
		if n < 1 || n > 60 {
			l.errorf(node, "visits", "days_ahead must be 1 to 60 working days, not %d", n)
		}
		r.DaysAhead = n
	}
	if n, node, ok := m.integer("offer", false); ok {
		if n < 1 || n > 9 {
			// Options are typed by number: nine keeps them one digit.
			l.errorf(node, "visits", "offer must be 1 to 9 slots, not %d", n)
		}
		r.Offer = n
	}
	if at, an := m.str("remind_at", false); an != nil && l.clock(an, at, "visits", "remind_at") {
		r.RemindAt = at
	}
	if s, ln := m.str("lead_time", false); ln != nil {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			l.errorf(ln, "visits", "lead_time must be a duration like 1h or 30m, not %q", s)
		}
		r.LeadTime = d
	}
	o.Visits = r
}

// visitPurpose reads a service's "visit" key.
func (l *loader) visitPurpose(m *mapping, ctx string, s *loadedService, visits VisitRules) {
	p, pn := m.str("visit", false)
	if pn == nil || p == "" {
		return
	}
	switch {
	case !contains(visitPurposes, VisitPurpose(p)):
		l.errorf(pn, ctx, "visit %q is not pickup, originals or signature", p)
	case s.Kind == KindComplaint:
		l.errorf(pn, ctx, "a complaint books no visit: remove \"visit\"")
	case !visits.Enabled():
		l.errorf(pn, ctx, "visit needs the counter's slots: add \"visits\" to kecamatan.yaml")
	default:
		s.Visit = VisitPurpose(p)
	}
}
