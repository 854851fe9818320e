package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// fragmentHeader asks for the live part of a page only: the script's
// refresh when a case changed.
const fragmentHeader = "X-Console-Fragment"

// pageNames are the console's pages, one template each beside the layout.
var pageNames = []string{"login", "home", "queue", "case", "register", "report", "error", "visits", "inbox", "talk", "consult_list", "consult"}

// page is a parsed page: the layout with the page's own blocks.
type page struct {
	tmpl *template.Template
	live bool // the page has a "live" block the script refreshes
}

// frame is what every page gets: who is logged in, and the page's data.
type frame struct {
	Officer *services.Officer
	Office  string
	Nav     string
	Data    any
	// Visits: the console serves the day's visits (Config.Schedule).
	Visits bool
}

func (s *Server) parsePages() (map[string]*page, error) {
	funcs := template.FuncMap{
		// t translates a key with name/value pairs: {{t "<key>" "n" .N}}.
		"t": func(key string, pairs ...any) string {
			var args map[string]string
			if len(pairs) > 0 {
				args = make(map[string]string, len(pairs)/2)
				for i := 0; i+1 < len(pairs); i += 2 {
					args[fmt.Sprint(pairs[i])] = fmt.Sprint(pairs[i+1])
				}
			}
			return s.texts.T(locales.DefaultLang, key, args)
		},
	}
	pages := make(map[string]*page, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: page %s: %w", name, err)
		}
		pages[name] = &page{tmpl: t, live: t.Lookup("live") != nil}
	}
	return pages, nil
}

// render writes page name with data: the whole page, or its live block
// alone when the script asks for it.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, o *services.Officer, data any) {
	p := s.pages[name]
	block := "layout"
	if r.Header.Get(fragmentHeader) != "" && p.live {
		block = "live"
	}
	nav := name
	var buf bytes.Buffer
	err := p.tmpl.ExecuteTemplate(&buf, block, frame{Officer: o, Office: s.catalog.Office.Name, Nav: nav, Data: data, Visits: s.cfg.Schedule != nil})
	if err != nil {
		s.log.Error("console: page not rendered", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// errorView is the error page's data.
type errorView struct {
	Title, Text string
}

// errorPage answers with an error page saying key.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	var o *services.Officer
	if v, ok := r.Context().Value(officerKey{}).(services.Officer); ok {
		o = &v
	}
	s.render(w, r, status, "error", o, errorView{Title: s.tr("console.error.title"), Text: s.tr(key)})
}

// notFound is the one answer for a case the officer may not see, one
// that does not exist, a file that is not the case's, and any unknown
// address: byte for byte the same, so none tells anything.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "console.error.not_found")
}

func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request) { s.notFound(w, r) }

// fail answers a fault (storage down) and logs what was being done.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error("console: "+what, "path", r.URL.Path, "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, "console.error.fault")
}

func (s *Server) tr(key string) string { return s.texts.T(locales.DefaultLang, key, nil) }

// errorKeys are the refusals and notices a redirect may name (?galat=),
// by the locale key they show.
var errorKeys = map[string]string{
	"who": "console.login.need_who", "expired": "console.login.expired", "too_many_codes": "console.login.too_many_codes",
	"too_many_tries": "console.login.too_many_tries", "logged_out": "console.login.logged_out",
	"forbidden": "console.refused.forbidden", "target": "console.refused.target", "closed": "console.refused.closed",
	"note": "console.refused.note", "reason": "console.refused.reason", "action": "console.refused.action",
	"not_printable": "console.refused.not_printable", "no_letter": "console.refused.no_letter",
	"revoke_forbidden": "console.refused.revoke_forbidden",
}

// resultKeys are the outcomes an action's redirect may name (?hasil=).
var resultKeys = map[string]string{
	"told": "console.result.told", "assigned": "console.result.assigned", "noted": "console.result.noted",
	"erased": "console.result.erased", "unreachable": "console.result.unreachable", "failed": "console.result.failed",
	"revoked": "console.result.revoked",
}

