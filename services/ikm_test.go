package services

import (
	"math"
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
	if empty.Respondents != 0 || empty.Index != 0 || empty.Category != "" || len(empty.NRR) != 9 {
		t.Errorf("no responses: %+v, want zero index, no category, nine zero NRR", empty)
	}
	got := IKM([][]int{
		{3, 3, 3, 3, 3, 3, 3, 3, 3},
		{3, 3, 3, 3, 3, 3, 3, 3},    // eight scores
		{3, 3, 3, 3, 3, 3, 3, 3, 5}, // out of range
		{0, 3, 3, 3, 3, 3, 3, 3, 3}, // out of range
	})
	if got.Respondents != 1 || got.Invalid != 3 {
		t.Errorf("respondents %d invalid %d, want 1 and 3", got.Respondents, got.Invalid)
	}
	if got.Index != 75 || got.Category != "C" {
		t.Errorf("index %v category %q, want 75 and C from the one valid response", got.Index, got.Category)
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
