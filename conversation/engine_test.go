package conversation_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/conversation/conversationtest"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/services/imagetest"
)

// completeSKTM walks the harness's chat through an SKTM form up to the
// confirmation.
func completeSKTM(h *harness) {
	for _, line := range []string{"halo", "2", "sktm", "3307051708900001", "Siti Aminah", "17 Agustus 1990",
		"sawangan", "Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "0812-3456-7890",
		"<photo pengantar>", "<photo ktp>", "<photo kk>"} {
		h.send(h.inbound(line))
	}
}

func TestSubmittedCaseCarriesNormalizedAnswers(t *testing.T) {
	h := newHarness(t)
	completeSKTM(h)
	confirm := h.inbound("ya")
	h.send(confirm)
	if len(h.cases.Filed) != 1 {
		t.Fatalf("want 1 case filed, got %d", len(h.cases.Filed))
	}
	c := h.cases.Filed[0]
	want := map[string]string{
		"nik": "3307051708900001", "nama": "Siti Aminah", "tanggal_lahir": "1990-08-17",
		"desa": "33.07.05.2001", "alamat": "Dusun Krajan RT 02 RW 01", "keperluan": "beasiswa sekolah anak",
		"telepon": "6281234567890",
	}
	for k, v := range want {
		if c.Form[k] != v {
			t.Errorf("form[%s] = %q, want %q", k, c.Form[k], v)
		}
	}
	if c.ServiceCode != "sktm" || c.Unit != "kesejahteraan_sosial" || c.Kind != services.KindRequest {
		t.Errorf("case service/unit/kind = %s/%s/%s", c.ServiceCode, c.Unit, c.Kind)
	}
	if c.VillageCode != "33.07.05.2001" || c.CitizenName != "Siti Aminah" {
		t.Errorf("village %q name %q", c.VillageCode, c.CitizenName)
	}
	if c.Channel != "telegram" || c.ChatID != "1001" || c.SourceMessage != "telegram:1001:"+confirm.MessageID {
		t.Errorf("channel %q chat %q source %q", c.Channel, c.ChatID, c.SourceMessage)
	}
	// Monday 09:00 with a one-working-day limit: due at Monday's closing time.
	wantDue := time.Date(2026, 11, 23, 16, 0, 0, 0, start.Location())
	if !c.DueAt.Equal(wantDue) {
		t.Errorf("due %v, want %v", c.DueAt, wantDue)
	}
}

// A failing case store must not lose the citizen's form: the message is
// reported unhandled, the state stays at the confirmation, and the same
// "ya" files the case once the store is back.
func TestSubmitFailureKeepsTheForm(t *testing.T) {
	h := newHarness(t)
	completeSKTM(h)
	h.cases.Fail = errors.New("database is down")
	in := h.inbound("ya")
	if _, err := h.engine.Handle(context.Background(), in); err == nil {
		t.Fatal("want an error while the case store fails")
	}
	if len(h.cases.Filed) != 0 {
		t.Fatalf("no case may be filed while the store fails, got %d", len(h.cases.Filed))
	}
	h.cases.Fail = nil
	replies, err := h.engine.Handle(context.Background(), in)
	if err != nil {
		t.Fatalf("retry after the store recovered: %v", err)
	}
	if len(h.cases.Filed) != 1 || len(replies) != 1 || !strings.Contains(replies[0].Text, "LKS-261123-0001") {
		t.Fatalf("want one case and its ticket in the reply, got %d cases, replies %+v", len(h.cases.Filed), replies)
	}
}

// conflictOnce makes the first Commit lose a race, as when two messages of
// one chat arrive together on two workers.
type conflictOnce struct {
	*conversationtest.States
	tripped bool
}

func (c *conflictOnce) Commit(ctx context.Context, s conversation.State, id string, ttl time.Duration) error {
	if !c.tripped {
		c.tripped = true
		return conversation.ErrConflict
	}
	return c.States.Commit(ctx, s, id, ttl)
}

