package main

import (
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Personal data that must never reach a log line: a run of 16 digits (a
// NIK or KK number) and an Indonesian mobile number, local (08...) or
// international (628..., +628...).
var (
	logNumberRE = regexp.MustCompile(`\d{16}`)
	logPhoneRE  = regexp.MustCompile(`(?:\+?62|\b0)8\d{7,12}\b`)
)

// checkedLog is the logger of an end-to-end test, at debug level (every
// line the bot can write): when the test ends, its output must hold no
// NIK, KK or phone number and none of chats, the raw chat ids the test
// used. The README promises it; this is where the whole bot's logs are held
// to it.
func checkedLog(t *testing.T, chats ...int64) (*slog.Logger, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	t.Cleanup(func() {
		for _, leak := range logLeaks(logs.String(), chats...) {
			t.Errorf("a log line holds %s", leak)
		}
	})
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), logs
}

// logLeaks describes each line of logs that names personal data.
func logLeaks(logs string, chats ...int64) []string {
	var leaks []string
	ids := make([]*regexp.Regexp, len(chats))
	for i, c := range chats {
		ids[i] = regexp.MustCompile(`\b` + strconv.FormatInt(c, 10) + `\b`)
	}
	for _, line := range strings.Split(logs, "\n") {
		what := ""
		switch {
		case logNumberRE.MatchString(line):
			what = "a 16-digit number"
		case logPhoneRE.MatchString(line):
			what = "a phone number"
		}
		for i, re := range ids {
			if re.MatchString(line) {
				what = "chat id " + strconv.FormatInt(chats[i], 10)
			}
		}
		if what != "" {
			leaks = append(leaks, what+":\n"+line)
		}
	}
	return leaks
}

// TestCheckLogsCatches holds the check itself to finding what it looks
// for, so that a clean run means clean logs.
func TestCheckLogsCatches(t *testing.T) {
	for _, line := range []string{
		`level=WARN msg="x" err="nik 3307051708900001 invalid"`,
		`level=INFO msg="x" phone=081234567890`,
		`level=INFO msg="x" to=+6281234567890`,
		`level=DEBUG msg="duplicate message ignored" chat=telegram:5550001`,
	} {
		if len(logLeaks(line, 5550001)) != 1 {
			t.Errorf("logLeaks missed:\n%s", line)
		}
	}
	clean := `level=INFO msg="case submitted" channel=telegram chat=*******01 ticket=LKS-261207-0001 took=12.3ms`
	if leaks := logLeaks(clean, 5550001); len(leaks) > 0 {
		t.Errorf("logLeaks flagged a clean line: %q", leaks)
	}
}
