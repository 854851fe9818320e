package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leksono/sapa/services"
)

// Visit is one booking of a counter slot for a case. A booking is never
// deleted: cancelling or moving it sets ReleasedAt, which gives its seat
// back, and the row stays for the report's waiting times.
//
// The ticket is not a foreign key: a visit is booked right after the case
// is filed, and the case may still wait in the write-behind queue (the
// database was down); the day's list joins the case when it is there.
type Visit struct {
	ID          int64  `gorm:"primaryKey"`
	Ticket      string `gorm:"size:40;not null;index"`
	ServiceCode string `gorm:"size:64;not null"`
	Unit        string `gorm:"size:64;not null;index:idx_visits_unit_day,priority:1"`
	Purpose     string `gorm:"size:16;not null"`
	Day         string `gorm:"size:10;not null;index:idx_visits_unit_day,priority:2"` // "2026-12-15", office zone
	SlotStart   string `gorm:"size:5;not null"`
	SlotEnd     string `gorm:"size:5;not null"`
	// Seat is the place taken in the slot, 1 to the unit's capacity. The
	// unique index over the unit, slot and seat of the bookings not
	// released (visitIndexes) is what keeps two citizens off the last
	// place: both may pick it, one insert fails.
	Seat   int                  `gorm:"not null"`
	Status services.VisitStatus `gorm:"size:16;not null"`
	// The citizen's chat, for the reminder (an id, nothing they typed).
	Channel    string    `gorm:"size:32;not null"`
	ChatID     string    `gorm:"size:128;not null"`
	Lang       string    `gorm:"size:8;not null;default:id"`
	BookedAt   time.Time `gorm:"not null"`
	DoneAt     *time.Time
	DoneBy     string `gorm:"size:64;not null;default:''"`
	RemindedAt *time.Time
	ReleasedAt *time.Time
}

// visitIndexes are the partial unique indexes GORM's tags cannot write,
// by name; PostgreSQL and SQLite read them alike.
var visitIndexes = []struct{ name, create string }{
	{"idx_visits_seat", `CREATE UNIQUE INDEX idx_visits_seat ON visits (unit, day, slot_start, seat) WHERE released_at IS NULL`},
	{"idx_visits_ticket_open", `CREATE UNIQUE INDEX idx_visits_ticket_open ON visits (ticket) WHERE released_at IS NULL`},
}

// migrateVisits creates the visits table and its indexes; a migration
// that finds them changes nothing.
func migrateVisits(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&Visit{}); err != nil {
		return fmt.Errorf("create visits: %w", err)
	}
	for _, idx := range visitIndexes {
		if tx.Migrator().HasIndex(&Visit{}, idx.name) {
			continue
		}
		if err := tx.Exec(idx.create).Error; err != nil {
			return fmt.Errorf("create visit index %s: %w", idx.name, err)
		}
	}
	return nil
}

// seatTaken reports whether err is the database refusing a second booking
// of one seat, or a second open booking of one case.
func seatTaken(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" && strings.HasPrefix(pgErr.ConstraintName, "idx_visits_")
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed: visits.")
}

func (s *Store) visit(v Visit) services.Visit {
	out := services.Visit{
		ID: v.ID, Ticket: v.Ticket, ServiceCode: v.ServiceCode, Unit: v.Unit, Purpose: services.VisitPurpose(v.Purpose),
		Slot:   services.Slot{Day: v.Day, Start: v.SlotStart, End: v.SlotEnd},
		Status: v.Status, BookedAt: v.BookedAt.In(s.loc), DoneBy: v.DoneBy,
		Channel: v.Channel, ChatID: v.ChatID, Lang: v.Lang,
	}
	if v.DoneAt != nil {
		out.DoneAt = v.DoneAt.In(s.loc)
	}
	return out
}

// maxBookTries bounds the attempts of one booking: each lost race for a seat
// tries the next free one, so capacity+1 attempts always end.
const maxBookTries = 64

