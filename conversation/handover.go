package conversation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/services"
)

// Talking to a person (issue #22). A citizen who types one of the words
// words.handover, or picks the menu's entry, at any step, opens a
// conversation with the office ("percakapan"): the unit of the form they
// were filling, or the front desk. From then on everything they send goes
// to the officers, and the bot stays silent, until an officer closes it
// (then the bot asks for a 1-4 rating and offers the form again), the
// citizen types menu or batal, or it goes quiet (casework.HandoverTimers).
// The state keeps only the conversation's number; what was said is in the
// HandoverDesk, sealed.

// HandoverDesk keeps the conversations: the citizen's side here, the
// officers' side in casework.Handovers (the same store serves both).
type HandoverDesk interface {
	casework.Handovers
	// OpenHandover opens a conversation for the chat and reports true; a
	// chat with one open gets the message added to it instead.
	OpenHandover(ctx context.Context, n services.NewHandover) (services.Handover, bool, error)
	AppendHandover(ctx context.Context, number int64, m services.HandoverMessage) (services.Handover, error)
	RateHandover(ctx context.Context, number int64, rating int) error
	CitizenHandovers(ctx context.Context, channel, chatID string) ([]services.Handover, error)
}

// The staff commands of conversations; take, done and show act on a
// conversation when given its number instead of a ticket.
const (
	cmdReply         = "reply"
	cmdTransfer      = "transfer"
	cmdToCase        = "tocase"
	cmdConversations = "conversations"
)

func init() {
	staffCommands = append(staffCommands, cmdReply, cmdTransfer, cmdToCase, cmdConversations)
	wordSets = append(wordSets, "handover")
}

// menuPerson is the main menu's entry that opens a conversation.
const menuPerson = "person"

// startHandover opens the citizen's conversation with the office and says
// who will answer, and when.
func (e *Engine) startHandover(ctx context.Context, t *turn) error {
	now := e.now()
	rules := e.catalog.Handover
	unit, topic := rules.FrontDesk, ""
	if svc, ok := e.catalog.Service(t.st.Draft); ok && t.st.Draft != "" {
		unit, topic = svc.Unit, svc.Code
	}
	if err := e.leaveSurvey(ctx, t); err != nil {
		return err
	}
	// A pressed button is kept as the words on it.
	first := services.HandoverMessage{
		From: services.HandoverFromCitizen, Text: cmp.Or(t.text, e.tr(t, "handover.menu", nil)), At: now, Source: sourceOf(t.in, 0),
	}
	h, _, err := e.handovers.OpenHandover(ctx, services.NewHandover{
		Channel: t.in.Chat.Channel, ChatID: t.in.Chat.ChatID, Name: t.in.SenderName,
		Unit: unit, Topic: topic, At: now, First: first,
	})
	if err != nil {
		return fmt.Errorf("open a conversation for %s: %w", t.in.Chat, err)
	}
	t.st.Handover, t.st.HandoverRate = h.Number, 0
	t.st.Retries, t.st.Offered = 0, nil
	args := map[string]string{"number": strconv.FormatInt(h.Number, 10), "unit": e.tr(t, "unit."+h.Unit, nil)}
	open := e.calendar.OfficeOpen(now, e.catalog.Office.Hours)
	if open {
		t.say(e.tr(t, "handover.opened", args))
	} else {
		args["when"] = e.opensAt(t, e.calendar.NextOpening(now, e.catalog.Office.Hours))
		t.say(e.tr(t, "handover.opened_closed", args))
	}
	if t.st.Draft != "" {
		t.say(e.tr(t, "handover.kept_form", map[string]string{"service": e.serviceName(t, t.st.Draft)}))
	}
	st := &turn{st: State{Lang: e.staffLang()}}
	staffArgs := map[string]string{
		"number": args["number"], "unit": e.tr(st, "unit."+h.Unit, nil), "name": cmp.Or(h.CitizenName, e.tr(st, "staff.actor_citizen", nil)),
		"channel": h.Channel, "messages": e.work.Transcript(h, []services.HandoverMessage{first}, 1),
		"topic": "", "when": "",
	}
	if topic != "" {
		staffArgs["topic"] = e.tr(st, "handover.staff.topic", map[string]string{"service": e.serviceName(st, topic)})
	}
	if !open {
		staffArgs["when"] = e.tr(st, "handover.staff.new_closed", nil)
	}
	t.out = append(t.out, e.toAll(e.unitTargets(h.Unit), e.tr(st, "handover.staff.new", staffArgs))...)
	return nil
}

