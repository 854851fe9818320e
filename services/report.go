package services

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"time"
)

// Report is the office's account of one period: cases, processing times
// against the service standard, complaints and the citizen satisfaction
// index. The period is [From, To): From inclusive, To exclusive. Cases are
// those filed in the period; statuses are as of AsOf; surveys are those
// completed in the period.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// AsOf is the moment statuses, the backlog and overdue cases are
	// counted at: To, or the time the report was made when the period
	// reaches past it. A case due on the 11th is not late on the 7th
	// because the period ends on the 31st.
	AsOf time.Time `json:"as_of"`
	// Cases is the number of cases filed in the period.
	Cases int `json:"cases"`
	// ByKind counts them by kind (request, complaint), sorted by kind.
	ByKind []Count `json:"by_kind"`
	// ByStatus counts them by their status as of AsOf, every status in
	// lifecycle order, zeros included.
	ByStatus []Count `json:"by_status"`
	// ByVillage counts them by village code ("" when absent), most first.
	ByVillage []Count `json:"by_village"`
	// Finished counts the cases filed in the period and selesai by AsOf;
	// WithinDue those of them done by their due date, and WithinDueShare
	// is WithinDue / Finished (0 when none finished).
	Finished       int     `json:"finished"`
	WithinDue      int     `json:"within_due"`
	WithinDueShare float64 `json:"within_due_share"`
	// Services has one row per service with cases in the period, sorted by
	// code.
	Services []ServiceReport `json:"services"`
	// Open counts the cases filed before AsOf that still waited for the
	// office at AsOf, whenever they were filed: the backlog.
	Open int `json:"open"`
	// Overdue counts the open ones whose due date had passed at AsOf and
	// whose clock was running (perlu_perbaikan pauses it). The due date is
	// the case's current one: the store keeps no history of due dates.
	Overdue int `json:"overdue"`
	// ComplaintsByCategory counts the complaints filed in the period by
	// their form field "kategori" ("" when absent), most first.
	ComplaintsByCategory []Count `json:"complaints_by_category"`
	// ComplaintsByVillage counts them by village code ("" when absent),
	// most first.
	ComplaintsByVillage []Count `json:"complaints_by_village"`
	// IKM is the satisfaction index of the surveys completed in the period.
	IKM IKMResult `json:"ikm"`
	// IKMByService is the same per service of the surveyed case, sorted by
	// code.
	IKMByService []ServiceIKM `json:"ikm_by_service"`
	// Profile counts the respondents of IKM by their answers to each
	// profile question, in the order of SurveyProfile.
	Profile []ProfileReport `json:"profile"`
	// PartialSurveys counts surveys started in the period and not completed
	// by To; they are not in any index.
	PartialSurveys int `json:"partial_surveys"`
	// YearCases is the number of cases filed in the year up to the end of
	// the period ([To - 1 year, To)): the office's yearly service users as
	// the bot sees them, the default population of the survey's minimum
	// sample. The store fills it; BuildReport leaves it 0.
	YearCases int `json:"year_cases"`
	// HandoverRatings counts the ratings citizens gave the conversations
	// with officers closed in the period, by score (index 1 to 4): shown
	// beside the survey, never inside the IKM. The store fills it.
	HandoverRatings [5]int `json:"handover_ratings"`
	// Monthly is one entry per calendar month (office time zone) the
	// period touches, for the chart.
	Monthly []MonthReport `json:"monthly"`
	// Visits are the waits for the booked visits due in the period, by
	// service, then all services (VisitWaits); empty without visits. The
	// store fills it.
	Visits []VisitWait `json:"visits,omitempty"`
}

// Count is the number of cases with one value of a key.
type Count struct {
	Key string `json:"key"`
	N   int    `json:"n"`
}

// ServiceReport is one service's cases in a report's period.
type ServiceReport struct {
	Service string `json:"service"`
	Kind    Kind   `json:"kind"`
	Cases   int    `json:"cases"`
	// ByStatus counts the service's cases by status as of AsOf; statuses
	// without cases are left out.
	ByStatus map[Status]int `json:"by_status"`
	// Finished counts the cases selesai by AsOf.
	Finished int `json:"finished"`
	// MedianDays and P90Days are the processing times of the finished
	// cases in working days (Calendar.WorkingDaysBetween from submission to
	// the event that set selesai), interpolated between ranks as
	// spreadsheets' PERCENTILE.INC does; 0 when none finished.
	MedianDays float64 `json:"median_days"`
	P90Days    float64 `json:"p90_days"`
	// WithinDue counts the finished cases done by their due date;
	// WithinDueShare is WithinDue / Finished, 0 when none finished.
	WithinDue      int     `json:"within_due"`
	WithinDueShare float64 `json:"within_due_share"`
}

