package conversation

import (
	"strconv"
	"strings"
	"time"

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

// prompt ends the turn with the question of the current step and its
// options. Every path through the engine ends here, so a citizen always
// knows what is expected next.
func (e *Engine) prompt(t *turn) {
	if t.st.Survey != "" && t.st.SurveyQ >= 0 && e.surveys != nil {
		e.promptSurvey(t)
		return
	}
	switch t.st.Step {
	case StepInfoList:
		e.ask(t, e.tr(t, "info.list", e.officeArgs()), "info", e.withBack(t, e.serviceChoices(t)))
	case StepInfo:
		code := t.st.Showing
		args := map[string]string{"name": e.serviceName(t, code)}
		for _, part := range []string{"requirements", "procedure", "time", "cost", "product", "complaint"} {
			args[part] = e.tr(t, "service."+code+"."+part, nil)
		}
		e.ask(t, e.tr(t, "info.standard", args), "i:"+code, e.infoChoices(t))
	case StepExternal:
		e.ask(t, e.tr(t, "external.list", nil), "x", e.withBack(t, e.redirectChoices(t)))
	case StepPick:
		e.ask(t, e.tr(t, "request.list", nil)+"\n"+e.tr(t, "request.list_note", nil), "pick", e.withBack(t, e.serviceChoices(t)))
	case StepForm:
		svc, _ := e.catalog.Service(t.st.Service)
		field := svc.Form[t.st.Field]
		question := e.tr(t, "form.question", map[string]string{
			"number": strconv.Itoa(t.st.Field + 1),
			"count":  strconv.Itoa(len(svc.Form)),
			"prompt": e.tr(t, field.PromptKey(), nil),
		})
		e.ask(t, question, e.fieldScope(t), field.Options(e.env(t)))
	case StepConfirm:
		e.ask(t, e.summary(t), "c:"+t.st.Service, e.confirmChoices(t))
	case StepEdit:
		e.ask(t, e.tr(t, "form.edit_list", nil), "e:"+t.st.Service, e.editChoices(t))
	case StepStatus:
		e.ask(t, e.tr(t, "status.pick", nil), "st", e.withBack(t, e.statusChoices(t)))
	case StepLanguage:
		e.ask(t, e.tr(t, "language.pick", nil), "lang", e.languageChoices())
	case StepSameMatter:
		e.promptSameMatter(t)
	case StepConsent:
		e.ask(t, e.tr(t, "privacy.notice", map[string]string{"office": e.catalog.Office.Name}), "consent", e.consentChoices(t))
	case StepStaff:
		t.say(e.tr(t, "staff.help", nil))
	case StepResume:
		svc, _ := e.catalog.Service(t.st.Draft)
		args := map[string]string{
			"service": e.serviceName(t, t.st.Draft),
			"number":  strconv.Itoa(t.st.Field + 1),
			"count":   strconv.Itoa(len(svc.Form)),
		}
		key := "form.resume_confirm"
		if t.st.Field < len(svc.Form) {
			key = "form.resume"
			args["label"] = e.tr(t, svc.Form[t.st.Field].LabelKey(), nil)
		}
		e.ask(t, e.tr(t, key, args), "r", e.resumeChoices(t))
	default:
		e.ask(t, e.tr(t, "menu.title", nil), "menu", e.menuChoices(t))
	}
}

// ask adds the question and offers the choices as options whose payload
// names the scope they belong to, so a button from an old message is
// recognised as old.
func (e *Engine) ask(t *turn, question, scope string, choices []services.Choice) {
	t.say(question)
	t.options = t.options[:0]
	for _, c := range choices {
		label := c.Label
		if label == "" && c.LabelKey != "" {
			label = e.tr(t, c.LabelKey, nil)
		}
		t.options = append(t.options, Option{Label: label, Payload: scope + "|" + c.Value})
	}
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
	if t.st.Draft != "" {
		choices = append(choices, services.Choice{
			Value:    "resume",
			Label:    e.tr(t, "menu.resume", map[string]string{"service": e.serviceName(t, t.st.Draft)}),
			Keywords: e.cont,
		})
	}
	return choices
}

func (e *Engine) serviceChoices(t *turn) []services.Choice {
	out := make([]services.Choice, 0, len(e.catalog.Services))
	for _, s := range e.catalog.Services {
		if s.Kind != services.KindRequest {
			continue
		}
		out = append(out, services.Choice{
			Value:    s.Code,
			Label:    e.serviceName(t, s.Code),
			Keywords: append([]string{s.Code}, s.Keywords...),
		})
	}
	return out
}

func (e *Engine) redirectChoices(t *turn) []services.Choice {
	out := make([]services.Choice, 0, len(e.catalog.Redirects))
	for _, r := range e.catalog.Redirects {
		out = append(out, services.Choice{
			Value:    r.Code,
			Label:    e.tr(t, "redirect."+r.Code+".name", nil),
			Keywords: append([]string{r.Code}, r.Keywords...),
		})
	}
	return out
}

func (e *Engine) withBack(t *turn, choices []services.Choice) []services.Choice {
	return append(choices, services.Choice{Value: "menu", Label: e.tr(t, "menu.back", nil)})
}

func (e *Engine) infoChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "apply", Label: e.tr(t, "info.apply", nil), Keywords: e.vocab.Yes},
		{Value: "list", Label: e.tr(t, "info.back_list", nil)},
		{Value: "menu", Label: e.tr(t, "menu.back", nil)},
	}
}