func (s *Server) errorText(code string) string {
	if key, ok := errorKeys[code]; ok {
		return s.tr(key)
	}
	return ""
}

// loginView is the login page's data.
type loginView struct {
	Step   string // "who", "code", or "link" (a console-link link to confirm)
	Error  string
	Name   string // the link's officer
	Action string // where the link's form posts
}

// option is one entry of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// caseRow is one case in a list.
type caseRow struct {
	Ticket, URL, Service, Category, Village, Status, StatusCode, Assignee, Name, Due, Created string
	Late, Mine                                                                                bool
}

// row turns a case into a list row for officer o.
func (s *Server) row(c services.CaseView, o services.Officer, now time.Time) caseRow {
	r := caseRow{
		Ticket: c.Ticket, URL: "/kasus/" + url.PathEscape(c.Ticket), Service: s.serviceName(c.ServiceCode),
		Village: s.villageName(c.VillageCode), Status: s.statusLabel(c.Status), StatusCode: string(c.Status),
		Assignee: "-", Name: c.CitizenName, Due: s.dueText(c), Created: s.dateTime(c.CreatedAt),
		Late: late(c, now), Mine: c.Assignee != "" && c.Assignee == o.ID,
	}
	if c.Confidentiality == services.ConfidentialAnonymous {
		r.Name = s.tr("console.case.anonymous")
	}
	if a, ok := s.staff.Officer(c.Assignee); ok {
		r.Assignee = a.Name
	}
	if cat := c.Form[services.CategoryField]; cat != "" {
		r.Category = s.choiceLabel(c.ServiceCode, services.CategoryField, cat)
	}
	return r
}

// late reports whether an open case is past its due date with its clock
// running (perlu_perbaikan pauses it).
func late(c services.CaseView, now time.Time) bool {
	return c.Status.Open() && c.Status != services.StatusIncomplete && c.DueAt.Before(now)
}

func (s *Server) dueText(c services.CaseView) string {
	switch {
	case !c.Status.Open():
		return "-"
	case c.Status == services.StatusIncomplete:
		return s.tr("status.paused")
	}
	return s.date(c.DueAt)
}

func (s *Server) serviceName(code string) string {
	return s.texts.T(locales.DefaultLang, "service."+code+".name", nil)
}

func (s *Server) statusLabel(st services.Status) string {
	return s.texts.T(locales.DefaultLang, "status.label."+string(st), nil)
}

func (s *Server) villageName(code string) string {
	if v, ok := s.catalog.Village(code); ok {
		return v.Name
	}
	if code == "" {
		return "-"
	}
	return code
}

func (s *Server) date(t time.Time) string {
	return s.texts.Date(locales.DefaultLang, t.In(s.catalog.Office.Location))
}

func (s *Server) dateTime(t time.Time) string {
	return s.date(t) + " " + t.In(s.catalog.Office.Location).Format("15.04")
}

// choiceLabel is the label of a choice answer of a service's field.
func (s *Server) choiceLabel(service, field, value string) string {
	if svc, ok := s.catalog.Service(service); ok {
		for _, f := range svc.Form {
			if f.Name == field {
				return s.choice(f, value)
			}
		}
	}
	return value
}

func (s *Server) choice(f services.Field, value string) string {
	for _, c := range f.Choices {
		if c.Value == value {
			if c.LabelKey != "" {
				return s.tr(c.LabelKey)
			}
			return c.Label
		}
	}
	return value
}

// fieldRow is one answer of a case's form on its page.
type fieldRow struct {
	Label, Value string
	// Identity marks a NIK or KK: masked unless revealed.
	Identity bool
	// MapURL links a shared location to the map.
	MapURL string
}

