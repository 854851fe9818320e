package conversation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/services"
)

// Public consultations and announcements (issue #21). A citizen subscribes
// to the announcements of the kecamatan or of their village, reads and
// answers the open consultations (subscribed or not), changes their answer
// until it closes, and reads past results. "berhenti" ends every
// subscription from any step. Nobody is messaged who did not ask to be:
// announcements go to subscribers, results to those who answered.

// ConsultDesk keeps consultations, answers and subscriptions
// (pgstore.Store is one). An answer is one per person: the desk knows
// which chats are the same person.
type ConsultDesk interface {
	Subscribe(ctx context.Context, channel, chatID, scope string, at time.Time) (bool, error)
	Unsubscribe(ctx context.Context, channel, chatID string) (int, error)
	Subscriptions(ctx context.Context, channel, chatID string) ([]string, error)
	// Consultations lists those taking answers at now (open) or the
	// others, newest first.
	Consultations(ctx context.Context, open bool, now time.Time, limit int) ([]consultation.Published, error)
	Consultation(ctx context.Context, code string) (consultation.Published, error)
	// AnswerConsultation stores the person's answer, replacing theirs
	// (reported true); consultation.ErrClosed once it closed.
	AnswerConsultation(ctx context.Context, code, channel, chatID string, a consultation.Answer, at time.Time) (bool, error)
	MyAnswer(ctx context.Context, code, channel, chatID string) (consultation.Answer, bool, error)
	ConsultationResults(ctx context.Context, code string) (consultation.Published, consultation.Results, error)
	// KnownVillage is the village the citizen gave the office last, "" if
	// none.
	KnownVillage(ctx context.Context, channel, chatID string) (string, error)
}

// The steps of consultations.
const (
	StepConsult           Step = "consult"             // the consultation menu
	StepConsultSub        Step = "consult_sub"         // which announcements
	StepConsultSubVillage Step = "consult_sub_village" // the village subscribed to
	StepConsultList       Step = "consult_list"        // open consultations
	StepConsultPast       Step = "consult_past"        // past results
	StepConsultVillage    Step = "consult_village"     // the village an answer counts for
	StepConsultAnswer     Step = "consult_answer"      // the question
	StepConsultComment    Step = "consult_comment"     // the optional comment
)

// maxConsultListed bounds the consultations a list offers.
const maxConsultListed = 9

func init() {
	register(StepConsult, stepKind{
		question: func(e *Engine, t *turn) string {
			return e.tr(t, "consultation.title", map[string]string{"office": e.catalog.Office.Name})
		},
		scope:   fixedScope("kp"),
		choices: (*Engine).consultChoices,
		handle:  (*Engine).onConsult,
		menu:    true,
	})
	register(StepConsultSub, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "consultation.subscribe_ask", nil) },
		scope:    fixedScope("kps"),
		choices:  (*Engine).consultSubChoices,
		handle:   (*Engine).onConsultSub,
	})
	register(StepConsultSubVillage, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "consultation.village_ask", nil) },
		scope:    fixedScope("kpsv"),
		choices:  func(e *Engine, t *turn) []services.Choice { return e.withBack(t, e.villageChoices()) },
		handle:   (*Engine).onConsultSubVillage,
	})
	register(StepConsultList, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "consultation.list_open", nil) },
		scope:    fixedScope("kpl"),
		choices:  (*Engine).consultListChoices,
		handle:   (*Engine).onConsultList,
	})
	register(StepConsultPast, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "consultation.list_past", nil) },
		scope:    fixedScope("kpp"),
		choices:  (*Engine).consultListChoices,
		handle:   (*Engine).onConsultPast,
	})
	register(StepConsultVillage, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "consultation.village_ask", nil) },
		scope:    func(_ *Engine, t *turn) string { return "kpv:" + consultCode(t) },
		choices: func(e *Engine, t *turn) []services.Choice {
			return append(e.villageChoices(), services.Choice{Value: "-", Label: e.tr(t, "consultation.village_skip", nil)})
		},
		handle: (*Engine).onConsultVillage,
	})
	register(StepConsultAnswer, stepKind{
		question: (*Engine).consultQuestion,
		scope:    func(_ *Engine, t *turn) string { return "kpa:" + consultCode(t) },
		choices:  (*Engine).consultAnswerChoices,
		handle:   (*Engine).onConsultAnswer,
		typed:    true,
	})
	register(StepConsultComment, stepKind{
		question: func(e *Engine, t *turn) string {
			return e.tr(t, "consultation.ask_comment", map[string]string{"max": strconv.Itoa(consultation.MaxCommentRunes)})
		},
		scope: func(_ *Engine, t *turn) string { return "kpc:" + consultCode(t) },
		choices: func(e *Engine, t *turn) []services.Choice {
			return []services.Choice{{Value: "skip", Label: e.tr(t, "consultation.comment_skip", nil), Keywords: e.skipWords}}
		},
		handle: (*Engine).onConsultComment,
		typed:  true,
	})
}

