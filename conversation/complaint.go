package conversation

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// StepSameMatter asks whether a new complaint is the same as an open one
// (State.Matter) before it is filed.
const StepSameMatter Step = "same_matter"

func init() {
	register(StepSameMatter, stepKind{
		question: (*Engine).sameMatterQuestion,
		scope:    func(_ *Engine, t *turn) string { return "sm:" + t.st.Matter },
		choices:  (*Engine).sameMatterChoices,
		handle:   (*Engine).onSameMatter,
	})
}

// MediaStore keeps the photos and documents citizens send, once per content.
type MediaStore interface {
	Save(ctx context.Context, kind string, data []byte) (services.StoredFile, error)
}

// AttachmentDesk adds files to a case already filed (a complaint that turned
// out to be the same matter as an open one).
type AttachmentDesk interface {
	AddAttachments(ctx context.Context, ticket string, files []services.StoredFile, at time.Time) error
}

// keepFile stores a file a citizen sent for their case, after looking
// inside it (services.JudgeContent: a picture's header and size, a PDF's
// scripts). A picture is kept without its metadata (services.StripImage):
// a phone's photo carries the place it was taken and the owner's name,
// which an anonymous or confidential complaint must not hand to staff,
// and which the confidentiality chosen later in the form cannot take back
// from a file already kept. It returns why the file is refused, if it is.
func (e *Engine) keepFile(ctx context.Context, t *turn, a Attachment) (services.StoredFile, string, error) {
	if !services.AcceptedFile(a.MIME) || e.media == nil {
		return services.StoredFile{}, services.FileRefusedType, nil
	}
	if len(a.Data) > maxFileMB<<20 {
		return services.StoredFile{}, services.FileRefusedSize, nil
	}
	if refused := services.JudgeContent(a.Data, a.MIME); refused != "" {
		return services.StoredFile{}, refused, nil
	}
	data := a.Data
	if a.MIME != services.MIMEPDF {
		clean, _, err := services.StripImage(a.Data)
		if err != nil {
			// The header was fine; the pixels are not.
			e.log.Info("picture refused: it does not decode", "channel", t.in.Chat.Channel, "chat", services.MaskID(t.in.Chat.ChatID), "err", err)
			return services.StoredFile{}, services.FileRefusedType, nil
		}
		data = clean
	}
	f, err := e.media.Save(ctx, a.Kind, data)
	if err != nil {
		return services.StoredFile{}, "", fmt.Errorf("store a file of %s: %w", t.in.Chat, err)
	}
	return f, "", nil
}

// refusal says why a file was refused (a services.FileRefused* reason).
func (e *Engine) refusal(t *turn, refused string) string {
	switch refused {
	case services.FileRefusedSize:
		return e.tr(t, "complaint_flow.photo_refused_size", map[string]string{"max": strconv.Itoa(maxFileMB)})
	case services.FileRefusedActive:
		return e.tr(t, "complaint_flow.photo_refused_active", nil)
	default:
		return e.tr(t, "complaint_flow.photo_refused_type", nil)
	}
}

// maxFileMB is the largest file accepted, as citizens are told.
const maxFileMB = 10

// onPhotos collects a photos field: files one by one up to the field's
// limit, "lanjut" (or "sudah itu saja") when done, "lewati" for none. A
// refused file says why and leaves the form where it was.
func (e *Engine) onPhotos(ctx context.Context, t *turn, svc services.Service, field services.Field) error {
	switch {
	case t.in.Kind == KindUnsupported && (len(t.in.Attachments) > 0 || refusedMedia(t.in.Media)):
		files, refused, err := e.saveFiles(ctx, t, field.MaxFiles-len(t.st.Files))
		if err != nil {
			return err
		}
		if refused != "" {
			e.wrong(t, refused)
			return nil
		}
		t.st.Files = append(t.st.Files, files...)
		t.st.Data[field.Name] = strconv.Itoa(len(t.st.Files))
		if len(t.st.Files) >= field.MaxFiles {
			t.say(e.tr(t, "complaint_flow.photo_full", map[string]string{"count": strconv.Itoa(len(t.st.Files))}))
			e.advance(t, svc)
			return nil
		}
		t.st.Retries = 0
		t.say(e.tr(t, "complaint_flow.photo_received", map[string]string{
			"count": strconv.Itoa(len(t.st.Files)), "max": strconv.Itoa(field.MaxFiles),
		}))
		return nil
	case t.in.Kind == KindText && e.saysDone(t.text):
		if len(t.st.Files) == 0 && !field.Optional {
			e.wrong(t, e.tr(t, "complaint_flow.photo_refused_type", nil))
			return nil
		}
		t.st.Data[field.Name] = strconv.Itoa(len(t.st.Files))
		e.advance(t, svc)
		return nil
	case t.in.Kind == KindUnsupported:
		e.unsupported(t)
		return nil
	}
	// A short hint: the question itself follows it.
	e.wrong(t, e.tr(t, "complaint_flow.photo_hint", nil))
	return nil
}

