package services

import "math"

// SurveyElements are the codes of the nine elements of the citizen
// satisfaction survey (SKM) of PermenPAN-RB 14/2017, in the regulation's
// order. Their names are the locale keys survey.element.<code>:
// u1 persyaratan; u2 sistem, mekanisme dan prosedur; u3 waktu penyelesaian;
// u4 biaya/tarif; u5 produk spesifikasi jenis pelayanan; u6 kompetensi
// pelaksana; u7 perilaku pelaksana; u8 sarana dan prasarana; u9 penanganan
// pengaduan, saran dan masukan.
var SurveyElements = []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}

// The score range of one SKM answer: 1 tidak baik, 2 kurang baik, 3 baik,
// 4 sangat baik.
const (
	MinSurveyScore = 1
	MaxSurveyScore = 4
)

// ikmScale converts the weighted mean score (1..4) into the 25..100 index.
const ikmScale = 25

// officialWeight is the element weight as the regulation prints it: 1/9
// rounded to 0.11, which caps the index at 99. Kept for reports that must
// match the official spreadsheets.
const officialWeight = 0.11

// SurveyAnswer is one element's score in one citizen's survey response.
type SurveyAnswer struct {
	Element string // one of SurveyElements
	Score   int    // MinSurveyScore..MaxSurveyScore
}

// SurveyElementIndex returns the position of an element code in
// SurveyElements, or -1 when it is not one.
func SurveyElementIndex(code string) int {
	for i, e := range SurveyElements {
		if e == code {
			return i
		}
	}
	return -1
}

// ValidSurveyScore reports whether score is a possible SKM answer.
func ValidSurveyScore(score int) bool {
	return score >= MinSurveyScore && score <= MaxSurveyScore
}

// IKMResult is the community satisfaction index (Indeks Kepuasan
// Masyarakat) of a set of survey responses.
type IKMResult struct {
	// Respondents is the number of complete responses counted.
	Respondents int `json:"respondents"`
	// Invalid is the number of responses left out because they did not hold
	// exactly nine scores of 1..4.
	Invalid int `json:"invalid,omitempty"`
	// NRR is the mean score (nilai rata-rata) of each element, in the order
	// of SurveyElements, unrounded.
	NRR []float64 `json:"nrr"`
	// Index is the IKM with each element weighted 1/9, times 25, rounded to
	// two decimals (half away from zero), as reports print it.
	Index float64 `json:"index"`
	// IndexOfficial is the IKM with the regulation's printed weight 0.11,
	// times 25, rounded to two decimals.
	IndexOfficial float64 `json:"index_official"`
	// Category is the quality category of Index: "A" (sangat baik), "B"
	// (baik), "C" (kurang baik) or "D" (tidak baik); "" without respondents.
	Category string `json:"category"`
}

// IKM computes the index of complete survey responses, each nine scores of
// 1..4 in the order of SurveyElements. A response of another length or with
// a score out of range is not counted but reported in Invalid: one broken
// row must not hide the index of the others. NRR per element = sum of its
// scores / respondents; Index = (sum of NRR x 1/9) x 25; IndexOfficial =
// (sum of NRR x 0.11) x 25. Without a valid response the indexes are 0 and
// the category is "".
func IKM(responses [][]int) IKMResult {
	r := IKMResult{NRR: make([]float64, len(SurveyElements))}
	sums := make([]int, len(SurveyElements))
	for _, resp := range responses {
		if !validResponse(resp) {
			r.Invalid++
			continue
		}
		r.Respondents++
		for i, score := range resp {
			sums[i] += score
		}
	}
	if r.Respondents == 0 {
		return r
	}
	var total float64
	for i, sum := range sums {
		r.NRR[i] = float64(sum) / float64(r.Respondents)
		total += r.NRR[i]
	}
	// Summing first and weighting once keeps 1/9 exact for the common
	// case: four respondents all answering 4 give exactly 100.
	r.Index = round2(total / float64(len(SurveyElements)) * ikmScale)
	r.IndexOfficial = round2(total * officialWeight * ikmScale)
	r.Category = IKMCategory(r.Index)
	return r
}

func validResponse(resp []int) bool {
	if len(resp) != len(SurveyElements) {
		return false
	}
	for _, s := range resp {
		if !ValidSurveyScore(s) {
			return false
		}
	}
	return true
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

// round2 rounds to two decimals, half away from zero.
func round2(x float64) float64 { return math.Round(x*100) / 100 }