// BookVisit books n.Slot for the case, moving the case's booking when it
// has one (the old seat is given back in the same transaction). It fails
// with services.ErrSlotFull when the slot has no place left, even when the
// last one was taken by a booking made at the same moment. Booking the slot
// the case already holds returns that booking.
func (s *Store) BookVisit(ctx context.Context, n services.NewVisit) (services.Visit, error) {
	if n.Ticket == "" || n.Unit == "" || n.Slot.Day == "" || n.Capacity < 1 || n.At.IsZero() {
		return services.Visit{}, fmt.Errorf("book visit for %q: ticket, unit, slot, capacity and time are required", n.Ticket)
	}
	at := dbTime(n.At)
	for try := 0; try < maxBookTries && try <= n.Capacity+1; try++ {
		var booked Visit
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var old Visit
			res := tx.Where("ticket = ? AND released_at IS NULL", n.Ticket).Limit(1).Find(&old)
			if res.Error != nil {
				return fmt.Errorf("find the case's booking: %w", res.Error)
			}
			if res.RowsAffected > 0 && old.Day == n.Slot.Day && old.SlotStart == n.Slot.Start && old.Status == services.VisitBooked {
				booked = old
				return nil
			}
			var seats []int
			if err := tx.Model(&Visit{}).Where("unit = ? AND day = ? AND slot_start = ? AND released_at IS NULL", n.Unit, n.Slot.Day, n.Slot.Start).
				Pluck("seat", &seats).Error; err != nil {
				return fmt.Errorf("count the slot's places: %w", err)
			}
			seat := freeSeat(seats, n.Capacity)
			if seat == 0 {
				return services.ErrSlotFull
			}
			if res.RowsAffected > 0 {
				if err := tx.Model(&Visit{}).Where("id = ?", old.ID).
					Updates(map[string]any{"status": services.VisitMoved, "released_at": at, "done_at": at}).Error; err != nil {
					return fmt.Errorf("give the old place back: %w", err)
				}
			}
			booked = Visit{
				Ticket: n.Ticket, ServiceCode: n.ServiceCode, Unit: n.Unit, Purpose: string(n.Purpose),
				Day: n.Slot.Day, SlotStart: n.Slot.Start, SlotEnd: n.Slot.End, Seat: seat, Status: services.VisitBooked,
				Channel: n.Channel, ChatID: n.ChatID, Lang: cmp.Or(n.Lang, "id"), BookedAt: at,
			}
			// DO NOTHING rather than an error when the seat went to a
			// booking committed meanwhile: a race for the last place is
			// expected, not a failure worth a line in the log.
			res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&booked)
			if res.Error != nil {
				return fmt.Errorf("take place %d: %w", seat, res.Error)
			}
			if res.RowsAffected == 0 {
				return errSeatTaken
			}
			return nil
		})
		switch {
		case err == nil:
			return s.visit(booked), nil
		case errors.Is(err, services.ErrSlotFull):
			return services.Visit{}, fmt.Errorf("book visit for %s at %s: %w", n.Ticket, n.Slot.Key(), err)
		case errors.Is(err, errSeatTaken), seatTaken(err):
			// Another booking took that seat (or this case was booked by
			// a message handled at the same moment): look again.
			continue
		default:
			return services.Visit{}, fmt.Errorf("book visit for %s at %s: %w", n.Ticket, n.Slot.Key(), err)
		}
	}
	return services.Visit{}, fmt.Errorf("book visit for %s at %s: %w", n.Ticket, n.Slot.Key(), services.ErrSlotFull)
}

// errSeatTaken rolls back a booking whose seat was taken meanwhile.
var errSeatTaken = errors.New("seat taken meanwhile")

// freeSeat is the lowest seat of 1..capacity not in taken; 0 when none is.
func freeSeat(taken []int, capacity int) int {
	used := make(map[int]bool, len(taken))
	for _, t := range taken {
		used[t] = true
	}
	for seat := 1; seat <= capacity; seat++ {
		if !used[seat] {
			return seat
		}
	}
	return 0
}

// CancelVisit cancels the case's booked visit and gives its place back; it
// fails with services.ErrNoVisit when the case has none still to come.
func (s *Store) CancelVisit(ctx context.Context, ticket string, at time.Time) (services.Visit, error) {
	var v Visit
	t := dbTime(at)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("ticket = ? AND released_at IS NULL AND status = ?", ticket, services.VisitBooked).Limit(1).Find(&v)
		if res.Error != nil {
			return fmt.Errorf("find booking: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return services.ErrNoVisit
		}
		v.Status, v.ReleasedAt, v.DoneAt = services.VisitCancelled, &t, &t
		return tx.Model(&Visit{}).Where("id = ?", v.ID).
			Updates(map[string]any{"status": v.Status, "released_at": t, "done_at": t}).Error
	})
	if err != nil {
		return services.Visit{}, fmt.Errorf("cancel visit of %s: %w", ticket, err)
	}
	return s.visit(v), nil
}

