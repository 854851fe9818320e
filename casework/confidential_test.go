package casework_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/leksono/sapa/services"
)

// #16.2: who is in a unit's group chat is not in staff.yaml, so what a
// rahasia complaint says, when it is filed and when the citizen answers a
// question, reaches only the officers the one visibility rule lets see it,
// in their private chats; the group hears only that the case has news.
// An ordinary complaint still goes to the group.
func TestRahasiaNewsNeverReachesAGroup(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	const group = "-100777"
	o.staff.UnitGroups["kesejahteraan_sosial"] = services.Contacts{"telegram": group}
	const story = "Nama saya tidak tercantum di daftar penerima bantuan padahal sudah didata tahun lalu."
	complain := func(chat, confidentiality string) string {
		t.Helper()
		var last string
		for _, say := range []string{"pengaduan", "bantuan sosial", "Sawangan", story, "lewati", "lewati", confidentiality, "Siti Aminah", "ya"} {
			last = o.chat(chat, say)
		}
		ticket := regexp.MustCompile(`LKS-\d{6}-\d{4}`).FindString(last)
		if ticket == "" {
			t.Fatalf("no ticket in %q", last)
		}
		return ticket
	}

	plain := complain("3001", "biasa")
	if got := o.notes.to(group); len(got) != 1 || !strings.Contains(got[0], story) {
		t.Fatalf("the group got %q for an ordinary complaint, want its text", got)
	}
	if got := o.notes.to("9001"); len(got) != 0 {
		t.Errorf("with a group, the kasi was told of %s privately too: %q", plain, got)
	}

	secret := complain("3002", "rahasia")
	got := o.notes.to(group)
	if len(got) != 2 || strings.Contains(got[1], story) || !strings.Contains(got[1], secret) || strings.Contains(got[1], "Siti Aminah") {
		t.Fatalf("the group got %q for a rahasia complaint, want a notice with its ticket and nothing it says", got)
	}
	for _, chat := range []string{"9001", "9002"} {
		if got := o.notes.to(chat); len(got) != 1 || !strings.Contains(got[0], story) {
			t.Errorf("unit officer %s got %q, want the complaint in their private chat", chat, got)
		}
	}
	for _, chat := range []string{"9003", "9005"} {
		if got := o.notes.to(chat); len(got) != 0 {
			t.Errorf("%s, outside the unit, got %q", chat, got)
		}
	}

	// The citizen answers a question: the answer follows the same rule.
	if _, err := o.desk.Move(context.Background(), o.officer("kasi_kesos"), secret, services.StatusIncomplete, "Sejak kapan didata?"); err != nil {
		t.Fatal(err)
	}
	const answer = "Didata bulan Maret oleh pak RT 03 di rumah saya."
	o.chat("3002", answer)
	if got := o.notes.to(group); len(got) != 3 || strings.Contains(got[2], "pak RT 03") || !strings.Contains(got[2], secret) {
		t.Errorf("the group got %q after the citizen's answer, want a notice without it", got)
	}
	for _, chat := range []string{"9001", "9002"} {
		if got := o.notes.to(chat); len(got) != 2 || !strings.Contains(got[1], "pak RT 03") {
			t.Errorf("unit officer %s got %q, want the answer", chat, got)
		}
	}
}