// sourceOf names part i of a chat message, for HandoverMessage.Source.
func sourceOf(in Inbound, i int) string {
	s := in.Chat.Channel + ":" + in.Chat.ChatID + ":" + in.MessageID
	if i > 0 {
		s += ":" + strconv.Itoa(i)
	}
	return s
}

// opensAt writes when the office opens: "Senin, 28 Desember 2026 pukul 07.30 WIB".
func (e *Engine) opensAt(t *turn, at time.Time) string {
	at = at.In(e.catalog.Office.Location)
	return e.tr(t, "handover.opens_at", map[string]string{
		"weekday": e.tr(t, "handover.weekday."+strconv.Itoa(int(at.Weekday())), nil),
		"date":    e.formatDate(t, at), "time": at.Format("15.04"),
	})
}

// handoverTurn handles a message of a chat in a conversation, or asked to
// rate one. It reports whether the message was handled here; when not, it
// goes through the conversation as any other.
func (e *Engine) handoverTurn(ctx context.Context, t *turn) (bool, error) {
	if t.st.Handover == 0 {
		return e.onHandoverRating(ctx, t)
	}
	if e.handovers == nil {
		t.st.Handover = 0
		return false, nil
	}
	number := t.st.Handover
	ends := (t.in.Kind == KindChoice && t.in.Payload == menuPayload) ||
		(t.in.Kind == KindText && (e.isWord("menu", t.text) || e.isWord("cancel", t.text)))
	if ends {
		return true, e.citizenEndsHandover(ctx, t)
	}
	if t.in.Kind == KindText && (e.isWord("erase", t.text) || e.isWord("mydata", t.text)) {
		// What the law lets a citizen ask is answered by the bot, even
		// in a conversation: "data saya" keeps it open, "hapus data saya"
		// closes it (leaveHandover).
		return false, nil
	}
	now := e.now()
	var msgs []services.HandoverMessage
	switch {
	case t.in.Kind == KindText:
		if t.text == "" {
			return true, nil
		}
		if utf8.RuneCountInString(t.text) > MaxTextRunes {
			t.say(e.tr(t, "input.too_long", map[string]string{"max": strconv.Itoa(MaxTextRunes)}))
			return true, nil
		}
		msgs = append(msgs, services.HandoverMessage{Text: t.text})
	case t.in.Kind == KindChoice:
		// A button of an older message: nothing an officer can read.
		t.say(e.tr(t, "handover.buttons_off", nil))
		return true, nil
	case len(t.in.Attachments) > 0:
		// A photo's caption comes in Text; it is cleaned as typed text is.
		caption := strings.TrimSpace(services.StripInvisible(strings.ToValidUTF8(t.in.Text, "")))
		for _, a := range t.in.Attachments {
			f, refused, err := e.keepFile(ctx, t, a)
			if err != nil {
				return true, err
			}
			if refused != "" {
				t.say(e.refusal(t, refused))
				continue
			}
			msgs = append(msgs, services.HandoverMessage{Text: caption, File: &f})
			caption = ""
		}
	case t.in.Location != nil:
		l := t.in.Location
		text := strings.TrimSpace(fmt.Sprintf("%s https://maps.google.com/?q=%.6f,%.6f", l.Name, l.Latitude, l.Longitude))
		msgs = append(msgs, services.HandoverMessage{Text: "[" + e.tr(t, "media.location", nil) + "] " + text})
	default:
		media := "media." + t.in.Media
		if !e.texts.Has(media) {
			media = "media.other"
		}
		t.say(e.tr(t, "handover.unsupported", map[string]string{"media": e.tr(t, media, nil)}))
		return true, nil
	}
	var h services.Handover
	for i, m := range msgs {
		m.From, m.At = services.HandoverFromCitizen, now
		m.Source = sourceOf(t.in, i)
		var err error
		h, err = e.handovers.AppendHandover(ctx, number, m)
		if errors.Is(err, services.ErrHandoverClosed) || errors.Is(err, services.ErrNoHandover) {
			// Closed under the message (an officer, a timer): the bot
			// has the chat again, and reads the message as its own.
			t.st.Handover = 0
			return false, nil
		}
		if err != nil {
			return true, fmt.Errorf("add to conversation %d of %s: %w", number, t.in.Chat, err)
		}
		e.forward(t, h, m)
	}
	return true, nil
}

