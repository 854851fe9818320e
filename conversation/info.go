package conversation

import (
	"context"

	"github.com/leksono/sapa/services"
)

// Reading what the office offers: the service standards, and the services
// handled elsewhere.
const (
	StepInfoList Step = "info"     // list of services, to read a standard
	StepInfo     Step = "info_one" // one service's standard shown (Showing)
	StepExternal Step = "external" // list of services handled elsewhere
)

func init() {
	register(StepInfoList, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "info.list", e.officeArgs()) },
		scope:    fixedScope("info"),
		choices:  func(e *Engine, t *turn) []services.Choice { return e.withBack(t, e.serviceChoices(t)) },
		handle:   (*Engine).onInfoList,
		menu:     true,
	})
	register(StepInfo, stepKind{
		question: (*Engine).standard,
		scope:    func(_ *Engine, t *turn) string { return "i:" + t.st.Showing },
		choices:  (*Engine).infoChoices,
		handle:   (*Engine).onInfo,
		menu:     true,
	})
	register(StepExternal, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "external.list", nil) },
		scope:    fixedScope("x"),
		choices:  func(e *Engine, t *turn) []services.Choice { return e.withBack(t, e.redirectChoices(t)) },
		handle:   (*Engine).onExternal,
		menu:     true,
	})
}

func (e *Engine) onInfoList(ctx context.Context, t *turn) error {
	value, ok, err := e.chooseOrUnderstand(ctx, t, "input.unknown_choice")
	if !ok || err != nil {
		return err
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

// standardParts are the parts of a service standard, in the order shown:
// texts service.<code>.<part>.
var standardParts = []string{"requirements", "procedure", "time", "cost", "product", "complaint"}

// standard is the service standard of the service shown.
func (e *Engine) standard(t *turn) string {
	code := t.st.Showing
	args := map[string]string{"name": e.serviceName(t, code)}
	for _, part := range standardParts {
		args[part] = e.tr(t, "service."+code+"."+part, nil)
	}
	if svc, ok := e.catalog.Service(code); ok && len(svc.Requirements) > 0 {
		// The list the form asks from: the two cannot drift apart.
		args["requirements"] = e.requirementsList(t, svc)
	}
	return e.tr(t, "info.standard", args)
}

func (e *Engine) onInfo(ctx context.Context, t *turn) error {
	value, ok, err := e.chooseOrUnderstand(ctx, t, "input.unknown_choice")
	if !ok || err != nil {
		return err
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

func (e *Engine) infoChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "apply", Label: e.tr(t, "info.apply", nil), Keywords: e.vocab.Yes},
		{Value: "list", Label: e.tr(t, "info.back_list", nil)},
		{Value: "menu", Label: e.tr(t, "menu.back", nil), Keywords: e.vocab.No},
	}
}

func (e *Engine) onExternal(ctx context.Context, t *turn) error {
	value, ok, err := e.chooseOrUnderstand(ctx, t, "input.unknown_choice")
	if !ok || err != nil {
		return err
	}
	if value == "menu" {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	e.showRedirect(t, value)
	return nil
}

// serviceChoices are the services a citizen may request, by name or code.
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

// redirectChoices are the services handled elsewhere, by name or code.
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
