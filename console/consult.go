package console

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing/fstest"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// The consultation pages: the list with a form that previews and publishes
// a YAML file (the same format `bot konsultasi terbit` reads), and each
// consultation's results per option and per village, the comments to
// moderate, the response, and closing. Every officer reads them; the camat
// and admins act, through casework.Consultations as the CLI does.

// consultListView is the list page's data.
type consultListView struct {
	Open, Past []consultRow
	CanPublish bool
	// Source is the YAML typed, kept when it has problems or is previewed.
	Source   string
	Problems []string
	Preview  string
	Notice   string
}

type consultRow struct {
	Code, Title, Status, Closes string
}

// consultView is a consultation's page.
type consultView struct {
	Code, Title, Question, Status, Closes string
	Result                                string // as citizens read it
	Options                               []consultOption
	Villages                              []consultVillage
	OptionLabels                          []string
	Answers, Subscribers                  int
	Bursts                                []string
	Comments                              []consultation.Comment
	Progress                              []string
	Response                              string
	Open, CanAct                          bool
	Notice                                string
}

type consultOption struct {
	Label         string
	Votes, Points int
}

type consultVillage struct {
	Name                 string
	Answers, Subscribers int
	Votes                []int
}

// consultNotices are the outcomes a redirect may name (?hasil=).
var consultNotices = map[string]string{
	"published": "console.consult.published", "closed": "console.consult.closed_done",
	"responded": "console.consult.responded", "quoted": "console.consult.quoted", "forbidden": "console.consult.forbidden",
}

func (s *Server) consultList(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Consult == nil {
		s.notFound(w, r)
		return
	}
	v := consultListView{CanPublish: o.Role.AllUnits(), Notice: s.noticeText(r.URL.Query().Get("hasil"))}
	if err := s.fillConsultLists(r, &v); err != nil {
		s.fail(w, r, "list consultations", err)
		return
	}
	s.render(w, r, http.StatusOK, "consult_list", &o, v)
}

func (s *Server) fillConsultLists(r *http.Request, v *consultListView) error {
	for _, open := range []bool{true, false} {
		list, err := s.cfg.Consult.Store.Consultations(r.Context(), open, s.now(), 50)
		if err != nil {
			return err
		}
		for _, p := range list {
			row := consultRow{Code: p.Code, Title: p.Title, Status: s.consultStatus(p), Closes: s.dateTime(p.Closes)}
			if open {
				v.Open = append(v.Open, row)
			} else {
				v.Past = append(v.Past, row)
			}
		}
	}
	return nil
}

func (s *Server) noticeText(code string) string {
	if key, ok := consultNotices[code]; ok {
		return s.tr(key)
	}
	return ""
}

// consultPublish previews the YAML typed (pratinjau) or publishes it
// (terbit): a file with problems is shown again with each problem and its
// line.
func (s *Server) consultPublish(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Consult == nil {
		s.notFound(w, r)
		return
	}
	v := consultListView{CanPublish: o.Role.AllUnits(), Source: r.PostFormValue("berkas")}
	if !v.CanPublish {
		http.Redirect(w, r, "/konsultasi?hasil=forbidden", http.StatusSeeOther)
		return
	}
	if err := s.fillConsultLists(r, &v); err != nil {
		s.fail(w, r, "list consultations", err)
		return
	}
	f, err := consultation.ReadFile(fstest.MapFS{"berkas.yaml": {Data: []byte(v.Source)}}, "berkas.yaml", s.catalog, s.now())
	if err != nil {
		v.Problems = problemLines(err)
		s.render(w, r, http.StatusUnprocessableEntity, "consult_list", &o, v)
		return
	}
	if r.PostFormValue("langkah") != "terbit" {
		v.Preview = s.preview(f)
		s.render(w, r, http.StatusOK, "consult_list", &o, v)
		return
	}
	if _, err := s.cfg.Consult.Publish(r.Context(), o, f); err != nil {
		v.Problems = []string{err.Error()}
		s.render(w, r, http.StatusConflict, "consult_list", &o, v)
		return
	}
	http.Redirect(w, r, "/konsultasi?hasil=published", http.StatusSeeOther)
}

// problemLines splits joined problems into one line each.
func problemLines(err error) []string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// preview is what citizens will read of a file.
func (s *Server) preview(f consultation.File) string {
	m := s.cfg.Consult.Messages
	if f.Announcement != nil {
		return m.Announcement(locales.DefaultLang, *f.Announcement) + "\n\n(" + m.Scope(locales.DefaultLang, f.Announcement.Village) + ")"
	}
	c := f.Consultation
	lines := []string{c.Title, c.Background, c.Question}
	for i, o := range c.Options {
		lines = append(lines, strconv.Itoa(i+1)+". "+o.Label)
	}
	lines = append(lines, "", "("+m.Scope(locales.DefaultLang, c.Village)+", "+s.dateTime(c.Closes)+")")
	return strings.Join(lines, "\n")
}

