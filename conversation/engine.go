package conversation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/internal/pause"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// MaxTextRunes is the longest text the engine reads; longer messages get a
// polite request to send less.
const MaxTextRunes = 2000

// maxAttempts bounds the retries of a message whose chat state kept moving
// under it (another message of the same chat committed first).
const maxAttempts = 5

// Config is what an Engine is built from.
type Config struct {
	Catalog *services.Catalog
	Texts   *locales.Bundle
	States  StateStore
	// Gate, when set, handles each chat in one process at a time and limits
	// how fast a citizen may write, in the same round trips that load and
	// commit the chat's state (redisstore.Store is one). Nil: the states
	// are loaded and committed as they are, with no lock and no limit, as
	// one process on an embedded store needs. Either way Handle takes one
	// path, Begin to CommitWithLease (see openGate).
	Gate  ChatGate
	Cases CaseStore
	// Media stores photos and documents citizens send; nil refuses them.
	Media   MediaStore
	Desk    CaseDesk        // staff follow-up and status checks
	Surveys SurveyDesk      // nil: no satisfaction survey
	Privacy PrivacyDesk     // nil: no consent records nor deletion requests
	Staff   *services.Staff // nil: nobody is staff
	// Past finds a returning citizen's last request, whose answers about
	// them the next form offers again; nil: every form asks everything.
	Past PastRequests
	// Letters verifies the codes of printed letters for anyone who writes
	// (letters.Issuer); nil: the bot does not understand them.
	Letters LetterChecker
	// Visits books citizens' visits to the counter for the services that
	// need one; nil: no visit is offered.
	Visits VisitDesk
	// Schedule is the day's list of visits for the officers' "jadwal"
	// and "datang" (shared with the console); nil: no such commands.
	Schedule *casework.Schedule
	// Consult keeps public consultations, their answers and the
	// subscriptions to announcements (consult.go); nil: the menu has no
	// such item.
	Consult ConsultDesk
	// Notifier delivers staff notifications and citizens' updates; nil
	// drops them (a bot with no staff configured).
	Notifier Notifier
	// Handovers keeps the citizens' conversations with officers
	// (handover.go); nil: nobody can ask for a person.
	Handovers HandoverDesk
	// Health, when set, tells an outage of the stores (the state store, the
	// case database) from a message's own failure: a message failing while
	// one does not answer fails with ErrUnavailable, and the sender is told
	// at once that it is kept (see unavailable). Nil: every failure is the
	// message's own.
	Health Health
	// Once remembers the outage notices sent, so a message tried again
	// through an outage is told once; nil tells it at every try.
	Once OnceGuard
	Now  func() time.Time // defaults to time.Now
	Log  *slog.Logger     // defaults to slog.Default()
}

// Engine walks citizens through menus and forms. It is safe for concurrent
// use: all per-chat state lives in the StateStore.
type Engine struct {
	catalog   *services.Catalog
	texts     *locales.Bundle
	states    StateStore
	gate      ChatGate // Config.Gate, or open
	open      ChatGate // the states with no lock and no limit: officers' gate
	cases     CaseStore
	desk      CaseDesk
	media     MediaStore
	surveys   SurveyDesk
	privacy   PrivacyDesk
	past      PastRequests
	letters   LetterChecker
	visits    VisitDesk
	schedule  *casework.Schedule
	consult   ConsultDesk
	staff     *services.Staff
	notifier  Notifier
	handovers HandoverDesk
	health    Health
	once      OnceGuard
	work      *casework.Desk // the staff actions, shared with the console
	now       func() time.Time
	log       *slog.Logger
	calendar  services.Calendar
	vocab     services.Vocabulary
	intents   *services.Intents          // what a citizen's own sentence asks for
	words     map[string]map[string]bool // word lists by name (wordSets), normalized: menu, cancel, skip, ...
	edit      []string
	editOrNo  []string // the edit words and the no words: a "no" to "is it right?"
	cont      []string
	staffCmd  map[string]string // typed word -> staff command
	// menuWords are the words that pick a main-menu item, by item
	// (words.menu_items.<item> in every locale).
	menuWords map[string][]string
	doneWords []string // the words that end the photos of a form
	stopWords []string // words that stop the survey
	skipWords []string // the words that skip an optional question
	// agreeWords agree to the privacy notice: words.agree and the yes words.
	agreeWords []string
	// letterPhrases open a letter's verification ("cek surat"), normalized.
	letterPhrases []string
	// langNames maps the name of a loaded language, as citizens type it
	// after a language word ("inggris", "english"), to its code.
	langNames map[string]string
	// unreachableUnits remembers the units already warned about.
	unreachableUnits sync.Map
}

