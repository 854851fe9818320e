package conversation

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// The main menu, and the language picker any step leads to.
const (
	StepMenu     Step = "menu"     // main menu shown
	StepLanguage Step = "language" // choosing the chat's language
)

func init() {
	register(StepMenu, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "menu.title", nil) },
		scope:    fixedScope("menu"),
		choices:  (*Engine).menuChoices,
		handle:   (*Engine).onMenu,
		help:     "help.menu",
		menu:     true,
	})
	register(StepLanguage, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "language.pick", nil) },
		scope:    fixedScope("lang"),
		choices:  func(e *Engine, _ *turn) []services.Choice { return e.languageChoices() },
		handle:   (*Engine).onLanguage,
	})
}

// greet starts a new conversation: a greeting answered in kind, the
// welcome (or the news that a draft expired) and the menu, or at once the
// answer to a first message that already says what the citizen wants
// ("2", "sktm", "mau buat sktm", "ktp saya hilang", a ticket, "cek
// status"), after a shorter welcome.
func (e *Engine) greet(ctx context.Context, t *turn, loaded Loaded, now time.Time) error {
	// The language the citizen chose once is kept with them, beyond any
	// conversation state.
	lang, err := e.desk.CitizenLang(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil {
		// A greeting in the default language beats no greeting while
		// the database is unreachable.
		e.log.Warn("citizen's language unknown; greeting in the default one", "channel", t.in.Chat.Channel, "chat", services.MaskID(t.in.Chat.ChatID), "err", err)
		lang = locales.DefaultLang
	}
	if !e.hasLang(lang) {
		lang = locales.DefaultLang
	}
	t.st = State{Chat: t.in.Chat, Step: StepMenu, Lang: lang, UpdatedAt: now}
	if loaded.Lost {
		// The message answers a question whose form is gone: say so, and
		// take it for nothing else.
		t.say(e.tr(t, "form.lost", nil))
		e.prompt(t)
		return nil
	}
	welcome := func(short bool) {
		switch {
		case loaded.ExpiredDraft != "":
			t.say(e.tr(t, "form.expired", map[string]string{
				"service": e.serviceName(t, loaded.ExpiredDraft),
				"hours":   strconv.Itoa(int(e.catalog.Office.DraftTTL.Hours())),
			}))
		case short:
			t.say(e.tr(t, "greeting_short", e.officeArgs()))
		default:
			t.say(e.tr(t, "greeting", e.officeArgs()))
		}
	}
	if done, err := e.lateDocuments(ctx, t); done || err != nil {
		// A photo a day later, when the chat's state has expired: the
		// documents its case still misses.
		return err
	}
	if t.in.Kind != KindText {
		welcome(false)
		e.prompt(t)
		return nil
	}
	t.text = strings.TrimSpace(strings.ToValidUTF8(t.in.Text, ""))
	if utf8.RuneCountInString(t.text) > MaxTextRunes {
		welcome(false)
		e.prompt(t)
		return nil
	}
	back, rest := e.greetingBack(t, t.text)
	if back != "" {
		t.say(back)
	}
	t.text = rest
	word := normalize(rest)
	if rest != "" {
		// "cek surat <kode>" answers itself, after the short welcome; the
		// welcome goes again when it was not one.
		said := len(t.paras)
		welcome(true)
		if done, err := e.letterWord(ctx, t); done || err != nil {
			return err
		}
		t.paras = t.paras[:said]
	}
	switch {
	case e.isWord("unsubscribe", word) && e.consult != nil:
		// "berhenti" in answer to an announcement, days after the last
		// conversation: the subscriptions end, no welcome first.
		_, err := e.unsubscribeWord(ctx, t)
		return err
	case e.words["status"][word] || e.words["language"][word] || e.namedLanguage(word) != "":
		welcome(true)
		_, err := e.globalWord(ctx, t)
		return err
	case rest == "":
	case e.menuChoice(t) || e.isLetterCode(t):
		welcome(true)
		return e.onMenu(ctx, t)
	default:
		if u := e.intents.Find(rest); u.Intent.Kind != services.NoIntent {
			welcome(true)
			_, err := e.understand(ctx, t, u)
			return err
		}
	}
	welcome(false)
	e.prompt(t)
	return nil
}

func (e *Engine) onMenu(ctx context.Context, t *turn) error {
	if e.isLetterCode(t) {
		// A school or a bank sends the code on a letter and nothing else.
		return e.answerLetter(ctx, t, t.text)
	}
	value, ok, err := e.chooseOrUnderstand(ctx, t, "input.unknown_choice")
	if !ok || err != nil {
		return err
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
	case "answer":
		e.toQuestions(t)
	case menuPerson:
		return e.startHandover(ctx, t)
	case "consult":
		return e.toConsult(ctx, t)
	default:
		if code, ok := strings.CutPrefix(value, "c:"); ok {
			return e.startForm(ctx, t, code)
		}
	}
	e.prompt(t)
	return nil
}

func (e *Engine) menuChoices(t *turn) []services.Choice {
	choices := []services.Choice{
		{Value: "info", Label: e.tr(t, "menu.info", nil), Keywords: e.menuWords["info"]},
		{Value: "request", Label: e.tr(t, "menu.request", nil), Keywords: e.menuWords["request"]},
	}
	for _, svc := range e.catalog.Services {
		if svc.Kind == services.KindComplaint {
			choices = append(choices, services.Choice{Value: "c:" + svc.Code, Label: e.serviceName(t, svc.Code), Keywords: svc.Keywords})
		}
	}
	choices = append(choices, []services.Choice{
		{Value: "status", Label: e.tr(t, "menu.status", nil)},
		{Value: "external", Label: e.tr(t, "menu.external", nil), Keywords: e.menuWords["external"]},
		{Value: "office", Label: e.tr(t, "menu.office", nil), Keywords: e.menuWords["office"]},
	}...)
	choices = append(choices, e.consultMenuChoice(t)...)
	if t.st.Draft != "" {
		choices = append(choices, services.Choice{
			Value:    "resume",
			Label:    e.tr(t, "menu.resume", map[string]string{"service": e.serviceName(t, t.st.Draft)}),
			Keywords: e.cont,
		})
	}
	if len(t.st.Questions) > 0 {
		choices = append(choices, services.Choice{Value: "answer", Label: e.questionsLabel(t)})
	}
	if e.handovers != nil {
		// Last, so the numbers citizens learned for the others stay.
		choices = append(choices, services.Choice{Value: menuPerson, Label: e.tr(t, "handover.menu", nil), Keywords: e.menuWords[menuPerson]})
	}
	return choices
}

// toMenu puts the chat back at the main menu; a draft stays for later.
func (e *Engine) toMenu(t *turn) {
	t.st.Step = StepMenu
	t.st.Editing = false
	t.st.Retries = 0
	t.st.Showing = ""
	t.st.Offered = nil
}

// menuChoice reports whether typed text picks an item of the main menu.
func (e *Engine) menuChoice(t *turn) bool {
	_, ok := services.MatchChoice(t.text, e.menuChoices(t), e.vocab)
	return ok
}

func (e *Engine) showRedirect(t *turn, code string) {
	t.say(e.tr(t, "redirect."+code+".name", nil) + "\n" + e.tr(t, "redirect."+code+".text", nil))
	e.toMenu(t)
	e.prompt(t)
}

func (e *Engine) onLanguage(ctx context.Context, t *turn) error {
	lang, ok := e.choose(t, "input.unknown_choice")
	if !ok {
		return nil
	}
	return e.setLanguage(ctx, t, lang, true)
}

// setLanguage makes lang the chat's language and says so in it. From the
// picker the citizen returns to their form or the menu; otherwise the step
// they were at is asked again, in lang.
func (e *Engine) setLanguage(ctx context.Context, t *turn, lang string, picked bool) error {
	if err := e.desk.SetCitizenLang(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, lang); err != nil {
		return fmt.Errorf("store language of %s: %w", t.in.Chat, err)
	}
	t.st.Lang = lang
	t.say(e.tr(t, "language.changed", nil))
	switch {
	case picked && t.st.Draft != "":
		e.resumeDraft(t)
	case picked:
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
		keywords := []string{lang}
		for name, l := range e.langNames {
			if l == lang {
				keywords = append(keywords, name)
			}
		}
		out = append(out, services.Choice{Value: lang, Label: e.texts.T(lang, "language.name", nil), Keywords: keywords})
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
