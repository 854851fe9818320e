package report

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/leksono/sapa/services"
)

// Table is one section of a report: a sheet of the workbook, a CSV file,
// a block of the text.
type Table struct {
	// ID names the table for machines: its CSV file is ID.csv.
	ID string
	// Title is the section's heading; Sheet its short name (at most 31
	// characters, as Excel allows).
	Title, Sheet string
	// Notes are lines shown under the title (not in CSV).
	Notes   []string
	Columns []Column
	Rows    [][]Cell
	// Footer rows (totals) are shown under the rows, not in CSV.
	Footer [][]Cell
}

// Column is one column of a table.
type Column struct {
	// ID is the column's CSV header, Label its heading for people.
	ID, Label string
	// CodeID, when set, adds before this column in CSV a column of that
	// header holding the cells' codes (service, village, status, ...), so
	// machines get codes beside the names.
	CodeID string
}

// CellKind says how a cell's value is written.
type CellKind int

// The kinds of cell.
const (
	CellText    CellKind = iota // Text
	CellNumber                  // Value with Places decimals
	CellPercent                 // Value is a share 0..1, shown as a percentage
	CellNone                    // no value: "-"
)

// Cell is one value of a table.
type Cell struct {
	Kind   CellKind
	Text   string  // CellText
	Code   string  // the code behind Text, for CSV
	Value  float64 // CellNumber, CellPercent
	Places int     // decimals of a CellNumber
}

func plain(s string) Cell                  { return Cell{Kind: CellText, Text: s} }
func coded(code, name string) Cell         { return Cell{Kind: CellText, Text: name, Code: code} }
func count(n int) Cell                     { return Cell{Kind: CellNumber, Value: float64(n)} }
func decimal(x float64, places int) Cell   { return Cell{Kind: CellNumber, Value: x, Places: places} }
func percent(share float64) Cell           { return Cell{Kind: CellPercent, Value: share} }
func none() Cell                           { return Cell{Kind: CellNone} }
func (w *Writer) col(id string) Column     { return Column{ID: id, Label: w.t("report.column."+id, nil)} }
func (w *Writer) codeCol(id string) Column { c := w.col(id); c.CodeID = id + "_code"; return c }

// Tables lays out the document's tables of set, in the order a camat
// reads them.
func (w *Writer) Tables(d Document, set Set) []Table {
	if set == SetIKM {
		return []Table{w.ikmSummary(d), w.ikmElements(d), w.ikmScopes(d), w.respondents(d), w.priorities(d)}
	}
	tables := append(w.serviceTables(d), w.ikmScopes(d), w.nrrTable(d), w.monthly(d))
	if len(d.Report.Visits) > 0 {
		tables = append(tables, w.visits(d))
	}
	return tables
}

// table starts a table whose title and sheet name are the locale keys
// report.section.<id> and report.sheet.<id>.
func (w *Writer) table(id string, args map[string]string, cols ...Column) Table {
	return Table{ID: id, Title: w.t("report.section."+id, args), Sheet: w.t("report.sheet."+id, nil), Columns: cols}
}