// forward sends a citizen's message of a conversation to its holder, or to
// its unit while nobody holds it.
func (e *Engine) forward(t *turn, h services.Handover, m services.HandoverMessage) {
	st := &turn{st: State{Lang: e.staffLang()}}
	text := m.Text
	if m.File != nil {
		text = strings.TrimSpace("[" + e.tr(st, "media."+m.File.Kind, nil) + "] " + text)
	}
	line := e.tr(st, "handover.staff.citizen_says", map[string]string{
		"number": strconv.FormatInt(h.Number, 10), "name": cmp.Or(h.CitizenName, e.tr(st, "staff.actor_citizen", nil)), "text": text,
	})
	reply := Reply{Text: line}
	if m.File != nil {
		reply.Files = []services.StoredFile{*m.File}
	}
	for _, to := range e.handoverTargets(h) {
		t.out = append(t.out, outgoing{to: to, reply: reply})
	}
}

// handoverTargets are the chats that hear a conversation: its holder's,
// or its unit's while nobody holds it.
func (e *Engine) handoverTargets(h services.Handover) []ChatKey {
	if o, ok := e.staff.Officer(h.Holder); ok && h.Holder != "" {
		return officerChats(o)
	}
	return e.unitTargets(h.Unit)
}

// citizenEndsHandover closes the conversation at the citizen's menu or
// batal, tells the officers, and shows the menu (with the form kept).
func (e *Engine) citizenEndsHandover(ctx context.Context, t *turn) error {
	number := t.st.Handover
	t.st.Handover = 0
	h, err := e.handovers.CloseHandover(ctx, number, services.HandoverFromCitizen, e.now())
	switch {
	case errors.Is(err, services.ErrHandoverClosed) || errors.Is(err, services.ErrNoHandover):
	case err != nil:
		return fmt.Errorf("close conversation %d of %s: %w", number, t.in.Chat, err)
	default:
		st := &turn{st: State{Lang: e.staffLang()}}
		t.out = append(t.out, e.toAll(e.handoverTargets(h), e.tr(st, "handover.staff.citizen_left", map[string]string{"number": strconv.FormatInt(number, 10)}))...)
	}
	t.say(e.tr(t, "handover.ended_by_citizen", nil))
	e.toMenu(t)
	e.prompt(t)
	return nil
}

// leaveHandover closes the chat's conversation when the citizen asked
// that their data be erased; the officers are told the citizen left.
func (e *Engine) leaveHandover(ctx context.Context, t *turn) error {
	number := t.st.Handover
	if number == 0 || e.handovers == nil {
		return nil
	}
	t.st.Handover = 0
	h, err := e.handovers.CloseHandover(ctx, number, services.HandoverFromCitizen, e.now())
	switch {
	case errors.Is(err, services.ErrHandoverClosed) || errors.Is(err, services.ErrNoHandover):
	case err != nil:
		return fmt.Errorf("close conversation %d of %s: %w", number, t.in.Chat, err)
	default:
		st := &turn{st: State{Lang: e.staffLang()}}
		t.out = append(t.out, e.toAll(e.handoverTargets(h), e.tr(st, "handover.staff.citizen_left", map[string]string{"number": strconv.FormatInt(number, 10)}))...)
	}
	return nil
}

// ratingScope is the scope of the rating's options: the conversation's
// number, so a button of an older rating is not taken for this one.
func ratingScope(number int64) string { return "hr:" + strconv.FormatInt(number, 10) }

func (e *Engine) ratingChoices(t *turn) []services.Choice {
	out := make([]services.Choice, 0, 4)
	for score := 1; score <= 4; score++ {
		out = append(out, services.Choice{Value: strconv.Itoa(score), Label: e.tr(t, "handover.rate."+strconv.Itoa(score), nil)})
	}
	return out
}

// onHandoverRating takes the answer to the rating question; anything else
// lets the question lapse and goes through as any message.
func (e *Engine) onHandoverRating(ctx context.Context, t *turn) (bool, error) {
	number := t.st.HandoverRate
	if number == 0 || e.handovers == nil {
		return false, nil
	}
	t.st.HandoverRate = 0
	value, ok := e.pickQuietly(t, ratingScope(number), e.ratingChoices(t))
	if !ok {
		return false, nil
	}
	score, _ := strconv.Atoi(value)
	if err := e.handovers.RateHandover(ctx, number, score); err != nil {
		return true, fmt.Errorf("rate conversation %d: %w", number, err)
	}
	t.say(e.tr(t, "handover.rate_thanks", nil))
	if t.st.Draft != "" {
		e.resumeDraft(t)
	} else {
		e.toMenu(t)
	}
	e.prompt(t)
	return true, nil
}