// consultDraft is what State.Consult holds while a citizen answers: the
// consultation, the village the answer counts for, and whether it replaced
// an earlier answer.
type consultDraft struct {
	code, village string
	changed       bool
}

func draftOf(t *turn) consultDraft {
	parts := strings.SplitN(t.st.Consult, "|", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return consultDraft{code: parts[0], village: parts[1], changed: parts[2] == "1"}
}

func (d consultDraft) String() string {
	changed := ""
	if d.changed {
		changed = "1"
	}
	return d.code + "|" + d.village + "|" + changed
}

func consultCode(t *turn) string { return draftOf(t).code }

// messages writes results and scopes as the office's broadcasts do.
func (e *Engine) messages() consultation.Messages {
	return consultation.Messages{Texts: e.texts, Catalog: e.catalog}
}

// consultMenuChoice is the main menu's item, when consultations are on.
func (e *Engine) consultMenuChoice(t *turn) []services.Choice {
	if e.consult == nil {
		return nil
	}
	return []services.Choice{{Value: "consult", Label: e.tr(t, "menu.consult", nil), Keywords: e.menuWords["consult"]}}
}

// toConsult opens the consultation menu, saying what the chat follows.
func (e *Engine) toConsult(ctx context.Context, t *turn) error {
	scopes, err := e.consult.Subscriptions(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil {
		return fmt.Errorf("subscriptions of %s: %w", t.in.Chat, err)
	}
	if len(scopes) > 0 {
		t.say(e.tr(t, "consultation.subscribed_to", map[string]string{"scopes": e.scopeList(t, scopes)}))
	}
	e.toMenu(t)
	t.st.Step = StepConsult
	e.prompt(t)
	return nil
}

func (e *Engine) scopeList(t *turn, scopes []string) string {
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = e.messages().Scope(t.st.Lang, s)
	}
	return strings.Join(names, ", ")
}

func (e *Engine) consultChoices(t *turn) []services.Choice {
	return e.withBack(t, []services.Choice{
		{Value: "open", Label: e.tr(t, "consultation.open_item", nil)},
		{Value: "past", Label: e.tr(t, "consultation.past_item", nil)},
		{Value: "subscribe", Label: e.tr(t, "consultation.subscribe_item", nil)},
		{Value: "stop", Label: e.tr(t, "consultation.stop_item", nil)},
	})
}

func (e *Engine) onConsult(ctx context.Context, t *turn) error {
	value, ok, err := e.chooseOrUnderstand(ctx, t, "consultation.unknown")
	if !ok || err != nil {
		return err
	}
	t.st.Retries = 0
	switch value {
	case "open", "past":
		return e.listConsultations(ctx, t, value == "open")
	case "subscribe":
		t.st.Step = StepConsultSub
	case "stop":
		_, err := e.unsubscribe(ctx, t, true)
		return err
	default:
		e.toMenu(t)
	}
	e.prompt(t)
	return nil
}

// listConsultations offers the open consultations, or the past ones.
func (e *Engine) listConsultations(ctx context.Context, t *turn, open bool) error {
	list, err := e.consult.Consultations(ctx, open, e.now(), maxConsultListed)
	if err != nil {
		return fmt.Errorf("list consultations for %s: %w", t.in.Chat, err)
	}
	if len(list) == 0 {
		key := "consultation.none_past"
		if open {
			key = "consultation.none_open"
		}
		t.say(e.tr(t, key, nil))
		t.st.Step = StepConsult
		e.prompt(t)
		return nil
	}
	// The codes and titles offered stay with the chat, so the options a
	// citizen answers are the ones they saw, whatever was published since.
	t.st.Listed = t.st.Listed[:0]
	for _, p := range list {
		t.st.Listed = append(t.st.Listed, p.Code+"|"+p.Title)
	}
	t.st.Step = StepConsultPast
	if open {
		t.st.Step = StepConsultList
	}
	e.prompt(t)
	return nil
}

func (e *Engine) consultListChoices(t *turn) []services.Choice {
	var out []services.Choice
	for _, item := range t.st.Listed {
		code, title, ok := strings.Cut(item, "|")
		if ok {
			out = append(out, services.Choice{Value: code, Label: title})
		}
	}
	return append(out, services.Choice{Value: "back", Label: e.tr(t, "consultation.back", nil)})
}

// consultOf reads a consultation once per turn: the question and its
// options are asked after the handler that read it.
func (e *Engine) consultOf(ctx context.Context, t *turn, code string) (consultation.Published, error) {
	if p, ok := t.consults[code]; ok {
		return p, nil
	}
	p, err := e.consult.Consultation(ctx, code)
	if err != nil {
		return p, fmt.Errorf("read consultation %s for %s: %w", code, t.in.Chat, err)
	}
	if t.consults == nil {
		t.consults = map[string]consultation.Published{}
	}
	t.consults[code] = p
	return p, nil
}

// cachedConsult is the consultation being answered, for the question and
// options of a step. The handler of the step, or the one that led to it,
// read it in this turn; when a global word asks the step again ("bantuan")
// it is read here, bounded, since a question has no context of its own.
func (e *Engine) cachedConsult(t *turn) (consultation.Published, bool) {
	code := consultCode(t)
	if p, ok := t.consults[code]; ok {
		return p, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := e.consultOf(ctx, t, code)
	if err != nil {
		e.log.Warn("consultation not read to ask its question", "chat", t.in.Chat.String(), "err", err)
		return p, false
	}
	return p, true
}

func (e *Engine) onConsultList(ctx context.Context, t *turn) error {
	code, ok := e.choose(t, "consultation.unknown")
	if !ok {
		return nil
	}
	t.st.Retries = 0
	if code == "back" {
		t.st.Step = StepConsult
		e.prompt(t)
		return nil
	}
	p, err := e.consultOf(ctx, t, code)
	if err != nil {
		return err
	}
	if !p.OpenAt(e.now()) {
		t.say(e.tr(t, "consultation.closed", map[string]string{"title": p.Title}))
		t.st.Step = StepConsult
		e.prompt(t)
		return nil
	}
	t.say(e.tr(t, "consultation.intro", map[string]string{"title": p.Title, "background": p.Background, "closes": e.formatDateTime(t, p.Closes)}))
	d := consultDraft{code: code}
	mine, answered, err := e.consult.MyAnswer(ctx, code, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil {
		return fmt.Errorf("answer of %s to %s: %w", t.in.Chat, code, err)
	}
	if answered {
		t.say(e.tr(t, "consultation.current_answer", map[string]string{"answer": e.answerText(p, mine)}))
		d.village = mine.Village
	}
	if d.village == "" {
		if d.village, err = e.consultVillage(ctx, t); err != nil {
			return err
		}
	}
	t.st.Step = StepConsultAnswer
	if d.village == "" && !answered {
		// Asked once: the figures per village are the point of asking.
		t.st.Step = StepConsultVillage
	}
	t.st.Consult = d.String()
	e.prompt(t)
	return nil
}

// consultVillage is the village an answer counts for, from what the citizen
// already told the office: their last case, else the village whose
// announcements they follow. "" when neither says.
func (e *Engine) consultVillage(ctx context.Context, t *turn) (string, error) {
	v, err := e.consult.KnownVillage(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil || v != "" {
		return v, err
	}
	scopes, err := e.consult.Subscriptions(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil {
		return "", fmt.Errorf("subscriptions of %s: %w", t.in.Chat, err)
	}
	for _, s := range scopes {
		if s != consultation.Kecamatan {
			return s, nil
		}
	}
	return "", nil
}

func (e *Engine) villageChoices() []services.Choice {
	out := make([]services.Choice, 0, len(e.catalog.Villages))
	for _, v := range e.catalog.Villages {
		out = append(out, services.Choice{Value: v.Code, Label: v.Name})
	}
	return out
}

func (e *Engine) onConsultVillage(ctx context.Context, t *turn) error {
	village, ok := e.choose(t, "consultation.village_unknown")
	if !ok {
		return nil
	}
	t.st.Retries = 0
	d := draftOf(t)
	if village != "-" {
		d.village = village
	}
	t.st.Consult = d.String()
	t.st.Step = StepConsultAnswer
	if _, err := e.consultOf(ctx, t, d.code); err != nil {
		return err
	}
	e.prompt(t)
	return nil
}

func (e *Engine) consultQuestion(t *turn) string {
	p, ok := e.cachedConsult(t)
	if !ok {
		return e.tr(t, "consultation.none_open", nil)
	}
	if p.Kind != consultation.KindRanking {
		return e.tr(t, "consultation.ask_choice", map[string]string{"question": p.Question})
	}
	lines := make([]string, len(p.Options))
	for i, o := range p.Options {
		lines[i] = strconv.Itoa(i+1) + ". " + o.Label
	}
	return e.tr(t, "consultation.ask_ranking", map[string]string{
		"question": p.Question, "list": strings.Join(lines, "\n"), "example": rankingExample(len(p.Options)),
	})
}

// rankingExample is an example answer to a ranking of n proposals: "2 1 3".
func rankingExample(n int) string {
	if n < 3 {
		return "2 1"
	}
	return "2 1 3"
}

// consultAnswerChoices offers the options of a choice as buttons; a
// ranking is typed, as numbers in order.
func (e *Engine) consultAnswerChoices(t *turn) []services.Choice {
	p, ok := e.cachedConsult(t)
	if !ok || p.Kind == consultation.KindRanking {
		return nil
	}
	out := make([]services.Choice, len(p.Options))
	for i, o := range p.Options {
		out[i] = services.Choice{Value: o.Code, Label: o.Label}
	}
	return out
}

func (e *Engine) onConsultAnswer(ctx context.Context, t *turn) error {
	d := draftOf(t)
	p, err := e.consultOf(ctx, t, d.code)
	if err != nil {
		return err
	}
	a := consultation.Answer{Village: d.village}
	if p.Kind == consultation.KindRanking {
		ranking, ok := parseRanking(t.text, len(p.Options))
		if !ok || t.in.Kind != KindText {
			e.wrong(t, e.tr(t, "consultation.ranking_bad", map[string]string{"max": strconv.Itoa(len(p.Options)), "example": rankingExample(len(p.Options))}))
			return nil
		}
		for _, i := range ranking {
			a.Ranking = append(a.Ranking, p.Options[i].Code)
		}
	} else {
		choice, ok := e.choose(t, "consultation.unknown")
		if !ok {
			return nil
		}
		a.Choice = choice
	}
	t.st.Retries = 0
	changed, err := e.consult.AnswerConsultation(ctx, d.code, t.in.Chat.Channel, t.in.Chat.ChatID, a, e.now())
	if errors.Is(err, consultation.ErrClosed) {
		return e.consultClosed(t, p)
	}
	if err != nil {
		return err
	}
	d.changed = changed
	t.st.Consult = d.String()
	if !changed {
		if err := e.watchBurst(ctx, t, p); err != nil {
			return err
		}
	}
	if p.Comment {
		t.st.Step = StepConsultComment
		e.prompt(t)
		return nil
	}
	e.consultSaved(t, p, a, changed)
	return nil
}

// parseRanking reads "3 1 2" (or "3,1,2", "3-1-2") as proposal indexes in
// order: each between 1 and n, none twice.
func parseRanking(text string, n int) ([]int, bool) {
	fields := strings.FieldsFunc(text, func(r rune) bool { return r < '0' || r > '9' })
	if len(fields) == 0 || len(fields) > n || len(fields)*2 < utf8.RuneCountInString(strings.Join(strings.Fields(text), "")) {
		// Digits among many words are not a ranking ("jalan 2 rusak").
		return nil, false
	}
	seen := map[int]bool{}
	out := make([]int, 0, len(fields))
	for _, f := range fields {
		i, err := strconv.Atoi(f)
		if err != nil || i < 1 || i > n || seen[i] {
			return nil, false
		}
		seen[i] = true
		out = append(out, i-1)
	}
	return out, true
}

func (e *Engine) onConsultComment(ctx context.Context, t *turn) error {
	d := draftOf(t)
	p, err := e.consultOf(ctx, t, d.code)
	if err != nil {
		return err
	}
	a, answered, err := e.consult.MyAnswer(ctx, d.code, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil {
		return fmt.Errorf("answer of %s to %s: %w", t.in.Chat, d.code, err)
	}
	if !answered {
		// The answer went (the person's data was erased meanwhile): start
		// over from the list.
		return e.listConsultations(ctx, t, true)
	}
	a.Comment = ""
	if value, ok := e.pickQuietly(t, "kpc:"+d.code, []services.Choice{{Value: "skip", Keywords: e.skipWords}}); !ok || value != "skip" {
		if t.in.Kind != KindText {
			e.wrong(t, e.tr(t, "consultation.unknown", nil))
			return nil
		}
		comment, fits := consultation.CleanComment(t.text)
		if !fits {
			e.wrong(t, e.tr(t, "consultation.comment_long", map[string]string{
				"count": strconv.Itoa(utf8.RuneCountInString(comment)), "max": strconv.Itoa(consultation.MaxCommentRunes),
			}))
			return nil
		}
		a.Comment = comment
	}
	if _, err := e.consult.AnswerConsultation(ctx, d.code, t.in.Chat.Channel, t.in.Chat.ChatID, a, e.now()); err != nil {
		if errors.Is(err, consultation.ErrClosed) {
			return e.consultClosed(t, p)
		}
		return err
	}
	e.consultSaved(t, p, a, d.changed)
	return nil
}

func (e *Engine) consultSaved(t *turn, p consultation.Published, a consultation.Answer, changed bool) {
	args := map[string]string{"answer": e.answerText(p, a), "closes": e.formatDateTime(t, p.Closes)}
	if changed {
		t.say(e.tr(t, "consultation.changed", args))
	} else {
		t.say(e.tr(t, "consultation.saved", args))
	}
	t.st.Consult = ""
	e.toMenu(t)
	e.prompt(t)
}

func (e *Engine) consultClosed(t *turn, p consultation.Published) error {
	t.say(e.tr(t, "consultation.closed", map[string]string{"title": p.Title}))
	t.st.Consult = ""
	e.toMenu(t)
	t.st.Step = StepConsult
	e.prompt(t)
	return nil
}

// answerText shows an answer back: the option, or the ranking in order.
func (e *Engine) answerText(p consultation.Published, a consultation.Answer) string {
	if p.Kind != consultation.KindRanking {
		if o, ok := p.Option(a.Choice); ok {
			return o.Label
		}
		return a.Choice
	}
	parts := make([]string, 0, len(a.Ranking))
	for i, code := range a.Ranking {
		label := code
		if o, ok := p.Option(code); ok {
			label = o.Label
		}
		parts = append(parts, strconv.Itoa(i+1)+". "+label)
	}
	return strings.Join(parts, ", ")
}

func (e *Engine) onConsultPast(ctx context.Context, t *turn) error {
	code, ok := e.choose(t, "consultation.unknown")
	if !ok {
		return nil
	}
	t.st.Retries = 0
	t.st.Step = StepConsult
	if code != "back" {
		p, r, err := e.consult.ConsultationResults(ctx, code)
		if err != nil {
			return fmt.Errorf("results of %s for %s: %w", code, t.in.Chat, err)
		}
		t.say(e.messages().Result(t.st.Lang, p, r))
	}
	e.prompt(t)
	return nil
}

func (e *Engine) consultSubChoices(t *turn) []services.Choice {
	return e.withBack(t, []services.Choice{
		{Value: "kecamatan", Label: e.tr(t, "consultation.subscribe_kecamatan", map[string]string{"office": e.catalog.Office.Name})},
		{Value: "village", Label: e.tr(t, "consultation.subscribe_my_village", nil)},
	})
}

func (e *Engine) onConsultSub(ctx context.Context, t *turn) error {
	value, ok := e.choose(t, "consultation.unknown")
	if !ok {
		return nil
	}
	t.st.Retries = 0
	switch value {
	case "kecamatan":
		return e.subscribe(ctx, t, consultation.Kecamatan)
	case "village":
		v, err := e.consult.KnownVillage(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
		if err != nil {
			return fmt.Errorf("village of %s: %w", t.in.Chat, err)
		}
		if v != "" {
			return e.subscribe(ctx, t, v)
		}
		t.st.Step = StepConsultSubVillage
	default:
		e.toMenu(t)
	}
	e.prompt(t)
	return nil
}

func (e *Engine) onConsultSubVillage(ctx context.Context, t *turn) error {
	value, ok := e.choose(t, "consultation.village_unknown")
	if !ok {
		return nil
	}
	t.st.Retries = 0
	if value == "menu" {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	return e.subscribe(ctx, t, value)
}

func (e *Engine) subscribe(ctx context.Context, t *turn, scope string) error {
	added, err := e.consult.Subscribe(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, scope, e.now())
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", t.in.Chat, err)
	}
	args := map[string]string{"scope": e.messages().Scope(t.st.Lang, scope)}
	if added {
		t.say(e.tr(t, "consultation.subscribed", args))
	} else {
		t.say(e.tr(t, "consultation.already_subscribed", args))
	}
	t.st.Step = StepConsult
	e.prompt(t)
	return nil
}

// unsubscribeWord answers "berhenti" (or "stop", "unsubscribe") at any
// step: every subscription ends, and the citizen is asked again what they
// were at. Without a subscription, inside a survey, the word is left to
// the survey, which it stops.
func (e *Engine) unsubscribeWord(ctx context.Context, t *turn) (bool, error) {
	if e.consult == nil || !e.isWord("unsubscribe", t.text) {
		return false, nil
	}
	if t.st.Survey != "" {
		scopes, err := e.consult.Subscriptions(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
		if err != nil || len(scopes) == 0 {
			return err != nil, err
		}
	}
	return e.unsubscribe(ctx, t, false)
}

// unsubscribe ends every subscription of the chat and says so; a survey
// in progress stops too, as the same word always did.
func (e *Engine) unsubscribe(ctx context.Context, t *turn, fromMenu bool) (bool, error) {
	scopes, err := e.consult.Subscriptions(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil {
		return true, fmt.Errorf("subscriptions of %s: %w", t.in.Chat, err)
	}
	if _, err := e.consult.Unsubscribe(ctx, t.in.Chat.Channel, t.in.Chat.ChatID); err != nil {
		return true, fmt.Errorf("unsubscribe %s: %w", t.in.Chat, err)
	}
	if len(scopes) == 0 {
		t.say(e.tr(t, "consultation.not_subscribed", nil))
	} else {
		t.say(e.tr(t, "consultation.unsubscribed", map[string]string{"scopes": e.scopeList(t, scopes)}))
	}
	if t.st.Survey != "" {
		if err := e.leaveSurvey(ctx, t); err != nil {
			return true, err
		}
		t.say(e.tr(t, "survey.stopped", nil))
		e.afterSurvey(t)
		return true, nil
	}
	if fromMenu {
		t.st.Step = StepConsult
	}
	e.prompt(t)
	return true, nil
}

// subscriptionLine is what "data saya" says of the chat's subscriptions,
// "" when it has none.
func (e *Engine) subscriptionLine(ctx context.Context, t *turn) (string, error) {
	if e.consult == nil {
		return "", nil
	}
	scopes, err := e.consult.Subscriptions(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil {
		return "", fmt.Errorf("subscriptions of %s: %w", t.in.Chat, err)
	}
	if len(scopes) == 0 {
		return "", nil
	}
	return e.tr(t, "consultation.mydata_subscription", map[string]string{"scopes": e.scopeList(t, scopes)}), nil
}

// eraseSubscriptions ends the chat's subscriptions at once when the
// citizen asks to erase their data: no announcement may follow the
// request, whenever the office completes it.
func (e *Engine) eraseSubscriptions(ctx context.Context, t *turn) error {
	if e.consult == nil {
		return nil
	}
	n, err := e.consult.Unsubscribe(ctx, t.in.Chat.Channel, t.in.Chat.ChatID)
	if err != nil {
		return fmt.Errorf("unsubscribe %s on erasure: %w", t.in.Chat, err)
	}
	if n > 0 {
		t.say(e.tr(t, "consultation.erased_subscriptions", nil))
	}
	return nil
}

// PhoneLinker records the phone number a chat's person shared, so their
// chats on two channels answer a consultation once (pgstore.Store).
type PhoneLinker interface {
	LinkPhone(ctx context.Context, channel, chatID, phone string, at time.Time) error
}

// linkPhone answers a citizen who shared their own contact: the number,
// kept only as a keyed hash, links their chats for the consultations; the
// question they are at is asked again.
func (e *Engine) linkPhone(ctx context.Context, t *turn) error {
	linker, ok := e.consult.(PhoneLinker)
	if !ok || services.NormalizePhone(t.in.Phone) == "" {
		e.unsupported(t)
		return nil
	}
	if err := linker.LinkPhone(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, t.in.Phone, e.now()); err != nil {
		return fmt.Errorf("link the phone of %s: %w", t.in.Chat, err)
	}
	t.say(e.tr(t, "consultation.phone_linked", nil))
	e.prompt(t)
	return nil
}

// BurstWatch reads the times new identities first answered a
// consultation (pgstore.Store): what consultation.Bursts looks at.
type BurstWatch interface {
	NewIdentityTimes(ctx context.Context, code string) ([]time.Time, error)
}

// watchBurst tells the camat and the admins, once, when a new answer makes
// the new identities answering p within consultation.BurstWindow reach
// consultation.BurstThreshold: many people who never wrote before,
// answering within minutes, is what made-up accounts look like. The
// office judges; nothing is refused.
func (e *Engine) watchBurst(ctx context.Context, t *turn, p consultation.Published) error {
	watch, ok := e.consult.(BurstWatch)
	if !ok {
		return nil
	}
	times, err := watch.NewIdentityTimes(ctx, p.Code)
	if err != nil {
		return fmt.Errorf("new identities answering %s: %w", p.Code, err)
	}
	now := e.now()
	recent := 0
	for _, at := range times {
		if !at.Before(now.Add(-consultation.BurstWindow)) {
			recent++
		}
	}
	if recent != consultation.BurstThreshold {
		return nil
	}
	lang := e.staffLang()
	text := e.texts.T(lang, "consultation.burst_alert", map[string]string{
		"title": p.Title, "count": strconv.Itoa(recent), "minutes": strconv.Itoa(int(consultation.BurstWindow.Minutes())),
	})
	for _, o := range e.staff.Officers {
		if o.Active && o.Role.AllUnits() {
			for _, to := range officerChats(o) {
				t.out = append(t.out, outgoing{to: to, reply: Reply{Text: text}})
			}
		}
	}
	return nil
}
