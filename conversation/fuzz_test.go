package conversation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

var knownSteps = map[conversation.Step]bool{
	conversation.StepMenu: true, conversation.StepInfoList: true, conversation.StepInfo: true,
	conversation.StepExternal: true, conversation.StepPick: true, conversation.StepForm: true,
	conversation.StepConfirm: true, conversation.StepEdit: true, conversation.StepResume: true,
	conversation.StepStatus: true, conversation.StepLanguage: true, conversation.StepConsent: true,
	conversation.StepSameMatter: true, conversation.StepLetterCheck: true, conversation.StepWhich: true,
	conversation.StepReuse: true, conversation.StepDateCheck: true, conversation.StepAnswer: true,
	conversation.StepQuestions: true,
}

// FuzzEngine feeds arbitrary message sequences (texts and button payloads,
// separated by NUL) to the engine: it must never panic nor fail, every
// message must get an answer, and the stored state must stay valid.
func FuzzEngine(f *testing.F) {
	for _, seed := range []string{
		"halo\x002\x00sktm\x003307051708900001\x00Siti\x00ya",
		"\x00\x00menu\x00batal\x00bantuan",
		"2\x00[f:sktm:0|x]\x00[menu|request]\x00[go|menu]\x00[|]\x00[st|LKS-261123-0001]",
		"cek status\x00LKS-261123-0001\x00lks 261123 0001\x00bahasa\x00[lang|en]\x00[lang|xx]",
		"mau buat sktm\x00nik saya 3307055708900003\x00siti\x0018 agustus 90\x00[dc:sktm|nik]\x00sawangan",
		"sktm atau domisili\x00[which|f:domisili]\x00[which|r:ktp]\x00ktp hilang\x00assalamualaikum",
		"lapor jalan rusak\x00sawangan\x00jalan berlubang besar di depan sd krajan\x00sudah itu saja",
		"2\x00tanggungan\x003307051708900001\x003307051203150003\x00ubah\x00[e:tanggungan_keluarga|99]",
		strings.Repeat("é", 2001), "😀\x00مرحبا\x00ꦱꦸꦒꦼꦁ\x00'; DROP TABLE cases; --",
	} {
		f.Add(seed)
	}
	catalog, err := services.LoadCatalog(configs.FS)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, script string) {
		h := newHarness(t)
		ctx := context.Background()
		for i, part := range strings.Split(script, "\x00") {
			in := h.inbound("x")
			in.Kind, in.Text = conversation.KindText, part
			if strings.HasPrefix(part, "[") && strings.HasSuffix(part, "]") && len(part) >= 2 {
				in.Kind, in.Text, in.Payload = conversation.KindChoice, "", part[1:len(part)-1]
			}
			replies, err := h.engine.Handle(ctx, in)
			if err != nil {
				t.Fatalf("message %d %q: %v", i, part, err)
			}
			if len(replies) == 0 || strings.TrimSpace(replies[0].Text) == "" {
				t.Fatalf("message %d %q got no answer", i, part)
			}
			if strings.Contains(replies[0].Text, "[") && strings.Contains(replies[0].Text, ".") && strings.Contains(replies[0].Text, "]") {
				for _, line := range strings.Split(replies[0].Text, "\n") {
					if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") && !strings.Contains(line, " ") {
						t.Fatalf("message %d %q shows a missing locale key %s", i, part, line)
					}
				}
			}
			loaded, err := h.states.Load(ctx, h.chat, "")
			if err != nil || loaded.State == nil {
				t.Fatalf("no state after message %d: %v", i, err)
			}
			checkState(t, catalog, *loaded.State)
			// The same message handed over again after a crash: answered
			// from the state it left, which it must not change.
			again := in
			again.Redelivered = true
			replies, err = h.engine.Handle(ctx, again)
			if err != nil {
				t.Fatalf("message %d %q redelivered: %v", i, part, err)
			}
			if len(replies) == 0 || strings.TrimSpace(replies[0].Text) == "" {
				t.Fatalf("message %d %q redelivered got no answer", i, part)
			}
			after, err := h.states.Load(ctx, h.chat, "")
			if err != nil || after.State == nil || after.State.Version != loaded.State.Version {
				t.Fatalf("redelivering message %d %q changed the state (%v)", i, part, err)
			}
		}
	})
}

func checkState(t *testing.T, catalog *services.Catalog, st conversation.State) {
	t.Helper()
	if !knownSteps[st.Step] {
		t.Fatalf("unknown step %q", st.Step)
	}
	if st.Lang != "id" && st.Lang != "en" {
		t.Fatalf("unknown language %q", st.Lang)
	}
	if st.Draft != "" {
		svc, ok := catalog.Service(st.Draft)
		if !ok {
			t.Fatalf("draft of unknown service %q", st.Draft)
		}
		if st.Field < 0 || st.Field > len(svc.Form) {
			t.Fatalf("field %d out of range for %s", st.Field, st.Draft)
		}
	}
	switch st.Step {
	case conversation.StepForm, conversation.StepConfirm, conversation.StepEdit, conversation.StepResume,
		conversation.StepReuse, conversation.StepDateCheck:
		if st.Draft == "" || st.Service != st.Draft {
			t.Fatalf("step %s without a matching draft (service %q, draft %q)", st.Step, st.Service, st.Draft)
		}
	case conversation.StepInfo:
		if _, ok := catalog.Service(st.Showing); !ok {
			t.Fatalf("showing unknown service %q", st.Showing)
		}
	}
	if st.Step == conversation.StepForm {
		svc, _ := catalog.Service(st.Service)
		if st.Field >= len(svc.Form) {
			t.Fatalf("form step past the last field")
		}
	}
}
