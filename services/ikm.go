package services

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// SurveyElements are the codes of the nine elements of the citizen
// satisfaction survey (SKM) of PermenPAN-RB 14/2017, in the regulation's
// order. Their names are the locale keys survey.element.<code>:
// u1 persyaratan; u2 sistem, mekanisme dan prosedur; u3 waktu penyelesaian;
// u4 biaya/tarif; u5 produk spesifikasi jenis pelayanan; u6 kompetensi
// pelaksana; u7 perilaku pelaksana; u8 sarana dan prasarana; u9 penanganan
// pengaduan, saran dan masukan.
var SurveyElements = []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}

// complaintSkips are the elements a complaint has nothing to say about: it
// has no requirements (u1) and no fee (u4). The regulation lets a unit
// leave out elements that do not apply to a service.
var complaintSkips = []string{"u1", "u4"}

// SurveyElementsFor returns the elements asked about a case of kind, in
// the regulation's order: all nine after a request, all but requirements
// and cost after a complaint.
func SurveyElementsFor(kind Kind) []string {
	if kind != KindComplaint {
		return SurveyElements
	}
	out := make([]string, 0, len(SurveyElements))
	for _, e := range SurveyElements {
		if !slices.Contains(complaintSkips, e) {
			out = append(out, e)
		}
	}
	return out
}

// The score range of one SKM answer: 1 tidak baik, 2 kurang baik, 3 baik,
// 4 sangat baik.
const (
	MinSurveyScore = 1
	MaxSurveyScore = 4
)

// ikmScale converts the weighted mean score (1..4) into the 25..100 index.
const ikmScale = 25

// IKMWeighting says how the element averages are weighted into the index.
// Both weight every answered element alike; they differ in rounding.
type IKMWeighting string

const (
	// WeightingRegulation is the weight as PermenPAN-RB 14/2017 prints it:
	// 1/9 rounded to two decimals, 0.11 (with fewer elements answered, 1/X
	// rounded the same way). It caps the index at 99 and is what the
	// official spreadsheets compute: the default an office publishes.
	WeightingRegulation IKMWeighting = "0.11"
	// WeightingExact weights each element exactly 1/9 (1/X): all answers
	// "sangat baik" give 100.
	WeightingExact IKMWeighting = "1/9"
)

// IKMWeightings are the weightings an office may publish, the default
// first.
var IKMWeightings = []IKMWeighting{WeightingRegulation, WeightingExact}

// SurveyAnswer is one element's score in one citizen's survey response.
type SurveyAnswer struct {
	Element string // one of SurveyElements
	Score   int    // MinSurveyScore..MaxSurveyScore
}

// SurveyElementIndex returns the position of an element code in
// SurveyElements, or -1 when it is not one.
func SurveyElementIndex(code string) int {
	return slices.Index(SurveyElements, code)
}

// ValidSurveyScore reports whether score is a possible SKM answer.
func ValidSurveyScore(score int) bool {
	return score >= MinSurveyScore && score <= MaxSurveyScore
}

// IKMResult is the community satisfaction index (Indeks Kepuasan
// Masyarakat) of a set of survey responses, with both weightings.
type IKMResult struct {
	// Respondents is the number of responses counted.
	Respondents int `json:"respondents"`
	// Invalid is the number of responses left out because they did not
	// hold nine scores of 0..4 with at least one answered.
	Invalid int `json:"invalid,omitempty"`
	// Answered is, per element in the order of SurveyElements, how many
	// respondents answered it (a complaint's respondent skips u1 and u4).
	Answered []int `json:"answered"`
	// Sums is, per element, the sum of its scores.
	Sums []int `json:"sums"`
	// NRR is the mean score (nilai rata-rata) of each element over the
	// respondents who answered it, unrounded; 0 for an element nobody
	// answered.
	NRR []float64 `json:"nrr"`
	// Elements is X, the number of elements with at least one answer: the
	// index averages these and only these.
	Elements int `json:"elements"`
	// Index is the IKM with each counted element weighted exactly 1/X,
	// times 25, rounded to two decimals (half away from zero).
	Index float64 `json:"index"`
	// Category is the quality category of Index: "A" (sangat baik), "B"
	// (baik), "C" (kurang baik) or "D" (tidak baik); "" without
	// respondents.
	Category string `json:"category"`
	// IndexOfficial is the IKM with the regulation's printed weight, 1/X
	// rounded to two decimals (0.11 for nine elements), times 25, rounded
	// to two decimals.
	IndexOfficial float64 `json:"index_official"`
	// CategoryOfficial is the quality category of IndexOfficial: a
	// category always belongs to the index it is printed beside, and the
	// two can fall in different bands.
	CategoryOfficial string `json:"category_official"`
}

