package conversation

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/leksono/sapa/services"
)

// Documents as part of the form (services/field_document.go). The
// document fields of a form are asked together, once the typed answers are
// in: the citizen sends them at once (an album) and in any order, a
// caption naming a document when the order differs, or says "nanti" and
// sends them later. A case filed without a required document waits in
// perlu_perbaikan, and its time limit starts when the last one is in.

// DocumentDesk files the documents a citizen sends after their case.
type DocumentDesk interface {
	AddDocuments(ctx context.Context, d services.DocumentsAdded) (services.CaseView, error)
}

// laterValue is the value of the "later" option of the documents question.
const laterValue = "later"

// formCount is how many questions a form asks one by one: its documents
// are one question at the end.
func formCount(svc services.Service) int {
	return len(svc.Form) - len(svc.Documents())
}

// documentsQuestion asks for the documents: the whole list the first
// time, the ones still missing once some arrived.
func (e *Engine) documentsQuestion(t *turn, svc services.Service) string {
	missing := svc.MissingDocuments(t.st.Data)
	received := false
	for _, f := range svc.Documents() {
		received = received || services.DocumentCount(t.st.Data[f.Name]) > 0
	}
	if received {
		return e.tr(t, "document.ask_rest", map[string]string{"missing": e.documentNames(t, missing)})
	}
	lines := make([]string, 0, len(svc.Documents())+1)
	original := false
	for i, f := range svc.Documents() {
		key := "document.item"
		if f.Original {
			key, original = "document.item_original", true
		}
		lines = append(lines, e.tr(t, key, map[string]string{"number": strconv.Itoa(i + 1), "label": e.tr(t, f.LabelKey(), nil)}))
	}
	if original {
		lines = append(lines, e.tr(t, "document.original_note", nil))
	}
	return e.tr(t, "document.ask", map[string]string{"list": strings.Join(lines, "\n")})
}

// documentChoices offers "later" at the documents question; the words of
// a citizen who has none at hand ("nanti", "besok", "lewati") pick it.
func (e *Engine) documentChoices(t *turn) []services.Choice {
	words := append([]string{}, e.texts.Words("later")...)
	words = append(words, e.texts.Words("done_files")...)
	words = append(words, e.texts.Words("skip")...)
	return []services.Choice{{Value: laterValue, Label: e.tr(t, "document.later_button", nil), Keywords: words}}
}

// documentNames joins the labels of documents: "KTP-el, KK".
func (e *Engine) documentNames(t *turn, fields []services.Field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = e.tr(t, f.LabelKey(), nil)
	}
	return strings.Join(names, ", ")
}

// onDocuments takes the files of the documents question, or "later".
func (e *Engine) onDocuments(ctx context.Context, t *turn, svc services.Service) error {
	if sendsFiles(t.in) {
		placed, refused, err := e.takeDocuments(ctx, t, svc, t.st.Data)
		if err != nil {
			return err
		}
		if refused != "" {
			e.wrong(t, refused)
			return nil
		}
		for _, f := range placed {
			t.st.Data[f.Requirement] = strconv.Itoa(services.DocumentCount(t.st.Data[f.Requirement]) + 1)
		}
		t.st.Files = append(t.st.Files, placed...)
		t.say(e.tr(t, "document.received", map[string]string{"documents": e.placedNames(t, svc, placed)}))
		if len(svc.MissingDocuments(t.st.Data)) == 0 {
			e.finishDocuments(t, svc)
			return nil
		}
		t.st.Retries = 0
		e.prompt(t)
		return nil
	}
	if t.in.Kind == KindUnsupported {
		e.unsupported(t)
		return nil
	}
	if _, ok := e.choose(t, "document.hint"); !ok {
		return nil
	}
	e.finishDocuments(t, svc)
	return nil
}

// takeDocuments stores the files of a message for the documents still
// open in data, each marked with the document it is taken for. A file no
// document has room for is refused with the reason, and so is one that is
// not a photo or PDF.
func (e *Engine) takeDocuments(ctx context.Context, t *turn, svc services.Service, data map[string]string) ([]services.StoredFile, string, error) {
	room := 0
	for _, f := range svc.Documents() {
		room += max(0, f.MaxFiles-services.DocumentCount(data[f.Name]))
	}
	if room == 0 {
		return nil, e.tr(t, "document.full", nil), nil
	}
	files, refused, err := e.saveFiles(ctx, t, room)
	if err != nil || refused != "" {
		return nil, refused, err
	}
	placed, _ := svc.PlaceFiles(data, t.in.Text, len(files))
	for i := range placed {
		files[i].Requirement = placed[i].Field
	}
	return files[:len(placed)], "", nil
}