// saysDone reports whether text says the files are all sent, or that there
// are none: the words alone ("lanjut", "lewati") or in a sentence ("sudah
// itu saja", "tidak ada fotonya").
func (e *Engine) saysDone(text string) bool {
	if e.isWord("done_files", text) || e.isWord("skip", text) {
		return true
	}
	_, ok := services.FindChoice(text, []services.Choice{{Value: "done", Keywords: e.doneWords}})
	return ok
}

// saveFiles stores the photos and documents of a message, at most room of
// them. When one cannot be taken (not a photo nor a PDF, too large, or no
// store for files) nothing is stored and refused says why, for the
// citizen.
func (e *Engine) saveFiles(ctx context.Context, t *turn, room int) (files []services.StoredFile, refused string, err error) {
	if refusedMedia(t.in.Media) {
		return nil, e.refusal(t, t.in.Media), nil
	}
	for _, a := range t.in.Attachments {
		if len(files) >= room {
			break
		}
		f, why, err := e.keepFile(ctx, t, a)
		if err != nil {
			return nil, "", err
		}
		if why != "" {
			return nil, e.refusal(t, why), nil
		}
		files = append(files, f)
	}
	return files, "", nil
}

// refusedMedia reports whether a channel refused the file a citizen sent
// (a services.FileRefused* reason in Inbound.Media).
func refusedMedia(media string) bool {
	return media == services.FileRefusedType || media == services.FileRefusedSize || media == services.FileRefusedActive
}

// submitComplaint files a complaint, unless the citizen has an open one of
// the same kind, category and village from the last week: then they are
// asked first whether it is the same matter.
func (e *Engine) submitComplaint(ctx context.Context, t *turn, svc services.Service) error {
	now := e.now()
	if t.st.Matter == "" {
		open, err := e.desk.CitizenCases(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, maxListed)
		if err != nil {
			return fmt.Errorf("look for open complaints of %s: %w", t.in.Chat, err)
		}
		for _, c := range open {
			if c.Status.Open() && c.ServiceCode == svc.Code && c.Form[services.CategoryField] == t.st.Data[services.CategoryField] &&
				c.VillageCode == t.st.Data[services.VillageField] && now.Sub(c.CreatedAt) <= 7*24*time.Hour {
				t.st.Matter = c.Ticket
				t.st.Step = StepSameMatter
				t.st.Retries = 0
				e.prompt(t)
				return nil
			}
		}
	}
	unit := svc.Unit
	for _, f := range svc.Form {
		for _, ch := range f.Choices {
			if ch.Unit != "" && t.st.Data[f.Name] == ch.Value {
				unit = ch.Unit
			}
		}
	}
	confidentiality := t.st.Data[services.ConfidentialityField]
	if confidentiality == "" {
		confidentiality = services.ConfidentialNormal
	}
	form := t.st.Data
	if confidentiality == services.ConfidentialAnonymous {
		form = coarseLocations(svc, form)
	}
	c := services.NewCase{
		Kind:            services.KindComplaint,
		ServiceCode:     svc.Code,
		Unit:            unit,
		Channel:         t.in.Chat.Channel,
		ChatID:          t.in.Chat.ChatID,
		CitizenName:     t.st.Data[services.NameField],
		VillageCode:     t.st.Data[services.VillageField],
		Form:            form,
		SourceMessage:   t.in.Chat.Channel + ":" + t.in.Chat.ChatID + ":" + t.in.MessageID,
		SubmittedAt:     now,
		DueAt:           e.calendar.DueDate(now, svc.Days),
		Confidentiality: confidentiality,
		Attachments:     t.st.Files,
	}
	receipt, err := e.cases.SubmitCase(ctx, c)
	if err != nil {
		return fmt.Errorf("submit %s of %s: %w", svc.Code, t.in.Chat, err)
	}
	e.log.Info("complaint submitted", "channel", t.in.Chat.Channel, "chat", services.MaskID(t.in.Chat.ChatID), "ticket", receipt.Ticket, "service", svc.Code)
	t.ticket = receipt.Ticket
	e.notifyNewComplaint(t, svc, c, receipt)
	t.say(e.tr(t, "complaint_flow.submitted", map[string]string{
		"service": e.serviceName(t, svc.Code), "ticket": receipt.Ticket, "due": e.formatDate(t, receipt.DueAt),
	}))
	e.dropDraft(t)
	e.toMenu(t)
	e.prompt(t)
	return nil
}

