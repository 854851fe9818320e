package conversation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/services"
)

// StepStatus lists the citizen's own cases (State.Listed), to pick one.
const StepStatus Step = "status"

func init() {
	register(StepStatus, stepKind{
		question: func(e *Engine, t *turn) string { return e.tr(t, "status.pick", nil) },
		scope:    fixedScope("st"),
		choices:  func(e *Engine, t *turn) []services.Choice { return e.withBack(t, e.statusChoices(t)) },
		handle:   (*Engine).onStatus,
		menu:     true,
	})
}

// maxListed bounds the cases shown in one status list.
const maxListed = 10

// showStatusList lists the citizen's own cases, newest first, and offers
// each ticket for its timeline.
func (e *Engine) showStatusList(ctx context.Context, t *turn) error {
	cases, err := e.desk.CitizenCases(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, maxListed)
	if err != nil {
		return fmt.Errorf("list cases of %s: %w", t.in.Chat, err)
	}
	t.st.Retries = 0
	if len(cases) == 0 {
		t.say(e.tr(t, "status.none", nil))
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	lines := []string{e.tr(t, "status.title", nil)}
	t.st.Listed = t.st.Listed[:0]
	for _, c := range cases {
		key := "status.line"
		if !c.Status.Open() {
			key = "status.line_closed" // no "perkiraan selesai -" once done
		}
		lines = append(lines, e.tr(t, key, e.caseArgs(t, c)))
		t.st.Listed = append(t.st.Listed, c.Ticket)
	}
	t.say(strings.Join(lines, "\n"))
	t.st.Step = StepStatus
	e.prompt(t)
	return nil
}

func (e *Engine) statusChoices(t *turn) []services.Choice {
	out := make([]services.Choice, 0, len(t.st.Listed))
	for _, ticket := range t.st.Listed {
		out = append(out, services.Choice{Value: ticket, Label: ticket})
	}
	return out
}

func (e *Engine) onStatus(ctx context.Context, t *turn) error {
	if ticket, ok := services.NormalizeTicket(t.text); ok && t.in.Kind == KindText {
		return e.showTimeline(ctx, t, ticket)
	}
	value, ok, err := e.chooseOrUnderstand(ctx, t, "input.unknown_choice")
	if !ok || err != nil {
		return err
	}
	if value == "menu" {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	return e.showTimeline(ctx, t, value)
}

// showTimeline shows one of the citizen's own cases with its history. A
// ticket of another citizen answers exactly like one that does not exist.
func (e *Engine) showTimeline(ctx context.Context, t *turn, ticket string) error {
	c, events, err := e.desk.CitizenCase(ctx, ticket, t.in.Chat.Channel, t.in.Chat.ChatID)
	if errors.Is(err, ErrNoCase) {
		e.wrong(t, e.tr(t, "status.not_found", map[string]string{"ticket": ticket}))
		return nil
	}
	if err != nil {
		return fmt.Errorf("show case %s to %s: %w", ticket, t.in.Chat, err)
	}
	t.st.Retries = 0
	lines := []string{e.tr(t, "status.case", e.caseArgs(t, c))}
	for _, ev := range events {
		if !ev.Shown() {
			continue
		}
		lines = append(lines, e.tr(t, "status.event", map[string]string{
			"when": e.formatDateTime(t, ev.At),
			"what": e.describeEvent(t, ev),
		}))
	}
	t.say(strings.Join(lines, "\n"))
	if len(t.st.Listed) == 0 {
		e.toMenu(t)
	} else {
		t.st.Step = StepStatus
	}
	e.prompt(t)
	return nil
}

// describeEvent says in one line what happened, as a citizen reads it.
func (e *Engine) describeEvent(t *turn, ev services.Event) string {
	args := map[string]string{"status": e.statusLabel(t, ev.To), "note": ev.Note}
	if ev.NoteErased {
		args["note"] = e.tr(t, "privacy.note_erased", nil)
	}
	switch {
	case ev.Kind == services.EventSubmit:
		return e.tr(t, "status.what.submit", args)
	case ev.Kind == services.EventQuestion:
		return e.tr(t, "status.what.question", args)
	case ev.Kind == services.EventReply:
		return e.tr(t, "status.what.reply", args)
	case ev.Kind == services.EventLetter:
		return e.tr(t, "status.what.letter", args)
	case ev.Kind == services.EventLetterRevoked:
		return e.tr(t, "status.what.letter_revoked", args)
	case ev.Note != "" || ev.NoteErased:
		return e.tr(t, "status.what.status_note", args)
	default:
		return e.tr(t, "status.what.status", args)
	}
}

// caseArgs are the placeholders every case line uses.
func (e *Engine) caseArgs(t *turn, c services.CaseView) map[string]string {
	due := e.formatDate(t, c.DueAt)
	if !c.Status.Open() {
		due = "-"
	} else if c.Status == services.StatusIncomplete {
		due = e.tr(t, "status.paused", nil)
	}
	village := c.VillageCode
	if v, ok := e.catalog.Village(c.VillageCode); ok {
		village = v.Name
	}
	return map[string]string{
		"ticket":  c.Ticket,
		"service": e.serviceName(t, c.ServiceCode),
		"status":  e.statusLabel(t, c.Status),
		"due":     due,
		"village": village,
	}
}

func (e *Engine) statusLabel(t *turn, s services.Status) string {
	return e.tr(t, "status.label."+string(s), nil)
}

func (e *Engine) formatDateTime(t *turn, at time.Time) string {
	return e.formatDate(t, at) + " " + at.In(e.catalog.Office.Location).Format("15.04")
}

// Answering an officer's question ("tanya"). The staff side records the
// question in State.Awaiting; at the citizen's next message the question
// becomes what they see (questionArrived): their message answers it, a
// photo or a PDF too, while the menu's own words and numbers still lead
// to the menu, and the question waits there as a menu item. Several
// questions on several cases wait in State.Questions, each answered on its
// own ticket.
const (
	StepAnswer    Step = "answer"    // answering the question on Questions[0]
	StepQuestions Step = "questions" // several questions wait: which one to answer
)

func init() {
	register(StepAnswer, stepKind{
		question: (*Engine).answerQuestionText,
		// The menu's buttons keep working here: the same scope.
		scope:   fixedScope("menu"),
		choices: (*Engine).answerChoices,
		handle:  (*Engine).onAnswer,
		help:    "help.answer",
		files:   func(*Engine, *turn) bool { return true },
	})
	register(StepQuestions, stepKind{
		question: func(e *Engine, t *turn) string {
			return e.tr(t, "status.questions", map[string]string{"count": strconv.Itoa(len(t.st.Questions))})
		},
		scope:   fixedScope("q"),
		choices: (*Engine).questionChoices,
		handle:  (*Engine).onQuestions,
		help:    "help.answer",
		files:   func(*Engine, *turn) bool { return true },
	})
}

func isQuestionStep(s Step) bool { return s == StepAnswer || s == StepQuestions }

// questionArrived takes an officer's new question (State.Awaiting) among
// the waiting ones and puts the citizen in front of them. The waiting ones
// are the citizen's cases waiting for them (perlu perbaikan): Awaiting
// names only the latest question, and two officers asking before the
// citizen writes must not hide the first.
func (e *Engine) questionArrived(ctx context.Context, t *turn) error {
	cases, err := e.desk.CitizenCases(ctx, t.in.Chat.Channel, t.in.Chat.ChatID, maxListed)
	if err != nil {
		return fmt.Errorf("list the questions waiting for %s: %w", t.in.Chat, err)
	}
	waiting := make([]string, 0, len(cases)+1)
	for i := len(cases) - 1; i >= 0; i-- { // oldest first
		if cases[i].Status == services.StatusIncomplete {
			waiting = append(waiting, cases[i].Ticket)
		}
	}
	if !slices.Contains(waiting, t.st.Awaiting) {
		// Not in the list yet (a case still on its way to the database).
		waiting = append(waiting, t.st.Awaiting)
	}
	t.st.Questions = waiting
	t.st.Awaiting = ""
	e.toQuestions(t)
	return nil
}

// toQuestions puts the citizen in front of the waiting questions: the one
// to answer, or the choice among several.
func (e *Engine) toQuestions(t *turn) {
	t.st.Retries = 0
	t.st.Step = StepAnswer
	if len(t.st.Questions) > 1 {
		t.st.Step = StepQuestions
	}
}

func (e *Engine) answerQuestionText(t *turn) string {
	if len(t.st.Questions) == 0 {
		return e.tr(t, "menu.title", nil)
	}
	return e.tr(t, "status.answer", map[string]string{"ticket": t.st.Questions[0]})
}

// answerChoices are the main menu's, less the question being answered.
func (e *Engine) answerChoices(t *turn) []services.Choice {
	menu := e.menuChoices(t)
	return slices.DeleteFunc(menu, func(c services.Choice) bool { return c.Value == "answer" })
}

// questionsLabel is the menu item that leads back to waiting questions.
func (e *Engine) questionsLabel(t *turn) string {
	if len(t.st.Questions) == 1 {
		return e.tr(t, "status.answer_item", map[string]string{"ticket": t.st.Questions[0]})
	}
	return e.tr(t, "status.answer_items", map[string]string{"count": strconv.Itoa(len(t.st.Questions))})
}

func (e *Engine) questionChoices(t *turn) []services.Choice {
	out := make([]services.Choice, 0, len(t.st.Questions))
	for _, ticket := range t.st.Questions {
		out = append(out, services.Choice{Value: ticket, Label: ticket})
	}
	return e.withBack(t, out)
}

// onAnswer takes the citizen's message as the answer, unless it picks an
// item of the menu: a number or a word of the menu is not an answer a
// citizen writes to an officer, and the question waits in the menu.
func (e *Engine) onAnswer(ctx context.Context, t *turn) error {
	if len(t.st.Questions) == 0 {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	if t.in.Kind == KindChoice || t.in.Kind == KindText && e.menuChoice(t) {
		t.st.Step = StepMenu
		return e.onMenu(ctx, t)
	}
	return e.answerQuestion(ctx, t, t.st.Questions[0])
}

// onQuestions picks which waiting question to answer; a text naming one of
// their tickets answers it at once.
func (e *Engine) onQuestions(ctx context.Context, t *turn) error {
	if ticket, ok := e.namedQuestion(t); ok {
		return e.answerQuestion(ctx, t, ticket)
	}
	if t.in.Kind == KindUnsupported {
		e.wrong(t, e.tr(t, "status.question_which", nil))
		return nil
	}
	value, ok := e.choose(t, "status.question_which")
	if !ok {
		return nil
	}
	if value == "menu" {
		e.toMenu(t)
		e.prompt(t)
		return nil
	}
	// The chosen question goes first; its answer comes next.
	i := slices.Index(t.st.Questions, value)
	t.st.Questions = append(append([]string{value}, t.st.Questions[:i]...), t.st.Questions[i+1:]...)
	t.st.Step = StepAnswer
	t.st.Retries = 0
	e.prompt(t)
	return nil
}

// namedQuestion finds, in a typed message, the ticket of a waiting question.
func (e *Engine) namedQuestion(t *turn) (string, bool) {
	if t.in.Kind != KindText {
		return "", false
	}
	ticket, ok := e.intents.Ticket(t.text)
	return ticket, ok && slices.Contains(t.st.Questions, ticket)
}

// filesAnswerQuestion reports whether a photo or a document answers a
// waiting question: one sent in front of the question, or at a menu.
func (e *Engine) filesAnswerQuestion(t *turn) bool {
	if len(t.st.Questions) == 0 || !isQuestionStep(t.st.Step) && !stepOf(t.st.Step).menu {
		return false
	}
	return sendsFiles(t.in)
}

// followUpFiles is how long after answering an officer's question a photo
// or document still belongs to that answer: a chat app sends the front and
// back of a KK as two messages, seconds apart.
const followUpFiles = 10 * time.Minute

// followsAnswer reports whether a photo or a document adds to the answer
// the citizen's previous message gave on ticket replied, idle ago: sent at
// the menu the answer led to, with no question waiting in front of it.
func (e *Engine) followsAnswer(t *turn, replied string, idle time.Duration) bool {
	return replied != "" && idle <= followUpFiles && len(t.st.Questions) == 0 &&
		stepOf(t.st.Step).menu && sendsFiles(t.in)
}

// sendsFiles reports whether a message carries photos or documents, kept
// or refused for their type or size.
func sendsFiles(in Inbound) bool {
	return len(in.Attachments) > 0 || refusedMedia(in.Media)
}

// answerPending answers the waiting question a message is for: the one
// whose ticket it names, else the only one; with several and no ticket,
// the citizen is asked which first.
func (e *Engine) answerPending(ctx context.Context, t *turn) error {
	if ticket, ok := e.namedQuestion(t); ok {
		return e.answerQuestion(ctx, t, ticket)
	}
	if len(t.st.Questions) == 1 || t.st.Step == StepAnswer {
		return e.answerQuestion(ctx, t, t.st.Questions[0])
	}
	t.st.Step = StepQuestions
	e.wrong(t, e.tr(t, "status.question_which", nil))
	return nil
}

// answerQuestion attaches the citizen's message, text or files, to the
// case whose officer asked them something; a case waiting for that answer
// goes back to verification, and its officer is told, with the files.
func (e *Engine) answerQuestion(ctx context.Context, t *turn, ticket string) error {
	c, _, err := e.desk.CitizenCase(ctx, ticket, t.in.Chat.Channel, t.in.Chat.ChatID)
	if errors.Is(err, ErrNoCase) {
		// Gone (erased, or never the citizen's): nothing waits any more.
		t.st.Questions = slices.DeleteFunc(t.st.Questions, func(q string) bool { return q == ticket })
		e.afterAnswer(t)
		return nil
	}
	if err != nil {
		return fmt.Errorf("load case %s for the answer of %s: %w", ticket, t.in.Chat, err)
	}
	// Photos or documents sent next, in messages of their own, add to
	// this answer (followsAnswer).
	t.st.Replied = ticket
	note := t.text
	var files []services.StoredFile
	if t.in.Kind == KindUnsupported {
		var refused string
		files, refused, err = e.saveFiles(ctx, t, len(t.in.Attachments))
		if err != nil {
			return err
		}
		if refused != "" {
			e.wrong(t, refused)
			return nil
		}
		note = strings.TrimSpace(t.in.Text)
		if note == "" {
			note = e.texts.T(e.staffLang(), "status.reply_files", map[string]string{"count": strconv.Itoa(len(files))})
		}
	}
	now := e.now()
	if len(files) > 0 {
		adder, ok := e.desk.(AttachmentDesk)
		if !ok {
			return fmt.Errorf("add files to %s: the case desk cannot store attachments", ticket)
		}
		if err := adder.AddAttachments(ctx, ticket, files, now); err != nil {
			return fmt.Errorf("add the files of %s to %s: %w", t.in.Chat, ticket, err)
		}
	}
	if c.Status == services.StatusIncomplete {
		c, err = e.desk.ChangeStatus(ctx, services.StatusChange{
			Ticket: ticket, To: services.StatusVerifying, Actor: "citizen", Note: note, At: now, Kind: services.EventReply,
		})
	} else {
		c, err = e.desk.AddEvent(ctx, ticket, services.EventReply, "citizen", note, now)
	}
	if err != nil {
		return fmt.Errorf("attach the answer of %s to %s: %w", t.in.Chat, ticket, err)
	}
	t.st.Questions = slices.DeleteFunc(t.st.Questions, func(q string) bool { return q == ticket })
	t.say(e.tr(t, "status.reply_sent", map[string]string{"ticket": ticket}))
	text := e.texts.T(e.staffLang(), "staff.citizen_replied", map[string]string{
		"ticket": ticket, "service": e.texts.T(e.staffLang(), "service."+c.ServiceCode+".name", nil),
		"note": note, "status": e.texts.T(e.staffLang(), "status.label."+string(c.Status), nil),
	})
	t.out = append(t.out, e.tellCaseStaff(c, Reply{Text: text, Files: files})...)
	e.afterAnswer(t)
	return nil
}

// afterAnswer goes on from an answered question: to the next waiting one,
// the form left for it, or the menu; an answer typed at a menu stays
// there.
func (e *Engine) afterAnswer(t *turn) {
	switch {
	case !isQuestionStep(t.st.Step):
	case len(t.st.Questions) > 0:
		e.toQuestions(t)
	case t.st.Draft != "":
		e.resumeDraft(t)
	default:
		e.toMenu(t)
	}
	e.prompt(t)
}

// tellCaseStaff addresses a case's news to its officer when it has one,
// else to its unit (tellUnit).
func (e *Engine) tellCaseStaff(c services.CaseView, news Reply) []outgoing {
	if c.Assignee != "" {
		// The one visibility rule: an assignee who may no longer see the
		// case (moved to another unit, a rahasia complaint) is not told.
		if o, ok := e.staff.Officer(c.Assignee); ok && services.CanSee(o, c) {
			if chats := officerChats(o); len(chats) > 0 {
				return e.toAllReply(chats, news)
			}
		}
	}
	return e.tellUnit(c, news)
}
