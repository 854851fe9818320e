package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// The inbox (issue #22): the conversations citizens opened with the office,
// beside the case queue. A conversation's page shows its thread, a reply
// box with the office's canned answers (handover.yaml, templat_balasan) and
// the chat's actions: ambil, alihkan, selesai, jadikan kasus. Every action
// is the casework desk's, as in the chat.

// talkChange starts what the store tells of a changed conversation
// (pgstore.HandoverChange): the event stream tells the inbox and the
// conversation's page, which refresh themselves.
const talkChange = "percakapan-"

// talkRow is one conversation in the inbox.
type talkRow struct {
	Number, URL, Unit, State, Name, Since, Holder string
	Mine, Waiting                                 bool
}

// inboxView is the inbox page's data.
type inboxView struct {
	Rows []talkRow
}

// talkLine is one message of a conversation's thread, with its photo or
// document when it has one.
type talkLine struct {
	When, Who, Text, Kind string
	FileURL               string
	Image                 bool
}

// talkView is a conversation page's data.
type talkView struct {
	Number, URL, Unit, State, Name, Channel, Holder string
	Open                                            bool
	Lines                                           []talkLine
	Templates                                       []option
	Targets, Services                               []option
	Result, Error                                   string
}

// inbox lists the open conversations the officer may see, oldest first.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request, o services.Officer) {
	list, err := s.desk.Conversations(r.Context(), o)
	if err != nil {
		s.fail(w, r, "list conversations", err)
		return
	}
	var v inboxView
	for _, h := range list {
		v.Rows = append(v.Rows, s.talkRow(h, o))
	}
	s.render(w, r, http.StatusOK, "inbox", &o, v)
}

func (s *Server) talkRow(h services.Handover, o services.Officer) talkRow {
	row := talkRow{
		Number: strconv.FormatInt(h.Number, 10), URL: "/percakapan/" + strconv.FormatInt(h.Number, 10),
		Unit: s.tr("unit." + h.Unit), State: s.tr("handover.state." + string(h.State)),
		Name: cmp.Or(h.CitizenName, s.tr("staff.actor_citizen")), Since: s.dateTime(h.OpenedAt), Holder: "-",
		Mine: h.Holder == o.ID, Waiting: h.State == services.HandoverWaiting,
	}
	if a, ok := s.staff.Officer(h.Holder); ok {
		row.Holder = a.Name
	}
	return row
}

// talkNumber reads the conversation's number from the path.
func talkNumber(r *http.Request) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue("number"), 10, 64)
	return n, err == nil && n > 0
}