// HandoverEnded implements casework.HandoverChats: the chat goes back to
// the bot, at the menu with its form kept, and the citizen is told; asked
// to rate the conversation when an officer closed it.
func (c citizenChats) HandoverEnded(ctx context.Context, h services.Handover, by, suggest string, at time.Time) error {
	e := c.e
	chat := ChatKey{Channel: h.Channel, ChatID: h.ChatID}
	id := "handover-end:" + strconv.FormatInt(h.Number, 10)
	lang := h.CitizenLang
	err := e.updateState(ctx, chat, id, at, func(st *State) {
		if st.Handover == h.Number {
			st.Handover = 0
			t := &turn{st: *st}
			e.toMenu(t)
			*st = t.st
		}
		if by != services.HandoverFromBot {
			st.HandoverRate = h.Number
		}
		lang = cmp.Or(st.Lang, lang)
	})
	if err != nil {
		return err
	}
	t := &turn{st: State{Lang: cmp.Or(lang, e.staffLang())}}
	if by == services.HandoverFromBot {
		return e.notifier.Notify(ctx, chat, Reply{Text: e.tr(t, "handover.released", nil)})
	}
	t.say(e.tr(t, "handover.ended", map[string]string{"number": strconv.FormatInt(h.Number, 10), "office": e.catalog.Office.Name}))
	if svc, ok := e.catalog.Service(suggest); ok && suggest != "" {
		keyword := svc.Code
		if len(svc.Keywords) > 0 {
			keyword = svc.Keywords[0]
		}
		t.say(e.tr(t, "handover.suggest", map[string]string{"service": e.serviceName(t, svc.Code), "keyword": keyword}))
	}
	e.ask(t, e.tr(t, "handover.rate_ask", nil), ratingScope(h.Number), e.ratingChoices(t))
	for _, r := range t.replies() {
		if err := e.notifier.Notify(ctx, chat, r); err != nil {
			return err
		}
	}
	return nil
}

// HandoverAnswered implements casework.HandoverChats.
func (c citizenChats) HandoverAnswered(ctx context.Context, h services.Handover, at time.Time) error {
	chat := ChatKey{Channel: h.Channel, ChatID: h.ChatID}
	id := "handover-answer:" + strconv.FormatInt(h.Number, 10) + ":" + strconv.FormatInt(at.UnixNano(), 10)
	return c.e.updateState(ctx, chat, id, at, func(st *State) {
		if st.Handover != h.Number {
			st.Handover, st.HandoverRate = h.Number, 0
			if st.Lang == "" {
				st.Lang = cmp.Or(h.CitizenLang, c.e.staffLang())
			}
		}
	})
}

// handoverLines are what "data saya" shows of the chat's conversations.
func (e *Engine) handoverLines(ctx context.Context, t *turn) ([]string, error) {
	if e.handovers == nil {
		return nil, nil
	}
	list, err := e.handovers.CitizenHandovers(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil {
		return nil, fmt.Errorf("conversations of %s: %w", t.in.Chat, err)
	}
	lines := make([]string, 0, len(list))
	for _, h := range list {
		lines = append(lines, e.tr(t, "handover.mydata", map[string]string{
			"number": strconv.FormatInt(h.Number, 10), "unit": e.tr(t, "unit."+h.Unit, nil),
			"state": e.tr(t, "handover.state."+string(h.State), nil), "date": e.formatDate(t, h.OpenedAt),
		}))
	}
	return lines, nil
}

// sendFiles is casework's way to send files: a reply with them, through
// the engine's notifier.
func (e *Engine) sendFiles(ctx context.Context, channel, chatID, text string, files []services.StoredFile) error {
	return e.notifier.Notify(ctx, ChatKey{Channel: channel, ChatID: chatID}, Reply{Text: text, Files: files})
}

// HandoverTimers runs the conversations' clocks (casework.Desk.HandoverTimers).
func (e *Engine) HandoverTimers(ctx context.Context) error { return e.work.HandoverTimers(ctx) }
