package conversation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
	Cases   CaseStore
	// Media stores photos and documents citizens send; nil refuses them.
	Media   MediaStore
	Desk    CaseDesk        // staff follow-up and status checks
	Surveys SurveyDesk      // nil: no satisfaction survey
	Privacy PrivacyDesk     // nil: no consent records nor deletion requests
	Staff   *services.Staff // nil: nobody is staff
	// Notifier delivers staff notifications and citizens' updates; nil
	// drops them (a bot with no staff configured).
	Notifier Notifier
	Now      func() time.Time // defaults to time.Now
	Log      *slog.Logger     // defaults to slog.Default()
}

// Engine walks citizens through menus and forms. It is safe for concurrent
// use: all per-chat state lives in the StateStore.
type Engine struct {
	catalog  *services.Catalog
	texts    *locales.Bundle
	states   StateStore
	cases    CaseStore
	desk     CaseDesk
	media    MediaStore
	surveys  SurveyDesk
	privacy  PrivacyDesk
	staff    *services.Staff
	notifier Notifier
	now      func() time.Time
	log      *slog.Logger
	calendar services.Calendar
	vocab    services.Vocabulary
	words    map[string]map[string]bool // global word lists: menu, cancel, help, thanks
	edit     []string
	cont     []string
	staffCmd map[string]string // typed word -> staff command
	// menuWords are the words that pick a main-menu item, by item
	// (words.menu_items.<item> in every locale).
	menuWords map[string][]string
	stopWords []string // words that stop the survey
	// unreachableUnits remembers the units already warned about.
	unreachableUnits sync.Map
}

