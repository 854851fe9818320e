package casework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// Handovers is what the staff's side of a conversation with a citizen
// ("percakapan") needs from storage. Each call is one transaction; an
// unknown number fails with services.ErrNoHandover, a closed one with
// services.ErrHandoverClosed, one another officer holds (HoldHandover) with
// services.ErrHandoverHeld and the conversation as it stands.
type Handovers interface {
	Handover(ctx context.Context, number int64) (services.Handover, []services.HandoverMessage, error)
	OpenHandovers(ctx context.Context, unit string) ([]services.Handover, error)
	HoldHandover(ctx context.Context, number int64, officer string, at time.Time, m *services.HandoverMessage) (services.Handover, error)
	TransferHandover(ctx context.Context, number int64, unit, holder, note string, at time.Time) (services.Handover, error)
	CloseHandover(ctx context.Context, number int64, by string, at time.Time) (services.Handover, error)
	MarkHandoverEscalated(ctx context.Context, number int64, at time.Time) (bool, error)
	// RecordHandoverRead keeps who read which conversation, when and why
	// ("" for its thread, "berkas <sha>" for a file), as reads of cases
	// are kept: what citizens tell an officer is personal data too.
	RecordHandoverRead(ctx context.Context, number int64, officer, purpose string, at time.Time) error
}

// HandoverChats is what casework asks of a citizen's chat when their
// conversation ends: the chat goes back to the bot.
type HandoverChats interface {
	// HandoverEnded gives the chat back to the bot and tells the citizen:
	// by an officer (by is their id), with the rating question and, when
	// suggest names a service, how to start its form; by "bot" (quiet for
	// too long), in one line.
	HandoverEnded(ctx context.Context, h services.Handover, by, suggest string, at time.Time) error
	// HandoverAnswered makes sure the citizen's chat is in the
	// conversation an officer just answered: a chat state may have
	// expired while the conversation waited (a weekend), and the
	// citizen's answer must still reach the officer.
	HandoverAnswered(ctx context.Context, h services.Handover, at time.Time) error
}

// SendFiles delivers text with photos or documents to a chat, like Send.
type SendFiles func(ctx context.Context, channel, chatID, text string, files []services.StoredFile) error

// ErrNoService: a conversation turned into a case of a service the catalog
// does not have.
var ErrNoService = errors.New("no such service")

// HandoverOutcome is what an action on a conversation did.
type HandoverOutcome struct {
	Handover services.Handover
	Citizen  Notice
}

// handoversOn reports whether the desk has conversations at all.
func (d *Desk) handoversOn() error {
	if d.handovers == nil {
		return fmt.Errorf("conversations: %w", services.ErrNoHandover)
	}
	return nil
}

// Conversations lists the open conversations officer o may see, oldest
// first.
func (d *Desk) Conversations(ctx context.Context, o services.Officer) ([]services.Handover, error) {
	if d.handovers == nil {
		return nil, nil
	}
	unit := o.Unit
	if o.Role.AllUnits() {
		unit = ""
	}
	list, err := d.handovers.OpenHandovers(ctx, unit)
	if err != nil {
		return nil, fmt.Errorf("list conversations for %s: %w", o.ID, err)
	}
	out := list[:0]
	for _, h := range list {
		if services.CanSeeHandover(o, h) {
			out = append(out, h)
		}
	}
	return out, nil
}

// Conversation returns a conversation officer o may see, with its history,
// and records the read; one o may not see fails like one that does not
// exist.
func (d *Desk) Conversation(ctx context.Context, o services.Officer, number int64) (services.Handover, []services.HandoverMessage, error) {
	h, msgs, err := d.visibleHandover(ctx, o, number)
	if err != nil {
		return h, msgs, err
	}
	if err := d.handovers.RecordHandoverRead(ctx, number, o.ID, "", d.now()); err != nil {
		return services.Handover{}, nil, fmt.Errorf("record that %s read conversation %d: %w", o.ID, number, err)
	}
	return h, msgs, nil
}

