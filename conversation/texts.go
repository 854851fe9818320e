package conversation

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// engineKeys are the locale keys the engine itself uses; New refuses to
// start when the default language lacks one.
var engineKeys = []string{
	"greeting", "office",
	"language.name", "language.pick", "language.changed",
	"privacy.notice", "privacy.agree", "privacy.mydata_title", "privacy.mydata_lang", "privacy.consent_none", "privacy.consent_given", "privacy.mydata_case", "privacy.mydata_nocase", "privacy.mydata_footer", "privacy.unavailable", "privacy.erase_requested", "staff.deletion_forbidden", "staff.deletion_usage", "staff.deletion_failed", "staff.deletion_done", "staff.deletion_none", "staff.deletion_title", "staff.deletion_line", "staff.deletion_line_late", "staff.deletions_pending",
	"complaint_flow.intro", "complaint_flow.summary_title", "complaint_flow.photo_received", "complaint_flow.photo_full", "complaint_flow.photo_refused_type", "complaint_flow.photo_refused_size", "complaint_flow.photo_count", "complaint_flow.none", "complaint_flow.location_shared", "complaint_flow.submitted", "complaint_flow.same_matter", "complaint_flow.same_yes", "complaint_flow.same_no", "complaint_flow.added", "complaint_flow.added_files", "staff.new_complaint", "staff.added_to_case", "staff.anonymous",
	"survey.invite", "survey.ask_start", "survey.start", "survey.skip", "survey.skipped", "survey.stopped", "survey.thanks", "survey.unknown", "survey.question", "survey.comment", "survey.no_comment", "survey.ask.u1", "survey.answer.u1.1", "survey.answer.u1.2", "survey.answer.u1.3", "survey.answer.u1.4", "survey.ask.u2", "survey.answer.u2.1", "survey.answer.u2.2", "survey.answer.u2.3", "survey.answer.u2.4", "survey.ask.u3", "survey.answer.u3.1", "survey.answer.u3.2", "survey.answer.u3.3", "survey.answer.u3.4", "survey.ask.u4", "survey.answer.u4.1", "survey.answer.u4.2", "survey.answer.u4.3", "survey.answer.u4.4", "survey.ask.u5", "survey.answer.u5.1", "survey.answer.u5.2", "survey.answer.u5.3", "survey.answer.u5.4", "survey.ask.u6", "survey.answer.u6.1", "survey.answer.u6.2", "survey.answer.u6.3", "survey.answer.u6.4", "survey.ask.u7", "survey.answer.u7.1", "survey.answer.u7.2", "survey.answer.u7.3", "survey.answer.u7.4", "survey.ask.u8", "survey.answer.u8.1", "survey.answer.u8.2", "survey.answer.u8.3", "survey.answer.u8.4", "survey.ask.u9", "survey.answer.u9.1", "survey.answer.u9.2", "survey.answer.u9.3", "survey.answer.u9.4",
	"menu.title", "menu.info", "menu.request", "menu.status", "menu.external", "menu.office", "menu.resume", "menu.back",
	"info.list", "info.standard", "info.apply", "info.back_list",
	"request.list", "request.list_note", "external.list",
	"form.intro", "form.question", "form.switched", "form.summary_title", "form.summary_line", "form.summary_ask",
	"form.confirm_yes", "form.confirm_edit", "form.confirm_cancel", "form.confirm_unknown", "form.edit_list",
	"form.submitted", "form.cancelled", "form.nothing_to_cancel", "form.too_many_errors",
	"form.resume", "form.resume_confirm", "form.resume_continue", "form.expired",
	"input.rate_limited", "input.unknown_choice", "input.unsupported", "input.empty", "input.too_long", "input.old_button", "input.thanks",
	"media.other", "help.menu", "help.list", "help.form", "help.confirm",
	"field.yes", "field.no",
	"field.error.empty", "field.error.nik_length", "field.error.nik_chars", "field.error.nik_date",
	"field.error.nik_sequence", "field.error.kk_length", "field.error.kk_chars", "field.error.kk_date",
	"field.error.kk_sequence", "field.error.text_short", "field.error.text_long", "field.error.text_letters",
	"field.error.choice", "field.error.village", "field.error.yesno", "field.error.date_format",
	"field.error.date_invalid", "field.error.date_future", "field.error.date_past", "field.error.phone",
	"date.format", "date.month.1", "date.month.2", "date.month.3", "date.month.4", "date.month.5", "date.month.6",
	"date.month.7", "date.month.8", "date.month.9", "date.month.10", "date.month.11", "date.month.12",
}

// CheckTexts reports every text and word list the engine and the catalog
// need that the default language lacks, one error each ("the bot: missing
// locale key "menu.title""), so a broken locale fails start-up and the
// check command, never a citizen.
func CheckTexts(c *services.Catalog, texts *locales.Bundle) error {
	var problems []error
	for _, key := range texts.Missing(engineKeys) {
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
	d = d.In(e.catalog.Office.Location)
	return e.texts.T(lang, "date.format", map[string]string{
		"day":   strconv.Itoa(d.Day()),
		"month": e.texts.T(lang, "date.month."+strconv.Itoa(int(d.Month())), nil),
		"year":  strconv.Itoa(d.Year()),
	})
}