// fields are the answers of case c as its page shows them; identity
// numbers in full only when revealed.
func (s *Server) fields(c services.CaseView, revealed bool) []fieldRow {
	svc, ok := s.catalog.Service(c.ServiceCode)
	if !ok {
		return nil
	}
	var out []fieldRow
	for _, f := range svc.Form {
		value, answered := c.Form[f.Name]
		if !answered && f.Skipped(c.Form) {
			continue
		}
		row := fieldRow{Label: s.tr(f.LabelKey())}
		switch {
		case value == "" && f.Type != services.FieldPhotos:
			row.Value = "-"
		case f.Type == services.FieldNIK || f.Type == services.FieldKK:
			row.Identity, row.Value = true, services.MaskID(value)
			if revealed {
				row.Value = value
			}
		case f.Type == services.FieldVillage:
			row.Value = s.villageName(value)
		case f.Type == services.FieldChoice:
			row.Value = s.choice(f, value)
		case f.Type == services.FieldYesNo:
			row.Value = s.tr("field.no")
			if value == "ya" {
				row.Value = s.tr("field.yes")
			}
		case f.Type == services.FieldDate:
			if d, err := time.Parse(time.DateOnly, value); err == nil {
				row.Value = s.texts.Date(locales.DefaultLang, d)
			} else {
				row.Value = value
			}
		case f.Type == services.FieldPhone:
			row.Value = value
			if rest, ok := strings.CutPrefix(value, "62"); ok {
				row.Value = "0" + rest
			}
		case f.Type == services.FieldPhotos:
			row.Value = s.texts.T(locales.DefaultLang, "console.case.files_count", map[string]string{"count": strconv.Itoa(len(c.Attachments))})
			if n, err := strconv.Atoi(value); err == nil && len(c.Attachments) == 0 {
				row.Value = s.texts.T(locales.DefaultLang, "console.case.files_count", map[string]string{"count": strconv.Itoa(n)})
			}
		case f.Type == services.FieldDocument:
			row.Value = s.texts.T(locales.DefaultLang, "console.case.files_count", map[string]string{"count": strconv.Itoa(services.DocumentCount(value))})
		case f.Type == services.FieldLocation:
			row.Value, row.MapURL = location(value)
		default:
			row.Value = value
		}
		out = append(out, row)
	}
	return out
}

// location reads a location answer: "geo:lat,lon|name" when shared from
// the chat app (with a link to the map), else the place as typed.
func location(value string) (text, mapURL string) {
	geo, ok := strings.CutPrefix(value, "geo:")
	if !ok {
		return value, ""
	}
	coords, name, _ := strings.Cut(geo, "|")
	lat, lon, _ := strings.Cut(coords, ",")
	if _, err := strconv.ParseFloat(lat, 64); err != nil {
		return value, ""
	}
	if _, err := strconv.ParseFloat(lon, 64); err != nil {
		return value, ""
	}
	text = lat + ", " + lon
	if name != "" {
		text = name + " (" + text + ")"
	}
	q := url.Values{"mlat": {lat}, "mlon": {lon}}
	return text, "https://www.openstreetmap.org/?" + q.Encode() + "#map=17/" + lat + "/" + lon
}

// textKeys are the locale keys the console's Go code names, checked at
// New; the templates' keys are checked by a test that reads them.
func textKeys() []string {
	keys := []string{
		"console.login.code_message", "console.login.wrong_code", "console.error.title", "console.error.not_found",
		"console.error.fault", "console.error.cross_origin", "console.error.too_fast",
		"console.report.set_ikm", "console.report.set_service", "console.report.bad_period", "console.case.anonymous", "console.case.erased",
		"console.case.unreachable", "console.case.file_label", "console.case.files_count", "status.paused", "date.format",
	}
	for _, key := range errorKeys {
		keys = append(keys, key)
	}
	for _, key := range resultKeys {
		keys = append(keys, key)
	}
	for _, action := range moveActions {
		keys = append(keys, "console.action."+action, "console.action_hint."+action)
	}
	for _, kind := range eventKinds {
		keys = append(keys, "console.event."+kind)
	}
	for _, c := range []string{"A", "B", "C", "D"} {
		keys = append(keys, "report.quality."+c)
	}
	return append(keys, inboxTextKeys()...)
}
