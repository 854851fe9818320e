package services

import (
	"math"
	"strings"
	"testing"
)

// TestIKMWorkedExample checks IKM against a small survey worked out by hand.
//
//	respondent   u1 u2 u3 u4 u5 u6 u7 u8 u9
//	r1            4  4  3  3  4  3  3  2  3
//	r2            3  3  3  4  4  3  4  3  3
//	r3            3  2  3  3  3  4  4  3  2
//	r4            4  3  2  3  3  3  4  3  4
//	sum          14 12 11 13 14 13 15 11 12   (total 115)
//	NRR = sum/4  3.5 3 2.75 3.25 3.5 3.25 3.75 2.75 3   (sum of NRR 28.75)
//
// Weight 1/9:  28.75 / 9 x 25 = 718.75 / 9 = 79.8611... -> 79.86, category B.
// Weight 0.11: 28.75 x 0.11 x 25 = 3.1625 x 25 = 79.0625 -> 79.06.
func TestIKMWorkedExample(t *testing.T) {
	responses := [][]int{
		{4, 4, 3, 3, 4, 3, 3, 2, 3},
		{3, 3, 3, 4, 4, 3, 4, 3, 3},
		{3, 2, 3, 3, 3, 4, 4, 3, 2},
		{4, 3, 2, 3, 3, 3, 4, 3, 4},
	}
	got := IKM(responses)
	wantNRR := []float64{3.5, 3, 2.75, 3.25, 3.5, 3.25, 3.75, 2.75, 3}
	if got.Respondents != 4 || got.Invalid != 0 {
		t.Errorf("respondents = %d, invalid = %d, want 4 and 0", got.Respondents, got.Invalid)
	}
	if len(got.NRR) != len(wantNRR) {
		t.Fatalf("NRR has %d elements, want %d", len(got.NRR), len(wantNRR))
	}
	for i, want := range wantNRR {
		if math.Abs(got.NRR[i]-want) > 1e-12 {
			t.Errorf("NRR %s = %v, want %v", SurveyElements[i], got.NRR[i], want)
		}
	}
	if got.Index != 79.86 {
		t.Errorf("index (1/9) = %v, want 79.86", got.Index)
	}
	if got.IndexOfficial != 79.06 {
		t.Errorf("index (0.11) = %v, want 79.06", got.IndexOfficial)
	}
	if got.Category != "B" {
		t.Errorf("category = %q, want B", got.Category)
	}
}

// TestIKMExtremes: all 4 gives exactly 100 with 1/9 but 99 with the
// regulation's 0.11; all 1 gives 25 and 24.75.
func TestIKMExtremes(t *testing.T) {
	all := func(score, n int) [][]int {
		var out [][]int
		for range n {
			out = append(out, []int{score, score, score, score, score, score, score, score, score})
		}
		return out
	}
	best := IKM(all(4, 3))
	if best.Index != 100 || best.IndexOfficial != 99 || best.Category != "A" {
		t.Errorf("all 4: index %v, official %v, category %q; want 100, 99, A", best.Index, best.IndexOfficial, best.Category)
	}
	worst := IKM(all(1, 2))
	if worst.Index != 25 || worst.IndexOfficial != 24.75 || worst.Category != "D" {
		t.Errorf("all 1: index %v, official %v, category %q; want 25, 24.75, D", worst.Index, worst.IndexOfficial, worst.Category)
	}
}

func TestIKMInvalidAndEmpty(t *testing.T) {
	empty := IKM(nil)
	if empty.Respondents != 0 || empty.Index != 0 || empty.Category != "" || empty.CategoryOfficial != "" || len(empty.NRR) != 9 {
		t.Errorf("no responses: %+v, want zero index, no category, nine zero NRR", empty)
	}
	got := IKM([][]int{
		{3, 3, 3, 3, 3, 3, 3, 3, 3},
		{3, 3, 3, 3, 3, 3, 3, 3},     // eight scores
		{3, 3, 3, 3, 3, 3, 3, 3, 5},  // out of range
		{-1, 3, 3, 3, 3, 3, 3, 3, 3}, // out of range
		{0, 0, 0, 0, 0, 0, 0, 0, 0},  // nothing answered
	})
	if got.Respondents != 1 || got.Invalid != 4 {
		t.Errorf("respondents %d invalid %d, want 1 and 4", got.Respondents, got.Invalid)
	}
	if got.Index != 75 || got.Category != "C" {
		t.Errorf("index %v category %q, want 75 and C from the one valid response", got.Index, got.Category)
	}
}

