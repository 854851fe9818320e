package conversation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// The goal counts of issue #18: a first SKTM in at most 9 citizen messages
// when the first one names the service, a second in at most 6, the second
// filed with the first's answers about the citizen.
func TestReturningCitizenMessageCounts(t *testing.T) {
	h := newHarness(t)
	h.privacy.AssumeConsent = false
	// The documents' photos are sent at once, as one album: one act of
	// the citizen's, however many messages the chat app makes of it.
	filedAfter := func(lines ...string) int {
		before, typed := len(h.cases.Filed), 0
		for _, line := range lines {
			h.send(h.inbound(line))
			if !strings.HasPrefix(line, "<photo ") {
				typed++
			}
			if len(h.cases.Filed) > before {
				return typed
			}
		}
		t.Fatalf("no case filed after %q", lines)
		return 0
	}
	first := filedAfter("mau buat sktm", "3307055708900003", "siti aminah", "17 agustus 90", "sawangan",
		"Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "0812 3456 7890", "<photo pengantar>", "<photo ktp>", "<photo kk>", "ya")
	if first > 9 {
		t.Errorf("first SKTM took %d messages, want at most 9", first)
	}
	h.clock = h.clock.Add(26 * time.Hour)
	second := filedAfter("mau buat sktm lagi", "ya", "berobat di rumah sakit", "<photo pengantar-2>", "ya")
	if second > 6 {
		t.Errorf("second SKTM took %d messages, want at most 6", second)
	}
	a, b := h.cases.Filed[0].Form, h.cases.Filed[1].Form
	for _, f := range []string{"nik", "nama", "tanggal_lahir", "desa", "alamat", "telepon"} {
		if a[f] == "" || a[f] != b[f] {
			t.Errorf("%s: first %q, second %q; want the first's answer reused", f, a[f], b[f])
		}
	}
	if b["keperluan"] != "berobat di rumah sakit" {
		t.Errorf("keperluan = %q: an answer about the request is asked anew", b["keperluan"])
	}
	t.Logf("first SKTM: %d messages, second: %d", first, second)
}

// While the citizen decides, the offered answers stay in the case store:
// the conversation state holds none of them (it rests in Redis).
func TestReturningOfferKeepsNoCopy(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"mau buat sktm", "3307055708900003", "siti aminah", "17-08-1990", "sawangan",
		"Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "081234567890", "ya", "mau buat sktm lagi"} {
		h.send(h.inbound(line))
	}
	st := h.state(t)
	if st.Step != conversation.StepReuse || len(st.Data) != 0 {
		t.Fatalf("at the offer: step %s, answers %v; want the offer and no answers", st.Step, st.Data)
	}
	h.send(h.inbound("ya"))
	if st := h.state(t); st.Data["nik"] != "3307055708900003" || st.Step != conversation.StepForm {
		t.Fatalf("after ya: step %s, answers %v; want the form with the NIK filled", st.Step, st.Data)
	}
}

// After "hapus data saya" nothing of the citizen's is offered.
func TestReturningNothingAfterErasure(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"mau buat sktm", "3307055708900003", "siti aminah", "17-08-1990", "sawangan",
		"Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "081234567890", "ya", "hapus data saya", "mau buat sktm lagi"} {
		h.send(h.inbound(line))
	}
	if st := h.state(t); st.Step != conversation.StepForm || st.Field != 0 || len(st.Data) != 0 {
		t.Fatalf("after erasure: step %s field %d answers %v; want the form's first question, nothing filled", st.Step, st.Field, st.Data)
	}
}

// state is the chat's stored state.
func (h *harness) state(t *testing.T) conversation.State {
	t.Helper()
	loaded, err := h.states.Load(context.Background(), h.chat, "")
	if err != nil || loaded.State == nil {
		t.Fatalf("load state: %v, %+v", err, loaded)
	}
	return *loaded.State
}

// A returning citizen's KTP and KK photos are offered with the rest while
// the office holds them valid (reuse_documents: KTP 365 days, KK 90), never
// shown in the chat, and filed with the new case; an expired one is asked
// again.
func TestReturningDocumentsWhileValid(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"mau buat sktm", "3307055708900003", "siti aminah", "17-08-1990", "sawangan",
		"Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "081234567890", "<photo pengantar>", "<photo ktp>", "<photo kk>", "ya"} {
		h.send(h.inbound(line))
	}
	first := h.cases.Filed[0].Attachments
	byReq := func(files []services.StoredFile) map[string]string {
		out := map[string]string{}
		for _, f := range files {
			out[f.Requirement] = f.SHA256
		}
		return out
	}
	// 60 days on: both still good.
	h.clock = h.clock.Add(60 * 24 * time.Hour)
	offer := strings.Join(h.send(h.inbound("mau buat sktm lagi")), "\n")
	if !strings.Contains(offer, "KTP-el: 1 foto tersimpan") || !strings.Contains(offer, "KK: 1 foto tersimpan") {
		t.Fatalf("the offer lacks the photos:\n%s", offer)
	}
	for _, line := range []string{"ya", "berobat di rumah sakit", "<photo pengantar-2>", "ya"} {
		h.send(h.inbound(line))
	}
	got, want := byReq(h.cases.Filed[1].Attachments), byReq(first)
	if got["foto_ktp"] != want["foto_ktp"] || got["foto_kk"] != want["foto_kk"] || got["pengantar_desa"] == want["pengantar_desa"] {
		t.Fatalf("second case's files %v; want the first's KTP and KK with a new pengantar (first: %v)", got, want)
	}
	if h.cases.Filed[1].Incomplete {
		t.Error("the second case is filed incomplete")
	}
	// 100 days after the second: the KK (90 days) is asked again, the KTP not.
	h.clock = h.clock.Add(100 * 24 * time.Hour)
	offer = strings.Join(h.send(h.inbound("mau buat sktm lagi")), "\n")
	if !strings.Contains(offer, "KTP-el: 1 foto tersimpan") || strings.Contains(offer, "KK: 1 foto tersimpan") {
		t.Fatalf("after 100 days the offer is:\n%s", offer)
	}
	asked := strings.Join(h.send(h.inbound("ya")), "\n")
	asked += strings.Join(h.send(h.inbound("daftar sekolah")), "\n")
	if !strings.Contains(asked, "- KK: belum") || !strings.Contains(asked, "- Pengantar RT/RW dan desa: belum") || strings.Contains(asked, "- KTP-el: belum\n") {
		t.Errorf("the expired KK is not asked again:\n%s", asked)
	}
	// The photos are never sent back to the citizen's chat.
	for _, r := range h.notes.Take() {
		if r.To == h.chat && len(r.Reply.Files) > 0 {
			t.Errorf("files sent to the citizen: %+v", r.Reply.Files)
		}
	}
}
