package report_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/leksono/sapa/report"
)

// The ratings citizens give their conversations with officers (issue #22)
// are reported beside the survey, in the summary, and never move the IKM.
func TestHandoverRatingsBesideTheSurvey(t *testing.T) {
	w, d := fixedDocument(t)
	ikm := d.Report.IKM
	d.Report.HandoverRatings = [5]int{0, 0, 1, 0, 3}
	rows := map[string]report.Cell{}
	labels := map[string]string{}
	for _, tb := range w.Tables(d, report.SetService) {
		if tb.ID != "summary" {
			continue
		}
		for _, r := range tb.Rows {
			rows[r[0].Code], labels[r[0].Code] = r[1], r[0].Text
		}
	}
	if got := rows["handover_rated"]; got.Value != 4 {
		t.Errorf("conversations rated = %+v, want 4", got)
	}
	if got := rows["handover_rating"]; got.Value != 3.5 || got.Places != 2 {
		t.Errorf("average rating = %+v, want 3.50", got)
	}
	for _, code := range []string{"handover_rated", "handover_rating"} {
		if !strings.Contains(labels[code], "di luar IKM") {
			t.Errorf("row %s is labelled %q", code, labels[code])
		}
	}
	if !reflect.DeepEqual(d.Report.IKM, ikm) {
		t.Error("the conversations' ratings changed the IKM")
	}
}