// placedNames names the documents files were taken for, each once.
func (e *Engine) placedNames(t *turn, svc services.Service, files []services.StoredFile) string {
	var got []services.Field
	for _, f := range svc.Documents() {
		for _, file := range files {
			if file.Requirement == f.Name {
				got = append(got, f)
				break
			}
		}
	}
	return e.documentNames(t, got)
}

// finishDocuments records every document not sent as "0" (to come) and
// moves the form on.
func (e *Engine) finishDocuments(t *turn, svc services.Service) {
	for _, f := range svc.Documents() {
		if _, ok := t.st.Data[f.Name]; !ok {
			t.st.Data[f.Name] = "0"
		}
	}
	e.advance(t, svc)
}

// displayDocument shows a document's answer in the summary.
func (e *Engine) displayDocument(t *turn, value string) string {
	if n := services.DocumentCount(value); n > 0 {
		return e.tr(t, "document.count", map[string]string{"count": strconv.Itoa(n)})
	}
	return e.tr(t, "document.none", nil)
}

// requirementsList is a service standard's requirements read from the
// catalog: the documents the form asks for and those brought at pick-up.
func (e *Engine) requirementsList(t *turn, svc services.Service) string {
	lines := make([]string, 0, len(svc.Requirements)+1)
	original := false
	for i, r := range svc.Requirements {
		key := "document.item"
		switch {
		case r.AtPickup:
			key = "document.item_pickup"
		case e.fieldNamed(svc.Code, r.Name).Original:
			key, original = "document.item_original", true
		}
		lines = append(lines, e.tr(t, key, map[string]string{"number": strconv.Itoa(i + 1), "label": e.tr(t, "field."+r.Name+".label", nil)}))
	}
	if original {
		lines = append(lines, e.tr(t, "document.original_note", nil))
	}
	return strings.Join(lines, "\n")
}

// lateDocuments joins photos or PDFs sent at a menu to the citizen's open
// case still missing documents, the newest such case. It reports false
// when the citizen has none, for the message to be answered as before.
func (e *Engine) lateDocuments(ctx context.Context, t *turn) (bool, error) {
	if !sendsFiles(t.in) {
		return false, nil
	}
	cases, err := e.desk.CitizenCases(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, maxListed)
	if err != nil {
		return false, fmt.Errorf("look for cases of %s missing documents: %w", t.in.Chat, err)
	}
	var (
		c   services.CaseView
		svc services.Service
	)
	for _, v := range cases {
		s, ok := e.catalog.Service(v.ServiceCode)
		if ok && v.Status.Open() && len(s.MissingDocuments(v.Form)) > 0 {
			c, svc = v, s
			break
		}
	}
	if c.Ticket == "" {
		return false, nil
	}
	desk, ok := e.desk.(DocumentDesk)
	if !ok {
		return true, fmt.Errorf("add documents to %s: the case desk cannot store documents", c.Ticket)
	}
	files, refused, err := e.takeDocuments(ctx, t, svc, c.Form)
	if err != nil {
		return true, err
	}
	if refused != "" {
		e.wrong(t, refused)
		return true, nil
	}
	form := maps.Clone(c.Form)
	counts := map[string]string{}
	for _, f := range files {
		counts[f.Requirement] = strconv.Itoa(services.DocumentCount(form[f.Requirement]) + 1)
		form[f.Requirement] = counts[f.Requirement]
	}
	missing := svc.MissingDocuments(form)
	now := e.now()
	got := e.placedNames(t, svc, files)
	staffLang := e.staffLang()
	add := services.DocumentsAdded{
		Ticket: c.Ticket, Files: files, Counts: counts, Complete: len(missing) == 0, At: now,
		Note: e.texts.T(staffLang, "document.history", map[string]string{"documents": e.placedNames(&turn{st: State{Lang: staffLang}}, svc, files)}),
	}
	if add.Complete {
		add.DueAt = e.calendar.DueDate(now, svc.Days)
	}
	updated, err := desk.AddDocuments(ctx, add)
	if err != nil {
		return true, fmt.Errorf("add the documents of %s to %s: %w", t.in.Chat, c.Ticket, err)
	}
	args := map[string]string{"ticket": c.Ticket, "documents": got, "missing": e.documentNames(t, missing),
		"due": e.formatDate(t, updated.DueAt), "days": strconv.Itoa(svc.Days)}
	staffArgs := map[string]string{"ticket": c.Ticket, "service": e.texts.T(staffLang, "service."+svc.Code+".name", nil),
		"documents": e.placedNames(&turn{st: State{Lang: staffLang}}, svc, files), "missing": e.documentNames(&turn{st: State{Lang: staffLang}}, missing), "due": e.formatDateIn(staffLang, updated.DueAt)}
	key, staffKey := "document.late_received", "document.staff_added"
	if add.Complete {
		key, staffKey = "document.late_complete", "document.staff_complete"
	}
	t.say(e.tr(t, key, args))
	text := e.texts.T(staffLang, staffKey, staffArgs)
	t.out = append(t.out, e.tellCaseStaff(updated, Reply{Text: text, Files: files})...)
	t.st.Retries = 0
	if add.Complete && svc.Visit == services.VisitPickup && e.visitsOn(svc) {
		// The pick-up waited for the complete file: its time is chosen now.
		if err := e.offerVisit(ctx, t, c.Ticket, svc, updated.DueAt, now, false); err != nil {
			e.log.Warn("visit not offered", "ticket", c.Ticket, "err", err)
			t.say(e.tr(t, "visit.unavailable", nil))
		}
	}
	e.prompt(t)
	return true, nil
}

