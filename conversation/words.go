package conversation

import (
	"context"
	"strconv"
	"strings"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// globalWords are the word lists that work at every step.
var globalWords = []string{"menu", "cancel", "help", "thanks", "status", "language", "mydata", "erase"}

// wordSets are the word lists Engine.words holds, for isWord and
// globalWord: the global words and those some steps look for.
var wordSets = append([]string{"skip", "done_files", "later", "visit", "visit_cancel", "visit_move", "staff_schedule", "staff_arrived", "unsubscribe"}, globalWords...)

// globalWord handles the words that work at every step. It reports whether
// the message was one of them.
func (e *Engine) globalWord(ctx context.Context, t *turn) (bool, error) {
	word := normalize(t.text)
	k := stepOf(t.st.Step)
	if lang := e.namedLanguage(word); lang != "" {
		// "bahasa inggris": the language at once, and the same question in it.
		return true, e.setLanguage(ctx, t, lang, false)
	}
	if done, err := e.letterWord(ctx, t); done || err != nil {
		return true, err
	}
	if done, err := e.unsubscribeWord(ctx, t); done || err != nil {
		return done, err
	}
	if done, err := e.visitWord(ctx, t); done || err != nil {
		return true, err
	}
	switch {
	case e.words["menu"][word]:
		if err := e.leaveSurvey(ctx, t); err != nil {
			return true, err
		}
		e.toMenu(t)
		e.prompt(t)
	case e.words["cancel"][word]:
		if t.st.Survey != "" {
			if err := e.leaveSurvey(ctx, t); err != nil {
				return true, err
			}
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
	case e.words["handover"][word] && e.handovers != nil:
		return true, e.startHandover(ctx, t)
	case e.words["erase"][word]:
		return true, e.eraseMe(ctx, t)
	case e.words["mydata"][word]:
		return true, e.showMyData(ctx, t)
	case e.words["language"][word]:
		t.st.Step = StepLanguage
		t.st.Retries = 0
		e.prompt(t)
	case e.words["status"][word] && !k.typed:
		return true, e.showStatusList(ctx, t)
	case e.words["thanks"][word] && !k.typed:
		t.say(e.tr(t, "input.thanks", nil))
		e.prompt(t)
	default:
		return false, nil
	}
	return true, nil
}

// namedLanguage is the language a message such as "bahasa inggris" or
// "language english" names: a language word, then the name of a language
// (words.language_names). It is "" when the message names none.
func (e *Engine) namedLanguage(word string) string {
	for w := range e.words["language"] {
		if len(word) > len(w)+1 && word[len(w)] == ' ' && strings.HasPrefix(word, w) {
			if lang := e.langNames[word[len(w)+1:]]; lang != "" {
				return lang
			}
		}
	}
	return ""
}

// helpKey is the locale key of what "bantuan" says at a step.
func helpKey(s Step) string {
	if k, ok := steps[s]; ok && k.help != "" {
		return k.help
	}
	return "help.list"
}

// isWord reports whether text is one of the words of the list
// words.<list>, one of wordSets.
func (e *Engine) isWord(list, text string) bool {
	return e.words[list][normalize(text)]
}

// normalize folds a typed word for comparison with word lists.
func normalize(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.TrimSpace(s))), " ")
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