func TestConflictIsRetried(t *testing.T) {
	catalog, texts := loadReal(t)
	clock := start
	states := &conflictOnce{States: conversationtest.NewStates(func() time.Time { return clock })}
	cases := conversationtest.NewCases(catalog.Office.Location)
	engine, err := conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: states, Cases: cases, Desk: cases,
		Now: func() time.Time { return clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	in := conversation.Inbound{Chat: conversation.ChatKey{Channel: "telegram", ChatID: "7"}, MessageID: "1", Kind: conversation.KindText, Text: "halo"}
	replies, err := engine.Handle(context.Background(), in)
	if err != nil || len(replies) != 1 {
		t.Fatalf("want one reply after a retried conflict, got %v, %v", replies, err)
	}
	if !states.tripped {
		t.Fatal("the conflict was never injected")
	}
}

// countingGate is a ChatGate over the in-memory states that counts the
// messages it let through.
type countingGate struct {
	*conversationtest.States
	begun, committed int
}

func (g *countingGate) Begin(ctx context.Context, chat conversation.ChatKey, id, _ string, _ time.Time) (conversation.Begun, conversation.ChatLease, error) {
	g.begun++
	loaded, err := g.Load(ctx, chat, id)
	return conversation.Begun{Loaded: loaded}, conversation.ChatLease{Chat: chat, Token: "held"}, err
}

func (g *countingGate) CommitWithLease(ctx context.Context, st conversation.State, id string, ttl time.Duration, lease conversation.ChatLease) error {
	if !lease.Held() {
		return errors.New("commit without the lease Begin gave")
	}
	g.committed++
	return g.Commit(ctx, st, id, ttl)
}

func (g *countingGate) Release(context.Context, conversation.ChatLease) error { return nil }

// The gate is what Config.Gate says, never guessed from the state store:
// a store that could gate is not used as one unless given as the Gate, and
// officers' messages go around the gate.
func TestGateIsExplicit(t *testing.T) {
	catalog, texts := loadReal(t)
	gate := &countingGate{States: conversationtest.NewStates(func() time.Time { return start })}
	cases := conversationtest.NewCases(catalog.Office.Location)
	citizen := conversation.Inbound{Chat: conversation.ChatKey{Channel: "telegram", ChatID: "7"}, SenderID: "7", MessageID: "1", Kind: conversation.KindText, Text: "halo"}
	officer := conversation.Inbound{Chat: conversation.ChatKey{Channel: "telegram", ChatID: "9001"}, SenderID: "9001", MessageID: "1", Kind: conversation.KindText, Text: "kasus"}

	ungated, err := conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: gate, Cases: cases, Desk: cases, Now: func() time.Time { return start },
	})
	if err != nil {
		t.Fatal(err)
	}
	if replies, err := ungated.Handle(context.Background(), citizen); err != nil || len(replies) != 1 {
		t.Fatalf("ungated engine: %v, %v", replies, err)
	}
	if gate.begun != 0 {
		t.Fatalf("an engine without a Gate used its state store as one (%d messages began)", gate.begun)
	}

	gated, err := conversation.New(conversation.Config{
		Catalog: catalog, Texts: texts, States: gate, Gate: gate, Cases: cases, Desk: cases, Staff: testStaff(),
		Now: func() time.Time { return start },
	})
	if err != nil {
		t.Fatal(err)
	}
	citizen.MessageID = "2"
	if replies, err := gated.Handle(context.Background(), citizen); err != nil || len(replies) != 1 {
		t.Fatalf("gated engine: %v, %v", replies, err)
	}
	if gate.begun != 1 || gate.committed != 1 {
		t.Fatalf("a citizen's message went through the gate %d times and committed %d times, want 1 and 1", gate.begun, gate.committed)
	}
	if replies, err := gated.Handle(context.Background(), officer); err != nil || len(replies) != 1 {
		t.Fatalf("officer on the gated engine: %v, %v", replies, err)
	}
	if gate.begun != 1 {
		t.Fatal("an officer's message went through the citizens' gate")
	}
}

