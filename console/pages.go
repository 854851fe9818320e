package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/report"
	"github.com/leksono/sapa/services"
)

// listLimit is the most cases a list asks for: an office's open cases fit.
const listLimit = 500

// homeView is the home page's data: the office at a glance.
type homeView struct {
	NewToday, DueToday, Overdue []caseRow
	// IKM of the month so far, when there are reports and respondents.
	HasReport   bool
	IKM         string
	Quality     string
	Respondents int
	Month       string
}

// home shows today's new cases, those due today, those overdue, and the
// month's satisfaction index with the year's chart.
func (s *Server) home(w http.ResponseWriter, r *http.Request, o services.Officer) {
	now := s.now().In(s.catalog.Office.Location)
	cases, err := s.desk.List(r.Context(), o, services.CaseFilter{Limit: listLimit})
	if err != nil {
		s.fail(w, r, "list cases", err)
		return
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	tomorrow := today.AddDate(0, 0, 1)
	var v homeView
	for _, c := range cases {
		row := s.row(c, o, now)
		switch {
		case !c.CreatedAt.Before(today):
			v.NewToday = append(v.NewToday, row)
		}
		switch {
		case late(c, now):
			v.Overdue = append(v.Overdue, row)
		case c.Status != services.StatusIncomplete && c.DueAt.Before(tomorrow):
			v.DueToday = append(v.DueToday, row)
		}
	}
	v.Month = s.texts.T(locales.DefaultLang, "date.month."+strconv.Itoa(int(now.Month())), nil) + " " + strconv.Itoa(now.Year())
	if s.cfg.Reports != nil {
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
		doc, err := report.Build(r.Context(), s.cfg.Reports, s.catalog.Office, report.Period{First: first, Last: today}, now)
		if err != nil {
			s.fail(w, r, "build the month's report", err)
			return
		}
		v.HasReport = true
		v.Respondents = doc.Report.IKM.Respondents
		if v.Respondents > 0 {
			index, category := doc.Report.IKM.Published(doc.Weighting)
			v.IKM = report.New(s.catalog, s.texts, locales.DefaultLang).CellText(report.Cell{Kind: report.CellNumber, Value: index, Places: 2})
			v.Quality = s.tr("report.quality." + category)
		}
	}
	s.render(w, r, http.StatusOK, "home", &o, v)
}

// cachedChart is the year's chart, drawn at most once a minute.
type cachedChart struct {
	png []byte
	at  time.Time
}

// chartPNG is the chart of `bot report` for the year so far.
func (s *Server) chartPNG(w http.ResponseWriter, r *http.Request, _ services.Officer) {
	if s.cfg.Reports == nil {
		s.notFound(w, r)
		return
	}
	now := s.now().In(s.catalog.Office.Location)
	s.chartMu.Lock()
	defer s.chartMu.Unlock()
	if s.chart.png == nil || now.Sub(s.chart.at) > time.Minute {
		first := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, now.Location())
		last := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
		doc, err := report.Build(r.Context(), s.cfg.Reports, s.catalog.Office, report.Period{First: first, Last: last}, now)
		if err != nil {
			s.fail(w, r, "build the year's report", err)
			return
		}
		var buf bytes.Buffer
		if err := report.New(s.catalog, s.texts, locales.DefaultLang).WriteChart(&buf, doc); err != nil {
			s.fail(w, r, "draw the chart", err)
			return
		}
		s.chart = cachedChart{png: buf.Bytes(), at: now}
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(s.chart.png)
}

// queueFilter is what the queue's form selects.
type queueFilter struct {
	Status, Service, Village, Query string
	Overdue, Mine                   bool
}

// queueView is the queue page's data.
type queueView struct {
	Filter                       queueFilter
	Rows                         []caseRow
	Statuses, Services, Villages []option
	Total                        int
	LiveURL                      string
}

// queue lists the open cases the officer may see, oldest first, filtered.
func (s *Server) queue(w http.ResponseWriter, r *http.Request, o services.Officer) {
	q := r.URL.Query()
	f := queueFilter{
		Status: q.Get("status"), Service: q.Get("layanan"), Village: q.Get("desa"), Query: strings.TrimSpace(q.Get("cari")),
		Overdue: q.Get("terlambat") != "", Mine: q.Get("saya") != "",
	}
	filter := services.CaseFilter{Limit: listLimit}
	if f.Mine {
		filter.Assignee = o.ID
	}
	cases, err := s.desk.List(r.Context(), o, filter)
	if err != nil {
		s.fail(w, r, "list cases", err)
		return
	}
	now := s.now()
	v := queueView{Filter: f, Total: len(cases), LiveURL: r.URL.RequestURI()}
	ticket, isTicket := services.NormalizeTicket(f.Query)
	for _, c := range cases {
		switch {
		case f.Status != "" && string(c.Status) != f.Status,
			f.Service != "" && c.ServiceCode != f.Service,
			f.Village != "" && c.VillageCode != f.Village,
			f.Overdue && !late(c, now),
			f.Query != "" && !matches(c, f.Query, ticket, isTicket):
			continue
		}
		v.Rows = append(v.Rows, s.row(c, o, now))
	}
	for _, st := range services.Statuses {
		if st.Open() {
			v.Statuses = append(v.Statuses, option{Value: string(st), Label: s.statusLabel(st), Selected: string(st) == f.Status})
		}
	}
	for _, svc := range s.catalog.Services {
		v.Services = append(v.Services, option{Value: svc.Code, Label: s.serviceName(svc.Code), Selected: svc.Code == f.Service})
	}
	for _, vil := range s.catalog.Villages {
		v.Villages = append(v.Villages, option{Value: vil.Code, Label: vil.Name, Selected: vil.Code == f.Village})
	}
	s.render(w, r, http.StatusOK, "queue", &o, v)
}

// matches reports whether a case is the one searched for: by ticket (typed
// whole, or a part of it) or by a part of the citizen's name.
func matches(c services.CaseView, query, ticket string, isTicket bool) bool {
	if isTicket {
		return c.Ticket == ticket
	}
	q := strings.ToLower(query)
	return strings.Contains(strings.ToLower(c.Ticket), q) ||
		(c.Confidentiality != services.ConfidentialAnonymous && strings.Contains(strings.ToLower(c.CitizenName), q))
}

// caseView is the case page's data.
type caseView struct {
	Ticket, Service, Status, StatusCode, Due, Created, Assignee string
	Late, Open, Revealed                                        bool
	Citizen, Channel, Notice                                    string
	Fields                                                      []fieldRow
	HasIdentity                                                 bool
	Files                                                       []fileRow
	History                                                     []eventRow
	Result, Error                                               string
	// Actions.
	CanTake  bool
	CanPrint bool
	AssignTo []option
	Moves    []move
	LiveURL  string
	URL      string
}

// fileRow is a photo or document of a case.
type fileRow struct {
	URL        string
	Image, PDF bool
	Label      string
}

// eventRow is one step of a case's history.
type eventRow struct {
	When, Actor, What, Kind string
}

// move is one status the case may move to, as a form.
type move struct {
	Action, Label, Hint string
	NeedsNote           bool
}

// moveActions name the status moves in forms and in the chat's words.
var moveActions = map[services.Status]string{
	services.StatusVerifying:   "verifikasi",
	services.StatusProcessing:  "proses",
	services.StatusIncomplete:  "tanya",
	services.StatusDone:        "selesai",
	services.StatusRejected:    "tolak",
	services.StatusNotOurRemit: "bukan",
}

// readMemory is how long a session remembers that its officer's opening
// of a case is on record.
const readMemory = 12 * time.Hour

// casePage shows a case whole: every field, its files, its history, and
// what the officer may do. Its first open in a session is on record; the
// page shown again (refreshing itself, after an action) is not a new read.
// What shows more is on record each time: a reveal, a file, a letter.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request, o services.Officer) {
	ticket, ok := services.NormalizeTicket(r.PathValue("ticket"))
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	session, _ := ctx.Value(sessionKey{}).(string)
	seen := "read:" + session + ":" + ticket
	first, err := s.cfg.Tokens.Claim(ctx, seen, readMemory)
	if err != nil {
		s.fail(w, r, "remember a case's read", err)
		return
	}
	if !first {
		c, events, err := s.desk.Reread(ctx, o, ticket)
		s.showCase(w, r, o, c, events, err, false)
		return
	}
	c, events, err := s.desk.Open(ctx, o, ticket)
	if err != nil {
		// Nothing on record (no such case for o, or the record failed):
		// the next open is a first one again.
		if _, derr := s.cfg.Tokens.Delete(context.WithoutCancel(ctx), seen); derr != nil {
			s.log.Warn("console: a read not recorded is remembered as recorded", "ticket", ticket, "err", derr)
		}
	}
	s.showCase(w, r, o, c, events, err, false)
}