// RereadConversation is Conversation without a new read on record: for
// showing again, to officer o, a conversation whose reading by o is on
// record already (the console's page shown again after an action).
func (d *Desk) RereadConversation(ctx context.Context, o services.Officer, number int64) (services.Handover, []services.HandoverMessage, error) {
	return d.visibleHandover(ctx, o, number)
}

// visibleHandover loads a conversation officer o may see, without a read
// on record: for acting on it, never for showing it.
func (d *Desk) visibleHandover(ctx context.Context, o services.Officer, number int64) (services.Handover, []services.HandoverMessage, error) {
	if err := d.handoversOn(); err != nil {
		return services.Handover{}, nil, err
	}
	h, msgs, err := d.handovers.Handover(ctx, number)
	if errors.Is(err, services.ErrNoHandover) || (err == nil && !services.CanSeeHandover(o, h)) {
		return services.Handover{}, nil, fmt.Errorf("conversation %d for %s: %w", number, o.ID, services.ErrNoHandover)
	}
	if err != nil {
		return services.Handover{}, nil, fmt.Errorf("load conversation %d for %s: %w", number, o.ID, err)
	}
	return h, msgs, nil
}

// ConversationFile is the photo or document with the SHA-256 sha of a
// conversation officer o may see; a file the conversation does not hold
// fails like a conversation o may not see, with services.ErrNoHandover.
func (d *Desk) ConversationFile(ctx context.Context, o services.Officer, number int64, sha string) (services.StoredFile, error) {
	_, msgs, err := d.visibleHandover(ctx, o, number)
	if err != nil {
		return services.StoredFile{}, err
	}
	for _, m := range msgs {
		if m.File != nil && m.File.SHA256 == sha {
			if err := d.handovers.RecordHandoverRead(ctx, number, o.ID, "berkas "+sha, d.now()); err != nil {
				return services.StoredFile{}, fmt.Errorf("record that %s opened a file of conversation %d: %w", o.ID, number, err)
			}
			return *m.File, nil
		}
	}
	return services.StoredFile{}, fmt.Errorf("file of conversation %d for %s: %w", number, o.ID, services.ErrNoHandover)
}

// ReplyHandover sends officer o's answer (text, and a photo or document
// when file is set) to the citizen, through the channel they wrote on. The
// first officer to answer holds the conversation; another officer is
// refused with services.ErrHandoverHeld and told who holds it.
func (d *Desk) ReplyHandover(ctx context.Context, o services.Officer, number int64, text string, file *services.StoredFile) (HandoverOutcome, error) {
	h, _, err := d.visibleHandover(ctx, o, number)
	if err != nil {
		return HandoverOutcome{}, err
	}
	if text == "" && file == nil {
		return HandoverOutcome{Handover: h}, fmt.Errorf("reply to conversation %d: %w", number, ErrNoteNeeded)
	}
	now := d.now()
	m := services.HandoverMessage{From: o.ID, Text: text, File: file, At: now}
	h, err = d.handovers.HoldHandover(ctx, number, o.ID, now, &m)
	if err != nil {
		return HandoverOutcome{Handover: h}, fmt.Errorf("reply to conversation %d by %s: %w", number, o.ID, err)
	}
	if d.chats != nil && h.ChatID != "" {
		if err := d.chats.HandoverAnswered(ctx, h, now); err != nil {
			// The answer still goes: the citizen reads it, and a reply
			// of theirs reaches the bot at worst.
			d.log.Warn("citizen's chat not kept in its conversation", "conversation", h.Number, "err", err)
		}
	}
	return HandoverOutcome{Handover: h, Citizen: d.tellHandover(ctx, h, "handover.officer_says", map[string]string{"text": text}, file)}, nil
}

// TakeHandover has officer o hold the conversation: the others of the unit
// see it is theirs, and its escalation stops.
func (d *Desk) TakeHandover(ctx context.Context, o services.Officer, number int64) (HandoverOutcome, error) {
	if _, _, err := d.visibleHandover(ctx, o, number); err != nil {
		return HandoverOutcome{}, err
	}
	h, err := d.handovers.HoldHandover(ctx, number, o.ID, d.now(), nil)
	if err != nil {
		return HandoverOutcome{Handover: h}, fmt.Errorf("take conversation %d by %s: %w", number, o.ID, err)
	}
	return HandoverOutcome{Handover: h}, nil
}

