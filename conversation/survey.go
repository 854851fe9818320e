package conversation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// SurveyDesk stores the citizen satisfaction survey (SKM) of finished cases:
// one survey per case, answers per element, complete once every element
// asked about the case's kind has one; the respondent's profile is
// optional.
type SurveyDesk interface {
	// StartSurvey reports false when the case already has a survey: a
	// citizen is never asked twice about one case.
	StartSurvey(ctx context.Context, ticket string, at time.Time) (bool, error)
	AnswerSurvey(ctx context.Context, ticket, element string, score int, at time.Time) error
	// AnswerProfile stores the answer to one profile question
	// (services.SurveyProfile): an option code, "" when skipped.
	AnswerProfile(ctx context.Context, ticket, question, value string, at time.Time) error
	CompleteSurvey(ctx context.Context, ticket, comment string, at time.Time) error
}

// The survey's questions, as State.SurveyQ counts them: -1 the
// invitation, then the elements by their index in services.SurveyElements
// (those that do not apply to the case's kind are never reached), then
// the profile questions, then the closing comment.
var (
	surveyProfileQ = len(services.SurveyElements)
	surveyCommentQ = surveyProfileQ + len(services.SurveyProfile)
)

// nextSurveyQ returns the question after q in the survey of a case of
// kind, skipping the elements not asked about it.
func nextSurveyQ(q int, kind services.Kind) int {
	asked := services.SurveyElementsFor(kind)
	for q++; q < surveyProfileQ; q++ {
		if slices.Contains(asked, services.SurveyElements[q]) {
			return q
		}
	}
	return q
}

// surveyQuestionCount is how many questions the invitation announces for a
// case of kind: its elements and the profile questions.
func surveyQuestionCount(kind services.Kind) int {
	return len(services.SurveyElementsFor(kind)) + len(services.SurveyProfile)
}

// inviteToSurvey opens the satisfaction survey of a case just finished,
// once per case, and returns the invitation to add to the citizen's
// notification ("" when the case already had its survey). The questions
// follow in the citizen's own chat, where buttons work.
func (e *Engine) inviteToSurvey(ctx context.Context, c services.CaseView, lang string, now time.Time) (string, error) {
	if e.surveys == nil {
		return "", nil
	}
	started, err := e.surveys.StartSurvey(ctx, c.Ticket, now)
	if err != nil {
		return "", fmt.Errorf("start the survey of %s: %w", c.Ticket, err)
	}
	if !started {
		return "", nil
	}
	chat := ChatKey{Channel: c.Channel, ChatID: c.ChatID}
	err = e.updateState(ctx, chat, "survey:"+c.Ticket, now, func(st *State) {
		st.Survey, st.SurveyQ, st.SurveyKind = c.Ticket, -1, c.Kind
	})
	if err != nil {
		return "", err
	}
	return e.texts.T(lang, "survey.invite", map[string]string{"count": strconv.Itoa(surveyQuestionCount(c.Kind))}), nil
}