func (w *Writer) serviceTables(d Document) []Table {
	r := d.Report
	asOf := map[string]string{"as_of": w.asOf(d)}
	var out []Table

	sum := w.table("summary", nil, w.codeCol("item"), w.col("value"))
	row := func(code string, args map[string]string, c Cell) {
		sum.Rows = append(sum.Rows, []Cell{coded(code, w.t("report.summary."+code, args)), c})
	}
	row("unit", nil, plain(w.unit()))
	row("period", nil, plain(w.period(d.Period)))
	row("cases", nil, count(r.Cases))
	row("finished", nil, count(r.Finished))
	if r.Finished > 0 {
		row("within_due", nil, percent(r.WithinDueShare))
	} else {
		row("within_due", nil, none())
	}
	row("open", asOf, count(r.Open))
	row("overdue", asOf, count(r.Overdue))
	index, category := r.IKM.Published(d.Weighting)
	weighting := map[string]string{"weighting": w.weighting(d.Weighting)}
	if r.IKM.Respondents > 0 {
		row("ikm", weighting, decimal(index, 2))
		row("quality", weighting, plain(w.quality(category)))
	} else {
		row("ikm", weighting, none())
		row("quality", weighting, none())
	}
	row("respondents", nil, count(r.IKM.Respondents))
	row("partial", nil, count(r.PartialSurveys))
	// The conversations' ratings, beside the survey and outside the IKM.
	rated, total := 0, 0
	for score, n := range r.HandoverRatings {
		rated, total = rated+n, total+score*n
	}
	row("handover_rated", nil, count(rated))
	if rated > 0 {
		row("handover_rating", nil, decimal(float64(total)/float64(rated), 2))
	} else {
		row("handover_rating", nil, none())
	}
	out = append(out, sum)

	kinds := w.table("kind", nil, w.codeCol("kind"), w.col("count"))
	for _, c := range r.ByKind {
		kinds.Rows = append(kinds.Rows, []Cell{coded(c.Key, w.kind(c.Key)), count(c.N)})
	}
	out = append(out, kinds)

	statuses := w.table("status", asOf, w.codeCol("status"), w.col("count"))
	for _, c := range r.ByStatus {
		statuses.Rows = append(statuses.Rows, []Cell{coded(c.Key, w.status(c.Key)), count(c.N)})
	}
	out = append(out, statuses)

	times := w.table("services", nil, w.codeCol("service"), w.codeCol("kind"), w.col("cases"), w.col("finished"),
		w.col("median"), w.col("p90"), w.col("within_due"))
	cross := w.table("service_status", asOf, w.codeCol("service"))
	for _, st := range services.Statuses {
		cross.Columns = append(cross.Columns, Column{ID: string(st), Label: w.status(string(st))})
	}
	cross.Columns = append(cross.Columns, w.col("cases"))
	for _, s := range r.Services {
		median, p90, due := none(), none(), none()
		if s.Finished > 0 {
			median, p90, due = decimal(s.MedianDays, 2), decimal(s.P90Days, 2), percent(s.WithinDueShare)
		}
		times.Rows = append(times.Rows, []Cell{coded(s.Service, w.service(s.Service)), coded(string(s.Kind), w.kind(string(s.Kind))),
			count(s.Cases), count(s.Finished), median, p90, due})
		cells := []Cell{coded(s.Service, w.service(s.Service))}
		for _, st := range services.Statuses {
			cells = append(cells, count(s.ByStatus[st]))
		}
		cross.Rows = append(cross.Rows, append(cells, count(s.Cases)))
	}
	out = append(out, times, cross)

	villages := w.table("village", nil, w.codeCol("village"), w.col("count"))
	for _, c := range r.ByVillage {
		villages.Rows = append(villages.Rows, []Cell{coded(c.Key, w.village(c.Key)), count(c.N)})
	}
	cats := w.table("complaint_category", nil, w.codeCol("category"), w.col("count"))
	for _, c := range r.ComplaintsByCategory {
		cats.Rows = append(cats.Rows, []Cell{coded(c.Key, w.category(c.Key)), count(c.N)})
	}
	complaintVillages := w.table("complaint_village", nil, w.codeCol("village"), w.col("count"))
	for _, c := range r.ComplaintsByVillage {
		complaintVillages.Rows = append(complaintVillages.Rows, []Cell{coded(c.Key, w.village(c.Key)), count(c.N)})
	}
	return append(out, villages, cats, complaintVillages)
}

// weightingNote is the line that says which weighting is which and which
// one the office publishes.
func (w *Writer) weightingNote(d Document) string {
	return w.t("report.weighting_note", map[string]string{"published": w.weighting(d.Weighting)})
}