// TakenSlots counts the places booked in unit's slots from day from to day
// to (inclusive, "2006-01-02"), by slot key.
func (s *Store) TakenSlots(ctx context.Context, unit, from, to string) (map[string]int, error) {
	var rows []struct {
		Day, SlotStart string
		N              int
	}
	err := s.db.WithContext(ctx).Model(&Visit{}).Select("day, slot_start, count(*) AS n").
		Where("unit = ? AND day >= ? AND day <= ? AND released_at IS NULL", unit, from, to).
		Group("day, slot_start").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count booked places of %s: %w", unit, err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[services.Slot{Day: r.Day, Start: r.SlotStart}.Key()] = r.N
	}
	return out, nil
}

// ChatVisits lists the visits still to come booked from one chat, soonest
// first; from is today's date.
func (s *Store) ChatVisits(ctx context.Context, channel, chatID, from string) ([]services.Visit, error) {
	var rows []Visit
	err := s.db.WithContext(ctx).Where("channel = ? AND chat_id = ? AND status = ? AND released_at IS NULL AND day >= ?",
		channel, chatID, services.VisitBooked, from).Order("day, slot_start").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list a chat's visits: %w", err)
	}
	return s.visits(rows), nil
}

// TicketVisit is the case's booking that holds a place (booked, made or
// missed); services.ErrNoVisit when it has none.
func (s *Store) TicketVisit(ctx context.Context, ticket string) (services.Visit, error) {
	var v Visit
	res := s.db.WithContext(ctx).Where("ticket = ? AND released_at IS NULL", ticket).Limit(1).Find(&v)
	if res.Error != nil {
		return services.Visit{}, fmt.Errorf("find visit of %s: %w", ticket, res.Error)
	}
	if res.RowsAffected == 0 {
		return services.Visit{}, fmt.Errorf("visit of %s: %w", ticket, services.ErrNoVisit)
	}
	return s.visit(v), nil
}

func (s *Store) visits(rows []Visit) []services.Visit {
	out := make([]services.Visit, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.visit(r))
	}
	return out
}

// DayVisits lists the visits of day ("2006-01-02") that hold a place, in
// the given units (all units when none), by slot, with the citizen's name
// from the case when the case is in the database.
func (s *Store) DayVisits(ctx context.Context, day string, units []string) ([]services.Visit, error) {
	var rows []struct {
		Visit
		Name *string
	}
	q := s.db.WithContext(ctx).Model(&Visit{}).Select("visits.*, citizens.name AS name").
		Joins("LEFT JOIN cases ON cases.ticket = visits.ticket").
		Joins("LEFT JOIN citizens ON citizens.id = cases.citizen_id").
		Where("visits.day = ? AND visits.released_at IS NULL", day)
	if len(units) > 0 {
		q = q.Where("visits.unit IN ?", units)
	}
	if err := q.Order("visits.slot_start, visits.unit, visits.seat").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list the visits of %s: %w", day, err)
	}
	out := make([]services.Visit, 0, len(rows))
	for _, r := range rows {
		v := s.visit(r.Visit)
		if r.Name != nil {
			v.CitizenName = *r.Name
		}
		out = append(out, v)
	}
	return out, nil
}

// MarkVisit records that the citizen of ticket came (VisitVisited) or did
// not (VisitNoShow) for their visit, by officer. It fails with
// services.ErrNoVisit when the case holds no place.
func (s *Store) MarkVisit(ctx context.Context, ticket string, status services.VisitStatus, officer string, at time.Time) (services.Visit, error) {
	if status != services.VisitVisited && status != services.VisitNoShow {
		return services.Visit{}, fmt.Errorf("mark visit of %s: %q is not a visit's outcome", ticket, status)
	}
	t := dbTime(at)
	var v Visit
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("ticket = ? AND released_at IS NULL", ticket).Limit(1).Find(&v)
		if res.Error != nil {
			return fmt.Errorf("find booking: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return services.ErrNoVisit
		}
		v.Status, v.DoneAt, v.DoneBy = status, &t, officer
		return tx.Model(&Visit{}).Where("id = ?", v.ID).Updates(map[string]any{"status": status, "done_at": t, "done_by": officer}).Error
	})
	if err != nil {
		return services.Visit{}, fmt.Errorf("mark visit of %s: %w", ticket, err)
	}
	return s.visit(v), nil
}

