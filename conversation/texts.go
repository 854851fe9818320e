package conversation

import (
	"errors"
	"fmt"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// CheckTexts reports every text and word list the catalog and the engine's
// word lists need that the default language lacks, one error each ("service
// "sktm": missing locale key "service.sktm.name""), so a configuration that
// names a text nobody wrote fails start-up and the check command, never a
// citizen. The texts the engine's own code names are checked by a test
// (TestLocaleKeysExist) that reads its source: they cannot change without a
// new build.
func CheckTexts(c *services.Catalog, texts *locales.Bundle) error {
	var problems []error
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
	for _, list := range understandingLists {
		if len(texts.Words(list)) == 0 {
			problems = append(problems, fmt.Errorf("the words citizens type: missing locale key %q", "words."+list))
		}
	}
	for kind := range texts.WordGroups("greetings") {
		if !texts.Has("greeting_back." + kind) {
			problems = append(problems, fmt.Errorf("the greeting words.greetings.%s: missing locale key %q, its answer", kind, "greeting_back."+kind))
		}
	}
	if _, err := newIntents(c, texts); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// tr translates key into the chat's language.
func (e *Engine) tr(t *turn, key string, args map[string]string) string {
	return e.texts.T(t.st.Lang, key, args)
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
	return e.texts.Date(lang, d.In(e.catalog.Office.Location))
}
