package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/services"
)

// Letters prints, registers, revokes and verifies the office's letters:
// *letters.Issuer.
type Letters interface {
	Issue(ctx context.Context, ticket, officerID string) (letters.Letter, error)
	Register(ctx context.Context, year int) ([]letters.Entry, error)
	RegisterXLSX(ctx context.Context, year int) ([]byte, error)
	Revoke(ctx context.Context, code, officerID, reason string) error
	VerifyHandler() http.Handler
}

// print prints the case's letter (a reprint keeps its number) as an A4
// PDF, shown in the browser to print and sign. The letter holds the full
// NIK: printing it is on record as a reveal, and the letters package
// records it in the case's history.
func (s *Server) print(w http.ResponseWriter, r *http.Request, o services.Officer) {
	ticket, ok := services.NormalizeTicket(r.PathValue("ticket"))
	if !ok || s.cfg.Letters == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	if _, _, err := s.desk.Reveal(ctx, o, ticket, "cetak surat"); err != nil {
		if errors.Is(err, services.ErrNoCase) {
			s.notFound(w, r)
			return
		}
		s.fail(w, r, "record the printing of a letter", err)
		return
	}
	l, err := s.cfg.Letters.Issue(ctx, ticket, o.ID)
	switch {
	case errors.Is(err, letters.ErrNotPrintable):
		s.back(w, r, ticket, "galat", "not_printable")
		return
	case errors.Is(err, letters.ErrNoCase):
		s.notFound(w, r)
		return
	case err != nil:
		s.fail(w, r, "print a letter", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `inline; filename="surat-`+l.Ticket+`.pdf"`)
	h.Set("Content-Length", strconv.Itoa(len(l.PDF)))
	_, _ = w.Write(l.PDF)
}

// registerView is the register page's data.
type registerView struct {
	Year        int
	Years       []option
	Rows        []registerRow
	CanRevoke   bool
	CanDownload bool
	Result      string
	Error       string
}

// registerRow is one letter of the register.
type registerRow struct {
	letters.Entry
	Date, CaseURL, RevokedAt string
}

// register is the office's outgoing-letter register of a year: the
// letters of the officer's unit (the camat's and admins': every unit's).
func (s *Server) register(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Letters == nil {
		s.notFound(w, r)
		return
	}
	now := s.now().In(s.catalog.Office.Location)
	year := now.Year()
	if y, err := strconv.Atoi(r.URL.Query().Get("tahun")); err == nil && y >= 2000 && y <= now.Year() {
		year = y
	}
	entries, err := s.cfg.Letters.Register(r.Context(), year)
	if err != nil {
		s.fail(w, r, "read the letter register", err)
		return
	}
	v := registerView{Year: year, CanRevoke: o.Role.CanAssign(), CanDownload: o.Role.AllUnits()}
	for y := now.Year(); y >= now.Year()-4; y-- {
		v.Years = append(v.Years, option{Value: strconv.Itoa(y), Label: strconv.Itoa(y), Selected: y == year})
	}
	for _, e := range entries {
		if !s.mayList(o, e.Service) {
			continue
		}
		row := registerRow{Entry: e, Date: s.date(e.IssuedAt), CaseURL: "/kasus/" + url.PathEscape(e.Ticket)}
		if e.Revoked {
			row.RevokedAt = s.date(e.RevokedAt)
		}
		v.Rows = append(v.Rows, row)
	}
	q := r.URL.Query()
	if key, ok := resultKeys[q.Get("hasil")]; ok {
		v.Result = s.tr(key)
	}
	v.Error = s.errorText(q.Get("galat"))
	s.render(w, r, http.StatusOK, "register", &o, v)
}

// mayList reports whether the register shows officer o the letters of a
// service: those of their unit; the camat and admins, all.
func (s *Server) mayList(o services.Officer, service string) bool {
	if o.Role.AllUnits() {
		return true
	}
	svc, ok := s.catalog.Service(service)
	return ok && svc.Unit == o.Unit && o.Active
}

// registerXLSX is the register of a year as a spreadsheet, for the camat
// and admins (it lists every unit's letters).
func (s *Server) registerXLSX(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Letters == nil || !o.Role.AllUnits() {
		s.notFound(w, r)
		return
	}
	year, err := strconv.Atoi(r.URL.Query().Get("tahun"))
	if err != nil || year < 2000 || year > s.now().Year() {
		year = s.now().In(s.catalog.Office.Location).Year()
	}
	data, err := s.cfg.Letters.RegisterXLSX(r.Context(), year)
	if err != nil {
		s.fail(w, r, "export the letter register", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="agenda-surat-keluar-`+strconv.Itoa(year)+`.xlsx"`)
	_, _ = w.Write(data)
}

// revoke revokes a letter of the register by its verification code, for a
// reason kept in its case's history (kasi, camat and admins).
func (s *Server) revoke(w http.ResponseWriter, r *http.Request, o services.Officer) {
	if s.cfg.Letters == nil {
		s.notFound(w, r)
		return
	}
	back := func(key, value string) {
		http.Redirect(w, r, "/agenda?"+url.Values{key: {value}, "tahun": {r.PostFormValue("tahun")}}.Encode(), http.StatusSeeOther)
	}
	if !o.Role.CanAssign() {
		back("galat", "revoke_forbidden")
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("alasan"))
	if reason == "" {
		back("galat", "reason")
		return
	}
	err := s.cfg.Letters.Revoke(r.Context(), r.PostFormValue("kode"), o.ID, reason)
	switch {
	case errors.Is(err, letters.ErrNoLetter), errors.Is(err, letters.ErrRevoked):
		back("galat", "no_letter")
	case err != nil:
		s.fail(w, r, "revoke a letter", err)
	default:
		back("hasil", "revoked")
	}
}

// printable reports whether the case page offers to print: a service with
// a letter, at a status that allows one.
func (s *Server) printable(c services.CaseView) bool {
	svc, ok := s.catalog.Service(c.ServiceCode)
	return s.cfg.Letters != nil && ok && svc.Letter && c.Status.Printable()
}