// mayAct refuses an action on a conversation another officer holds,
// unless o may hand out work (a kasi, the camat, an admin).
func mayAct(o services.Officer, h services.Handover) error {
	if h.Holder != "" && h.Holder != o.ID && !o.Role.CanAssign() {
		return fmt.Errorf("conversation %d held by %s: %w", h.Number, h.Holder, services.ErrHandoverHeld)
	}
	return nil
}

// TransferHandover gives the conversation to another unit (target is its
// code; it waits there for the first answer) or to one officer (their id),
// who is told with the last messages; the citizen is told where it went.
func (d *Desk) TransferHandover(ctx context.Context, o services.Officer, number int64, target string) (HandoverOutcome, error) {
	h, msgs, err := d.visibleHandover(ctx, o, number)
	if err != nil {
		return HandoverOutcome{}, err
	}
	if err := mayAct(o, h); err != nil {
		return HandoverOutcome{Handover: h}, err
	}
	target = strings.TrimSpace(target)
	unit, holder := "", ""
	var to services.Officer
	if isUnit(d.catalog.Office.Units, target) {
		unit = target
	} else if officer, ok := d.staff.Officer(target); ok && officer.Active {
		to, holder, unit = officer, officer.ID, cmp.Or(officer.Unit, h.Unit)
	} else {
		return HandoverOutcome{Handover: h}, fmt.Errorf("transfer conversation %d to %q: %w", number, target, ErrNoTarget)
	}
	unitName := d.texts.T(locales.DefaultLang, "unit."+unit, nil)
	name := unitName
	if holder != "" {
		name = to.Name
	}
	note := d.texts.T(locales.DefaultLang, "handover.staff.transfer_note", map[string]string{"target": name, "by": o.Name})
	moved, err := d.handovers.TransferHandover(ctx, number, unit, holder, note, d.now())
	if err != nil {
		return HandoverOutcome{Handover: h}, fmt.Errorf("transfer conversation %d by %s: %w", number, o.ID, err)
	}
	text := d.texts.T(locales.DefaultLang, "handover.staff.transferred_in", map[string]string{
		"number": strconv.FormatInt(number, 10), "by": o.Name, "unit": unitName,
	}) + "\n" + d.Transcript(moved, msgs, 5)
	if holder != "" {
		d.tellOfficer(ctx, to, text)
	} else {
		d.tellUnit(ctx, unit, text, nil)
	}
	citizen := d.tellHandover(ctx, moved, "handover.transferred", map[string]string{"unit": d.texts.T(cmp.Or(moved.CitizenLang, locales.DefaultLang), "unit."+unit, nil)}, nil)
	return HandoverOutcome{Handover: moved, Citizen: citizen}, nil
}

// CloseHandover ends the conversation on officer o's word: the chat goes
// back to the bot, which asks the citizen to rate it. When service names a
// service of the catalog, the citizen is also asked to file it (the
// conversation turned into a case: the form asks what the case needs).
func (d *Desk) CloseHandover(ctx context.Context, o services.Officer, number int64, service string) (HandoverOutcome, error) {
	h, _, err := d.visibleHandover(ctx, o, number)
	if err != nil {
		return HandoverOutcome{}, err
	}
	if err := mayAct(o, h); err != nil {
		return HandoverOutcome{Handover: h}, err
	}
	if service != "" {
		if _, ok := d.catalog.Service(service); !ok {
			return HandoverOutcome{Handover: h}, fmt.Errorf("conversation %d to a case of %q: %w", number, service, ErrNoService)
		}
	}
	now := d.now()
	closed, err := d.handovers.CloseHandover(ctx, number, o.ID, now)
	if err != nil {
		return HandoverOutcome{Handover: h}, fmt.Errorf("close conversation %d by %s: %w", number, o.ID, err)
	}
	return HandoverOutcome{Handover: closed, Citizen: d.endHandover(ctx, closed, o.ID, service, now)}, nil
}