// showCase renders a case loaded by Open or Reveal.
func (s *Server) showCase(w http.ResponseWriter, r *http.Request, o services.Officer, c services.CaseView, events []services.Event, err error, revealed bool) {
	if errors.Is(err, services.ErrNoCase) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, "open a case", err)
		return
	}
	files, err := s.desk.Files(r.Context(), o, c.Ticket)
	if err != nil {
		s.fail(w, r, "list a case's files", err)
		return
	}
	c.Attachments = files
	now := s.now()
	path := "/kasus/" + url.PathEscape(c.Ticket)
	v := caseView{
		Ticket: c.Ticket, Service: s.serviceName(c.ServiceCode), Status: s.statusLabel(c.Status), StatusCode: string(c.Status),
		Due: s.dueText(c), Created: s.dateTime(c.CreatedAt), Assignee: "-", Late: late(c, now), Open: c.Status.Open(),
		Revealed: revealed, Citizen: c.CitizenName, Channel: c.Channel, Fields: s.fields(c, revealed),
		URL: path, LiveURL: path,
	}
	if a, ok := s.staff.Officer(c.Assignee); ok {
		v.Assignee = a.Name
	}
	switch {
	case c.Confidentiality == services.ConfidentialAnonymous:
		v.Citizen = s.tr("console.case.anonymous")
	case c.Erased:
		v.Notice = s.tr("console.case.erased")
	case !c.UnreachableAt.IsZero():
		v.Notice = s.texts.T(locales.DefaultLang, "console.case.unreachable", map[string]string{"since": s.dateTime(c.UnreachableAt)})
	}
	for _, f := range v.Fields {
		v.HasIdentity = v.HasIdentity || f.Identity
	}
	for _, f := range files {
		label := s.texts.T(locales.DefaultLang, "console.case.file_label", map[string]string{"kind": f.MIME, "size": strconv.FormatInt((f.Size+1023)/1024, 10)})
		if f.Requirement != "" {
			// Which requirement of the standard it was sent for.
			label = s.tr("field."+f.Requirement+".label") + " · " + label
		}
		v.Files = append(v.Files, fileRow{
			URL: path + "/berkas/" + f.SHA256, Image: strings.HasPrefix(f.MIME, "image/"), PDF: f.MIME == "application/pdf",
			Label: label,
		})
	}
	for _, ev := range events {
		v.History = append(v.History, s.event(ev))
	}
	var refs []string
	for _, ref := range s.catalog.Referrals {
		refs = append(refs, ref.Code)
	}
	v.CanPrint = s.printable(c)
	if v.Open {
		v.CanTake = c.Assignee != o.ID
		if o.Role.CanAssign() {
			for _, a := range s.desk.Assignable(c) {
				v.AssignTo = append(v.AssignTo, option{Value: a.ID, Label: a.Name, Selected: a.ID == c.Assignee})
			}
		}
		for _, st := range services.Next(c.Status) {
			action := moveActions[st]
			v.Moves = append(v.Moves, move{
				Action: action, Label: s.tr("console.action." + action),
				Hint:      s.texts.T(locales.DefaultLang, "console.action_hint."+action, map[string]string{"referrals": strings.Join(refs, ", ")}),
				NeedsNote: casework.NeedsNote(st),
			})
		}
	}
	q := r.URL.Query()
	if key, ok := resultKeys[q.Get("hasil")]; ok {
		v.Result = s.tr(key)
	}
	v.Error = s.errorText(q.Get("galat"))
	s.render(w, r, http.StatusOK, "case", &o, v)
}