// onSameMatter adds the new text and files to the open complaint, or files
// a new one.
func (e *Engine) onSameMatter(ctx context.Context, t *turn) error {
	value, ok := e.choose(t, "input.unknown_choice")
	if !ok {
		return nil
	}
	svc, _ := e.catalog.Service(t.st.Service)
	if value == "new" {
		// Matter stays set, so submitComplaint does not ask again.
		return e.submitComplaint(ctx, t, svc)
	}
	ticket, now := t.st.Matter, e.now()
	c, err := e.desk.AddEvent(ctx, ticket, services.EventReply, "citizen", t.st.Data[services.DescriptionField], now)
	if err != nil {
		return fmt.Errorf("add to %s for %s: %w", ticket, t.in.Chat, err)
	}
	if len(t.st.Files) > 0 {
		adder, ok := e.desk.(AttachmentDesk)
		if !ok {
			return fmt.Errorf("add files to %s: the case desk cannot store attachments", ticket)
		}
		if err := adder.AddAttachments(ctx, ticket, t.st.Files, now); err != nil {
			return fmt.Errorf("add files to %s for %s: %w", ticket, t.in.Chat, err)
		}
	}
	files := ""
	if len(t.st.Files) > 0 {
		files = e.tr(t, "complaint_flow.added_files", nil)
	}
	t.say(strings.ReplaceAll(e.tr(t, "complaint_flow.added", map[string]string{"ticket": ticket, "files": files}), "  ", " "))
	text := e.texts.T(e.staffLang(), "staff.added_to_case", map[string]string{"ticket": ticket, "note": t.st.Data[services.DescriptionField]})
	t.out = append(t.out, e.tellCaseStaff(c, Reply{Text: text, Files: t.st.Files})...)
	e.dropDraft(t)
	e.toMenu(t)
	e.prompt(t)
	return nil
}

func (e *Engine) sameMatterChoices(t *turn) []services.Choice {
	return []services.Choice{
		{Value: "same", Label: e.tr(t, "complaint_flow.same_yes", nil), Keywords: e.vocab.Yes},
		{Value: "new", Label: e.tr(t, "complaint_flow.same_no", nil), Keywords: e.vocab.No},
	}
}

// sameMatterQuestion asks whether the complaint repeats the open one.
func (e *Engine) sameMatterQuestion(t *turn) string {
	return e.tr(t, "complaint_flow.same_matter", map[string]string{
		"ticket":   t.st.Matter,
		"category": e.display(t, e.fieldNamed(t.st.Service, services.CategoryField), t.st.Data[services.CategoryField]),
		"village":  e.display(t, e.fieldNamed(t.st.Service, services.VillageField), t.st.Data[services.VillageField]),
		"date":     ticketDate(e, t, t.st.Matter),
	})
}

// ticketDate reads the filing date out of a ticket number (LKS-YYMMDD-N).
func ticketDate(e *Engine, t *turn, ticket string) string {
	parts := strings.Split(ticket, "-")
	if len(parts) == 3 {
		if d, err := time.ParseInLocation("060102", parts[1], e.catalog.Office.Location); err == nil {
			return e.formatDate(t, d)
		}
	}
	return ticket
}

func (e *Engine) fieldNamed(code, name string) services.Field {
	svc, _ := e.catalog.Service(code)
	for _, f := range svc.Form {
		if f.Name == name {
			return f
		}
	}
	return services.Field{Name: name, Type: services.FieldText}
}

// notifyNewComplaint tells the handling unit, with the photos; an anonymous
// complaint names nobody.
func (e *Engine) notifyNewComplaint(t *turn, svc services.Service, c services.NewCase, r services.Receipt) {
	lang := e.staffLang()
	staffTurn := &turn{st: State{Lang: lang}}
	name := c.CitizenName
	if c.Confidentiality == services.ConfidentialAnonymous || name == "" {
		name = e.texts.T(lang, "staff.anonymous", nil)
	}
	text := e.texts.T(lang, "staff.new_complaint", map[string]string{
		"ticket": r.Ticket, "service": e.texts.T(lang, "service."+svc.Code+".name", nil),
		"category":        e.display(staffTurn, e.fieldNamed(svc.Code, services.CategoryField), c.Form[services.CategoryField]),
		"village":         e.display(staffTurn, e.fieldNamed(svc.Code, services.VillageField), c.VillageCode),
		"confidentiality": e.display(staffTurn, e.fieldNamed(svc.Code, services.ConfidentialityField), c.Confidentiality),
		"name":            name,
		"due":             e.formatDateIn(lang, r.DueAt),
		"text":            c.Form[services.DescriptionField],
	})
	view := services.CaseView{Ticket: r.Ticket, Unit: c.Unit, Confidentiality: c.Confidentiality}
	t.out = append(t.out, e.tellUnit(view, Reply{Text: text, Files: c.Attachments})...)
}

// coarseLocations is form with each shared location rounded to two
// decimals, about a kilometre, the size of a village: where an anonymous
// complainant stood when they shared it would otherwise tell staff where
// they live. The form itself is not changed.
func coarseLocations(svc services.Service, form map[string]string) map[string]string {
	out := maps.Clone(form)
	for _, f := range svc.Form {
		geo, ok := strings.CutPrefix(out[f.Name], "geo:")
		if f.Type != services.FieldLocation || !ok {
			continue
		}
		coords, name, _ := strings.Cut(geo, "|")
		lat, lon, _ := strings.Cut(coords, ",")
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(lon, 64)
		if err1 != nil || err2 != nil {
			delete(out, f.Name) // not a place the bot wrote: keep nothing of it
			continue
		}
		out[f.Name] = fmt.Sprintf("geo:%.2f,%.2f|%s", la, lo, name)
	}
	return out
}