// endHandover gives the citizen's chat back to the bot.
func (d *Desk) endHandover(ctx context.Context, h services.Handover, by, service string, now time.Time) Notice {
	switch {
	case h.ChatID == "":
		return Erased
	case d.chats == nil:
		return Failed
	}
	if err := d.chats.HandoverEnded(ctx, h, by, service, now); err != nil {
		d.log.Warn("citizen's chat not given back to the bot", "conversation", h.Number, "err", err)
		return Failed
	}
	return Sent
}

// HandoverTimers runs the conversations' clocks; call it every minute or
// so, from any number of processes. A conversation nobody answered for
// EscalateAfter of office hours is reported, once, to its unit's kasi and
// the camat; one held and quiet for ReleaseAfter goes back to the bot,
// with one line to the citizen and one to its holder.
func (d *Desk) HandoverTimers(ctx context.Context) error {
	if d.handovers == nil {
		return nil
	}
	rules := d.catalog.Handover
	list, err := d.handovers.OpenHandovers(ctx, "")
	if err != nil {
		return fmt.Errorf("conversation timers: %w", err)
	}
	now := d.now()
	var errs []error
	for _, h := range list {
		switch {
		case h.State == services.HandoverWaiting && h.EscalatedAt.IsZero() &&
			d.calendar.OfficeTime(h.WaitingSince, now, d.catalog.Office.Hours) >= rules.EscalateAfter:
			first, err := d.handovers.MarkHandoverEscalated(ctx, h.Number, now)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !first {
				continue
			}
			_, msgs, err := d.handovers.Handover(ctx, h.Number)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			text := d.texts.T(locales.DefaultLang, "handover.staff.escalated", map[string]string{
				"number": strconv.FormatInt(h.Number, 10), "unit": d.texts.T(locales.DefaultLang, "unit."+h.Unit, nil),
				"after": d.duration(rules.EscalateAfter),
			}) + "\n" + d.Transcript(h, msgs, 5)
			for _, head := range d.staff.Heads(h.Unit) {
				d.tellOfficer(ctx, head, text)
			}
		case h.State == services.HandoverHeld && now.Sub(h.LastAt) >= rules.ReleaseAfter:
			closed, err := d.handovers.CloseHandover(ctx, h.Number, services.HandoverFromBot, now)
			if errors.Is(err, services.ErrHandoverClosed) {
				continue // another process, or the citizen, was first
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			d.endHandover(ctx, closed, services.HandoverFromBot, "", now)
			if holder, ok := d.staff.Officer(h.Holder); ok {
				d.tellOfficer(ctx, holder, d.texts.T(locales.DefaultLang, "handover.staff.released", map[string]string{
					"number": strconv.FormatInt(h.Number, 10), "after": d.duration(rules.ReleaseAfter),
				}))
			}
		}
	}
	return errors.Join(errs...)
}

// duration writes a duration as officers read it: "15 menit", "2 jam".
func (d *Desk) duration(t time.Duration) string {
	if t%time.Hour == 0 {
		return d.texts.T(locales.DefaultLang, "handover.staff.hours", map[string]string{"n": strconv.Itoa(int(t / time.Hour))})
	}
	return d.texts.T(locales.DefaultLang, "handover.staff.minutes", map[string]string{"n": strconv.Itoa(int(t / time.Minute))})
}

// Transcript renders the last n messages of a conversation for an officer:
// who, when, what, a file as its kind.
func (d *Desk) Transcript(h services.Handover, msgs []services.HandoverMessage, n int) string {
	if len(msgs) > n {
		msgs = msgs[len(msgs)-n:]
	}
	lines := make([]string, 0, len(msgs))
	for _, m := range msgs {
		lines = append(lines, d.MessageLine(h, m))
	}
	return strings.Join(lines, "\n")
}

// MessageLine is one message of a conversation as officers read it.
func (d *Desk) MessageLine(h services.Handover, m services.HandoverMessage) string {
	who := m.From
	switch m.From {
	case services.HandoverFromCitizen:
		who = cmp.Or(h.CitizenName, d.texts.T(locales.DefaultLang, "staff.actor_citizen", nil))
	case services.HandoverFromBot:
		who = d.texts.T(locales.DefaultLang, "handover.staff.bot", nil)
	default:
		if o, ok := d.staff.Officer(m.From); ok {
			who = o.Name
		}
	}
	text := m.Text
	if m.File != nil {
		text = strings.TrimSpace("[" + d.texts.T(locales.DefaultLang, "media."+m.File.Kind, nil) + "] " + text)
	}
	if text == "" {
		text = d.texts.T(locales.DefaultLang, "handover.staff.erased", nil)
	}
	return d.texts.T(locales.DefaultLang, "handover.staff.line", map[string]string{
		"time": m.At.In(d.catalog.Office.Location).Format("15.04"), "who": who, "text": text,
	})
}

// tellHandover sends the citizen of h the text key in their language,
// with file if any, and says what became of it.
func (d *Desk) tellHandover(ctx context.Context, h services.Handover, key string, args map[string]string, file *services.StoredFile) Notice {
	if h.ChatID == "" {
		return Erased
	}
	lang := cmp.Or(h.CitizenLang, locales.DefaultLang)
	args["unit"] = cmp.Or(args["unit"], d.texts.T(lang, "unit."+h.Unit, nil))
	text := strings.TrimSpace(d.texts.T(lang, key, args))
	var err error
	switch {
	case file != nil && d.sendFiles != nil:
		err = d.sendFiles(ctx, h.Channel, h.ChatID, text, []services.StoredFile{*file})
	case d.send != nil && file == nil:
		err = d.send(ctx, h.Channel, h.ChatID, text)
	default:
		return Failed
	}
	if err != nil {
		d.log.Warn("citizen not sent the officer's message", "conversation", h.Number, "channel", h.Channel, "chat", services.MaskID(h.ChatID), "err", err)
		return Failed
	}
	return Sent
}

// tellUnit sends text (and files) to the chats of a unit: its groups, or
// each of its active officers.
func (d *Desk) tellUnit(ctx context.Context, unit, text string, files []services.StoredFile) {
	chats := d.staff.UnitGroups[unit]
	if len(chats) == 0 {
		for _, o := range d.staff.OfUnit(unit) {
			d.tellOfficerFiles(ctx, o, text, files)
		}
		return
	}
	for _, channel := range chats.Channels() {
		if err := d.deliver(ctx, channel, chats[channel], text, files); err != nil {
			d.log.Warn("unit not told", "unit", unit, "channel", channel, "err", err)
		}
	}
}

func (d *Desk) tellOfficerFiles(ctx context.Context, o services.Officer, text string, files []services.StoredFile) {
	for _, channel := range o.Contacts.Channels() {
		if err := d.deliver(ctx, channel, o.Contacts[channel], text, files); err != nil {
			d.log.Warn("officer not told", "officer", o.ID, "channel", channel, "err", err)
		}
	}
}

func (d *Desk) deliver(ctx context.Context, channel, chatID, text string, files []services.StoredFile) error {
	switch {
	case len(files) > 0 && d.sendFiles != nil:
		return d.sendFiles(ctx, channel, chatID, text, files)
	case d.send != nil:
		return d.send(ctx, channel, chatID, text)
	}
	return nil
}

func isUnit(units []string, code string) bool {
	for _, u := range units {
		if u == code {
			return true
		}
	}
	return false
}

// handoverTextKeys are the locale keys of conversations, checked at New
// when the desk has conversations.
func handoverTextKeys() []string {
	return []string{
		"handover.officer_says", "handover.transferred", "handover.staff.transfer_note", "handover.staff.transferred_in",
		"handover.staff.escalated", "handover.staff.released", "handover.staff.bot", "handover.staff.erased",
		"handover.staff.line", "media.photo", "media.document",
	}
}
