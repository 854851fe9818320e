package conversation

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// Requesting a service: picking it, answering its form one field at a
// time, checking the summary, changing an answer, and coming back to a
// form left halfway.
const (
	StepPick    Step = "pick"    // list of services, to request one
	StepForm    Step = "form"    // answering field Field of Service's form
	StepConfirm Step = "confirm" // summary shown, waiting for ya/ubah/batal
	StepEdit    Step = "edit"    // choosing which answer to change
	StepResume  Step = "resume"  // asked whether to continue a paused form
)

func init() {
	register(StepPick, stepKind{
		question: func(e *Engine, t *turn) string {
			return e.tr(t, "request.list", nil) + "\n" + e.tr(t, "request.list_note", nil)
		},
		scope:   fixedScope("pick"),
		choices: func(e *Engine, t *turn) []services.Choice { return e.withBack(t, e.serviceChoices(t)) },
		handle:  (*Engine).onPick,
		menu:    true,
	})
	register(StepForm, stepKind{
		question: (*Engine).fieldQuestion,
		scope:    (*Engine).fieldScope,
		choices:  (*Engine).fieldChoices,
		handle:   (*Engine).onForm,
		help:     "help.form",
		draft:    true,
		typed:    true,
		files:    (*Engine).fieldTakesFiles,
	})
	register(StepConfirm, stepKind{
		question: (*Engine).summary,
		scope:    func(_ *Engine, t *turn) string { return "c:" + t.st.Service },
		choices:  (*Engine).confirmChoices,
		handle:   (*Engine).onConfirm,
		help:     "help.confirm",
		draft:    true,
		files:    (*Engine).documentsHaveRoom,
	})
	register(StepEdit, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "form.edit_list", nil) },
		scope:    func(_ *Engine, t *turn) string { return "e:" + t.st.Service },
		choices:  (*Engine).editChoices,
		handle:   (*Engine).onEdit,
		draft:    true,
	})
	register(StepResume, stepKind{
		question: (*Engine).resumeQuestion,
		scope:    fixedScope("r"),
		choices:  (*Engine).resumeChoices,
		handle:   (*Engine).onResume,
		help:     "help.menu",
	})
}