// TestIKMSkippedElements is the fixed survey of the "done when",
// worked out by hand. Three respondents after a request answer all nine
// elements; two after a complaint are not asked u1 (requirements) nor u4
// (cost), so those elements average over three respondents, the others
// over five.
//
//	respondent       u1 u2 u3 u4 u5 u6 u7 u8 u9
//	r1 request        4  4  3  3  4  3  3  2  3
//	r2 request        3  3  3  4  4  3  4  3  3
//	r3 request        3  2  3  3  3  4  4  3  2
//	r4 complaint      -  3  2  -  3  3  4  3  4
//	r5 complaint      -  2  2  -  3  3  3  2  2
//	answered          3  5  5  3  5  5  5  5  5
//	sum              10 14 13 10 17 16 18 13 14
//	NRR            3.3333 2.8 2.6 3.3333 3.4 3.2 3.6 2.6 2.8
//
// Sum of NRR = 20/3 + 21 = 83/3 = 27.6667 over X = 9 elements.
// Weight 1/9:  83/3 / 9 = 3.0741 (nilai interval); x 25 = 2075/27 = 76.85, category B (76.61-88.30).
// Weight 0.11: 83/3 x 0.11 = 3.0433; x 25 = 76.0833 -> 76.08, category C (65.00-76.60).
// The same answers fall in two bands: each index carries its own category.
// Lowest three: u3 2.6 and u8 2.6 (tie kept in element order), then u2 2.8
// (before u9 2.8).
func TestIKMSkippedElements(t *testing.T) {
	got := IKM(fixedSurvey)
	wantNRR := []float64{10.0 / 3, 2.8, 2.6, 10.0 / 3, 3.4, 3.2, 3.6, 2.6, 2.8}
	wantAnswered := []int{3, 5, 5, 3, 5, 5, 5, 5, 5}
	wantSums := []int{10, 14, 13, 10, 17, 16, 18, 13, 14}
	if got.Respondents != 5 || got.Invalid != 0 || got.Elements != 9 {
		t.Errorf("respondents %d invalid %d elements %d, want 5, 0, 9", got.Respondents, got.Invalid, got.Elements)
	}
	for i := range wantNRR {
		if math.Abs(got.NRR[i]-wantNRR[i]) > 1e-12 || got.Answered[i] != wantAnswered[i] || got.Sums[i] != wantSums[i] {
			t.Errorf("%s: NRR %v answered %d sum %d, want %v, %d, %d", SurveyElements[i], got.NRR[i], got.Answered[i], got.Sums[i], wantNRR[i], wantAnswered[i], wantSums[i])
		}
	}
	if got.Index != 76.85 || got.Category != "B" {
		t.Errorf("index 1/9 = %v %q, want 76.85 B", got.Index, got.Category)
	}
	if got.IndexOfficial != 76.08 || got.CategoryOfficial != "C" {
		t.Errorf("index 0.11 = %v %q, want 76.08 C", got.IndexOfficial, got.CategoryOfficial)
	}
	if i, c := got.Published(WeightingRegulation); i != 76.08 || c != "C" {
		t.Errorf("published 0.11 = %v %q", i, c)
	}
	if i, c := got.Published(WeightingExact); i != 76.85 || c != "B" {
		t.Errorf("published 1/9 = %v %q", i, c)
	}
	if w := got.WeightedMean(WeightingExact); math.Abs(w-83.0/27) > 1e-12 {
		t.Errorf("weighted mean 1/9 = %v, want 3.0741", w)
	}
	if w := got.WeightedMean(WeightingRegulation); math.Abs(w-83.0/3*0.11) > 1e-12 {
		t.Errorf("weighted mean 0.11 = %v, want 3.0433", w)
	}
	var lowest []string
	for _, i := range got.Lowest(3) {
		lowest = append(lowest, SurveyElements[i])
	}
	if strings.Join(lowest, " ") != "u3 u8 u2" {
		t.Errorf("lowest three = %v, want u3 u8 u2", lowest)
	}
}

// fixedSurvey is the survey of TestIKMSkippedElements: 0 is not asked.
var fixedSurvey = [][]int{
	{4, 4, 3, 3, 4, 3, 3, 2, 3},
	{3, 3, 3, 4, 4, 3, 4, 3, 3},
	{3, 2, 3, 3, 3, 4, 4, 3, 2},
	{0, 3, 2, 0, 3, 3, 4, 3, 4},
	{0, 2, 2, 0, 3, 3, 3, 2, 2},
}

// TestIKMFewerElements: when no respondent answered u1 and u4 (only
// complaints), X = 7 and the regulation's weight is 1/7 rounded, 0.14.
// All answers 4: 7 x 4 / 7 x 25 = 100 exactly; 28 x 0.14 x 25 = 98.
func TestIKMFewerElements(t *testing.T) {
	got := IKM([][]int{{0, 4, 4, 0, 4, 4, 4, 4, 4}})
	if got.Elements != 7 || got.Weight(WeightingRegulation) != 0.14 || got.Index != 100 || got.IndexOfficial != 98 || got.CategoryOfficial != "A" {
		t.Errorf("complaints only: %+v, want 7 elements, weight 0.14, 100 and 98", got)
	}
}