// talk shows one conversation: its thread, the reply box and the actions.
func (s *Server) talk(w http.ResponseWriter, r *http.Request, o services.Officer) {
	number, ok := talkNumber(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	// The first open in a session is on record, as a case's is; the page
	// shown again after an action is not a new read.
	ctx := r.Context()
	session, _ := ctx.Value(sessionKey{}).(string)
	seen := "talkread:" + session + ":" + strconv.FormatInt(number, 10)
	first, err := s.cfg.Tokens.Claim(ctx, seen, readMemory)
	if err != nil {
		s.fail(w, r, "remember a conversation's read", err)
		return
	}
	read := s.desk.RereadConversation
	if first {
		read = s.desk.Conversation
	}
	h, msgs, err := read(ctx, o, number)
	if err != nil && first {
		// Nothing on record: the next open is a first one again.
		if _, derr := s.cfg.Tokens.Delete(context.WithoutCancel(ctx), seen); derr != nil {
			s.log.Warn("console: a conversation's read not recorded is remembered as recorded", "conversation", number, "err", derr)
		}
	}
	if errors.Is(err, services.ErrNoHandover) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, "open a conversation", err)
		return
	}
	row := s.talkRow(h, o)
	v := talkView{
		Number: row.Number, URL: row.URL, Unit: row.Unit, State: row.State, Name: row.Name, Channel: h.Channel,
		Holder: row.Holder, Open: h.State != services.HandoverClosed,
	}
	for _, m := range msgs {
		line := s.desk.MessageLine(h, m)
		kind := "officer"
		switch m.From {
		case services.HandoverFromCitizen:
			kind = "citizen"
		case services.HandoverFromBot:
			kind = "bot"
		}
		// The line is "15.04 who: text"; the page shows its parts apart.
		when, rest, _ := strings.Cut(line, " ")
		who, text, _ := strings.Cut(rest, ": ")
		l := talkLine{When: when, Who: who, Text: text, Kind: kind}
		if m.File != nil && s.cfg.Media != nil {
			l.FileURL, l.Image = row.URL+"/berkas/"+m.File.SHA256, strings.HasPrefix(m.File.MIME, "image/")
		}
		v.Lines = append(v.Lines, l)
	}
	for i, tpl := range s.catalog.Handover.Templates {
		v.Templates = append(v.Templates, option{Value: strconv.Itoa(i + 1), Label: tpl.Title})
	}
	for _, u := range s.catalog.Office.Units {
		if u != h.Unit {
			v.Targets = append(v.Targets, option{Value: u, Label: s.tr("unit." + u)})
		}
	}
	for _, a := range s.staff.Officers {
		if a.Active && a.ID != h.Holder && (a.Unit != "" || a.Role.AllUnits()) {
			v.Targets = append(v.Targets, option{Value: a.ID, Label: a.Name})
		}
	}
	for _, svc := range s.catalog.Services {
		v.Services = append(v.Services, option{Value: svc.Code, Label: s.serviceName(svc.Code)})
	}
	q := r.URL.Query()
	if key, ok := talkResults[q.Get("hasil")]; ok {
		v.Result = s.tr(key)
	}
	if key, ok := talkErrors[q.Get("galat")]; ok {
		v.Error = s.texts.T(locales.DefaultLang, key, map[string]string{"number": row.Number, "officer": q.Get("oleh")})
	}
	s.render(w, r, http.StatusOK, "talk", &o, v)
}

// talkFile serves a photo or document of a conversation to an officer who
// may see it, as the case page's files are served.
func (s *Server) talkFile(w http.ResponseWriter, r *http.Request, o services.Officer) {
	number, ok := talkNumber(r)
	if !ok || s.cfg.Media == nil {
		s.notFound(w, r)
		return
	}
	f, err := s.desk.ConversationFile(r.Context(), o, number, r.PathValue("sha"))
	if errors.Is(err, services.ErrNoHandover) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, "find a conversation's file", err)
		return
	}
	s.serveFile(w, r, f, "conversation "+strconv.FormatInt(number, 10))
}

// maxReplyFile is the largest photo or PDF an officer sends from the
// console, as the chats take from citizens.
const maxReplyFile = 10 << 20

// MediaSaver keeps the photos and documents officers send from the
// console: *mediastore.Store.
type MediaSaver interface {
	Save(ctx context.Context, kind string, data []byte) (services.StoredFile, error)
}

// replyFile reads the photo or PDF of a reply form, if one was chosen,
// checked as the chats check citizens' files (its type from its bytes, a
// picture's header, a PDF's scripts) and kept without a picture's
// metadata. refused is why it cannot be sent.
func (s *Server) replyFile(r *http.Request) (*services.StoredFile, string, error) {
	saver, ok := s.cfg.Media.(MediaSaver)
	f, _, err := r.FormFile("berkas")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, "", nil
	}
	if err != nil || !ok {
		return nil, services.FileRefusedType, nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxReplyFile+1))
	if err != nil {
		return nil, "", fmt.Errorf("read the uploaded file: %w", err)
	}
	if len(data) == 0 {
		return nil, "", nil
	}
	mime, refused := services.JudgeFile(data, maxReplyFile)
	if refused == "" {
		refused = services.JudgeContent(data, mime)
	}
	if refused != "" {
		return nil, refused, nil
	}
	if mime != services.MIMEPDF {
		if data, _, err = services.StripImage(data); err != nil {
			return nil, services.FileRefusedType, nil
		}
	}
	stored, err := saver.Save(r.Context(), services.FileKind(mime), data)
	if err != nil {
		return nil, "", fmt.Errorf("keep the uploaded file: %w", err)
	}
	return &stored, "", nil
}