// event is one step of the history as staff read it.
func (s *Server) event(ev services.Event) eventRow {
	actor := ev.Actor
	if a, ok := s.staff.Officer(ev.Actor); ok {
		actor = a.Name
	} else if actor == "citizen" {
		actor = s.tr("staff.actor_citizen")
	}
	note, kind := ev.Note, ev.Kind
	if ev.NoteErased {
		note = s.tr("privacy.note_erased")
	}
	switch {
	case kind == services.EventAssign && note == ev.Actor:
		kind = "take"
	case kind == services.EventAssign:
		if a, ok := s.staff.Officer(note); ok {
			note = a.Name
		}
	case kind == services.EventStatus && note == "":
		kind = "status_plain"
	}
	if !s.texts.Has("console.event." + kind) {
		kind = "other"
	}
	return eventRow{
		When: s.dateTime(ev.At), Actor: actor, Kind: ev.Kind,
		What: s.texts.T(locales.DefaultLang, "console.event."+kind, map[string]string{"status": s.statusLabel(ev.To), "note": note}),
	}
}

// eventKinds are the history's kinds the console words itself.
var eventKinds = []string{services.EventSubmit, services.EventStatus, "status_plain", services.EventAssign, "take",
	services.EventNote, services.EventQuestion, services.EventReply, services.EventLetter, services.EventLetterRevoked, "other"}

