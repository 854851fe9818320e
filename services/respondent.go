package services

import (
	"slices"
	"strconv"
)

// ProfileQuestion is one question about the respondent that the
// regulation's questionnaire asks beside the nine elements. Each is
// optional: a respondent may skip it, and the answer is stored as "".
// Its texts are locale keys survey.profile.<code>.* (the question, its
// short name) and survey.profile.<code>.option.<option> (each answer).
type ProfileQuestion struct {
	Code    string
	Options []string
}

// SurveyProfile are the respondent's profile questions, in the order they
// are asked: age band, sex, education, main occupation. The answers are
// statistics for the published report: never shown with a ticket or a
// name, and never logged.
var SurveyProfile = []ProfileQuestion{
	{Code: "usia", Options: []string{"kurang_20", "20_29", "30_39", "40_49", "50_59", "60_lebih"}},
	{Code: "kelamin", Options: []string{"laki_laki", "perempuan"}},
	{Code: "pendidikan", Options: []string{"sd", "smp", "sma", "diploma", "sarjana", "pascasarjana"}},
	{Code: "pekerjaan", Options: []string{"pns", "swasta", "wiraswasta", "petani", "buruh", "pelajar", "rumah_tangga", "tidak_bekerja", "lainnya"}},
}

// ProfileQuestionOf returns the profile question with code.
func ProfileQuestionOf(code string) (ProfileQuestion, bool) {
	i := slices.IndexFunc(SurveyProfile, func(q ProfileQuestion) bool { return q.Code == code })
	if i < 0 {
		return ProfileQuestion{}, false
	}
	return SurveyProfile[i], true
}

// ValidProfileAnswer reports whether value answers the profile question
// code: one of its options, or "" for skipped.
func ValidProfileAnswer(code, value string) bool {
	q, ok := ProfileQuestionOf(code)
	return ok && (value == "" || slices.Contains(q.Options, value))
}

// ProfileKeys are the locale keys the profile questions need in every
// language.
func ProfileKeys() []string {
	var keys []string
	for _, q := range SurveyProfile {
		keys = append(keys, "survey.profile."+q.Code+".ask", "survey.profile."+q.Code+".name")
		for _, o := range q.Options {
			keys = append(keys, "survey.profile."+q.Code+".option."+o)
		}
	}
	return keys
}

// AgeBand returns the usia option of an age in years, for a respondent who
// types their age instead of picking a band. Ages outside 10..120 are not
// taken as ages.
func AgeBand(years int) (string, bool) {
	switch {
	case years < 10 || years > 120:
		return "", false
	case years < 20:
		return "kurang_20", true
	case years >= 60:
		return "60_lebih", true
	}
	// 20..59: the decade's band, "20_29" to "50_59".
	d := years / 10 * 10
	return strconv.Itoa(d) + "_" + strconv.Itoa(d+9), true
}