// pastDocuments are the documents of a returning citizen's last request c
// that svc's form can take again: those the office lets be reused
// (Catalog.ReuseDocuments), not older than it allows, complete, and not
// sent in this form yet. The files are filed with the new case as they
// are: the media store keeps each once.
func (e *Engine) pastDocuments(t *turn, svc services.Service, c services.CaseView) (map[string]string, []services.StoredFile) {
	var (
		answers map[string]string
		files   []services.StoredFile
	)
	age := e.now().Sub(c.CreatedAt)
	for _, f := range svc.Documents() {
		valid, ok := e.catalog.ReuseDocuments[f.Name]
		if _, answered := t.st.Data[f.Name]; !ok || answered || age > valid {
			continue
		}
		var got []services.StoredFile
		for _, a := range c.Attachments {
			if a.Requirement == f.Name && len(got) < f.MaxFiles {
				got = append(got, a)
			}
		}
		if len(got) == 0 || len(got) < f.MinFiles {
			continue
		}
		if answers == nil {
			answers = map[string]string{}
		}
		answers[f.Name] = strconv.Itoa(len(got))
		files = append(files, got...)
	}
	return answers, files
}

// forgetDocument drops the files of the form's field i when it is a
// document picked from the summary to change: the photos sent next take
// its place.
func (e *Engine) forgetDocument(t *turn, i int) {
	svc, _ := e.catalog.Service(t.st.Service)
	if i < 0 || i >= len(svc.Form) || svc.Form[i].Type != services.FieldDocument {
		return
	}
	name := svc.Form[i].Name
	delete(t.st.Data, name)
	t.st.Files = slices.DeleteFunc(t.st.Files, func(f services.StoredFile) bool { return f.Requirement == name })
}

// documentsHaveRoom reports, at the summary, whether the form's documents
// take more files: the back of a KK sent after the album that completed
// the file is its second page, not a stray photo.
func (e *Engine) documentsHaveRoom(t *turn) bool {
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok || !sendsFiles(t.in) {
		return false
	}
	for _, f := range svc.Documents() {
		if services.DocumentCount(t.st.Data[f.Name]) < f.MaxFiles {
			return true
		}
	}
	return false
}

// moreDocuments adds files sent at the summary to the form's documents,
// where there is room, and shows the summary again.
func (e *Engine) moreDocuments(ctx context.Context, t *turn) error {
	svc, _ := e.catalog.Service(t.st.Service)
	placed, refused, err := e.takeDocuments(ctx, t, svc, t.st.Data)
	if err != nil {
		return err
	}
	if refused != "" {
		e.wrong(t, refused)
		return nil
	}
	for _, f := range placed {
		t.st.Data[f.Requirement] = strconv.Itoa(services.DocumentCount(t.st.Data[f.Requirement]) + 1)
	}
	t.st.Files = append(t.st.Files, placed...)
	received := e.tr(t, "document.received", map[string]string{"documents": e.placedNames(t, svc, placed)})
	if missing := svc.MissingDocuments(t.st.Data); len(missing) > 0 {
		// One short line per file of an album, not the whole summary each
		// time: the summary comes back once the file is complete.
		t.say(received + "\n" + e.tr(t, "document.summary_rest", map[string]string{"missing": e.documentNames(t, missing)}))
		return nil
	}
	t.say(received)
	e.prompt(t)
	return nil
}

// documentsRequest is the summary's line on the documents still to come
// (the summary's lines above name each one "belum"): send them now, or
// file and send them later.
func (e *Engine) documentsRequest(t *turn) string {
	return e.tr(t, "document.summary_missing", nil)
}

// laterAtSummary answers "nanti" typed at the summary, where the documents
// are asked: they may follow, and the request is filed with "Ya".
func (e *Engine) laterAtSummary(t *turn) bool {
	svc, ok := e.catalog.Service(t.st.Service)
	if !ok || t.in.Kind != KindText || len(svc.MissingDocuments(t.st.Data)) == 0 || !e.isWord("later", t.text) {
		return false
	}
	t.say(e.tr(t, "document.later_ack", nil))
	return true
}
