package conversation

import (
	"context"

	"github.com/leksono/sapa/services"
)

// Consistency checks that help: a birth date that the NIK's date part
// contradicts gets one gentle question. The NIK never changes, even when
// its date is wrong, so either answer is taken: the citizen decides.

// StepDateCheck asks which birth date is right, the NIK's or the typed one
// (the typed one is in State.Data, the form still at its field).
const StepDateCheck Step = "date_check"

func init() {
	register(StepDateCheck, stepKind{
		question: (*Engine).dateCheckQuestion,
		scope:    func(_ *Engine, t *turn) string { return "dc:" + t.st.Service },
		choices:  (*Engine).dateCheckChoices,
		handle:   (*Engine).onDateCheck,
		help:     "help.form",
		draft:    true,
	})
}

// nikDate is the birth date the form's NIK carries, as a date answer, when
// field is the birth date and the NIK disagrees with typed.
func (e *Engine) nikDate(t *turn, field services.Field, typed string) (string, bool) {
	if field.Name != services.BirthDateField || field.Type != services.FieldDate {
		return "", false
	}
	d, err := parseISODate(typed)
	if err != nil {
		return "", false
	}
	born, ok := services.NIKBirthDate(t.st.Data[services.NIKField], e.now().In(e.catalog.Office.Location), d.Year())
	if !ok {
		return "", false
	}
	if nik := born.Format("2006-01-02"); nik != typed {
		return nik, true
	}
	return "", false
}

func (e *Engine) dateCheckQuestion(t *turn) string {
	field, typed := e.checkedField(t)
	nik, _ := e.nikDate(t, field, typed)
	return e.tr(t, "form.date_check", map[string]string{
		"nik": e.display(t, field, nik), "typed": e.display(t, field, typed),
	})
}

func (e *Engine) dateCheckChoices(t *turn) []services.Choice {
	field, typed := e.checkedField(t)
	nik, _ := e.nikDate(t, field, typed)
	return []services.Choice{
		{Value: "nik", Label: e.tr(t, "form.date_check_nik", map[string]string{"date": e.display(t, field, nik)}), Keywords: []string{"nik", "ktp"}},
		{Value: "typed", Label: e.display(t, field, typed)},
	}
}

// checkedField is the field being checked and its typed answer.
func (e *Engine) checkedField(t *turn) (services.Field, string) {
	svc, _ := e.catalog.Service(t.st.Service)
	if t.st.Field < 0 || t.st.Field >= len(svc.Form) {
		return services.Field{}, ""
	}
	f := svc.Form[t.st.Field]
	return f, t.st.Data[f.Name]
}

// onDateCheck keeps the date the citizen says is right; a date typed anew
// is taken as it is.
func (e *Engine) onDateCheck(_ context.Context, t *turn) error {
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok {
		e.dropDraft(t)
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	field, typed := e.checkedField(t)
	nik, disagree := e.nikDate(t, field, typed)
	if !disagree {
		// Nothing left to check (the catalog or the NIK changed).
		t.st.Step = StepForm
		e.advance(t, svc)
		return nil
	}
	if t.in.Kind == KindText {
		choices := e.dateCheckChoices(t)
		_, picked := services.MatchChoice(t.text, choices, e.vocab)
		if !picked {
			_, picked = services.FindChoice(t.text, choices)
		}
		if v, problem := field.Parse(t.text, e.env(t)); !picked && problem == nil {
			t.st.Data[field.Name] = v
			t.st.Step = StepForm
			e.advance(t, svc)
			return nil
		}
	}
	value, ok := e.choose(t, "input.unknown_choice")
	if !ok {
		return nil
	}
	if value == "nik" {
		t.st.Data[field.Name] = nik
	}
	t.st.Step = StepForm
	e.advance(t, svc)
	return nil
}