func (e *Engine) onPick(ctx context.Context, t *turn) error {
	value, ok, err := e.chooseOrUnderstand(ctx, t, "input.unknown_choice")
	if !ok || err != nil {
		return err
	}
	if value == "menu" {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	return e.startForm(ctx, t, value)
}

// startForm opens the form of a service, or continues the citizen's draft of
// the same service. A complaint opened by a sentence that names its
// category ("jalan rusak") has it answered; a returning citizen is offered
// the answers of their last request first (offerPast).
func (e *Engine) startForm(ctx context.Context, t *turn, code string) error {
	svc, ok := e.catalog.Service(code)
	if !ok {
		return fmt.Errorf("start form: service %q is not in the catalog", code)
	}
	t.st.Retries = 0
	t.st.Showing = ""
	if t.st.Draft == code {
		e.resumeDraft(t)
		e.prompt(t)
		return nil
	}
	if t.st.Draft != "" {
		t.say(e.tr(t, "form.switched", map[string]string{"old": e.serviceName(t, t.st.Draft)}))
	}
	t.st.Service, t.st.Draft = code, code
	t.st.Field, t.st.Data, t.st.Editing = 0, map[string]string{}, false
	t.st.Files = nil
	t.st.Matter = ""
	noted := e.prefill(t, svc)
	t.st.Step = StepForm
	past := ""
	if need, err := e.needsConsent(ctx, t, svc); err != nil {
		return err
	} else if need {
		t.st.Step = StepConsent
	} else if past, err = e.offerPast(ctx, t, svc); err != nil {
		return err
	}
	switch {
	case svc.Kind == services.KindComplaint:
		t.say(e.tr(t, "complaint_flow.intro", map[string]string{
			"service": e.serviceName(t, code), "intro": e.tr(t, "service."+code+".intro", nil),
		}))
	case past != "":
		// They have seen the longer introduction with their first request.
		t.say(e.tr(t, "form.intro_again", map[string]string{"service": e.serviceName(t, code)}))
	case t.st.Step == StepConsent:
		// The privacy notice that follows says how the data is kept.
		t.say(e.tr(t, "form.intro_consent", map[string]string{
			"service": e.serviceName(t, code), "count": strconv.Itoa(formCount(svc)),
		}))
	default:
		t.say(e.tr(t, "form.intro", map[string]string{
			"service": e.serviceName(t, code),
			"count":   strconv.Itoa(formCount(svc)),
			"office":  e.catalog.Office.Name,
		}))
	}
	if noted != "" {
		t.say(noted)
	}
	if past != "" {
		t.say(past)
	}
	if t.st.Step == StepForm {
		e.seekField(t, svc)
	}
	e.prompt(t)
	return nil
}

// prefill answers, from the sentence that opened a complaint, the category
// it names by one of its keywords ("jalan rusak": Jalan dan jembatan), and
// returns the line saying so ("" when it named none). Nothing else is taken
// from the sentence: a village or a confidentiality level said in passing
// is asked all the same.
func (e *Engine) prefill(t *turn, svc services.Service) string {
	if t.in.Kind != KindText || svc.Kind != services.KindComplaint {
		return ""
	}
	for _, f := range svc.Form {
		if f.Name != services.CategoryField || f.Type != services.FieldChoice {
			continue
		}
		options := f.Options(e.env(t))
		if i, ok := services.FindKeyword(t.text, options); ok {
			t.st.Data[f.Name] = options[i].Value
			return e.tr(t, "understood.prefilled", map[string]string{
				"answers": e.tr(t, f.LabelKey(), nil) + ": " + e.display(t, f, options[i].Value),
			})
		}
	}
	return ""
}

// resumeDraft puts the citizen back at the question their draft stopped at.
func (e *Engine) resumeDraft(t *turn) {
	svc, _ := e.catalog.Service(t.st.Draft)
	t.st.Service = t.st.Draft
	t.st.Editing = false
	t.st.Retries = 0
	// A complaint left at the "same matter?" question is asked it again.
	t.st.Matter = ""
	if t.st.Field >= len(svc.Form) {
		t.st.Step = StepConfirm
	} else {
		t.st.Step = StepForm
	}
}

// dropDraft forgets the open form and its answers.
func (e *Engine) dropDraft(t *turn) {
	t.st.Files = nil
	t.st.Matter = ""
	t.st.Draft = ""
	t.st.Service = ""
	t.st.Field = 0
	t.st.Data = nil
	t.st.Editing = false
}

// fieldQuestion asks the form's current field: "(2/7) Ketik nama ...".
func (e *Engine) fieldQuestion(t *turn) string {
	svc, _ := e.catalog.Service(t.st.Service)
	if svc.Form[t.st.Field].Type == services.FieldDocument {
		return e.documentsQuestion(t, svc)
	}
	return e.tr(t, "form.question", map[string]string{
		"number": strconv.Itoa(t.st.Field + 1),
		"count":  strconv.Itoa(formCount(svc)),
		"prompt": e.tr(t, svc.Form[t.st.Field].PromptKey(), nil),
	})
}

// fieldScope names the current field of the current form, so an answer
// pressed on an earlier question is not taken for this one.
func (e *Engine) fieldScope(t *turn) string {
	return "f:" + t.st.Service + ":" + strconv.Itoa(t.st.Field)
}

// fieldChoices are the buttons of the current field (a choice's options,
// ya/tidak, "lewati"), none for typed answers.
func (e *Engine) fieldChoices(t *turn) []services.Choice {
	svc, _ := e.catalog.Service(t.st.Service)
	if svc.Form[t.st.Field].Type == services.FieldDocument {
		return e.documentChoices(t)
	}
	return svc.Form[t.st.Field].Options(e.env(t))
}

// fieldTakesFiles reports whether the current question takes photos,
// documents or a shared location rather than text.
func (e *Engine) fieldTakesFiles(t *turn) bool {
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok || t.st.Field < 0 || t.st.Field >= len(svc.Form) {
		return false
	}
	typ := svc.Form[t.st.Field].Type
	return typ == services.FieldPhotos || typ == services.FieldDocument || (typ == services.FieldLocation && t.in.Location != nil)
}

func (e *Engine) onForm(ctx context.Context, t *turn) error {
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok || t.st.Field < 0 || t.st.Field >= len(svc.Form) {
		// The catalog changed under a stored draft: start over politely.
		e.dropDraft(t)
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	field := svc.Form[t.st.Field]
	if t.st.Data == nil {
		t.st.Data = map[string]string{}
	}
	switch {
	case field.Type == services.FieldDocument:
		return e.onDocuments(ctx, t, svc)
	case field.Type == services.FieldPhotos:
		return e.onPhotos(ctx, t, svc, field)
	case field.Type == services.FieldLocation && t.in.Location != nil:
		loc := t.in.Location
		t.st.Data[field.Name] = fmt.Sprintf("geo:%.6f,%.6f|%s", loc.Latitude, loc.Longitude, services.StripInvisible(loc.Name))
		e.advance(t, svc)
		return nil
	case t.in.Kind == KindUnsupported:
		e.unsupported(t)
		return nil
	case field.Optional && t.in.Kind == KindText && e.isWord("skip", t.text):
		t.st.Data[field.Name] = ""
		e.advance(t, svc)
		return nil
	}
	input := t.text
	if t.in.Kind == KindChoice {
		gotScope, value, _ := strings.Cut(t.in.Payload, "|")
		if gotScope != e.scope(t) {
			t.say(e.tr(t, "input.old_button", nil))
			e.prompt(t)
			return nil
		}
		input = value
	}
	value, problem := field.Parse(input, e.env(t))
	if problem != nil {
		e.wrong(t, e.tr(t, problem.Key, problem.Args))
		return nil
	}
	t.st.Data[field.Name] = value
	if _, differs := e.nikDate(t, field, value); differs {
		t.st.Step = StepDateCheck
		t.st.Retries = 0
		e.prompt(t)
		return nil
	}
	e.advance(t, svc)
	return nil
}

// advance moves the form past the answered field to the next question the
// citizen has not answered (a change from the summary, or from a returning
// citizen's offered answers, goes back there), past the fields the answers
// make unnecessary, or to the summary.
func (e *Engine) advance(t *turn, svc services.Service) {
	t.st.Retries = 0
	if t.st.Editing {
		t.st.Editing = false
		t.st.Field = 0
	} else {
		t.st.Field++
	}
	e.seekField(t, svc)
	e.prompt(t)
}

// seekField moves the form from its current field to the first one that is
// neither skipped nor answered, or to the summary (StepConfirm) when none
// is left.
func (e *Engine) seekField(t *turn, svc services.Service) {
	for t.st.Field < len(svc.Form) {
		f := svc.Form[t.st.Field]
		if _, answered := t.st.Data[f.Name]; !answered && !f.Skipped(t.st.Data) {
			if f.Type != services.FieldDocument {
				break
			}
			// The documents are asked with the summary, not as a question
			// of their own: a citizen with none at hand files at once
			// ("Ya, kirim") and sends them later; one with them sends them
			// there. "0": still to come.
			t.st.Data[f.Name] = "0"
		}
		t.st.Field++
	}
	if t.st.Field < len(svc.Form) {
		t.st.Step = StepForm
		return
	}
	// An answer changed from the summary may make another one moot (a
	// name, once the complaint is anonymous): drop it.
	for _, f := range svc.Form {
		if f.Skipped(t.st.Data) {
			delete(t.st.Data, f.Name)
		}
	}
	t.st.Step = StepConfirm
}

// env is what the field parsers need, in the chat's language.
func (e *Engine) env(t *turn) services.Env {
	return services.Env{
		Villages: e.catalog.Villages,
		Vocab:    e.vocab,
		Today:    e.now().In(e.catalog.Office.Location),
		Label:    func(key string) string { return e.tr(t, key, nil) },
		Answers:  t.st.Data,
	}
}

func (e *Engine) onConfirm(ctx context.Context, t *turn) error {
	if sendsFiles(t.in) {
		return e.moreDocuments(ctx, t)
	}
	if e.laterAtSummary(t) {
		return nil
	}
	value, ok := e.choose(t, "form.confirm_unknown")
	if !ok {
		return nil
	}
	switch value {
	case "yes":
		return e.submit(ctx, t)
	case "edit":
		t.st.Step = StepEdit
		t.st.Retries = 0
	default:
		t.say(e.tr(t, "form.cancelled", map[string]string{"service": e.serviceName(t, t.st.Service)}))
		e.dropDraft(t)
		e.toMenu(t)
	}
	e.prompt(t)
	return nil
}

func (e *Engine) confirmChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "yes", Label: e.tr(t, "form.confirm_yes", nil), Keywords: e.vocab.Yes},
		// "Is it right?" "No": something to change.
		{Value: "edit", Label: e.tr(t, "form.confirm_edit", nil), Keywords: e.editOrNo},
		{Value: "cancel", Label: e.tr(t, "form.confirm_cancel", nil)},
	}
}

