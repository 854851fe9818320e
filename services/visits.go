package services

import (
	"errors"
	"slices"
	"strconv"
	"time"
)

// VisitPurpose says why a service needs the citizen at the counter; a
// service with none needs no booked visit. It decides which days are
// offered: a letter is picked up only once it is due, originals and a
// signature may be brought at the first free slot.
type VisitPurpose string

// The purposes services.yaml may give a service ("visit: pickup").
const (
	VisitNone      VisitPurpose = ""
	VisitPickup    VisitPurpose = "pickup"    // the letter is picked up in person
	VisitOriginals VisitPurpose = "originals" // the originals are shown at the counter
	VisitSignature VisitPurpose = "signature" // the citizen signs at the counter
)

// visitPurposes are the purposes the loader accepts.
var visitPurposes = []VisitPurpose{VisitPickup, VisitOriginals, VisitSignature}

// VisitRules are the office's booked visits (kecamatan.yaml "visits"): the
// counter's slots on each working day and how many citizens one unit
// serves in a slot.
type VisitRules struct {
	Slots []SlotTime // in the day's order, inside office_hours
	// Capacity is how many citizens each unit serves in one slot;
	// UnitCapacity overrides it for a unit.
	Capacity     int
	UnitCapacity map[string]int
	DaysAhead    int    // working days offered, from the first possible one
	Offer        int    // slots shown at once
	RemindAt     string // "15:00": the afternoon before a visit the citizen is reminded
	// LeadTime is how long before a slot starts it can still be booked.
	LeadTime time.Duration
}

// SlotTime is one slot of a working day, "09:00" to "10:00".
type SlotTime struct{ Start, End string }

// CapacityOf is how many citizens unit serves in one slot.
func (r VisitRules) CapacityOf(unit string) int {
	if n, ok := r.UnitCapacity[unit]; ok {
		return n
	}
	return r.Capacity
}

// Enabled reports whether the office offers booked visits at all.
func (r VisitRules) Enabled() bool { return len(r.Slots) > 0 && r.Capacity > 0 }

// Slot is one bookable time at the counter: a working day and a slot time.
type Slot struct {
	Day   string // "2026-12-15", office time zone
	Start string // "09:00"
	End   string // "10:00"
}

// Key names the slot in payloads and maps: "2026-12-15T09:00".
func (s Slot) Key() string { return s.Day + "T" + s.Start }

// ParseSlotKey reads a Slot.Key back; ok is false for anything else.
func ParseSlotKey(key string, rules VisitRules) (Slot, bool) {
	if len(key) != len("2006-01-02T15:04") || key[10] != 'T' {
		return Slot{}, false
	}
	if _, err := time.Parse(dateLayout, key[:10]); err != nil {
		return Slot{}, false
	}
	for _, st := range rules.Slots {
		if st.Start == key[11:] {
			return Slot{Day: key[:10], Start: st.Start, End: st.End}, true
		}
	}
	return Slot{}, false
}

// StartsAt is when the slot begins, in loc.
func (s Slot) StartsAt(loc *time.Location) time.Time {
	t, err := time.ParseInLocation(dateLayout+" 15:04", s.Day+" "+s.Start, loc)
	if err != nil {
		return time.Time{}
	}
	return t
}

// VisitStatus is where a booked visit stands.
type VisitStatus string

// The statuses of a visit. Booked, visited and no-show hold their place
// in the slot; cancelled and moved gave it back.
const (
	VisitBooked    VisitStatus = "booked"
	VisitVisited   VisitStatus = "visited"
	VisitNoShow    VisitStatus = "no_show"
	VisitCancelled VisitStatus = "cancelled"
	VisitMoved     VisitStatus = "moved"
)

// Visit is one booking of a slot for a case.
type Visit struct {
	ID          int64
	Ticket      string
	ServiceCode string
	Unit        string
	Purpose     VisitPurpose
	Slot        Slot
	Status      VisitStatus
	BookedAt    time.Time
	// DoneAt is when the visit was recorded as made, missed, cancelled or
	// moved; zero while booked.
	DoneAt time.Time
	// DoneBy is the officer who recorded it, "" for the citizen or the bot.
	DoneBy string
	// The citizen's chat and name, for the reminder and the day's list.
	Channel, ChatID, CitizenName, Lang string
}

// NewVisit is a booking to make: the slot for the case, with the unit's
// capacity in that slot.
type NewVisit struct {
	Ticket      string
	ServiceCode string
	Unit        string
	Purpose     VisitPurpose
	Slot        Slot
	Capacity    int
	At          time.Time
	// The citizen's chat and language, for the reminder: the case itself
	// may still wait in the write-behind queue when the visit is booked.
	Channel, ChatID, Lang string
}