// ProfileReport is how the respondents answered one profile question.
type ProfileReport struct {
	Question string `json:"question"`
	// Counts has one entry per option of the question, in its order, zeros
	// included, then one with Key "" for the respondents who skipped it.
	Counts []Count `json:"counts"`
}

// ServiceIKM is the satisfaction index of one service.
type ServiceIKM struct {
	Service string    `json:"service"`
	IKM     IKMResult `json:"ikm"`
}

// MonthReport is one month of a report's period.
type MonthReport struct {
	Month string    `json:"month"` // "2006-01"
	Cases int       `json:"cases"` // filed that month (inside the period)
	IKM   IKMResult `json:"ikm"`   // surveys completed that month
}

// ReportCase is a case as a report reads it.
type ReportCase struct {
	Kind        Kind
	ServiceCode string
	VillageCode string
	Category    string // complaint category (form field "kategori"), "" if none
	CreatedAt   time.Time
	DueAt       time.Time
	// Events are the case's events in order (at, then id); only At and the
	// status they left the case in matter.
	Events []ReportEvent
}

// ReportEvent is one step of a case's history as a report reads it.
type ReportEvent struct {
	At time.Time
	To Status
}

// ReportSurvey is one survey response as a report reads it.
type ReportSurvey struct {
	ServiceCode string
	StartedAt   time.Time
	CompletedAt *time.Time
	// Scores are the answers in the order of SurveyElements; 0 where the
	// element was not asked or not answered.
	Scores []int
	// Profile holds the respondent's profile answers by question code;
	// a skipped question is "" or absent.
	Profile map[string]string
}

// BuildReport aggregates the rows of a period. cases may hold cases filed
// before from (for the backlog) and surveys any response started or
// completed in the period; BuildReport picks what each figure needs. now is
// when the report is made: statuses are counted as of the earlier of now
// and to (a zero now means to).
func BuildReport(from, to, now time.Time, cases []ReportCase, surveys []ReportSurvey, cal Calendar) Report {
	asOf := to
	if !now.IsZero() && now.Before(to) {
		asOf = now
	}
	r := Report{From: from, To: to, AsOf: asOf}
	inPeriod := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	loc := cal.location()

	months := monthsOf(from, to, loc)
	monthIndex := map[string]int{}
	for i, m := range months {
		monthIndex[m] = i
		r.Monthly = append(r.Monthly, MonthReport{Month: m})
	}

	byKind := map[string]int{}
	byStatus := map[Status]int{}
	byVillage := map[string]int{}
	categories := map[string]int{}
	villages := map[string]int{}
	services := map[string]*ServiceReport{}
	durations := map[string][]float64{}
	for _, c := range cases {
		if !c.CreatedAt.Before(asOf) {
			continue
		}
		status, doneAt := statusAt(c.Events, asOf)
		if status.Open() {
			r.Open++
			if status != StatusIncomplete && c.DueAt.Before(asOf) {
				r.Overdue++
			}
		}
		if !inPeriod(c.CreatedAt) {
			continue
		}
		r.Cases++
		byKind[string(c.Kind)]++
		byStatus[status]++
		byVillage[c.VillageCode]++
		if i, ok := monthIndex[c.CreatedAt.In(loc).Format("2006-01")]; ok {
			r.Monthly[i].Cases++
		}
		if c.Kind == KindComplaint {
			categories[c.Category]++
			villages[c.VillageCode]++
		}
		s := services[c.ServiceCode]
		if s == nil {
			s = &ServiceReport{Service: c.ServiceCode, Kind: c.Kind, ByStatus: map[Status]int{}}
			services[c.ServiceCode] = s
		}
		s.Cases++
		s.ByStatus[status]++
		if status == StatusDone {
			s.Finished++
			durations[c.ServiceCode] = append(durations[c.ServiceCode], cal.WorkingDaysBetween(c.CreatedAt, doneAt))
			r.Finished++
			if !doneAt.After(c.DueAt) {
				s.WithinDue++
				r.WithinDue++
			}
		}
	}
	if r.Finished > 0 {
		r.WithinDueShare = float64(r.WithinDue) / float64(r.Finished)
	}
	r.ByVillage = mostFirst(byVillage)
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		r.ByKind = append(r.ByKind, Count{Key: k, N: byKind[k]})
	}
	for _, st := range Statuses {
		r.ByStatus = append(r.ByStatus, Count{Key: string(st), N: byStatus[st]})
	}
	for _, s := range services {
		if d := durations[s.Service]; len(d) > 0 {
			slices.Sort(d)
			s.MedianDays = Percentile(d, 0.5)
			s.P90Days = Percentile(d, 0.9)
			s.WithinDueShare = float64(s.WithinDue) / float64(s.Finished)
		}
		r.Services = append(r.Services, *s)
	}
	slices.SortFunc(r.Services, func(a, b ServiceReport) int { return cmp.Compare(a.Service, b.Service) })
	r.ComplaintsByCategory = mostFirst(categories)
	r.ComplaintsByVillage = mostFirst(villages)

	var all [][]int
	var profiles []map[string]string
	perService := map[string][][]int{}
	perMonth := make([][][]int, len(months))
	for _, s := range surveys {
		if s.CompletedAt != nil && inPeriod(*s.CompletedAt) {
			all = append(all, s.Scores)
			if validResponse(s.Scores) {
				profiles = append(profiles, s.Profile)
			}
			perService[s.ServiceCode] = append(perService[s.ServiceCode], s.Scores)
			if i, ok := monthIndex[s.CompletedAt.In(loc).Format("2006-01")]; ok {
				perMonth[i] = append(perMonth[i], s.Scores)
			}
			continue
		}
		if inPeriod(s.StartedAt) && (s.CompletedAt == nil || !s.CompletedAt.Before(to)) {
			r.PartialSurveys++
		}
	}
	r.IKM = IKM(all)
	r.Profile = profileCounts(profiles)
	for _, code := range slices.Sorted(maps.Keys(perService)) {
		r.IKMByService = append(r.IKMByService, ServiceIKM{Service: code, IKM: IKM(perService[code])})
	}
	for i := range r.Monthly {
		r.Monthly[i].IKM = IKM(perMonth[i])
	}
	return r
}