func (e *Engine) submit(ctx context.Context, t *turn) error {
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok {
		return fmt.Errorf("submit: service %q is not in the catalog", t.st.Service)
	}
	if svc.Kind == services.KindComplaint {
		return e.submitComplaint(ctx, t, svc)
	}
	now := e.now()
	c := services.NewCase{
		Kind:          services.KindRequest,
		ServiceCode:   svc.Code,
		Unit:          svc.Unit,
		Channel:       t.in.Chat.Channel,
		ChatID:        t.in.Chat.ChatID,
		CitizenName:   t.st.Data[services.NameField],
		VillageCode:   t.st.Data[services.VillageField],
		Form:          t.st.Data,
		SourceMessage: t.in.Chat.Channel + ":" + t.in.Chat.ChatID + ":" + t.in.MessageID,
		SubmittedAt:   now,
		DueAt:         e.calendar.DueDate(now, svc.Days),
		Attachments:   t.st.Files,
	}
	missing := svc.MissingDocuments(t.st.Data)
	c.Incomplete = len(missing) > 0
	receipt, err := e.cases.SubmitCase(ctx, c)
	if err != nil {
		return fmt.Errorf("submit %s case of %s: %w", svc.Code, t.in.Chat, err)
	}
	e.log.Info("case submitted", "channel", t.in.Chat.Channel, "chat", services.MaskID(t.in.Chat.ChatID), "ticket", receipt.Ticket, "service", svc.Code)
	t.ticket = receipt.Ticket
	e.notifyNewCase(t, svc, c, receipt)
	submitted := "form.submitted"
	if c.Incomplete {
		submitted = "document.submitted_incomplete"
	}
	t.say(e.tr(t, submitted, map[string]string{
		"missing": e.documentNames(t, missing),
		"service": e.serviceName(t, svc.Code),
		"ticket":  receipt.Ticket,
		"due":     e.formatDate(t, receipt.DueAt),
		"days":    strconv.Itoa(svc.Days),
		"unit":    e.tr(t, "unit."+svc.Unit, nil),
	}))
	e.dropDraft(t)
	e.toMenu(t)
	switch {
	case e.visitsOn(svc) && !e.visitDue(svc, missing):
		// A letter cannot be picked up before its file is complete: the
		// time is offered when the last document is in.
		t.say(e.tr(t, "visit.after_documents", map[string]string{"purpose": e.tr(t, "visit.purpose."+string(svc.Visit), nil)}))
	case e.visitsOn(svc):
		// The case is filed (or queued) whatever happens to the visit: a
		// database that does not answer only defers the booking.
		if err := e.offerVisit(ctx, t, receipt.Ticket, svc, receipt.DueAt, now, false); err != nil {
			e.log.Warn("visit not offered", "ticket", receipt.Ticket, "err", err)
			t.say(e.tr(t, "visit.unavailable", nil))
		}
	}
	e.prompt(t)
	return nil
}