// IKM computes the index of survey responses, each nine scores in the
// order of SurveyElements, 0 where the element was not asked or not
// answered. A response of another length, with a score out of 0..4, or
// with no score at all is not counted but reported in Invalid: one broken
// row must not hide the index of the others.
//
// Per element, NRR = sum of its scores / respondents who answered it. Over
// the X elements with answers: Index = (sum of NRR x 1/X) x 25 and
// IndexOfficial = (sum of NRR x round(1/X, 2)) x 25. Without a valid
// response the indexes are 0 and the categories "".
func IKM(responses [][]int) IKMResult {
	n := len(SurveyElements)
	r := IKMResult{NRR: make([]float64, n), Answered: make([]int, n), Sums: make([]int, n)}
	for _, resp := range responses {
		if !validResponse(resp) {
			r.Invalid++
			continue
		}
		r.Respondents++
		for i, score := range resp {
			if score != 0 {
				r.Sums[i] += score
				r.Answered[i]++
			}
		}
	}
	if r.Respondents == 0 {
		return r
	}
	var total float64
	for i, sum := range r.Sums {
		if r.Answered[i] == 0 {
			continue
		}
		r.Elements++
		r.NRR[i] = float64(sum) / float64(r.Answered[i])
		total += r.NRR[i]
	}
	// Summing first and weighting once keeps 1/9 exact for the common
	// case: four respondents all answering 4 give exactly 100.
	r.Index = round2(total / float64(r.Elements) * ikmScale)
	r.IndexOfficial = round2(total * r.Weight(WeightingRegulation) * ikmScale)
	r.Category = IKMCategory(r.Index)
	r.CategoryOfficial = IKMCategory(r.IndexOfficial)
	return r
}

func validResponse(resp []int) bool {
	if len(resp) != len(SurveyElements) {
		return false
	}
	answered := false
	for _, s := range resp {
		switch {
		case s == 0:
		case ValidSurveyScore(s):
			answered = true
		default:
			return false
		}
	}
	return answered
}

// Weight is the weight of each counted element under w: 1/X exactly, or
// 1/X rounded to two decimals as the regulation prints it. It is 0 without
// respondents.
func (r IKMResult) Weight(w IKMWeighting) float64 {
	if r.Elements == 0 {
		return 0
	}
	if w == WeightingExact {
		return 1 / float64(r.Elements)
	}
	return round2(1 / float64(r.Elements))
}

// Published returns the index and category of weighting w.
func (r IKMResult) Published(w IKMWeighting) (float64, string) {
	if w == WeightingExact {
		return r.Index, r.Category
	}
	return r.IndexOfficial, r.CategoryOfficial
}

// WeightedMean is the index before conversion (the regulation's "nilai
// interval", 1..4): the sum of NRR x weight over the counted elements,
// unrounded.
func (r IKMResult) WeightedMean(w IKMWeighting) float64 {
	var total float64
	for i, v := range r.NRR {
		if r.Answered[i] > 0 {
			total += v
		}
	}
	return total * r.Weight(w)
}

// Lowest returns the positions (in SurveyElements) of the n answered
// elements with the lowest NRR, lowest first, ties in the regulation's
// order: the improvement priorities the regulation asks a unit to publish.
func (r IKMResult) Lowest(n int) []int {
	var idx []int
	for i := range r.NRR {
		if i < len(r.Answered) && r.Answered[i] > 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(r.NRR[a], r.NRR[b]) })
	return idx[:min(n, len(idx))]
}

