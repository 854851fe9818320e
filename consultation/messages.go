package consultation

import (
	"strconv"
	"strings"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// Messages writes what citizens read of consultations and announcements,
// in their language: the chat shows the same result the office sends.
type Messages struct {
	Texts   *locales.Bundle
	Catalog *services.Catalog
}

// VillageName is a village's name as citizens know it ("Sawangan"), or
// the code itself when the catalog no longer has it.
func (m Messages) VillageName(code string) string {
	if v, ok := m.Catalog.Village(code); ok {
		return v.Name
	}
	return code
}

// Scope names what a subscription follows: the whole kecamatan or a
// village ("desa Sawangan").
func (m Messages) Scope(lang, scope string) string {
	if scope == Kecamatan {
		return m.Texts.T(lang, "consultation.scope_kecamatan", map[string]string{"office": m.Catalog.Office.Name})
	}
	v, ok := m.Catalog.Village(scope)
	if !ok {
		return scope
	}
	return m.Texts.T(lang, "consultation.scope_village", map[string]string{"kind": v.Kind, "name": v.Name})
}

// Result is the published result of a consultation: turnout, the options
// in the result's order, the answers per village (small ones merged), the
// comments marked for quoting, and the office's response or the promise of
// one.
func (m Messages) Result(lang string, p Published, r Results) string {
	lines := []string{
		m.Texts.T(lang, "consultation.result_title", map[string]string{"title": p.Title}),
		m.Texts.T(lang, "consultation.result_answers", map[string]string{"answers": strconv.Itoa(r.Answers), "subscribers": strconv.Itoa(r.Subscribers)}),
	}
	for i, o := range r.Ranked(p.Kind) {
		args := map[string]string{"rank": strconv.Itoa(i + 1), "label": o.Label, "votes": strconv.Itoa(o.Votes), "points": strconv.Itoa(o.Points)}
		if p.Kind == KindRanking {
			lines = append(lines, m.Texts.T(lang, "consultation.result_ranking_line", args))
		} else {
			lines = append(lines, m.Texts.T(lang, "consultation.result_choice_line", args))
		}
	}
	if len(r.Villages) > 0 {
		var vs []string
		for _, v := range r.Villages {
			name := m.VillageName(v.Village)
			if v.Village == OtherVillages {
				name = m.Texts.T(lang, "consultation.result_other", nil)
			}
			vs = append(vs, m.Texts.T(lang, "consultation.result_village", map[string]string{"name": name, "answers": strconv.Itoa(v.Answers)}))
		}
		lines = append(lines, m.Texts.T(lang, "consultation.result_villages", map[string]string{"villages": strings.Join(vs, ", ")}))
	}
	if len(r.Quotes) > 0 {
		lines = append(lines, m.Texts.T(lang, "consultation.result_quotes", nil))
		for _, q := range r.Quotes {
			lines = append(lines, m.Texts.T(lang, "consultation.result_quote", map[string]string{"text": q}))
		}
	}
	if p.Response != "" {
		lines = append(lines, m.Texts.T(lang, "consultation.result_response", map[string]string{"response": p.Response}))
	} else {
		lines = append(lines, m.Texts.T(lang, "consultation.result_no_response", nil))
	}
	return strings.Join(lines, "\n")
}

// Response is the office's response sent on its own, to those who already
// had the result before it was written.
func (m Messages) Response(lang string, p Published) string {
	return m.Texts.T(lang, "consultation.response_title", map[string]string{"title": p.Title}) + "\n" + p.Response
}

// Announcement is an announcement as subscribers read it, with the way
// out.
func (m Messages) Announcement(lang string, a Announcement) string {
	return m.Texts.T(lang, "consultation.announcement", map[string]string{"office": m.Catalog.Office.Name, "text": a.Text})
}

// Progress is a broadcast's progress as the office reads it: "terkirim
// 412 dari 1.030".
func (m Messages) Progress(lang string, sent, total int) string {
	return m.Texts.T(lang, "consultation.progress", map[string]string{"sent": thousands(sent), "total": thousands(total)})
}

// thousands writes n with dots between thousands, as Indonesians do
// (1.030).
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}