// notifyNewCase tells the handling unit about a new case, NIK masked.
func (e *Engine) notifyNewCase(t *turn, svc services.Service, c services.NewCase, r services.Receipt) {
	lang := e.staffLang()
	village := c.VillageCode
	if v, ok := e.catalog.Village(c.VillageCode); ok {
		village = v.Name
	}
	due := e.formatDateIn(lang, r.DueAt)
	if c.Incomplete {
		// The clock starts with the last document.
		due = e.texts.T(lang, "document.due_waiting", nil)
	}
	text := e.texts.T(lang, "staff.new_case", map[string]string{
		"ticket": r.Ticket, "service": e.texts.T(lang, "service."+svc.Code+".name", nil),
		"village": village, "due": due, "nik": services.MaskID(c.Form[services.NIKField]),
		"name": c.CitizenName,
	})
	if missing := svc.MissingDocuments(c.Form); len(missing) > 0 {
		text += "\n" + e.texts.T(lang, "document.staff_missing", map[string]string{"missing": e.documentNames(&turn{st: State{Lang: lang}}, missing)})
	}
	t.out = append(t.out, e.toUnit(svc.Unit, Reply{Text: text, Files: c.Attachments})...)
}

func (e *Engine) onEdit(_ context.Context, t *turn) error {
	value, ok := e.choose(t, "input.unknown_choice")
	if !ok {
		return nil
	}
	i, err := strconv.Atoi(value)
	if err != nil {
		return fmt.Errorf("edit choice %q is not a field index: %w", value, err)
	}
	t.st.Field = i
	t.st.Editing = true
	t.st.Step = StepForm
	e.forgetDocument(t, i)
	t.st.Retries = 0
	e.prompt(t)
	return nil
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

func (e *Engine) onResume(ctx context.Context, t *turn) error {
	if t.in.Kind == KindText {
		if _, ok := services.MatchChoice(t.text, e.resumeChoices(t), e.vocab); !ok {
			// Anything but "continue" or "menu" is taken as the answer to
			// the question the reminder named: the citizen has seen it.
			e.resumeDraft(t)
			if t.st.Step == StepConfirm {
				return e.onConfirm(ctx, t)
			}
			return e.onForm(ctx, t)
		}
	}
	value, ok := e.choose(t, "input.unknown_choice")
	if !ok {
		return nil
	}
	if value == "continue" {
		e.resumeDraft(t)
	} else {
		e.toMenu(t)
	}
	e.prompt(t)
	return nil
}

// resumeQuestion reminds a citizen back after a while where their form
// stopped.
func (e *Engine) resumeQuestion(t *turn) string {
	svc, _ := e.catalog.Service(t.st.Draft)
	args := map[string]string{
		"service": e.serviceName(t, t.st.Draft),
		"number":  strconv.Itoa(t.st.Field + 1),
		"count":   strconv.Itoa(formCount(svc)),
	}
	key := "form.resume_confirm"
	if t.st.Field < len(svc.Form) {
		key = "form.resume"
		args["label"] = e.tr(t, svc.Form[t.st.Field].LabelKey(), nil)
	}
	return e.tr(t, key, args)
}

func (e *Engine) resumeChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "continue", Label: e.tr(t, "form.resume_continue", nil), Keywords: append(append([]string{}, e.cont...), e.vocab.Yes...)},
		{Value: "menu", Label: e.tr(t, "menu.back", nil), Keywords: e.vocab.No},
	}
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
	if len(svc.MissingDocuments(t.st.Data)) > 0 {
		lines = append(lines, "", e.documentsRequest(t))
	}
	return strings.Join(lines, "\n") + "\n\n" + e.tr(t, "form.summary_ask", nil)
}

// display renders a stored answer the way a citizen reads it.
func (e *Engine) display(t *turn, f services.Field, value string) string {
	if value == "" && f.Optional {
		return e.tr(t, "complaint_flow.none", nil)
	}
	switch f.Type {
	case services.FieldDocument:
		return e.displayDocument(t, value)
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