// IKMCategory returns the quality category of an index per PermenPAN-RB
// 14/2017: A 88.31-100, B 76.61-88.30, C 65.00-76.60, D 25.00-64.99. The
// regulation's bands have gaps between their two-decimal edges (88.30 to
// 88.31, ...), so the index is first rounded to two decimals, half away
// from zero: 88.306 rounds to 88.31 and is A, 88.304 rounds to 88.30 and
// is B. The comparison is then done on whole
// hundredths, so no float error moves a value across an edge. Values below
// 25 (impossible with valid scores) are D.
func IKMCategory(index float64) string {
	hundredths := math.Round(index * 100)
	switch {
	case hundredths >= 8831:
		return "A"
	case hundredths >= 7661:
		return "B"
	case hundredths >= 6500:
		return "C"
	default:
		return "D"
	}
}

// IKMBand is one quality category's range of the converted index.
type IKMBand struct {
	Category string
	Min, Max float64 // inclusive, as the regulation prints them
}

// IKMBands are the regulation's categories, best first.
var IKMBands = []IKMBand{
	{Category: "A", Min: 88.31, Max: 100},
	{Category: "B", Min: 76.61, Max: 88.30},
	{Category: "C", Min: 65.00, Max: 76.60},
	{Category: "D", Min: 25.00, Max: 64.99},
}

// round2 rounds to two decimals, half away from zero.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// krejcieMorgan is the table of Krejcie and Morgan (1970), which the
// regulation's guidance uses for the minimum sample: population N, sample
// S, at 95% confidence and a 5% margin.
var krejcieMorgan = [][2]int{
	{10, 10}, {15, 14}, {20, 19}, {25, 24}, {30, 28}, {35, 32}, {40, 36}, {45, 40}, {50, 44}, {55, 48},
	{60, 52}, {65, 56}, {70, 59}, {75, 63}, {80, 66}, {85, 70}, {90, 73}, {95, 76}, {100, 80}, {110, 86},
	{120, 92}, {130, 97}, {140, 103}, {150, 108}, {160, 113}, {170, 118}, {180, 123}, {190, 127}, {200, 132},
	{210, 136}, {220, 140}, {230, 144}, {240, 148}, {250, 152}, {260, 155}, {270, 159}, {280, 162}, {290, 165},
	{300, 169}, {320, 175}, {340, 181}, {360, 186}, {380, 191}, {400, 196}, {420, 201}, {440, 205}, {460, 210},
	{480, 214}, {500, 217}, {550, 226}, {600, 234}, {650, 242}, {700, 248}, {750, 254}, {800, 260}, {850, 265},
	{900, 269}, {950, 274}, {1000, 278}, {1100, 285}, {1200, 291}, {1300, 297}, {1400, 302}, {1500, 306},
	{1600, 310}, {1700, 313}, {1800, 317}, {1900, 320}, {2000, 322}, {2200, 327}, {2400, 331}, {2600, 335},
	{2800, 338}, {3000, 341}, {3500, 346}, {4000, 351}, {4500, 354}, {5000, 357}, {6000, 361}, {7000, 364},
	{8000, 367}, {9000, 368}, {10000, 370}, {15000, 375}, {20000, 377}, {30000, 379}, {40000, 380},
	{50000, 381}, {75000, 382}, {1000000, 384},
}

// MinimumSample returns the smallest number of respondents the survey of a
// unit with population service users a year needs, read from the
// Krejcie-Morgan table: the row of the population, or of the next larger
// population the table lists, so the sample is never too small (100 users
// need 80, 500 need 217, 1,000 need 278, 100,000 need 384). Below 10 users
// every user is asked; a population of 0 or less needs none.
func MinimumSample(population int) int {
	if population <= 0 {
		return 0
	}
	if population < krejcieMorgan[0][0] {
		return population
	}
	for _, row := range krejcieMorgan {
		if population <= row[0] {
			return row[1]
		}
	}
	return krejcieMorgan[len(krejcieMorgan)-1][1]
}

// ParseIKMWeighting reads a weighting as configuration writes it.
func ParseIKMWeighting(s string) (IKMWeighting, error) {
	for _, w := range IKMWeightings {
		if s == string(w) {
			return w, nil
		}
	}
	return "", fmt.Errorf("weighting %q is not one of %q (the regulation's printed weight) or %q (exact)", s, WeightingRegulation, WeightingExact)
}
