package services

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"go.yaml.in/yaml/v3"
)

// A hand-over ("percakapan") is a citizen talking to a person: the bot
// steps aside while an officer of a unit answers, and takes the chat back
// when the officer is done, the citizen leaves, or it goes quiet.

// HandoverState is where a hand-over stands.
type HandoverState string

// The states of a hand-over: waiting for an officer, held by one, closed.
const (
	HandoverWaiting HandoverState = "waiting"
	HandoverHeld    HandoverState = "held"
	HandoverClosed  HandoverState = "closed"
)

// Who besides officers writes into a hand-over's history.
const (
	HandoverFromCitizen = "citizen"
	HandoverFromBot     = "bot"
)

// ErrNoHandover is a hand-over that does not exist, or that the officer
// asking may not see: the two are answered alike.
var ErrNoHandover = errors.New("no such conversation")

// ErrHandoverHeld is an officer acting on a hand-over another officer
// holds; the Handover returned with it names the holder.
var ErrHandoverHeld = errors.New("the conversation is held by another officer")

// ErrHandoverClosed is an action on a closed hand-over.
var ErrHandoverClosed = errors.New("the conversation is closed")

// Handover is one conversation of a citizen with the office.
type Handover struct {
	Number      int64 // what officers type: "balas 12 ..."
	Channel     string
	ChatID      string // "" once the citizen's data was erased
	CitizenName string
	CitizenLang string
	Unit        string // the unit it belongs to
	Holder      string // id of the officer holding it, "" while waiting
	State       HandoverState
	Topic       string // service code of the form the citizen was filling, if any
	OpenedAt    time.Time
	// WaitingSince is when it last went to a unit with nobody holding it:
	// the escalation timer counts from there.
	WaitingSince time.Time
	// LastAt is the last message of either side, for the quiet timer.
	LastAt      time.Time
	AnsweredAt  time.Time // first officer message; zero while unanswered
	EscalatedAt time.Time // zero until escalated to the kasi
	ClosedAt    time.Time
	ClosedBy    string // officer id, "citizen" or "bot"
	Rating      int    // 1-4 once rated, 0 otherwise
}

// HandoverMessage is one line of a hand-over's history, append-only.
type HandoverMessage struct {
	From string // HandoverFromCitizen, HandoverFromBot or an officer id
	Text string // what was written; a location as its text
	// File is a photo or document sent with it, if any.
	File *StoredFile
	At   time.Time
	// Source names the chat message it came from ("<channel>:<chat>:<id>",
	// with a part number for a second file): the same message handled
	// twice (a crash before its turn committed) adds one line, not two.
	// "" for lines with no such message.
	Source string
}

// NewHandover opens a hand-over.
type NewHandover struct {
	Channel, ChatID, Name string
	Unit, Topic           string
	At                    time.Time
	First                 HandoverMessage // the message that asked for a person
}

// CanSeeHandover is CanSee for hand-overs: the unit's officers, the camat
// and admins; an inactive officer sees nothing.
func CanSeeHandover(o Officer, h Handover) bool {
	return o.Active && (o.Role.AllUnits() || o.Unit == h.Unit)
}

// HandoverRules are what the office decides about hand-overs
// (configs/handover.yaml).
type HandoverRules struct {
	// FrontDesk is the unit that gets a hand-over whose topic is unknown.
	FrontDesk string
	// EscalateAfter is how long, counted in office hours only, a
	// hand-over may wait unanswered before the unit's kasi and the camat
	// are told.
	EscalateAfter time.Duration
	// ReleaseAfter is how long a held hand-over may stay quiet before the
	// bot takes the chat back.
	ReleaseAfter time.Duration
	// Templates are the canned answers officers pick in the console
	// ("templat balasan"), in the order of the file.
	Templates []ReplyTemplate
}

// ReplyTemplate is one canned answer.
type ReplyTemplate struct {
	Title string
	Text  string
}

// HandoverFile is the office's hand-over settings in a configuration
// directory.
const HandoverFile = "handover.yaml"