// act carries out one of the chat commands' actions on a case, through the
// casework desk, and shows the case again with what became of it.
func (s *Server) act(w http.ResponseWriter, r *http.Request, o services.Officer) {
	ticket, ok := services.NormalizeTicket(r.PathValue("ticket"))
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	note := strings.TrimSpace(r.PostFormValue("catatan"))
	var (
		out casework.Outcome
		err error
	)
	switch action := r.PostFormValue("aksi"); action {
	case "ambil":
		out, err = s.desk.Take(ctx, o, ticket)
	case "tugaskan":
		out, err = s.desk.Assign(ctx, o, ticket, r.PostFormValue("petugas"))
	case "catat":
		out, err = s.desk.Note(ctx, o, ticket, note)
	default:
		to, known := statusOf(action)
		if !known {
			s.back(w, r, ticket, "galat", "action")
			return
		}
		out, err = s.desk.Move(ctx, o, ticket, to, note)
	}
	var illegal *casework.IllegalError
	switch {
	case errors.Is(err, services.ErrNoCase):
		s.notFound(w, r)
	case errors.Is(err, casework.ErrForbidden):
		s.back(w, r, ticket, "galat", "forbidden")
	case errors.Is(err, casework.ErrNoTarget):
		s.back(w, r, ticket, "galat", "target")
	case errors.Is(err, casework.ErrClosed), errors.As(err, &illegal):
		s.back(w, r, ticket, "galat", "closed")
	case errors.Is(err, casework.ErrNoteNeeded):
		s.back(w, r, ticket, "galat", "note")
	case err != nil:
		s.fail(w, r, "act on a case", err)
	default:
		s.back(w, r, ticket, "hasil", result(r.PostFormValue("aksi"), out))
	}
}

// statusOf is the status a move's action names.
func statusOf(action string) (services.Status, bool) {
	for st, a := range moveActions {
		if a == action {
			return st, true
		}
	}
	return "", false
}

// result names what an action did, for the page that follows.
func result(action string, out casework.Outcome) string {
	switch {
	case action == "ambil" || action == "tugaskan":
		return "assigned"
	case action == "catat":
		return "noted"
	}
	switch out.Citizen {
	case casework.Erased:
		return "erased"
	case casework.Unreachable:
		return "unreachable"
	case casework.Failed:
		return "failed"
	}
	return "told"
}

// back sends the browser to the case page with a word on what happened.
func (s *Server) back(w http.ResponseWriter, r *http.Request, ticket, key, value string) {
	http.Redirect(w, r, "/kasus/"+url.PathEscape(ticket)+"?"+url.Values{key: {value}}.Encode(), http.StatusSeeOther)
}

// reveal shows the case with its NIK and KK in full, once the officer said
// why: the read record keeps who, when and why.
func (s *Server) reveal(w http.ResponseWriter, r *http.Request, o services.Officer) {
	ticket, ok := services.NormalizeTicket(r.PathValue("ticket"))
	if !ok {
		s.notFound(w, r)
		return
	}
	why := strings.TrimSpace(r.PostFormValue("alasan"))
	c, events, err := s.desk.Reveal(r.Context(), o, ticket, why)
	if errors.Is(err, casework.ErrNoteNeeded) {
		s.back(w, r, ticket, "galat", "reason")
		return
	}
	s.showCase(w, r, o, c, events, err, true)
}

// file serves a photo or document of a case to an officer who may see
// the case, inline and never cached. A file that is not the case's, and a
// case the officer may not see, are the same 404 as an unknown address.
func (s *Server) file(w http.ResponseWriter, r *http.Request, o services.Officer) {
	ticket, ok := services.NormalizeTicket(r.PathValue("ticket"))
	if !ok || s.cfg.Media == nil {
		s.notFound(w, r)
		return
	}
	f, err := s.desk.File(r.Context(), o, ticket, r.PathValue("sha"))
	if errors.Is(err, services.ErrNoCase) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, "find a case's file", err)
		return
	}
	s.serveFile(w, r, f, ticket)
}

// serveFile sends a stored photo or document inline, never cached; what
// names its case or conversation in the log.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, f services.StoredFile, what string) {
	if !slices.Contains(allowedFileMIME, f.MIME) {
		s.notFound(w, r)
		return
	}
	rc, err := s.cfg.Media.Open(f)
	if err != nil {
		s.fail(w, r, "open a file", err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", f.MIME)
	h.Set("Content-Disposition", "inline")
	// The case page shows it in a frame of its own origin; nothing else may.
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Warn("console: file not sent whole", "of", what, "err", err)
	}
}

// allowedFileMIME are the types the media store keeps; any other is not
// served.
var allowedFileMIME = []string{"image/jpeg", "image/png", "image/webp", "application/pdf"}