// New builds an Engine and checks that every locale key the engine and the
// catalog refer to exists, so a missing text fails start-up, not a citizen.
func New(cfg Config) (*Engine, error) {
	if cfg.Catalog == nil || cfg.Texts == nil || cfg.States == nil || cfg.Cases == nil || cfg.Desk == nil {
		return nil, errors.New("conversation engine needs a catalog, texts, a state store, a case store and a case desk")
	}
	if err := CheckTexts(cfg.Catalog, cfg.Texts); err != nil {
		return nil, err
	}
	e := &Engine{
		catalog:  cfg.Catalog,
		texts:    cfg.Texts,
		states:   cfg.States,
		cases:    cfg.Cases,
		desk:     cfg.Desk,
		media:    cfg.Media,
		surveys:  cfg.Surveys,
		privacy:  cfg.Privacy,
		staff:    cfg.Staff,
		notifier: cfg.Notifier,
		now:      cfg.Now,
		log:      cfg.Log,
		calendar: services.NewCalendar(cfg.Catalog.Office),
		vocab:    vocabulary(cfg.Texts),
		words:    map[string]map[string]bool{},
		edit:     cfg.Texts.Words("edit"),
		cont:     cfg.Texts.Words("continue"),
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.staff == nil {
		e.staff = &services.Staff{UnitGroups: map[string]string{}}
	}
	if e.notifier == nil {
		e.notifier = noNotifier{}
	}
	e.menuWords = cfg.Texts.WordGroups("menu_items")
	e.stopWords = cfg.Texts.Words("stop")
	e.staffCmd = map[string]string{}
	for _, cmd := range staffCommands {
		for _, w := range cfg.Texts.Words("staff." + cmd) {
			e.staffCmd[normalize(w)] = cmd
		}
	}
	for _, list := range globalWords {
		e.words[list] = map[string]bool{}
		for _, w := range cfg.Texts.Words(list) {
			e.words[list][normalize(w)] = true
		}
	}
	return e, nil
}

// globalWords are the word lists that work at every step.
var globalWords = []string{"menu", "cancel", "help", "thanks", "status", "language", "mydata", "erase"}

// CheckTexts reports every text and word list the engine and the catalog
// need that the default language lacks, one error each ("the bot: missing
// locale key "menu.title""), so a broken locale fails start-up and the
// check command, never a citizen.
func CheckTexts(c *services.Catalog, texts *locales.Bundle) error {
	var problems []error
	for _, key := range texts.Missing(append(slices.Clone(engineKeys), surveyKeys()...)) {
		problems = append(problems, fmt.Errorf("the bot: missing locale key %q", key))
	}
	if err := c.CheckKeys(texts.Has); err != nil {
		problems = append(problems, err)
	}
	for _, list := range globalWords {
		if len(texts.Words(list)) == 0 {
			problems = append(problems, fmt.Errorf("the words citizens type: missing locale key %q", "words."+list))
		}
	}
	for _, cmd := range staffCommands {
		if len(texts.Words("staff."+cmd)) == 0 {
			problems = append(problems, fmt.Errorf("the staff commands: missing locale key %q", "words.staff."+cmd))
		}
	}
	return errors.Join(problems...)
}

// vocabulary gathers the words the field parsers understand from every locale.
func vocabulary(texts *locales.Bundle) services.Vocabulary {
	v := services.Vocabulary{
		Yes:     texts.Words("yes"),
		No:      texts.Words("no"),
		Months:  map[string]int{},
		Numbers: map[string]int{},
	}
	for group, target := range map[string]map[string]int{"months": v.Months, "numbers": v.Numbers} {
		for num, list := range texts.WordGroups(group) {
			n, err := strconv.Atoi(num)
			if err != nil {
				continue // a non-numeric key is not a number word; CheckLocales reports it
			}
			for _, w := range list {
				target[w] = n
			}
		}
	}
	return v.Normalized()
}

// Handle answers one inbound message: it loads the chat's state, takes one
// step, and commits the new state. Replies are returned only when the commit
// succeeded, so a duplicate delivery sends nothing twice. A wrong answer is
// not an error; an error means the message was not handled and may be
// retried.
func (e *Engine) Handle(ctx context.Context, in Inbound) ([]Reply, error) {
	gate, gated := e.states.(ChatGate)
	if _, staff := e.staff.ByIdentity(in.Chat.Channel, in.SenderID); staff {
		// Officers work through many cases in a row: the citizens' rate
		// limit is not for them.
		gated = false
	}
	busySince := time.Time{}
	for attempt := 0; attempt < maxAttempts; {
		var (
			loaded Loaded
			lease  ChatLease
			err    error
		)
		if gated {
			var begun Begun
			begun, lease, err = gate.Begin(ctx, in.Chat, in.MessageID, in.SenderID, e.now())
			if err != nil {
				return nil, fmt.Errorf("begin message of %s: %w", in.Chat, err)
			}
			switch {
			case begun.Duplicate:
				if in.Redelivered {
					return e.answerAgain(ctx, in)
				}
				return nil, nil
			case begun.Limited:
				// Past the sender's rate: one polite notice a minute, and
				// no work at all for the rest.
				if begun.NoticeDue {
					return []Reply{{Text: e.texts.T(locales.DefaultLang, "input.rate_limited", nil)}}, nil
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
				if err := sleepCtx(ctx, busyPause); err != nil {
					return nil, err
				}
				continue
			}
			loaded = begun.Loaded
		} else {
			loaded, err = e.states.Load(ctx, in.Chat, in.MessageID)
			if err != nil {
				return nil, fmt.Errorf("load state of %s: %w", in.Chat, err)
			}
			if loaded.Duplicate {
				if in.Redelivered {
					return e.answerAgain(ctx, in)
				}
				e.log.Debug("duplicate message ignored", "chat", in.Chat.String(), "message", in.MessageID)
				return nil, nil
			}
		}
		attempt++
		t := e.newTurn(in)
		if err := e.step(ctx, t, loaded); err != nil {
			if gated {
				err = errors.Join(err, gate.Release(context.WithoutCancel(ctx), lease))
			}
			return nil, err
		}
		t.st.Last, t.st.Ticket = in.MessageID, t.ticket
		if gated {
			err = gate.CommitWithLease(ctx, t.st, in.MessageID, e.catalog.Office.DraftTTL, lease)
		} else {
			err = e.states.Commit(ctx, t.st, in.MessageID, e.catalog.Office.DraftTTL)
		}
		switch {
		case errors.Is(err, ErrDuplicate):
			return nil, nil
		case errors.Is(err, ErrConflict):
			continue
		case err != nil:
			return nil, fmt.Errorf("commit state of %s: %w", in.Chat, err)
		}
		e.notifyAll(ctx, t.out)
		return t.replies(), nil
	}
	return nil, fmt.Errorf("handle message of %s: state changed under it %d times", in.Chat, maxAttempts)
}

// answerAgain answers a message delivered again after the process that
// handled it may have stopped before its answer went out. When the chat's
// state is still the one that message left, the citizen is told so, given
// the ticket that message filed if any, and asked the question they are at;
// when a later message was answered since, the citizen has seen what came
// after and nothing is sent. Staff commands are not answered again: they
// are short, and an officer sees the outcome in the case list.
func (e *Engine) answerAgain(ctx context.Context, in Inbound) ([]Reply, error) {
	if _, staff := e.staff.ByIdentity(in.Chat.Channel, in.SenderID); staff {
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
	e.log.Info("redelivered message answered again", "channel", in.Chat.Channel, "chat", maskChat(in.Chat.ChatID))
	return t.replies(), nil
}

// How long a message waits for its chat held by another process, and how
// often it looks again.
const (
	busyWait  = 10 * time.Second
	busyPause = 20 * time.Millisecond
)

func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// turn is one message being handled: the state it moves and the text it
// gathers. Paragraphs said during a turn are sent as one message together
// with the question that ends it.
type turn struct {
	in      Inbound
	st      State
	text    string // the citizen's text, cleaned (KindText)
	paras   []string
	options []Option
	out     []outgoing // notifications to other chats, sent after commit
	ticket  string     // ticket of the case this message filed, if any
}

func (e *Engine) newTurn(in Inbound) *turn {
	t := &turn{in: in}
	if in.Kind == KindText {
		t.text = strings.TrimSpace(strings.ToValidUTF8(in.Text, ""))
	}
	return t
}

func (t *turn) say(text string) { t.paras = append(t.paras, text) }

func (t *turn) replies() []Reply {
	if len(t.paras) == 0 {
		return nil
	}
	return []Reply{{Text: strings.Join(t.paras, "\n\n"), Options: t.options}}
}

// tr translates key into the chat's language.
func (e *Engine) tr(t *turn, key string, args map[string]string) string {
	return e.texts.T(t.st.Lang, key, args)
}

// step moves the state by one message. Its only side effect outside the
// state is filing a case, which is idempotent per message.
func (e *Engine) step(ctx context.Context, t *turn, loaded Loaded) error {
	now := e.now()
	if officer, ok := e.staff.ByIdentity(t.in.Chat.Channel, t.in.SenderID); ok {
		return e.staffStep(ctx, t, loaded, officer)
	}
	if loaded.State == nil {
		// A new conversation: the language the citizen chose once is kept
		// with them, beyond any conversation state.
		lang, err := e.desk.CitizenLang(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
		if err != nil {
			// A greeting in the default language beats no greeting while
			// the database is unreachable.
			e.log.Warn("citizen's language unknown; greeting in the default one", "channel", t.in.Chat.Channel, "chat", maskChat(t.in.Chat.ChatID), "err", err)
			lang = locales.DefaultLang
		}
		if !e.hasLang(lang) {
			lang = locales.DefaultLang
		}
		t.st = State{Chat: t.in.Chat, Step: StepMenu, Lang: lang, UpdatedAt: now}
		if loaded.ExpiredDraft != "" {
			t.say(e.tr(t, "form.expired", map[string]string{
				"service": e.serviceName(t, loaded.ExpiredDraft),
				"hours":   strconv.Itoa(int(e.catalog.Office.DraftTTL.Hours())),
			}))
		} else {
			t.say(e.tr(t, "greeting", e.officeArgs()))
		}
		// A first message that already says what the citizen wants ("2",
		// "sktm", "ktp", a ticket, "cek status") is answered right away,
		// after the greeting.
		if t.in.Kind == KindText {
			t.text = strings.TrimSpace(strings.ToValidUTF8(t.in.Text, ""))
			word := normalize(t.text)
			if e.words["status"][word] || e.words["language"][word] {
				_, err := e.globalWord(ctx, t)
				return err
			}
			if e.menuUnderstands(t) {
				return e.onMenu(ctx, t)
			}
		}
		e.prompt(t)
		return nil
	}
	t.st = *loaded.State
	if t.st.Lang == "" {
		t.st.Lang = locales.DefaultLang
	}
	idle := now.Sub(t.st.UpdatedAt)
	t.st.UpdatedAt = now

	switch t.in.Kind {
	case KindChoice:
		if t.in.Payload == menuPayload {
			e.toMenu(t)
			e.prompt(t)
			return nil
		}
	case KindUnsupported:
		if !e.readsFiles(t) {
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

	if t.st.Awaiting != "" && t.in.Kind == KindText {
		return e.answerQuestion(ctx, t)
	}
	if t.st.Survey != "" && e.surveys != nil {
		if handled, err := e.onSurvey(ctx, t); handled || err != nil {
			return err
		}
	}

	if t.st.Draft != "" && idle > e.catalog.Office.ResumeAfter &&
		(t.st.Step == StepForm || t.st.Step == StepConfirm || t.st.Step == StepEdit) {
		// The citizen went away mid-form; their message may not be an answer
		// to a question they no longer see, so ask first.
		t.st.Step = StepResume
		t.st.Retries = 0
		e.prompt(t)
		return nil
	}

	switch t.st.Step {
	case StepInfoList:
		return e.onInfoList(t)
	case StepInfo:
		return e.onInfo(ctx, t)
	case StepExternal:
		return e.onExternal(t)
	case StepPick:
		return e.onPick(ctx, t)
	case StepForm:
		return e.onForm(ctx, t)
	case StepConfirm:
		return e.onConfirm(ctx, t)
	case StepEdit:
		return e.onEdit(t)
	case StepResume:
		return e.onResume(ctx, t)
	case StepSameMatter:
		return e.onSameMatter(ctx, t)
	case StepStatus:
		return e.onStatus(ctx, t)
	case StepLanguage:
		return e.onLanguage(ctx, t)
	case StepConsent:
		return e.onConsent(ctx, t)
	default:
		t.st.Step = StepMenu
		return e.onMenu(ctx, t)
	}
}

// globalWord handles the words that work at every step. It reports whether
// the message was one of them.
func (e *Engine) globalWord(ctx context.Context, t *turn) (bool, error) {
	word := normalize(t.text)
	switch {
	case e.words["menu"][word]:
		t.st.Survey = "" // answers so far stay, as a partial survey
		e.toMenu(t)
		e.prompt(t)
	case e.words["cancel"][word]:
		if t.st.Survey != "" {
			t.st.Survey = ""
			t.say(e.tr(t, "survey.stopped", nil))
			e.afterSurvey(t)
			return true, nil
		}
		if t.st.Draft != "" {
			t.say(e.tr(t, "form.cancelled", map[string]string{"service": e.serviceName(t, t.st.Draft)}))
			e.dropDraft(t)
		} else {
			t.say(e.tr(t, "form.nothing_to_cancel", nil))
		}
		e.toMenu(t)
		e.prompt(t)
	case e.words["help"][word]:
		t.say(e.tr(t, helpKey(t.st.Step), map[string]string{"hours": strconv.Itoa(int(e.catalog.Office.DraftTTL.Hours()))}))
		e.prompt(t)
	case e.words["erase"][word]:
		return true, e.eraseMe(ctx, t)
	case e.words["mydata"][word]:
		return true, e.showMyData(ctx, t)
	case e.words["language"][word]:
		t.st.Step = StepLanguage
		t.st.Retries = 0
		e.prompt(t)
	case e.words["status"][word] && t.st.Step != StepForm:
		return true, e.showStatusList(ctx, t)
	case e.words["thanks"][word] && t.st.Step != StepForm:
		t.say(e.tr(t, "input.thanks", nil))
		e.prompt(t)
	default:
		return false, nil
	}
	return true, nil
}

func helpKey(s Step) string {
	switch s {
	case StepMenu, StepResume:
		return "help.menu"
	case StepForm:
		return "help.form"
	case StepConfirm:
		return "help.confirm"
	default:
		return "help.list"
	}
}

func (e *Engine) toMenu(t *turn) {
	t.st.Step = StepMenu
	t.st.Editing = false
	t.st.Retries = 0
	t.st.Showing = ""
}

func (e *Engine) dropDraft(t *turn) {
	t.st.Files = nil
	t.st.Matter = ""
	t.st.Draft = ""
	t.st.Service = ""
	t.st.Field = 0
	t.st.Data = nil
	t.st.Editing = false
}

// choose resolves the citizen's pick among choices offered under scope. When
// nothing matches it answers the citizen itself (unknownKey, then the
// question again) and returns ok false.
func (e *Engine) choose(t *turn, scope string, choices []services.Choice, unknownKey string) (string, bool) {
	switch t.in.Kind {
	case KindChoice:
		gotScope, value, _ := strings.Cut(t.in.Payload, "|")
		if gotScope == scope {
			for _, c := range choices {
				if c.Value == value {
					return value, true
				}
			}
		}
		t.say(e.tr(t, "input.old_button", nil))
		e.prompt(t)
		return "", false
	case KindText:
		if i, ok := services.MatchChoice(t.text, choices, e.vocab); ok {
			return choices[i].Value, true
		}
	}
	e.wrong(t, e.tr(t, unknownKey, nil))
	return "", false
}

// wrong answers a wrong answer: the hint, the menu offer after too many in a
// row, and the same question again.
func (e *Engine) wrong(t *turn, hint string) {
	t.st.Retries++
	t.say(hint)
	// At the menu itself, pointing to the menu would be no help.
	tooMany := t.st.Retries >= e.catalog.Office.MaxRetries && t.st.Step != StepMenu
	if tooMany {
		t.say(e.tr(t, "form.too_many_errors", nil))
	}
	e.prompt(t)
	if tooMany && !offersMenu(t.options) {
		t.options = append(t.options, Option{Label: e.tr(t, "menu.back", nil), Payload: menuPayload})
	}
}

// offersMenu reports whether options already lead to the main menu.
func offersMenu(options []Option) bool {
	for _, o := range options {
		if strings.HasSuffix(o.Payload, "|menu") {
			return true
		}
	}
	return false
}

// menuPayload is the payload of the "main menu" button offered at any step;
// it is accepted whatever the current step.
const menuPayload = "go|menu"

func (e *Engine) onMenu(ctx context.Context, t *turn) error {
	if ticket, ok := services.NormalizeTicket(t.text); ok && t.in.Kind == KindText {
		return e.showTimeline(ctx, t, ticket)
	}
	value, ok := e.chooseOrKeyword(t, "menu", e.menuChoices(t), "input.unknown_choice")
	if !ok {
		return nil
	}
	t.st.Retries = 0
	switch value {
	case "info":
		t.st.Step = StepInfoList
	case "request":
		t.st.Step = StepPick
	case "external":
		t.st.Step = StepExternal
	case "status":
		return e.showStatusList(ctx, t)
	case "office":
		t.say(e.tr(t, "office", e.officeArgs()))
	case "resume":
		e.resumeDraft(t)
	default:
		if code, ok := strings.CutPrefix(value, "c:"); ok {
			return e.startForm(ctx, t, code)
		}
	}
	e.prompt(t)
	return nil
}

func (e *Engine) onLanguage(ctx context.Context, t *turn) error {
	lang, ok := e.choose(t, "lang", e.languageChoices(), "input.unknown_choice")
	if !ok {
		return nil
	}
	if err := e.desk.SetCitizenLang(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, lang); err != nil {
		return fmt.Errorf("store language of %s: %w", t.in.Chat, err)
	}
	t.st.Lang = lang
	t.say(e.tr(t, "language.changed", nil))
	if t.st.Draft != "" {
		e.resumeDraft(t)
	} else {
		e.toMenu(t)
	}
	e.prompt(t)
	return nil
}

// languageChoices offers every loaded language under its own name, so a
// citizen finds theirs whatever the chat's current language.
func (e *Engine) languageChoices() []services.Choice {
	var out []services.Choice
	langs := []string{locales.DefaultLang}
	for _, lang := range e.texts.Langs() {
		if lang != locales.DefaultLang {
			langs = append(langs, lang)
		}
	}
	for _, lang := range langs {
		out = append(out, services.Choice{Value: lang, Label: e.texts.T(lang, "language.name", nil), Keywords: []string{lang}})
	}
	return out
}

func (e *Engine) hasLang(lang string) bool {
	for _, l := range e.texts.Langs() {
		if l == lang {
			return true
		}
	}
	return false
}

// menuUnderstands reports whether typed text means something at the main
// menu: a choice, a service or redirect keyword, or a ticket number.
func (e *Engine) menuUnderstands(t *turn) bool {
	if utf8.RuneCountInString(t.text) > MaxTextRunes {
		return false
	}
	if _, ok := services.NormalizeTicket(t.text); ok {
		return true
	}
	if _, ok := services.MatchChoice(t.text, e.menuChoices(t), e.vocab); ok {
		return true
	}
	if _, ok := e.matchRedirect(t); ok {
		return true
	}
	_, ok := services.MatchChoice(t.text, e.serviceChoices(t), e.vocab)
	return ok
}

// chooseOrKeyword is choose for the menus where a citizen may also type a
// service's or a redirect's name directly ("sktm", "ktp"): a service shows
// its standard, a redirect its explanation.
func (e *Engine) chooseOrKeyword(t *turn, scope string, choices []services.Choice, unknownKey string) (string, bool) {
	if t.in.Kind == KindText {
		if _, ok := services.MatchChoice(t.text, choices, e.vocab); !ok {
			if code, ok := e.matchRedirect(t); ok {
				e.showRedirect(t, code)
				return "", false
			}
			if i, ok := services.MatchChoice(t.text, e.serviceChoices(t), e.vocab); ok && t.st.Step == StepMenu {
				t.st.Showing = e.catalog.Services[i].Code
				t.st.Step = StepInfo
				e.prompt(t)
				return "", false
			}
		}
	}
	return e.choose(t, scope, choices, unknownKey)
}

func (e *Engine) matchRedirect(t *turn) (string, bool) {
	choices := e.redirectChoices(t)
	if i, ok := services.MatchChoice(t.text, choices, e.vocab); ok {
		return choices[i].Value, true
	}
	return "", false
}

func (e *Engine) showRedirect(t *turn, code string) {
	t.say(e.tr(t, "redirect."+code+".name", nil) + "\n" + e.tr(t, "redirect."+code+".text", nil))
	e.toMenu(t)
	e.prompt(t)
}

func (e *Engine) onInfoList(t *turn) error {
	value, ok := e.chooseOrKeyword(t, "info", e.withBack(t, e.serviceChoices(t)), "input.unknown_choice")
	if !ok {
		return nil
	}
	if value == "menu" {
		e.toMenu(t)
	} else {
		t.st.Showing = value
		t.st.Step = StepInfo
		t.st.Retries = 0
	}
	e.prompt(t)
	return nil
}

func (e *Engine) onInfo(ctx context.Context, t *turn) error {
	value, ok := e.choose(t, "i:"+t.st.Showing, e.infoChoices(t), "input.unknown_choice")
	if !ok {
		return nil
	}
	switch value {
	case "apply":
		return e.startForm(ctx, t, t.st.Showing)
	case "list":
		t.st.Step = StepInfoList
	default:
		e.toMenu(t)
	}
	t.st.Retries = 0
	e.prompt(t)
	return nil
}

func (e *Engine) onExternal(t *turn) error {
	value, ok := e.choose(t, "x", e.withBack(t, e.redirectChoices(t)), "input.unknown_choice")
	if !ok {
		return nil
	}
	if value == "menu" {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	e.showRedirect(t, value)
	return nil
}

func (e *Engine) onPick(ctx context.Context, t *turn) error {
	value, ok := e.chooseOrKeyword(t, "pick", e.withBack(t, e.serviceChoices(t)), "input.unknown_choice")
	if !ok {
		return nil
	}
	if value == "menu" {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	return e.startForm(ctx, t, value)
}

// startForm opens the form of a service, or continues the citizen's draft of
// the same service.
func (e *Engine) startForm(ctx context.Context, t *turn, code string) error {
	svc, ok := e.catalog.Service(code)
	if !ok {
		return fmt.Errorf("start form: service %q is not in the catalog", code)
	}
	t.st.Retries = 0
	t.st.Showing = ""
	if t.st.Draft == code {
		e.resumeDraft(t)
		e.prompt(t)
		return nil
	}
	if t.st.Draft != "" {
		t.say(e.tr(t, "form.switched", map[string]string{"old": e.serviceName(t, t.st.Draft)}))
	}
	t.st.Service, t.st.Draft = code, code
	t.st.Field, t.st.Data, t.st.Editing = 0, map[string]string{}, false
	t.st.Step = StepForm
	if need, err := e.needsConsent(ctx, t, svc); err != nil {
		return err
	} else if need {
		t.st.Step = StepConsent
	}
	t.st.Files = nil
	if svc.Kind == services.KindComplaint {
		t.say(e.tr(t, "complaint_flow.intro", map[string]string{
			"service": e.serviceName(t, code), "intro": e.tr(t, "service."+code+".intro", nil),
		}))
	} else {
		t.say(e.tr(t, "form.intro", map[string]string{
			"service": e.serviceName(t, code),
			"count":   strconv.Itoa(len(svc.Form)),
			"office":  e.catalog.Office.Name,
		}))
	}
	e.prompt(t)
	return nil
}

// resumeDraft puts the citizen back at the question their draft stopped at.
func (e *Engine) resumeDraft(t *turn) {
	svc, _ := e.catalog.Service(t.st.Draft)
	t.st.Service = t.st.Draft
	t.st.Editing = false
	t.st.Retries = 0
	if t.st.Field >= len(svc.Form) {
		t.st.Step = StepConfirm
	} else {
		t.st.Step = StepForm
	}
}

func (e *Engine) onForm(ctx context.Context, t *turn) error {
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok || t.st.Field < 0 || t.st.Field >= len(svc.Form) {
		// The catalog changed under a stored draft: start over politely.
		e.dropDraft(t)
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	field := svc.Form[t.st.Field]
	if t.st.Data == nil {
		t.st.Data = map[string]string{}
	}
	switch {
	case field.Type == services.FieldPhotos:
		return e.onPhotos(ctx, t, svc, field)
	case field.Type == services.FieldLocation && t.in.Location != nil:
		loc := t.in.Location
		t.st.Data[field.Name] = fmt.Sprintf("geo:%.6f,%.6f|%s", loc.Latitude, loc.Longitude, loc.Name)
		e.advance(t, svc)
		return nil
	case t.in.Kind == KindUnsupported:
		e.unsupported(t)
		return nil
	case field.Optional && t.in.Kind == KindText && e.isWord("skip", t.text):
		t.st.Data[field.Name] = ""
		e.advance(t, svc)
		return nil
	}
	input := t.text
	if t.in.Kind == KindChoice {
		gotScope, value, _ := strings.Cut(t.in.Payload, "|")
		if gotScope != e.fieldScope(t) {
			t.say(e.tr(t, "input.old_button", nil))
			e.prompt(t)
			return nil
		}
		input = value
	}
	value, problem := field.Parse(input, e.env(t))
	if problem != nil {
		e.wrong(t, e.tr(t, problem.Key, problem.Args))
		return nil
	}
	t.st.Data[field.Name] = value
	e.advance(t, svc)
	return nil
}

// advance moves the form past the answered field, and past the fields the
// answers so far make unnecessary, to the next question or the summary.
func (e *Engine) advance(t *turn, svc services.Service) {
	t.st.Retries = 0
	if t.st.Editing {
		t.st.Editing = false
		t.st.Field = len(svc.Form)
	} else {
		t.st.Field++
	}
	for t.st.Field < len(svc.Form) && svc.Form[t.st.Field].Skipped(t.st.Data) {
		t.st.Field++
	}
	if t.st.Field >= len(svc.Form) {
		// An answer changed from the summary may make another one moot (a
		// name, once the complaint is anonymous): drop it.
		for _, f := range svc.Form {
			if f.Skipped(t.st.Data) {
				delete(t.st.Data, f.Name)
			}
		}
		t.st.Step = StepConfirm
	}
	e.prompt(t)
}

// unsupported answers a message the current step cannot read.
func (e *Engine) unsupported(t *turn) {
	media := "media." + t.in.Media
	if !e.texts.Has(media) {
		media = "media.other"
	}
	t.say(e.tr(t, "input.unsupported", map[string]string{"media": e.tr(t, media, nil)}))
	e.prompt(t)
}

// readsFiles reports whether the current question takes photos, documents
// or a shared location rather than text.
func (e *Engine) readsFiles(t *turn) bool {
	if t.st.Step != StepForm {
		return false
	}
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok || t.st.Field < 0 || t.st.Field >= len(svc.Form) {
		return false
	}
	typ := svc.Form[t.st.Field].Type
	return typ == services.FieldPhotos || (typ == services.FieldLocation && t.in.Location != nil)
}

// isWord reports whether text is one of the words of the list words.<list>.
func (e *Engine) isWord(list, text string) bool {
	for _, w := range e.texts.Words(list) {
		if normalize(w) == normalize(text) {
			return true
		}
	}
	return false
}

func (e *Engine) onConfirm(ctx context.Context, t *turn) error {
	value, ok := e.choose(t, "c:"+t.st.Service, e.confirmChoices(t), "form.confirm_unknown")
	if !ok {
		return nil
	}
	switch value {
	case "yes":
		return e.submit(ctx, t)
	case "edit":
		t.st.Step = StepEdit
		t.st.Retries = 0
	default:
		t.say(e.tr(t, "form.cancelled", map[string]string{"service": e.serviceName(t, t.st.Service)}))
		e.dropDraft(t)
		e.toMenu(t)
	}
	e.prompt(t)
	return nil
}

func (e *Engine) submit(ctx context.Context, t *turn) error {
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok {
		return fmt.Errorf("submit: service %q is not in the catalog", t.st.Service)
	}
	if svc.Kind == services.KindComplaint {
		return e.submitComplaint(ctx, t, svc)
	}
	now := e.now()
	c := services.NewCase{
		Kind:          services.KindRequest,
		ServiceCode:   svc.Code,
		Unit:          svc.Unit,
		Channel:       t.in.Chat.Channel,
		ChatID:        t.in.Chat.ChatID,
		CitizenName:   t.st.Data["nama"],
		VillageCode:   t.st.Data["desa"],
		Form:          t.st.Data,
		SourceMessage: t.in.Chat.String() + ":" + t.in.MessageID,
		SubmittedAt:   now,
		DueAt:         e.calendar.DueDate(now, svc.Days),
	}
	receipt, err := e.cases.SubmitCase(ctx, c)
	if err != nil {
		return fmt.Errorf("submit %s case of %s: %w", svc.Code, t.in.Chat, err)
	}
	e.log.Info("case submitted", "channel", t.in.Chat.Channel, "chat", maskChat(t.in.Chat.ChatID), "ticket", receipt.Ticket, "service", svc.Code)
	t.ticket = receipt.Ticket
	e.notifyNewCase(t, svc, c, receipt)
	t.say(e.tr(t, "form.submitted", map[string]string{
		"service": e.serviceName(t, svc.Code),
		"ticket":  receipt.Ticket,
		"due":     e.formatDate(t, receipt.DueAt),
		"days":    strconv.Itoa(svc.Days),
		"unit":    e.tr(t, "unit."+svc.Unit, nil),
	}))
	e.dropDraft(t)
	e.toMenu(t)
	e.prompt(t)
	return nil
}

func (e *Engine) onEdit(t *turn) error {
	value, ok := e.choose(t, "e:"+t.st.Service, e.editChoices(t), "input.unknown_choice")
	if !ok {
		return nil
	}
	i, err := strconv.Atoi(value)
	if err != nil {
		return fmt.Errorf("edit choice %q is not a field index: %w", value, err)
	}
	t.st.Field = i
	t.st.Editing = true
	t.st.Step = StepForm
	t.st.Retries = 0
	e.prompt(t)
	return nil
}

func (e *Engine) onResume(ctx context.Context, t *turn) error {
	if t.in.Kind == KindText {
		if _, ok := services.MatchChoice(t.text, e.resumeChoices(t), e.vocab); !ok {
			// Anything but "continue" or "menu" is taken as the answer to
			// the question the reminder named: the citizen has seen it.
			e.resumeDraft(t)
			if t.st.Step == StepConfirm {
				return e.onConfirm(ctx, t)
			}
			return e.onForm(ctx, t)
		}
	}
	value, ok := e.choose(t, "r", e.resumeChoices(t), "input.unknown_choice")
	if !ok {
		return nil
	}
	if value == "continue" {
		e.resumeDraft(t)
	} else {
		e.toMenu(t)
	}
	e.prompt(t)
	return nil
}

// env is what the field parsers need, in the chat's language.
func (e *Engine) env(t *turn) services.Env {
	return services.Env{
		Villages: e.catalog.Villages,
		Vocab:    e.vocab,
		Today:    e.now().In(e.catalog.Office.Location),
		Label:    func(key string) string { return e.tr(t, key, nil) },
	}
}

func (e *Engine) fieldScope(t *turn) string {
	return "f:" + t.st.Service + ":" + strconv.Itoa(t.st.Field)
}

func (e *Engine) serviceName(t *turn, code string) string {
	return e.tr(t, "service."+code+".name", nil)
}

func (e *Engine) officeArgs() map[string]string {
	o := e.catalog.Office
	return map[string]string{
		"office": o.Name, "regency": o.Regency, "address": o.Address, "phone": o.Phone,
		"open": o.Hours.Open, "close": o.Hours.Close,
	}
}

func (e *Engine) formatDate(t *turn, d time.Time) string {
	return e.formatDateIn(t.st.Lang, d)
}

// formatDateIn writes a date the way people of lang read it ("17 Agustus 2026").
func (e *Engine) formatDateIn(lang string, d time.Time) string {
	d = d.In(e.catalog.Office.Location)
	return e.texts.T(lang, "date.format", map[string]string{
		"day":   strconv.Itoa(d.Day()),
		"month": e.texts.T(lang, "date.month."+strconv.Itoa(int(d.Month())), nil),
		"year":  strconv.Itoa(d.Year()),
	})
}

// notifyNewCase tells the handling unit about a new case, NIK masked.
func (e *Engine) notifyNewCase(t *turn, svc services.Service, c services.NewCase, r services.Receipt) {
	lang := e.staffLang()
	village := c.VillageCode
	if v, ok := e.catalog.Village(c.VillageCode); ok {
		village = v.Name
	}
	text := e.texts.T(lang, "staff.new_case", map[string]string{
		"ticket": r.Ticket, "service": e.texts.T(lang, "service."+svc.Code+".name", nil),
		"village": village, "due": e.formatDateIn(lang, r.DueAt), "nik": services.MaskID(c.Form["nik"]),
		"name": c.CitizenName,
	})
	for _, to := range e.unitTargets(svc.Unit) {
		t.out = append(t.out, outgoing{to: to, reply: Reply{Text: text}})
	}
}

// normalize folds a typed word for comparison with word lists.
func normalize(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.TrimSpace(s))), " ")
}