// onSurvey handles a citizen's message while their survey is open (see
// surveyProfileQ for how SurveyQ counts). Anything that is not an answer
// to the invitation leaves the survey and lets the message through to the
// rest of the conversation; inside the survey a wrong answer is asked
// again.
func (e *Engine) onSurvey(ctx context.Context, t *turn) (bool, error) {
	ticket, q := t.st.Survey, t.st.SurveyQ
	now := e.now()
	scope := "sv:" + ticket + ":" + strconv.Itoa(q)
	switch {
	case q < 0:
		value, ok := e.pickQuietly(t, scope, e.surveyInviteChoices(t))
		if !ok {
			// The citizen went on with something else: the invitation lapses.
			t.st.Survey = ""
			return false, nil
		}
		if value == "skip" {
			t.st.Survey = ""
			t.say(e.tr(t, "survey.skipped", nil))
			e.afterSurvey(t)
			return true, nil
		}
		t.st.SurveyQ = nextSurveyQ(-1, t.st.SurveyKind)
	case q < surveyProfileQ:
		value, ok := e.pickQuietly(t, scope, e.surveyScoreChoices(t, q))
		if stop, err := e.surveyStop(ctx, t, ok); stop || err != nil {
			return true, err
		}
		if !ok {
			// Inside the survey a wrong answer gets a hint and the same
			// question again.
			e.wrong(t, e.tr(t, "survey.unknown", nil))
			return true, nil
		}
		score, _ := strconv.Atoi(value)
		if err := e.surveys.AnswerSurvey(ctx, ticket, services.SurveyElements[q], score, now); err != nil {
			return true, fmt.Errorf("store survey answer %s of %s: %w", services.SurveyElements[q], ticket, err)
		}
		t.st.SurveyQ = nextSurveyQ(q, t.st.SurveyKind)
	case q < surveyCommentQ:
		question := services.SurveyProfile[q-surveyProfileQ]
		value, ok := e.pickQuietly(t, scope, e.surveyProfileChoices(t, question))
		if !ok && question.Code == "usia" && t.in.Kind == KindText {
			// "35" is an age, not option 35.
			if years, err := strconv.Atoi(strings.TrimSpace(t.text)); err == nil {
				value, ok = services.AgeBand(years)
			}
		}
		if stop, err := e.surveyStop(ctx, t, ok); stop || err != nil {
			return true, err
		}
		if !ok {
			e.wrong(t, e.tr(t, "survey.profile_unknown", nil))
			return true, nil
		}
		if value == "skip" {
			value = ""
		}
		if err := e.surveys.AnswerProfile(ctx, ticket, question.Code, value, now); err != nil {
			return true, fmt.Errorf("store survey profile %s of %s: %w", question.Code, ticket, err)
		}
		t.st.SurveyQ++
	default:
		comment := ""
		if value, ok := e.pickQuietly(t, scope, e.surveyCommentChoices(t)); !ok || value != "none" {
			comment = t.text
		}
		if err := e.surveys.CompleteSurvey(ctx, ticket, comment, now); err != nil {
			return true, fmt.Errorf("complete the survey of %s: %w", ticket, err)
		}
		t.st.Survey = ""
		t.say(e.tr(t, "survey.thanks", nil))
		e.afterSurvey(t)
		return true, nil
	}
	t.st.Retries = 0
	e.prompt(t)
	return true, nil
}

// surveyStop ends the survey when the citizen typed a stop word instead of
// an answer (answered reports whether the message was one).
func (e *Engine) surveyStop(ctx context.Context, t *turn, answered bool) (bool, error) {
	if answered || t.in.Kind != KindText || !e.isStopWord(t.text) {
		return false, nil
	}
	if err := e.leaveSurvey(ctx, t); err != nil {
		return true, err
	}
	t.say(e.tr(t, "survey.stopped", nil))
	e.afterSurvey(t)
	return true, nil
}

// leaveSurvey closes the open survey when the citizen leaves it (a stop
// word, menu, batal). The answers given so far stay stored. Left among the
// elements, the survey stays unfinished and out of the index; left in the
// optional profile or at the closing comment, every element is answered
// and it is completed.
func (e *Engine) leaveSurvey(ctx context.Context, t *turn) error {
	if t.st.Survey == "" {
		return nil
	}
	if t.st.SurveyQ >= surveyProfileQ && e.surveys != nil {
		if err := e.surveys.CompleteSurvey(ctx, t.st.Survey, "", e.now()); err != nil {
			return fmt.Errorf("complete the survey of %s: %w", t.st.Survey, err)
		}
	}
	t.st.Survey = ""
	return nil
}

// afterSurvey puts the citizen back where they were before it.
func (e *Engine) afterSurvey(t *turn) {
	t.st.SurveyQ = 0
	if t.st.Draft != "" {
		e.resumeDraft(t)
	} else {
		e.toMenu(t)
	}
	e.prompt(t)
}

// pickQuietly is choose without the answer to a miss: the caller decides.
func (e *Engine) pickQuietly(t *turn, scope string, choices []services.Choice) (string, bool) {
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
	case KindText:
		if i, ok := services.MatchChoice(t.text, choices, e.vocab); ok {
			return choices[i].Value, true
		}
	}
	return "", false
}