// talkResults and talkErrors are what a conversation page says after an
// action (?hasil=, ?galat=), by locale key.
var (
	talkResults = map[string]string{
		"sent": "console.talk.sent", "untold": "console.talk.untold", "taken": "console.talk.taken",
		"moved": "console.talk.moved", "closed": "console.talk.closed",
	}
	talkErrors = map[string]string{
		"held": "handover.staff.held_by", "closed": "handover.staff.already_closed", "text": "console.talk.need_text",
		"target": "console.talk.need_target", "service": "console.talk.need_service", "file": "console.talk.bad_file",
	}
)

// talkAct carries out an action on a conversation and shows it again.
func (s *Server) talkAct(w http.ResponseWriter, r *http.Request, o services.Officer) {
	number, ok := talkNumber(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	var (
		out    casework.HandoverOutcome
		err    error
		result string
	)
	switch r.PostFormValue("aksi") {
	case "balas":
		text := strings.TrimSpace(r.PostFormValue("pesan"))
		if i, err := strconv.Atoi(r.PostFormValue("templat")); err == nil && i >= 1 && i <= len(s.catalog.Handover.Templates) {
			// A canned answer, with what the officer typed after it.
			text = strings.TrimSpace(s.catalog.Handover.Templates[i-1].Text + "\n" + text)
		}
		file, refused, ferr := s.replyFile(r)
		if ferr != nil {
			s.fail(w, r, "keep an officer's file", ferr)
			return
		}
		if refused != "" {
			http.Redirect(w, r, "/percakapan/"+strconv.FormatInt(number, 10)+"?galat=file", http.StatusSeeOther)
			return
		}
		out, err = s.desk.ReplyHandover(ctx, o, number, text, file)
		result = "sent"
		if err == nil && !out.Citizen.Told() {
			result = "untold"
		}
	case "ambil":
		out, err = s.desk.TakeHandover(ctx, o, number)
		result = "taken"
	case "alihkan":
		out, err = s.desk.TransferHandover(ctx, o, number, r.PostFormValue("tujuan"))
		result = "moved"
	case "selesai":
		out, err = s.desk.CloseHandover(ctx, o, number, "")
		result = "closed"
	case "jadikan":
		service := r.PostFormValue("layanan")
		if service == "" {
			err = casework.ErrNoService
			break
		}
		out, err = s.desk.CloseHandover(ctx, o, number, service)
		result = "closed"
	default:
		s.notFound(w, r)
		return
	}
	back := func(key, value string, extra ...string) {
		q := url.Values{key: {value}}
		if len(extra) == 2 {
			q.Set(extra[0], extra[1])
		}
		http.Redirect(w, r, "/percakapan/"+strconv.FormatInt(number, 10)+"?"+q.Encode(), http.StatusSeeOther)
	}
	switch {
	case errors.Is(err, services.ErrNoHandover):
		s.notFound(w, r)
	case errors.Is(err, services.ErrHandoverHeld):
		holder := out.Handover.Holder
		if a, ok := s.staff.Officer(holder); ok {
			holder = a.Name
		}
		back("galat", "held", "oleh", holder)
	case errors.Is(err, services.ErrHandoverClosed):
		back("galat", "closed")
	case errors.Is(err, casework.ErrNoteNeeded):
		back("galat", "text")
	case errors.Is(err, casework.ErrNoTarget):
		back("galat", "target")
	case errors.Is(err, casework.ErrNoService):
		back("galat", "service")
	case err != nil:
		s.fail(w, r, "act on a conversation", err)
	default:
		back("hasil", result)
	}
}

// inboxTextKeys are the locale keys the inbox's code shows.
func inboxTextKeys() []string {
	keys := []string{"staff.actor_citizen"}
	for _, k := range talkResults {
		keys = append(keys, k)
	}
	for _, k := range talkErrors {
		keys = append(keys, k)
	}
	for _, st := range []services.HandoverState{services.HandoverWaiting, services.HandoverHeld, services.HandoverClosed} {
		keys = append(keys, "handover.state."+string(st))
	}
	return keys
}