func (s *Server) consultPage(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Consult == nil {
		s.notFound(w, r)
		return
	}
	code := r.PathValue("code")
	rep, err := s.cfg.Consult.Results(r.Context(), code)
	if errors.Is(err, consultation.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, "read a consultation", err)
		return
	}
	p, res := rep.Consultation, rep.Results
	m := s.cfg.Consult.Messages
	v := consultView{
		Code: p.Code, Title: p.Title, Question: p.Question, Status: s.consultStatus(p),
		Closes: s.dateTime(p.Closes), Result: m.Result(locales.DefaultLang, p, res), Answers: res.Answers,
		Subscribers: res.Subscribers, Response: p.Response, Open: p.OpenAt(s.now()), CanAct: o.Role.AllUnits(),
		Notice: s.noticeText(r.URL.Query().Get("hasil")),
	}
	for _, opt := range res.Ranked(p.Kind) {
		v.Options = append(v.Options, consultOption{Label: opt.Label, Votes: opt.Votes, Points: opt.Points})
	}
	for _, opt := range p.Options {
		v.OptionLabels = append(v.OptionLabels, opt.Label)
	}
	for _, vil := range res.Villages {
		name := m.VillageName(vil.Village)
		if vil.Village == consultation.OtherVillages {
			name = s.tr("consultation.export.other")
		}
		row := consultVillage{Name: name, Answers: vil.Answers, Subscribers: vil.Subscribers}
		for _, opt := range p.Options {
			row.Votes = append(row.Votes, vil.Votes[opt.Code])
		}
		v.Villages = append(v.Villages, row)
	}
	for _, b := range rep.Bursts {
		v.Bursts = append(v.Bursts, s.texts.T(locales.DefaultLang, "consultation.cli.burst", map[string]string{
			"count": strconv.Itoa(b.Answers), "from": s.dateTime(b.From), "to": b.To.In(s.catalog.Office.Location).Format("15.04"),
		}))
	}
	if v.Comments, err = s.cfg.Consult.Store.ConsultationComments(r.Context(), code); err != nil {
		s.fail(w, r, "read comments", err)
		return
	}
	for _, b := range []struct{ key, label string }{
		{"announce:", "console.consult.broadcast_announce"}, {"result:", "console.consult.broadcast_result"}, {"response:", "console.consult.broadcast_response"},
	} {
		sent, total, err := s.cfg.Consult.Progress(r.Context(), b.key+code)
		if err != nil {
			s.fail(w, r, "read sending progress", err)
			return
		}
		if total > 0 {
			v.Progress = append(v.Progress, s.tr(b.label)+": "+m.Progress(locales.DefaultLang, sent, total))
		}
	}
	s.render(w, r, http.StatusOK, "consult", &o, v)
}

// consultAct closes a consultation (tutup), writes its response
// (tanggapan) or marks a comment for quoting (kutip).
func (s *Server) consultAct(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Consult == nil {
		s.notFound(w, r)
		return
	}
	code := r.PathValue("code")
	back := func(result string) {
		http.Redirect(w, r, "/konsultasi/"+url.PathEscape(code)+"?hasil="+result, http.StatusSeeOther)
	}
	var err error
	result := ""
	switch r.PostFormValue("aksi") {
	case "tutup":
		_, err = s.cfg.Consult.Close(r.Context(), o, code)
		result = "closed"
	case "tanggapan":
		text := strings.TrimSpace(r.PostFormValue("tanggapan"))
		if text == "" {
			back("forbidden")
			return
		}
		_, err = s.cfg.Consult.Respond(r.Context(), o, code, text)
		result = "responded"
	case "kutip":
		id, perr := strconv.ParseInt(r.PostFormValue("komentar"), 10, 64)
		if perr != nil {
			s.notFound(w, r)
			return
		}
		err = s.cfg.Consult.Quote(r.Context(), o, code, id, r.PostFormValue("kutip") == "ya")
		result = "quoted"
	default:
		s.notFound(w, r)
		return
	}
	switch {
	case errors.Is(err, casework.ErrNotAllowed):
		back("forbidden")
	case errors.Is(err, consultation.ErrNotFound):
		s.notFound(w, r)
	case err != nil:
		s.fail(w, r, "act on a consultation", err)
	default:
		back(result)
	}
}

// consultXLSX is the consultation's workbook, as `bot konsultasi ekspor`
// writes it.
func (s *Server) consultXLSX(w http.ResponseWriter, r *http.Request, _ services.Officer) {
	if s.cfg.Consult == nil {
		s.notFound(w, r)
		return
	}
	code := r.PathValue("code")
	// Written whole before the headers: a failure is an error page, not a
	// download of an empty workbook.
	var buf bytes.Buffer
	err := s.cfg.Consult.ExportXLSX(r.Context(), code, locales.DefaultLang, &buf)
	switch {
	case errors.Is(err, consultation.ErrNotFound):
		s.notFound(w, r)
		return
	case err != nil:
		s.fail(w, r, "write a consultation workbook", err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="konsultasi-`+code+`.xlsx"`)
	if _, err := buf.WriteTo(w); err != nil {
		s.log.Warn("console: consultation workbook not sent", "err", err)
	}
}

// consultStatus names whether p takes answers now: one past its closing
// time is closed, whatever the office did.
func (s *Server) consultStatus(p consultation.Published) string {
	if !p.OpenAt(s.now()) {
		return s.tr("console.consult.status_closed")
	}
	return s.tr("console.consult.status_open")
}