func TestMissingLocaleKeyFailsStartup(t *testing.T) {
	catalog, _ := loadReal(t)
	texts, err := locales.Load(fstest.MapFS{"id/x.yaml": {Data: []byte("greeting: Halo\nwords:\n  menu: [menu]\n")}})
	if err != nil {
		t.Fatal(err)
	}
	cases := conversationtest.NewCases(time.UTC)
	_, err = conversation.New(conversation.Config{Catalog: catalog, Texts: texts, States: conversationtest.NewStates(time.Now), Cases: cases, Desk: cases})
	// The engine's own texts are checked when it is built (TestLocaleKeysExist);
	// at start-up, those the configuration names, and the words typed.
	if err == nil || !strings.Contains(err.Error(), "words.cancel") || !strings.Contains(err.Error(), "service.sktm.name") {
		t.Fatalf("want an error naming missing word lists and catalog keys, got %v", err)
	}
}

func loadReal(t *testing.T) (*services.Catalog, *locales.Bundle) {
	t.Helper()
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := locales.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return catalog, texts
}

// The survey transcript stores one complete survey, one partial (stopped
// after one answer, so left out of the index), and none for the refused case.
func TestSurveyAnswersStored(t *testing.T) {
	raw, err := os.ReadFile("testdata/survey.txt")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := replay(t, string(raw))
	want := map[string]int{"u1": 4, "u2": 3, "u3": 4, "u4": 4, "u5": 4, "u6": 4, "u7": 3, "u8": 3, "u9": 4}
	if got := h.cases.Surveys["LKS-261123-0001"]; !reflect.DeepEqual(got, want) {
		t.Errorf("complete survey = %v, want %v", got, want)
	}
	if c, ok := h.cases.Comments["LKS-261123-0001"]; !ok || c != "Ruang tunggu perlu kipas angin." {
		t.Errorf("comment = %q (completed %v)", c, ok)
	}
	wantProfile := map[string]string{"usia": "30_39", "kelamin": "perempuan", "pendidikan": "", "pekerjaan": "petani"}
	if got := h.cases.Profiles["LKS-261123-0001"]; !reflect.DeepEqual(got, wantProfile) {
		t.Errorf("profile = %v, want %v", got, wantProfile)
	}
	if got := h.cases.Surveys["LKS-261123-0002"]; len(got) != 1 || got["u1"] != 4 {
		t.Errorf("partial survey = %v, want only u1=4", got)
	}
	if _, done := h.cases.Comments["LKS-261123-0002"]; done {
		t.Error("the stopped survey was completed")
	}
	if _, ok := h.cases.Surveys["LKS-261123-0003"]; ok {
		t.Error("a refused case got a survey")
	}
}

// The complaint's survey stores seven elements (no u1, no u4) and the
// profile as answered: an age typed in years, a skip, a number, a word. The
// second survey, stopped in the profile, is completed all the same.
func TestComplaintSurveyAnswersStored(t *testing.T) {
	raw, err := os.ReadFile("testdata/survey_complaint.txt")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := replay(t, string(raw))
	want := map[string]int{"u2": 3, "u3": 3, "u5": 4, "u6": 3, "u7": 4, "u8": 2, "u9": 3}
	if got := h.cases.Surveys["LKS-261123-0001"]; !reflect.DeepEqual(got, want) {
		t.Errorf("complaint survey = %v, want %v", got, want)
	}
	wantProfile := map[string]string{"usia": "30_39", "kelamin": "", "pendidikan": "sma", "pekerjaan": "lainnya"}
	if got := h.cases.Profiles["LKS-261123-0001"]; !reflect.DeepEqual(got, wantProfile) {
		t.Errorf("profile = %v, want %v", got, wantProfile)
	}
	if c, done := h.cases.Comments["LKS-261123-0001"]; !done || c != "" {
		t.Errorf("first survey: comment %q, completed %v; want completed without comment", c, done)
	}
	if got := h.cases.Surveys["LKS-261123-0002"]; len(got) != 7 {
		t.Errorf("second survey = %v, want seven answers", got)
	}
	if _, done := h.cases.Comments["LKS-261123-0002"]; !done {
		t.Error("the survey stopped in the profile was not completed")
	}
}