// profileCounts counts the answers to each profile question.
func profileCounts(profiles []map[string]string) []ProfileReport {
	out := make([]ProfileReport, 0, len(SurveyProfile))
	for _, q := range SurveyProfile {
		n := map[string]int{}
		for _, p := range profiles {
			v := p[q.Code]
			if !slices.Contains(q.Options, v) {
				v = "" // not one of today's options: counted as not answered
			}
			n[v]++
		}
		pr := ProfileReport{Question: q.Code}
		for _, o := range append(slices.Clone(q.Options), "") {
			pr.Counts = append(pr.Counts, Count{Key: o, N: n[o]})
		}
		out = append(out, pr)
	}
	return out
}

// statusAt replays events up to at: the status the case was in then and,
// when that is selesai, when it became so. A case with no event by then
// (it cannot happen: the submit event is written with the case) counts as
// diterima.
func statusAt(events []ReportEvent, at time.Time) (Status, time.Time) {
	status := StatusReceived
	var since time.Time
	for _, e := range events {
		if !e.At.Before(at) {
			break
		}
		if e.To != status {
			since = e.At
		}
		status = e.To
	}
	return status, since
}

// monthsOf lists the "2006-01" months that [from, to) touches in loc.
func monthsOf(from, to time.Time, loc *time.Location) []string {
	if !to.After(from) {
		return nil
	}
	f := from.In(loc)
	last := to.Add(-time.Nanosecond).In(loc).Format("2006-01")
	var out []string
	for m := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, loc); ; m = m.AddDate(0, 1, 0) {
		key := m.Format("2006-01")
		out = append(out, key)
		if key == last {
			return out
		}
	}
}

// mostFirst turns counts into a list, most first, ties by key.
func mostFirst(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Key: k, N: n})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}

// Percentile returns the p-th quantile (0..1) of sorted values, linearly
// interpolated between closest ranks (type 7, spreadsheets'
// PERCENTILE.INC): the median of 1, 2, 3, 4 is 2.5. It returns 0 for no
// values.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	h := float64(len(sorted)-1) * p
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