func TestSurveyElementsFor(t *testing.T) {
	if got := SurveyElementsFor(KindRequest); len(got) != 9 {
		t.Errorf("request: %v, want all nine", got)
	}
	if got := strings.Join(SurveyElementsFor(KindComplaint), " "); got != "u2 u3 u5 u6 u7 u8 u9" {
		t.Errorf("complaint: %s, want all but requirements (u1) and cost (u4)", got)
	}
}

// TestMinimumSample checks the table against the domain's examples and
// every row against Krejcie and Morgan's formula,
// s = X2 N P(1-P) / (d2 (N-1) + X2 P(1-P)) with X2 = 3.841, P = 0.5,
// d = 0.05: for N = 120, 115.23 / (0.2975 + 0.96025) = 91.6, so 92.
func TestMinimumSample(t *testing.T) {
	for _, c := range [][2]int{{0, 0}, {-5, 0}, {7, 7}, {10, 10}, {100, 80}, {101, 86}, {120, 92}, {500, 217},
		{1000, 278}, {5000, 357}, {10000, 370}, {100000, 384}, {5000000, 384}} {
		if got := MinimumSample(c[0]); got != c[1] {
			t.Errorf("MinimumSample(%d) = %d, want %d", c[0], got, c[1])
		}
	}
	for _, row := range krejcieMorgan {
		n := float64(row[0])
		s := 3.841 * n * 0.25 / (0.0025*(n-1) + 3.841*0.25)
		if math.Abs(s-float64(row[1])) > 0.5 {
			t.Errorf("table row N=%d S=%d, formula gives %.1f", row[0], row[1], s)
		}
	}
}

// TestIKMCategoryEdges checks every band edge the regulation prints, and
// that values between two-decimal edges are rounded first.
func TestIKMCategoryEdges(t *testing.T) {
	for _, c := range []struct {
		index float64
		want  string
	}{
		{100, "A"},
		{88.31, "A"},
		{88.30, "B"},
		{88.306, "A"}, // rounds to 88.31
		{88.304, "B"}, // rounds to 88.30
		{76.61, "B"},
		{76.60, "C"},
		{76.606, "B"},
		{76.604, "C"},
		{65.00, "C"},
		{64.99, "D"},
		{64.996, "C"},
		{64.994, "D"},
		{25.00, "D"},
		{0, "D"},
	} {
		if got := IKMCategory(c.index); got != c.want {
			t.Errorf("IKMCategory(%v) = %q, want %q", c.index, got, c.want)
		}
	}
}

// TestIKMCategoryFromResponses reaches the A/B edge through real scores:
// 25 x total / (9 x n). With n = 9 respondents, a total of 286 gives
// 25 x 286 / 81 = 88.2716 -> 88.27 (B), 287 gives 88.5802 -> 88.58 (A).
func TestIKMCategoryFromResponses(t *testing.T) {
	build := func(total int) [][]int {
		// 81 answers: start from all 3 (243) and raise answers to 4.
		rs := make([][]int, 9)
		for i := range rs {
			rs[i] = []int{3, 3, 3, 3, 3, 3, 3, 3, 3}
		}
		for k := 0; k < total-243; k++ {
			rs[k/9][k%9] = 4
		}
		return rs
	}
	if got := IKM(build(286)); got.Index != 88.27 || got.Category != "B" {
		t.Errorf("total 286: index %v category %q, want 88.27 B", got.Index, got.Category)
	}
	if got := IKM(build(287)); got.Index != 88.58 || got.Category != "A" {
		t.Errorf("total 287: index %v category %q, want 88.58 A", got.Index, got.Category)
	}
}

func TestSurveyElementIndex(t *testing.T) {
	if len(SurveyElements) != 9 {
		t.Fatalf("%d elements, want the regulation's 9", len(SurveyElements))
	}
	if SurveyElementIndex("u1") != 0 || SurveyElementIndex("u9") != 8 || SurveyElementIndex("u10") != -1 {
		t.Error("element index wrong")
	}
	if ValidSurveyScore(0) || !ValidSurveyScore(1) || !ValidSurveyScore(4) || ValidSurveyScore(5) {
		t.Error("score range wrong")
	}
}

func TestAgeBand(t *testing.T) {
	for years, want := range map[int]string{9: "", 10: "kurang_20", 19: "kurang_20", 20: "20_29", 35: "30_39", 59: "50_59", 60: "60_lebih", 120: "60_lebih", 121: ""} {
		got, ok := AgeBand(years)
		if got != want || ok != (want != "") {
			t.Errorf("AgeBand(%d) = %q, %v; want %q", years, got, ok, want)
		}
		if ok && !ValidProfileAnswer("usia", got) {
			t.Errorf("AgeBand(%d) = %q is not an option of usia", years, got)
		}
	}
}