func (e *Engine) confirmChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "yes", Label: e.tr(t, "form.confirm_yes", nil), Keywords: e.vocab.Yes},
		{Value: "edit", Label: e.tr(t, "form.confirm_edit", nil), Keywords: e.edit},
		{Value: "cancel", Label: e.tr(t, "form.confirm_cancel", nil)},
	}
}

func (e *Engine) resumeChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "continue", Label: e.tr(t, "form.resume_continue", nil), Keywords: append(append([]string{}, e.cont...), e.vocab.Yes...)},
		{Value: "menu", Label: e.tr(t, "menu.back", nil)},
	}
}

func (e *Engine) editChoices(t *turn) []services.Choice {
	svc, _ := e.catalog.Service(t.st.Service)
	out := make([]services.Choice, 0, len(svc.Form))
	for i, f := range svc.Form {
		if f.Skipped(t.st.Data) {
			continue
		}
		out = append(out, services.Choice{Value: strconv.Itoa(i), Label: e.tr(t, f.LabelKey(), nil)})
	}
	return out
}

// summary echoes the answers for confirmation. Identity numbers stay masked
// even here: a chat is no place for a whole NIK.
func (e *Engine) summary(t *turn) string {
	svc, _ := e.catalog.Service(t.st.Service)
	title := "form.summary_title"
	if svc.Kind == services.KindComplaint {
		title = "complaint_flow.summary_title"
	}
	lines := []string{e.tr(t, title, map[string]string{"service": e.serviceName(t, svc.Code)})}
	for _, f := range svc.Form {
		if f.Skipped(t.st.Data) {
			continue
		}
		lines = append(lines, e.tr(t, "form.summary_line", map[string]string{
			"label": e.tr(t, f.LabelKey(), nil),
			"value": e.display(t, f, t.st.Data[f.Name]),
		}))
	}
	return strings.Join(lines, "\n") + "\n\n" + e.tr(t, "form.summary_ask", nil)
}

// display renders a stored answer the way a citizen reads it.
func (e *Engine) display(t *turn, f services.Field, value string) string {
	if value == "" && f.Optional {
		return e.tr(t, "complaint_flow.none", nil)
	}
	switch f.Type {
	case services.FieldPhotos:
		if value == "" || value == "0" {
			return e.tr(t, "complaint_flow.none", nil)
		}
		return e.tr(t, "complaint_flow.photo_count", map[string]string{"count": value})
	case services.FieldLocation:
		if geo, ok := strings.CutPrefix(value, "geo:"); ok {
			coords, name, _ := strings.Cut(geo, "|")
			lat, lon, _ := strings.Cut(coords, ",")
			shown := e.tr(t, "complaint_flow.location_shared", map[string]string{"lat": lat, "lon": lon})
			if name != "" {
				shown = name + ", " + shown
			}
			return shown
		}
	case services.FieldNIK, services.FieldKK:
		return services.MaskID(value)
	case services.FieldVillage:
		if v, ok := e.catalog.Village(value); ok {
			return v.Name
		}
	case services.FieldDate:
		if d, err := parseISODate(value); err == nil {
			return e.formatDate(t, d)
		}
	case services.FieldPhone:
		if rest, ok := strings.CutPrefix(value, "62"); ok {
			return "0" + rest
		}
	case services.FieldYesNo:
		if value == "ya" {
			return e.tr(t, "field.yes", nil)
		}
		return e.tr(t, "field.no", nil)
	case services.FieldChoice:
		for _, c := range f.Choices {
			if c.Value == value {
				if c.LabelKey != "" {
					return e.tr(t, c.LabelKey, nil)
				}
				return c.Label
			}
		}
	}
	return value
}

// parseISODate reads a date answer as the parsers store it.
func parseISODate(value string) (time.Time, error) {
	return time.Parse("2006-01-02", value)
}