func (e *Engine) surveyInviteChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "start", Label: e.tr(t, "survey.start", nil), Keywords: e.vocab.Yes},
		{Value: "skip", Label: e.tr(t, "survey.skip", nil), Keywords: e.vocab.No},
	}
}

func (e *Engine) surveyScoreChoices(t *turn, q int) []services.Choice {
	el := services.SurveyElements[q]
	out := make([]services.Choice, 0, 5)
	for score := 1; score <= 4; score++ {
		out = append(out, services.Choice{Value: strconv.Itoa(score), Label: e.tr(t, "survey.answer."+el+"."+strconv.Itoa(score), nil)})
	}
	return out
}

// isStopWord reports whether the citizen typed a word that stops the
// survey. It is not a numbered option: "5" must never stop a 1-4 scale.
func (e *Engine) isStopWord(text string) bool {
	for _, w := range e.stopWords {
		if normalize(text) == normalize(w) {
			return true
		}
	}
	return false
}

// surveyProfileChoices are the options of a profile question and, last,
// the way to skip it.
func (e *Engine) surveyProfileChoices(t *turn, q services.ProfileQuestion) []services.Choice {
	out := make([]services.Choice, 0, len(q.Options)+1)
	for _, o := range q.Options {
		out = append(out, services.Choice{Value: o, Label: e.tr(t, "survey.profile."+q.Code+".option."+o, nil)})
	}
	return append(out, services.Choice{Value: "skip", Label: e.tr(t, "survey.profile_skip", nil), Keywords: e.skipWords})
}

func (e *Engine) surveyCommentChoices(t *turn) []services.Choice {
	return []services.Choice{{Value: "none", Label: e.tr(t, "survey.no_comment", nil), Keywords: e.vocab.No}}
}

// promptSurvey asks the survey's current question.
func (e *Engine) promptSurvey(t *turn) {
	q := t.st.SurveyQ
	scope := "sv:" + t.st.Survey + ":" + strconv.Itoa(q)
	switch {
	case q < 0:
		e.ask(t, e.tr(t, "survey.ask_start", map[string]string{"ticket": t.st.Survey}), scope, e.surveyInviteChoices(t))
	case q < surveyProfileQ:
		el := services.SurveyElements[q]
		asked := services.SurveyElementsFor(t.st.SurveyKind)
		e.ask(t, e.tr(t, "survey.question", map[string]string{
			"number": strconv.Itoa(slices.Index(asked, el) + 1), "count": strconv.Itoa(len(asked)),
			"question": e.tr(t, "survey.ask."+el, nil),
		}), scope, e.surveyScoreChoices(t, q))
	case q < surveyCommentQ:
		question := services.SurveyProfile[q-surveyProfileQ]
		text := e.tr(t, "survey.profile_question", map[string]string{
			"number": strconv.Itoa(q - surveyProfileQ + 1), "count": strconv.Itoa(len(services.SurveyProfile)),
			"question": e.tr(t, "survey.profile."+question.Code+".ask", nil),
		})
		if q == surveyProfileQ {
			text = e.tr(t, "survey.profile_intro", map[string]string{"count": strconv.Itoa(len(services.SurveyProfile))}) + "\n" + text
		}
		e.ask(t, text, scope, e.surveyProfileChoices(t, question))
	default:
		e.ask(t, e.tr(t, "survey.comment", nil), scope, e.surveyCommentChoices(t))
	}
}

// updateState changes another chat's state (a citizen's, from an officer's
// turn), retrying when the citizen wrote at the same moment.
func (e *Engine) updateState(ctx context.Context, chat ChatKey, id string, now time.Time, change func(*State)) error {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		loaded, err := e.states.Load(ctx, chat, "")
		if err != nil {
			return fmt.Errorf("load state of %s: %w", chat, err)
		}
		st := State{Chat: chat, Step: StepMenu, Lang: e.staffLang(), UpdatedAt: now}
		if loaded.State != nil {
			st = *loaded.State
		}
		change(&st)
		err = e.states.Commit(ctx, st, id, e.catalog.Office.DraftTTL)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil && !errors.Is(err, ErrDuplicate) {
			return fmt.Errorf("update state of %s: %w", chat, err)
		}
		return nil
	}
	return fmt.Errorf("update state of %s: it kept changing", chat)
}