// LoadHandoverRules reads configs/handover.yaml and checks it against the
// catalog's units.
func LoadHandoverRules(fsys fs.FS, c *Catalog) (HandoverRules, error) {
	raw, err := fs.ReadFile(fsys, HandoverFile)
	if err != nil {
		return HandoverRules{}, fmt.Errorf("read %s: %w", HandoverFile, err)
	}
	var file struct {
		FrontDesk     string `yaml:"front_desk"`
		EscalateAfter string `yaml:"escalate_after"`
		ReleaseAfter  string `yaml:"release_after"`
		Templates     []struct {
			Title string `yaml:"title"`
			Text  string `yaml:"text"`
		} `yaml:"templat_balasan"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		return HandoverRules{}, fmt.Errorf("%s: %w", HandoverFile, err)
	}
	r := HandoverRules{FrontDesk: file.FrontDesk}
	if !contains(c.Office.Units, r.FrontDesk) {
		return HandoverRules{}, fmt.Errorf("%s: front_desk %q is not a unit of kecamatan.yaml (%v)", HandoverFile, r.FrontDesk, c.Office.Units)
	}
	for name, d := range map[string]struct {
		raw string
		to  *time.Duration
	}{"escalate_after": {file.EscalateAfter, &r.EscalateAfter}, "release_after": {file.ReleaseAfter, &r.ReleaseAfter}} {
		v, err := time.ParseDuration(d.raw)
		if err != nil || v < time.Minute {
			return HandoverRules{}, fmt.Errorf("%s: %s %q must be a duration of a minute or more, such as 15m or 2h", HandoverFile, name, d.raw)
		}
		*d.to = v
	}
	for i, t := range file.Templates {
		if t.Title == "" || t.Text == "" {
			return HandoverRules{}, fmt.Errorf("%s: templat_balasan #%d needs a title and a text", HandoverFile, i+1)
		}
		r.Templates = append(r.Templates, ReplyTemplate{Title: t.Title, Text: t.Text})
	}
	return r, nil
}

// OfficeOpen reports whether the office is open at t: a working day,
// between the opening and the closing time.
func (c Calendar) OfficeOpen(t time.Time, h OfficeHours) bool {
	if !c.IsWorkingDay(t) {
		return false
	}
	t = t.In(c.location())
	open, closing := c.clockOn(t, h.Open, 0), c.clockOn(t, h.Close, 24)
	return !t.Before(open) && t.Before(closing)
}

// NextOpening is the first time at or after t when the office is open.
func (c Calendar) NextOpening(t time.Time, h OfficeHours) time.Time {
	if c.OfficeOpen(t, h) {
		return t
	}
	t = t.In(c.location())
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.location())
	if c.IsWorkingDay(day) && t.Before(c.clockOn(day, h.Open, 0)) {
		return c.clockOn(day, h.Open, 0)
	}
	return c.clockOn(c.nextWorkingDay(day), h.Open, 0)
}

// OfficeTime is how much of the time from from to to the office was open:
// a hand-over's wait counts only while someone could have answered.
func (c Calendar) OfficeTime(from, to time.Time, h OfficeHours) time.Duration {
	loc := c.location()
	var total time.Duration
	day := time.Date(from.In(loc).Year(), from.In(loc).Month(), from.In(loc).Day(), 0, 0, 0, 0, loc)
	for ; day.Before(to); day = day.AddDate(0, 0, 1) {
		if !c.IsWorkingDay(day) {
			continue
		}
		start, end := c.clockOn(day, h.Open, 0), c.clockOn(day, h.Close, 24)
		if from.After(start) {
			start = from
		}
		if to.Before(end) {
			end = to
		}
		if end.After(start) {
			total += end.Sub(start)
		}
	}
	return total
}

// clockOn is the time "15:04" on day's date; an unreadable clock is the
// hour fallback.
func (c Calendar) clockOn(day time.Time, clock string, fallback int) time.Time {
	hour, minute := fallback, 0
	if t, err := time.Parse("15:04", clock); err == nil {
		hour, minute = t.Hour(), t.Minute()
	}
	day = day.In(c.location())
	return time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, c.location())
}

// loadHandover sets c.Handover from handover.yaml; a configuration
// directory without one (an office's from before hand-overs existed) gets
// the defaults: its first unit as the front desk, 15 minutes, 2 hours.
func loadHandover(fsys fs.FS, c *Catalog) error {
	if _, err := fs.Stat(fsys, HandoverFile); errors.Is(err, fs.ErrNotExist) {
		c.Handover = HandoverRules{EscalateAfter: 15 * time.Minute, ReleaseAfter: 2 * time.Hour}
		if len(c.Office.Units) > 0 {
			c.Handover.FrontDesk = c.Office.Units[0]
		}
		return nil
	}
	r, err := LoadHandoverRules(fsys, c)
	if err != nil {
		return err
	}
	c.Handover = r
	return nil
}