// RecordNoShows marks as missed every visit still booked on a day before
// day ("2006-01-02"), or on day itself when dayOver: the citizen did not
// come and no officer said they did. It returns how many it marked.
func (s *Store) RecordNoShows(ctx context.Context, day string, dayOver bool, at time.Time) (int, error) {
	op := "<"
	if dayOver {
		op = "<="
	}
	res := s.db.WithContext(ctx).Model(&Visit{}).
		Where("status = ? AND released_at IS NULL AND day "+op+" ?", services.VisitBooked, day).
		Updates(map[string]any{"status": services.VisitNoShow, "done_at": dbTime(at)})
	if res.Error != nil {
		return 0, fmt.Errorf("record the missed visits before %s: %w", day, res.Error)
	}
	return int(res.RowsAffected), nil
}

// eraseVisitChats forgets the chat of a case's visits when its citizen's
// data is erased: the office keeps the booking on its day list, nobody is
// reminded any more.
func eraseVisitChats(tx *gorm.DB, ticket string) error {
	if err := tx.Model(&Visit{}).Where("ticket = ?", ticket).UpdateColumn("chat_id", erasedPrefix).Error; err != nil {
		return fmt.Errorf("erase the visits' chat of %s: %w", ticket, err)
	}
	return nil
}

// VisitsToRemind lists the visits of day still booked whose citizen was
// not reminded yet and can be (their data was not erased).
func (s *Store) VisitsToRemind(ctx context.Context, day string) ([]services.Visit, error) {
	var rows []Visit
	err := s.db.WithContext(ctx).Where("day = ? AND status = ? AND released_at IS NULL AND reminded_at IS NULL AND chat_id <> ?", day, services.VisitBooked, erasedPrefix).
		Order("slot_start, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list the visits of %s to remind: %w", day, err)
	}
	return s.visits(rows), nil
}

// ClaimReminder records that the reminder of visit id is being sent and
// reports whether this caller is the one to send it: among processes
// running the reminders at once, one claims each visit.
func (s *Store) ClaimReminder(ctx context.Context, id int64, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&Visit{}).Where("id = ? AND reminded_at IS NULL", id).Update("reminded_at", dbTime(at))
	if res.Error != nil {
		return false, fmt.Errorf("claim the reminder of visit %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// UnclaimReminder gives a claim back when the reminder could not be queued,
// so the next run sends it.
func (s *Store) UnclaimReminder(ctx context.Context, id int64) error {
	if err := s.db.WithContext(ctx).Model(&Visit{}).Where("id = ?", id).Update("reminded_at", nil).Error; err != nil {
		return fmt.Errorf("give back the reminder of visit %d: %w", id, err)
	}
	return nil
}

// VisitsBetween lists the visits whose day lies between from and to
// (inclusive, "2006-01-02") and that were not cancelled nor moved, for
// the report's waiting times.
func (s *Store) VisitsBetween(ctx context.Context, from, to string) ([]services.Visit, error) {
	var rows []Visit
	err := s.db.WithContext(ctx).Where("day >= ? AND day <= ? AND released_at IS NULL", from, to).Order("day, slot_start, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list the visits from %s to %s: %w", from, to, err)
	}
	return s.visits(rows), nil
}

// visitWaits sums the visits due in [from, to) for the report.
func (s *Store) visitWaits(ctx context.Context, from, to time.Time, cal services.Calendar) ([]services.VisitWait, error) {
	last := to.Add(-time.Nanosecond)
	visits, err := s.VisitsBetween(ctx, from.In(s.loc).Format(time.DateOnly), last.In(s.loc).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	return services.VisitWaits(visits, cal), nil
}

// ReleaseRefusedVisits cancels the visits still booked for cases the
// office refused or referred elsewhere (ditolak, bukan wewenang): the
// citizen has nothing to come for, and their place goes back to others.
// It returns how many it released.
func (s *Store) ReleaseRefusedVisits(ctx context.Context, at time.Time) (int, error) {
	t := dbTime(at)
	refused := s.db.WithContext(ctx).Model(&Case{}).Select("ticket").
		Where("status IN ?", []services.Status{services.StatusRejected, services.StatusNotOurRemit})
	res := s.db.WithContext(ctx).Model(&Visit{}).
		Where("status = ? AND released_at IS NULL AND ticket IN (?)", services.VisitBooked, refused).
		Updates(map[string]any{"status": services.VisitCancelled, "released_at": t, "done_at": t})
	if res.Error != nil {
		return 0, fmt.Errorf("release the visits of refused cases: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}