// Booking errors the conversation answers in words.
var (
	// ErrSlotFull: the slot has no place left (someone else took the last).
	ErrSlotFull = errors.New("the slot is full")
	// ErrNoVisit: the case has no booked visit.
	ErrNoVisit = errors.New("no booked visit")
)

// OpenSlots lists, from from on, the slots a citizen may book for a visit
// with purpose: on working days only (weekends and holidays skipped), at
// least rules.LeadTime ahead, and for a pick-up only after the day the
// case is due, since the letter is ready by then. It covers
// rules.DaysAhead working days from the first possible one; taken holds
// the places already booked by slot key, and a full slot is left out.
func (c Calendar) OpenSlots(rules VisitRules, purpose VisitPurpose, unit string, from, due time.Time, taken map[string]int) []Slot {
	if !rules.Enabled() {
		return nil
	}
	loc := c.location()
	f := from.In(loc)
	day := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	if purpose == VisitPickup && !due.IsZero() {
		d := due.In(loc)
		if afterDue := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1); afterDue.After(day) {
			day = afterDue
		}
	}
	capacity := rules.CapacityOf(unit)
	var out []Slot
	for worked := 0; worked < rules.DaysAhead; day = day.AddDate(0, 0, 1) {
		if !c.IsWorkingDay(day) {
			continue
		}
		worked++
		for _, st := range rules.Slots {
			s := Slot{Day: day.Format(dateLayout), Start: st.Start, End: st.End}
			if s.StartsAt(loc).Before(from.Add(rules.LeadTime)) || taken[s.Key()] >= capacity {
				continue
			}
			out = append(out, s)
		}
	}
	return out
}

// VisitWait is how long citizens waited for their visits to one service,
// for the camat's report: the working days from booking to the slot, and
// the visits missed.
type VisitWait struct {
	Service string  `json:"service"`
	Booked  int     `json:"booked"`   // visits due in the period that held a place
	Visited int     `json:"visited"`  // made
	NoShow  int     `json:"no_show"`  // missed
	AvgDays float64 `json:"avg_days"` // working days from booking to the slot, on average
	MaxDays float64 `json:"max_days"`
}

// NoShowShare is the share of the visits made or missed that were missed,
// 0 to 1.
func (w VisitWait) NoShowShare() float64 {
	if w.Visited+w.NoShow == 0 {
		return 0
	}
	return float64(w.NoShow) / float64(w.Visited+w.NoShow)
}

// VisitWaits sums visits by service, sorted by service code, with a last
// row of every service (Service ""), when there is any. The wait is
// counted in working days (WorkingDaysBetween) from the booking to the
// start of the slot: what the citizen was given, whether they came or not.
func VisitWaits(visits []Visit, cal Calendar) []VisitWait {
	if len(visits) == 0 {
		return nil
	}
	by := map[string]*VisitWait{}
	total := &VisitWait{}
	var codes []string
	for _, v := range visits {
		w, ok := by[v.ServiceCode]
		if !ok {
			w = &VisitWait{Service: v.ServiceCode}
			by[v.ServiceCode] = w
			codes = append(codes, v.ServiceCode)
		}
		days := cal.WorkingDaysBetween(v.BookedAt, v.Slot.StartsAt(cal.location()))
		for _, x := range []*VisitWait{w, total} {
			x.Booked++
			switch v.Status {
			case VisitVisited:
				x.Visited++
			case VisitNoShow:
				x.NoShow++
			}
			x.AvgDays += days // a sum until the end
			x.MaxDays = max(x.MaxDays, days)
		}
	}
	slices.Sort(codes)
	out := make([]VisitWait, 0, len(codes)+1)
	for _, c := range codes {
		out = append(out, *by[c])
	}
	out = append(out, *total)
	for i := range out {
		out[i].AvgDays /= float64(out[i].Booked)
	}
	return out
}

// FormatClock writes "09:00" the Indonesian way, "09.00".
func FormatClock(hhmm string) string {
	if len(hhmm) == 5 && hhmm[2] == ':' {
		return hhmm[:2] + "." + hhmm[3:]
	}
	return hhmm
}

// minutesOf reads "09:30" as minutes after midnight; -1 when unreadable.
func minutesOf(hhmm string) int {
	if !clockRe.MatchString(hhmm) {
		return -1
	}
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[3:])
	return h*60 + m
}