// ikmScopes is the index of all services and of each, with both
// weightings, each beside its own category.
func (w *Writer) ikmScopes(d Document) Table {
	r := d.Report
	t := w.table("ikm", nil, w.codeCol("scope"), w.col("respondents"),
		w.col("index_exact"), w.col("quality_exact"), w.col("index_regulation"), w.col("quality_regulation"))
	t.Notes = []string{w.weightingNote(d)}
	add := func(code, name string, x services.IKMResult) {
		if x.Respondents == 0 {
			t.Rows = append(t.Rows, []Cell{coded(code, name), count(0), none(), none(), none(), none()})
			return
		}
		t.Rows = append(t.Rows, []Cell{coded(code, name), count(x.Respondents),
			decimal(x.Index, 2), plain(w.quality(x.Category)), decimal(x.IndexOfficial, 2), plain(w.quality(x.CategoryOfficial))})
	}
	add("", w.t("report.all_services", nil), r.IKM)
	for _, s := range r.IKMByService {
		add(s.Service, w.service(s.Service), s.IKM)
	}
	return t
}

// nrrTable is each element's mean score, overall and per service.
func (w *Writer) nrrTable(d Document) Table {
	r := d.Report
	t := w.table("nrr", nil, w.codeCol("element"), Column{ID: "all", Label: w.t("report.all_services", nil)})
	scopes := []services.IKMResult{r.IKM}
	for _, s := range r.IKMByService {
		t.Columns = append(t.Columns, Column{ID: s.Service, Label: w.service(s.Service)})
		scopes = append(scopes, s.IKM)
	}
	for i, e := range services.SurveyElements {
		cells := []Cell{coded(e, strings.ToUpper(e)+" "+w.element(e))}
		for _, x := range scopes {
			if i < len(x.Answered) && x.Answered[i] > 0 {
				cells = append(cells, decimal(x.NRR[i], 2))
			} else {
				cells = append(cells, none())
			}
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

func (w *Writer) monthly(d Document) Table {
	t := w.table("monthly", nil, w.codeCol("month"), w.col("cases"), w.col("respondents"),
		Column{ID: "ikm", Label: w.t("report.column.ikm_weighted", map[string]string{"weighting": w.weighting(d.Weighting)})})
	for _, m := range d.Report.Monthly {
		index := none()
		if m.IKM.Respondents > 0 {
			x, _ := m.IKM.Published(d.Weighting)
			index = decimal(x, 2)
		}
		t.Rows = append(t.Rows, []Cell{coded(m.Month, w.month(m.Month)), count(m.Cases), count(m.IKM.Respondents), index})
	}
	return t
}

// ikmSummary is the head of the regulation's report: unit, period,
// respondents against the minimum sample, and the index in both
// weightings.
func (w *Writer) ikmSummary(d Document) Table {
	r := d.Report
	x := r.IKM
	t := w.table("ikm_summary", nil, w.codeCol("item"), w.col("value"))
	t.Notes = []string{w.weightingNote(d)}
	row := func(code string, args map[string]string, c Cell) {
		t.Rows = append(t.Rows, []Cell{coded(code, w.t("report.ikm_summary."+code, args)), c})
	}
	row("unit", nil, plain(w.unit()))
	row("period", nil, plain(w.period(d.Period)))
	row("respondents", nil, count(x.Respondents))
	source := "report.ikm_summary.population_cases"
	if d.PopulationConfigured {
		source = "report.ikm_summary.population_config"
	}
	row("population", map[string]string{"source": w.t(source, map[string]string{"date": w.date(d.Period.Last)})}, count(d.Population))
	row("minimum_sample", nil, count(d.MinimumSample))
	reached := "report.ikm_summary.sample_short"
	switch {
	case d.SampleReached():
		reached = "report.ikm_summary.sample_reached"
	case x.Respondents == 0:
		reached = "report.ikm_summary.sample_none"
	}
	row("sample", nil, coded(strconv.FormatBool(d.SampleReached()), w.t(reached, map[string]string{
		"missing": strconv.Itoa(d.MinimumSample - x.Respondents),
	})))
	row("published", nil, coded(string(d.Weighting), w.weighting(d.Weighting)))
	other := services.WeightingExact
	if d.Weighting == services.WeightingExact {
		other = services.WeightingRegulation
	}
	for _, wt := range []services.IKMWeighting{d.Weighting, other} {
		args := map[string]string{"weighting": w.weighting(wt)}
		index, category := x.Published(wt)
		if x.Respondents == 0 {
			row("weighted_mean", args, none())
			row("index", args, none())
			row("quality", args, none())
			continue
		}
		row("weighted_mean", args, decimal(x.WeightedMean(wt), 4))
		row("index", args, decimal(index, 2))
		row("quality", args, plain(w.quality(category)))
	}
	return t
}

// ikmElements is the regulation's table: per element the respondents who
// answered it, the sum of their scores, the mean (NRR), the weighted mean
// under the published weighting, the converted value x25 and its category;
// the totals under it.
func (w *Writer) ikmElements(d Document) Table {
	x := d.Report.IKM
	args := map[string]string{"weighting": w.weighting(d.Weighting)}
	t := w.table("ikm_elements", args, w.codeCol("element"), w.col("answered"), w.col("sum"), w.col("nrr"),
		Column{ID: "nrr_weighted", Label: w.t("report.column.nrr_weighted", args)}, w.col("converted"), w.col("quality"))
	t.Notes = []string{w.t("report.ikm_elements_note", nil)}
	weight := x.Weight(d.Weighting)
	for i, e := range services.SurveyElements {
		name := coded(e, strings.ToUpper(e)+" "+w.element(e))
		if i >= len(x.Answered) || x.Answered[i] == 0 {
			t.Rows = append(t.Rows, []Cell{name, count(0), count(0), none(), none(), none(), none()})
			continue
		}
		converted := x.NRR[i] * 25
		t.Rows = append(t.Rows, []Cell{name, count(x.Answered[i]), count(x.Sums[i]), decimal(x.NRR[i], 3),
			decimal(x.NRR[i]*weight, 4), decimal(converted, 2), plain(w.quality(services.IKMCategory(converted)))})
	}
	if x.Respondents > 0 {
		index, category := x.Published(d.Weighting)
		t.Footer = [][]Cell{{plain(w.t("report.ikm_elements_total", args)), plain(""), plain(""), plain(""),
			decimal(x.WeightedMean(d.Weighting), 4), decimal(index, 2), plain(w.quality(category))}}
	}
	return t
}

// respondents is the respondents' profile: each answer of each question,
// with the share of the respondents.
func (w *Writer) respondents(d Document) Table {
	t := w.table("respondents", nil, w.codeCol("question"), w.codeCol("answer"), w.col("count"), w.col("share"))
	n := d.Report.IKM.Respondents
	for _, p := range d.Report.Profile {
		q := coded(p.Question, w.label("survey.profile."+p.Question+".name", p.Question))
		for _, c := range p.Counts {
			name := w.t("report.not_answered", nil)
			if c.Key != "" {
				name = w.label("survey.profile."+p.Question+".option."+c.Key, c.Key)
			}
			share := none()
			if n > 0 {
				share = percent(float64(c.N) / float64(n))
			}
			t.Rows = append(t.Rows, []Cell{q, coded(c.Key, name), count(c.N), share})
		}
	}
	return t
}

// priorities are the three lowest elements, each with the sentence of
// what to improve.
func (w *Writer) priorities(d Document) Table {
	t := w.table("priorities", nil, w.col("rank"), w.codeCol("element"), w.col("nrr"), w.col("action"))
	for i, e := range d.Report.IKM.Lowest(3) {
		code := services.SurveyElements[e]
		t.Rows = append(t.Rows, []Cell{count(i + 1), coded(code, strings.ToUpper(code)+" "+w.element(code)),
			decimal(d.Report.IKM.NRR[e], 3), plain(w.t("report.priority."+code, nil))})
	}
	return t
}

// jsonDocument is the JSON form of a Document: the report's figures at the
// top, as before, and the IKM's publication settings beside them.
type jsonDocument struct {
	services.Report
	Weighting            services.IKMWeighting `json:"published_weighting"`
	Population           int                   `json:"population"`
	PopulationConfigured bool                  `json:"population_configured"`
	MinimumSample        int                   `json:"minimum_sample"`
	SampleReached        bool                  `json:"sample_reached"`
}

func writeJSON(out io.Writer, d Document) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonDocument{Report: d.Report, Weighting: d.Weighting, Population: d.Population,
		PopulationConfigured: d.PopulationConfigured, MinimumSample: d.MinimumSample, SampleReached: d.SampleReached()})
}