// TestStaffReadNoInvisibleCharacters: a citizen whose name carries a
// right-to-left override and zero-width characters cannot make staff read
// something else than what prints, in the case, in the new-case
// notification, nor in a complaint's text; a NIK typed at the name
// question is refused, not stored as a name.
func TestStaffReadNoInvisibleCharacters(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"halo", "2", "sktm", "3307051708900001"} {
		h.send(h.inbound(line))
	}
	if got := strings.Join(h.send(h.inbound("3307051708900001")), "\n"); !strings.Contains(got, "NIK atau nomor KK") {
		t.Fatalf("a NIK typed as the name was not refused:\n%s", got)
	}
	for _, line := range []string{"Camat Leksono\u202e (petugas\u200b resmi)", "17 Agustus 1990", "sawangan",
		"Dusun\u2066 Krajan RT 02", "beasiswa\u200d sekolah anak", "0812-3456-7890", "ya"} {
		h.send(h.inbound(line))
	}
	if len(h.cases.Filed) != 1 {
		t.Fatalf("want 1 case filed, got %d", len(h.cases.Filed))
	}
	c := h.cases.Filed[0]
	if c.CitizenName != "Camat Leksono (Petugas Resmi)" || c.Form["alamat"] != "Dusun Krajan RT 02" {
		t.Errorf("name %q, address %q: want them without invisible characters", c.CitizenName, c.Form["alamat"])
	}
	seen := ""
	for _, n := range h.notes.Take() {
		seen += n.Reply.Text
	}
	for _, v := range c.Form {
		seen += v
	}
	if !strings.Contains(seen, "Camat Leksono (Petugas Resmi)") {
		t.Errorf("the staff notification lacks the cleaned name:\n%s", seen)
	}
	for _, r := range seen {
		if unicode.Is(unicode.Cf, r) {
			t.Errorf("staff read the invisible character %U", r)
		}
	}
}

// TestAnonymousComplaintKeepsNoMetadata: a phone's photo sent to a
// complaint is kept without its EXIF block (the owner's name, where it was
// taken), a PDF that runs a script is refused, and an anonymous case gets
// the shared location rounded to about a village.
func TestAnonymousComplaintKeepsNoMetadata(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"pengaduan", "jalan", "Timbang", "Jalan desa di RT 02 berlubang besar dan membahayakan pengendara."} {
		h.send(h.inbound(line))
	}
	photo := imagetest.JPEG(32, 24, 7, imagetest.EXIF{Artist: "Siti Aminah", Orientation: 1, Latitude: -7.361234, Longitude: 109.923456})
	in := h.inbound("<photo x>")
	in.Attachments[0].Data = photo
	h.send(in)
	script := h.inbound("<pdf x>")
	script.Attachments[0].Data = []byte("%PDF-1.7\n1 0 obj\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n%%EOF\n")
	if got := strings.Join(h.send(script), "\n"); !strings.Contains(got, "skrip") {
		t.Fatalf("a PDF with a script was not refused:\n%s", got)
	}
	h.send(h.inbound("lanjut"))
	h.send(h.inbound("<location -7.361234 109.923456 Rumah Bu Siti>"))
	for _, line := range []string{"anonim", "ya"} {
		h.send(h.inbound(line))
	}
	if len(h.cases.Filed) != 1 {
		t.Fatalf("want 1 case filed, got %d", len(h.cases.Filed))
	}
	c := h.cases.Filed[0]
	if len(c.Attachments) != 1 {
		t.Fatalf("case has %d files, want the photo only", len(c.Attachments))
	}
	kept := h.media.Bytes(c.Attachments[0].SHA256)
	if len(kept) == 0 || bytes.Contains(kept, []byte("Exif")) || bytes.Contains(kept, []byte("Siti Aminah")) {
		t.Errorf("the kept photo (%d bytes) still carries its EXIF block", len(kept))
	}
	if got := c.Form["lokasi"]; got != "geo:-7.36,109.92|Rumah Bu Siti" {
		t.Errorf("location of the anonymous case = %q, want it rounded to two decimals", got)
	}
}