// New builds an Engine and checks the texts the catalog names and the word
// lists the engine reads (CheckTexts), so a missing text fails start-up,
// not a citizen.
func New(cfg Config) (*Engine, error) {
	if cfg.Catalog == nil || cfg.Texts == nil || cfg.States == nil || cfg.Cases == nil || cfg.Desk == nil {
		return nil, errors.New("conversation engine needs a catalog, texts, a state store, a case store and a case desk")
	}
	if err := CheckTexts(cfg.Catalog, cfg.Texts); err != nil {
		return nil, err
	}
	e := &Engine{
		catalog:   cfg.Catalog,
		texts:     cfg.Texts,
		states:    cfg.States,
		gate:      cfg.Gate,
		open:      openGate{states: cfg.States},
		cases:     cfg.Cases,
		desk:      cfg.Desk,
		media:     cfg.Media,
		surveys:   cfg.Surveys,
		privacy:   cfg.Privacy,
		past:      cfg.Past,
		letters:   cfg.Letters,
		visits:    cfg.Visits,
		schedule:  cfg.Schedule,
		consult:   cfg.Consult,
		staff:     cfg.Staff,
		notifier:  cfg.Notifier,
		handovers: cfg.Handovers,
		health:    cfg.Health,
		once:      cfg.Once,
		now:       cfg.Now,
		log:       cfg.Log,
		calendar:  services.NewCalendar(cfg.Catalog.Office),
		vocab:     vocabulary(cfg.Texts),
		words:     map[string]map[string]bool{},
		edit:      cfg.Texts.Words("edit"),
		cont:      cfg.Texts.Words("continue"),
	}
	e.editOrNo = append(append([]string{}, e.edit...), e.vocab.No...)
	if e.gate == nil {
		e.gate = e.open
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.staff == nil {
		e.staff = &services.Staff{UnitGroups: map[string]services.Contacts{}}
	}
	if e.notifier == nil {
		e.notifier = noNotifier{}
	}
	wc := casework.Config{
		Catalog: e.catalog, Texts: e.texts, Staff: e.staff, Cases: e.desk, Reads: cfg.Privacy,
		Citizens: citizenChats{e}, Send: e.sendText, Now: e.now, Log: e.log,
	}
	if cfg.Handovers != nil {
		wc.Handovers, wc.Chats, wc.SendFiles = cfg.Handovers, citizenChats{e}, e.sendFiles
	}
	work, err := casework.New(wc)
	if err != nil {
		return nil, err
	}
	e.work = work
	e.menuWords = cfg.Texts.WordGroups("menu_items")
	if e.menuWords == nil {
		e.menuWords = map[string][]string{}
	}
	// The words of the items added later to the menu have lists of their
	// own (words.handover, words.consult); read once, as the others.
	e.menuWords[menuPerson] = cfg.Texts.Words("handover")
	e.menuWords["consult"] = cfg.Texts.Words("consult")
	e.doneWords = append(cfg.Texts.Words("done_files"), cfg.Texts.Words("skip")...)
	e.stopWords = cfg.Texts.Words("stop")
	e.skipWords = cfg.Texts.Words("skip")
	e.agreeWords = append(cfg.Texts.Words("agree"), e.vocab.Yes...)
	for _, phrase := range cfg.Texts.Words("letter_check") {
		e.letterPhrases = append(e.letterPhrases, normalize(phrase))
	}
	intents, err := newIntents(cfg.Catalog, cfg.Texts)
	if err != nil {
		return nil, err
	}
	e.intents = intents
	e.staffCmd = map[string]string{}
	for _, cmd := range staffCommands {
		for _, w := range cfg.Texts.Words("staff." + cmd) {
			e.staffCmd[normalize(w)] = cmd
		}
	}
	// The word lists are read once here: a message only looks them up.
	for _, list := range wordSets {
		e.words[list] = map[string]bool{}
		for _, w := range cfg.Texts.Words(list) {
			e.words[list][normalize(w)] = true
		}
	}
	e.langNames = map[string]string{}
	for lang, names := range cfg.Texts.WordGroups("language_names") {
		for _, name := range names {
			if e.hasLang(lang) {
				e.langNames[normalize(name)] = lang
			}
		}
	}
	return e, nil
}

// Handle answers one inbound message: it loads the chat's state, takes one
// step, and commits the new state. Replies are returned only when the commit
// succeeded, so a duplicate delivery sends nothing twice. A wrong answer is
// not an error; an error means the message was not handled and may be
// retried.
func (e *Engine) Handle(ctx context.Context, in Inbound) ([]Reply, error) {
	officer, isStaff := e.staff.ByIdentity(in.Chat.Channel, in.SenderID)
	gate := e.gate
	if isStaff {
		// Officers work through many cases in a row: the citizens' rate
		// limit is not for them.
		gate = e.open
	}
	busySince := time.Time{}
	for attempt := 0; attempt < maxAttempts; {
		begun, lease, err := gate.Begin(ctx, in.Chat, in.MessageID, in.SenderID, e.now())
		if err != nil {
			return nil, e.unavailable(ctx, in, "", fmt.Errorf("begin message of %s: %w", in.Chat, err))
		}
		switch {
		case begun.Duplicate:
			if in.Redelivered {
				return e.answerAgain(ctx, in, isStaff)
			}
			e.log.Debug("duplicate message ignored", "channel", in.Chat.Channel, "chat", services.MaskID(in.Chat.ChatID), "message", in.MessageID)
			return nil, nil
		case begun.Limited:
			// Past the sender's rate: one polite notice a minute, and
			// no work at all for the rest.
			if begun.NoticeDue {
				// Say which message was not read: from it on, the
				// citizen sends again.
				return []Reply{{Text: e.texts.T(locales.DefaultLang, "input.rate_limited",
					map[string]string{"message": e.quote(in, locales.DefaultLang)})}}, nil
			}
			return nil, nil
		case begun.Busy:
			// Another process is answering this chat's previous message:
			// wait for it, so the chat's messages go in order.
			if busySince.IsZero() {
				busySince = time.Now()
			} else if time.Since(busySince) > busyWait {
				return nil, fmt.Errorf("handle message of %s: the chat stayed busy for %s", in.Chat, busyWait)
			}
			if !pause.For(ctx, busyPause) {
				return nil, ctx.Err()
			}
			continue
		}
		attempt++
		t := e.newTurn(in)
		if isStaff {
			o := officer // only an officer's turn pays for the pointer
			t.officer = &o
		}
		if err := e.step(ctx, t, begun.Loaded); err != nil {
			if rerr := gate.Release(context.WithoutCancel(ctx), lease); rerr != nil {
				err = errors.Join(err, rerr)
			}
			lang := t.st.Lang
			if lang == "" && begun.State != nil {
				lang = begun.State.Lang
			}
			return nil, e.unavailable(ctx, in, lang, err)
		}
		t.st.Last, t.st.Ticket = in.MessageID, t.ticket
		err = gate.CommitWithLease(ctx, t.st, in.MessageID, e.catalog.Office.DraftTTL, lease)
		switch {
		case errors.Is(err, ErrDuplicate):
			return nil, nil
		case errors.Is(err, ErrConflict):
			continue
		case err != nil:
			return nil, e.unavailable(ctx, in, t.st.Lang, fmt.Errorf("commit state of %s: %w", in.Chat, err))
		}
		e.notifyAll(ctx, t.out)
		return t.replies(), nil
	}
	return nil, fmt.Errorf("handle message of %s: state changed under it %d times", in.Chat, maxAttempts)
}

// quoteLimit is how much of a message quote shows.
const quoteLimit = 40

// quote shows a message back to its sender, briefly: the start of a text in
// quotes, or what kind of message it was.
func (e *Engine) quote(in Inbound, lang string) string {
	switch {
	case in.Kind == KindText:
		text := strings.Join(strings.Fields(strings.ToValidUTF8(in.Text, "")), " ")
		if r := []rune(text); len(r) > quoteLimit {
			text = string(r[:quoteLimit])
			if i := strings.LastIndexByte(text, ' '); i > quoteLimit/2 {
				text = text[:i] // at a word's end
			}
			text += "…"
		}
		return "\u201c" + text + "\u201d"
	case in.Kind == KindChoice:
		return e.texts.T(lang, "input.rate_limited_button", nil)
	case len(in.Attachments) > 0 && in.Attachments[0].Kind == "document":
		return "(" + e.texts.T(lang, "media.document", nil) + ")"
	case len(in.Attachments) > 0:
		return "(" + e.texts.T(lang, "media.photo", nil) + ")"
	case in.Location != nil:
		return "(" + e.texts.T(lang, "media.location", nil) + ")"
	}
	media := "media." + in.Media
	if !e.texts.Has(media) {
		media = "media.other"
	}
	return "(" + e.texts.T(lang, media, nil) + ")"
}

// answerAgain answers a message delivered again after the process that
// handled it may have stopped before its answer went out. When the chat's
// state is still the one that message left, the citizen is told so, given
// the ticket that message filed if any, and asked the question they are at;
// when a later message was answered since, the citizen has seen what came
// after and nothing is sent. Staff commands are not answered again: they
// are short, and an officer sees the outcome in the case list.
func (e *Engine) answerAgain(ctx context.Context, in Inbound, staff bool) ([]Reply, error) {
	if staff {
		return nil, nil
	}
	loaded, err := e.states.Load(ctx, in.Chat, "")
	if err != nil {
		return nil, fmt.Errorf("load state of %s to answer a redelivered message: %w", in.Chat, err)
	}
	if loaded.State == nil || loaded.State.Last != in.MessageID {
		return nil, nil
	}
	t := e.newTurn(in)
	t.st = *loaded.State
	t.say(e.tr(t, "input.redelivered", nil))
	if t.st.Ticket != "" {
		t.say(e.tr(t, "input.redelivered_ticket", map[string]string{"ticket": t.st.Ticket}))
	}
	e.prompt(t)
	e.log.Info("redelivered message answered again", "channel", in.Chat.Channel, "chat", services.MaskID(in.Chat.ChatID))
	return t.replies(), nil
}

// How long a message waits for its chat held by another process, and how
// often it looks again.
const (
	busyWait  = 10 * time.Second
	busyPause = 20 * time.Millisecond
)

// turn is one message being handled: the state it moves and the text it
// gathers. Paragraphs said during a turn are sent as one message together
// with the question that ends it.
type turn struct {
	in      Inbound
	officer *services.Officer // the officer who wrote, nil for a citizen
	st      State
	text    string // the citizen's text, cleaned (KindText)
	paras   []string
	options []Option
	out     []outgoing // notifications to other chats, sent after commit
	ticket  string     // ticket of the case this message filed, if any
	// consults caches the consultations read during the turn (consultOf).
	consults map[string]consultation.Published
}

func (e *Engine) newTurn(in Inbound) *turn {
	t := &turn{in: in}
	if in.Kind == KindText {
		// Staff and other citizens read what was typed: nothing invisible
		// may change how it shows (a right-to-left override in a name).
		t.text = strings.TrimSpace(services.StripInvisible(strings.ToValidUTF8(in.Text, "")))
	}
	return t
}

func (t *turn) say(text string) { t.paras = append(t.paras, text) }

// MaxReplyRunes is the longest message the engine sends in one piece,
// counting its options as a numbered list: a longer one needs scrolling on
// a phone. A turn that says more is sent as several messages.
const MaxReplyRunes = 600

func (t *turn) replies() []Reply {
	if len(t.paras) == 0 {
		return nil
	}
	text := strings.Join(t.paras, "\n\n")
	options := optionRunes(t.options)
	if utf8.RuneCountInString(text)+options <= MaxReplyRunes {
		return []Reply{{Text: text, Options: t.options}}
	}
	pieces := pack(t.paras, MaxReplyRunes, options)
	out := make([]Reply, len(pieces))
	for i, p := range pieces {
		out[i] = Reply{Text: p}
	}
	out[len(out)-1].Options = t.options
	return out
}

// optionRunes is what options add to a message shown as a numbered list
// after a blank line ("1. Label" per line).
func optionRunes(options []Option) int {
	if len(options) == 0 {
		return 0
	}
	n := 2
	for i, o := range options {
		n += utf8.RuneCountInString(o.Label) + len(strconv.Itoa(i+1)) + 3
	}
	return n
}

// pack joins paragraphs into messages of at most limit runes, the last one
// keeping room for tail more (its options). A paragraph over the limit is
// cut between its lines; a line over it goes alone.
func pack(paras []string, limit, tail int) []string {
	var lines []string // pieces that may not be cut further, with their separators
	var seps []string
	for i, p := range paras {
		// The last paragraph shares its message with the options.
		room := limit
		if i == len(paras)-1 {
			room -= tail
		}
		if utf8.RuneCountInString(p) <= room {
			lines, seps = append(lines, p), append(seps, "\n\n")
			continue
		}
		for i, l := range strings.Split(p, "\n") {
			sep := "\n"
			if i == 0 {
				sep = "\n\n"
			}
			lines, seps = append(lines, l), append(seps, sep)
		}
	}
	var out []string
	var cur strings.Builder
	n := 0
	for i, l := range lines {
		ln := utf8.RuneCountInString(l)
		room := limit
		if i == len(lines)-1 {
			room -= tail
		}
		if n > 0 && n+2+ln > room {
			// A message does not end on the blank line between paragraphs.
			out = append(out, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
			n = 0
		}
		if n == 0 && l == "" {
			continue // nor does one start on it
		}
		if n > 0 {
			cur.WriteString(seps[i])
			n += utf8.RuneCountInString(seps[i])
		}
		cur.WriteString(l)
		n += ln
	}
	return append(out, cur.String())
}

// step moves the state by one message. Its only side effect outside the
// state is filing a case, which is idempotent per message.
func (e *Engine) step(ctx context.Context, t *turn, loaded Loaded) error {
	now := e.now()
	if t.officer != nil {
		return e.staffStep(ctx, t, loaded, *t.officer)
	}
	if loaded.State == nil {
		return e.greet(ctx, t, loaded, now)
	}
	t.st = *loaded.State
	if t.st.Lang == "" {
		t.st.Lang = locales.DefaultLang
	}
	idle := now.Sub(t.st.UpdatedAt)
	t.st.UpdatedAt = now
	// Only the message right after an answer may add to it.
	replied := t.st.Replied
	t.st.Replied = ""
	if t.st.Handover != 0 || t.st.HandoverRate != 0 {
		// Talking to a person, or asked to rate it (handover.go).
		if done, err := e.handoverTurn(ctx, t); done || err != nil {
			return err
		}
	}
	if t.st.Awaiting != "" {
		// An officer asked something since the citizen last wrote: the
		// question is what they see now, so it is where their message lands.
		if err := e.questionArrived(ctx, t); err != nil {
			return err
		}
	}

	switch t.in.Kind {
	case KindChoice:
		if t.in.Payload == menuPayload {
			e.toMenu(t)
			e.prompt(t)
			return nil
		}
	case KindUnsupported:
		if t.in.Phone != "" {
			return e.linkPhone(ctx, t)
		}
		if e.filesAnswerQuestion(t) {
			return e.answerPending(ctx, t)
		}
		if e.followsAnswer(t, replied, idle) {
			return e.answerQuestion(ctx, t, replied)
		}
		if k := stepOf(t.st.Step); k.files == nil || !k.files(e, t) {
			if k.menu {
				// At a menu, files may be the documents a filed case misses.
				if done, err := e.lateDocuments(ctx, t); done || err != nil {
					return err
				}
			}
			e.unsupported(t)
			return nil
		}
	case KindText:
		if t.text == "" {
			t.say(e.tr(t, "input.empty", nil))
			e.prompt(t)
			return nil
		}
		if utf8.RuneCountInString(t.text) > MaxTextRunes {
			t.say(e.tr(t, "input.too_long", map[string]string{"max": strconv.Itoa(MaxTextRunes)}))
			e.prompt(t)
			return nil
		}
		if done, err := e.globalWord(ctx, t); done || err != nil {
			return err
		}
	}

	if t.st.Survey != "" && e.surveys != nil && !isQuestionStep(t.st.Step) {
		if handled, err := e.onSurvey(ctx, t); handled || err != nil {
			return err
		}
	}

	if t.st.Draft != "" && idle > e.catalog.Office.ResumeAfter && stepOf(t.st.Step).draft {
		// The citizen went away mid-form; their message may not be an answer
		// to a question they no longer see, so ask first.
		t.st.Step = StepResume
		t.st.Retries = 0
		e.prompt(t)
		return nil
	}

	if k, ok := steps[t.st.Step]; !ok || k.handle == nil {
		// A step no citizen answers (an officer's, a step of an older
		// version): back to the menu.
		t.st.Step = StepMenu
	}
	return steps[t.st.Step].handle(e, ctx, t)
}
