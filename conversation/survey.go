package conversation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// SurveyDesk stores the citizen satisfaction survey (SKM) of finished cases:
// one survey per case, answers per element, complete only with all nine.
type SurveyDesk interface {
	// StartSurvey reports false when the case already has a survey: a
	// citizen is never asked twice about one case.
	StartSurvey(ctx context.Context, ticket string, at time.Time) (bool, error)
	AnswerSurvey(ctx context.Context, ticket, element string, score int, at time.Time) error
	CompleteSurvey(ctx context.Context, ticket, comment string, at time.Time) error
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
		st.Survey, st.SurveyQ = c.Ticket, -1
	})
	if err != nil {
		return "", err
	}
	return e.texts.T(lang, "survey.invite", map[string]string{"count": strconv.Itoa(len(services.SurveyElements))}), nil
}

// onSurvey handles a citizen's message while their survey is open:
// SurveyQ -1 is the invitation, 0..8 the elements, 9 the closing comment.
// Anything that is not an answer leaves the survey where it is and lets
// the message through to the rest of the conversation.
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
		t.st.SurveyQ = 0
	case q < len(services.SurveyElements):
		value, ok := e.pickQuietly(t, scope, e.surveyScoreChoices(t, q))
		if !ok && t.in.Kind == KindText && e.isStopWord(t.text) {
			value, ok = "stop", true
		}
		if !ok {
			// Inside the survey a wrong answer gets a hint and the same
			// question again.
			e.wrong(t, e.tr(t, "survey.unknown", nil))
			return true, nil
		}
		if value == "stop" {
			t.st.Survey = ""
			t.say(e.tr(t, "survey.stopped", nil))
			e.afterSurvey(t)
			return true, nil
		}
		score, _ := strconv.Atoi(value)
		if err := e.surveys.AnswerSurvey(ctx, ticket, services.SurveyElements[q], score, now); err != nil {
			return true, fmt.Errorf("store survey answer %d of %s: %w", q+1, ticket, err)
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
	case q < len(services.SurveyElements):
		el := services.SurveyElements[q]
		e.ask(t, e.tr(t, "survey.question", map[string]string{
			"number": strconv.Itoa(q + 1), "count": strconv.Itoa(len(services.SurveyElements)),
			"question": e.tr(t, "survey.ask."+el, nil),
		}), scope, e.surveyScoreChoices(t, q))
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
