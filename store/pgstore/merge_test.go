package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
)

const (
	lidChat   = "lid:123456789012345"
	phoneChat = "6281234567890"
)

// onWhatsApp is sample case i filed from a WhatsApp chat.
func onWhatsApp(i int, chat string) services.NewCase {
	nc := sample(i)
	nc.Channel, nc.ChatID = "whatsapp", chat
	nc.SourceMessage = fmt.Sprintf("whatsapp:%s:M%d", chat, i)
	return nc
}

func TestMergeCitizenJoinsTwoHistories(t *testing.T) {
	eachBackend(t, testMergeCitizenJoinsTwoHistories)
}

func testMergeCitizenJoinsTwoHistories(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := openStore(t, b)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i, chat := range []string{phoneChat, lidChat, lidChat} {
		if _, err := s.SubmitCase(ctx, onWhatsApp(i+1, chat)); err != nil {
			t.Fatalf("submit %d: %v", i+1, err)
		}
	}
	// Consent to one purpose under both ids, the LID's first; another
	// purpose only under the LID.
	mustDo(t, s.RecordConsent(ctx, "whatsapp", lidChat, "nik.v1", at))
	mustDo(t, s.RecordConsent(ctx, "whatsapp", phoneChat, "nik.v1", at.Add(time.Hour)))
	mustDo(t, s.RecordConsent(ctx, "whatsapp", lidChat, "survey.v1", at))
	if _, err := s.RequestDeletion(ctx, "whatsapp", lidChat, at); err != nil {
		t.Fatal(err)
	}

	moved, err := s.MergeCitizen(ctx, "whatsapp", lidChat, phoneChat)
	if err != nil || moved != 2 {
		t.Fatalf("MergeCitizen = %d, %v; want 2 cases moved", moved, err)
	}
	mine, err := s.CitizenCases(ctx, "whatsapp", phoneChat, 0)
	if err != nil || len(mine) != 3 {
		t.Fatalf("the phone number's cases: %d, %v; want all 3", len(mine), err)
	}
	if left, err := s.CitizenCases(ctx, "whatsapp", lidChat, 0); err != nil || len(left) != 0 {
		t.Errorf("the LID still has %d cases (%v)", len(left), err)
	}
	for _, purpose := range []string{"nik.v1", "survey.v1"} {
		if ok, err := s.HasConsent(ctx, "whatsapp", phoneChat, purpose); !ok || err != nil {
			t.Errorf("consent %s under the phone number: %v, %v", purpose, ok, err)
		}
	}
	reqs, err := s.OpenDeletionRequests(ctx)
	if err != nil || len(reqs) != 1 || reqs[0].ChatID != phoneChat {
		t.Errorf("open erasure requests %+v, %v; want the LID's, now under the phone number", reqs, err)
	}
	// Asking again under the phone number finds the moved request open.
	if _, err := s.RequestDeletion(ctx, "whatsapp", phoneChat, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if reqs, _ := s.OpenDeletionRequests(ctx); len(reqs) != 1 {
		t.Errorf("%d open requests after asking again, want the one", len(reqs))
	}

	// Merging again, or an unknown id, changes nothing.
	if moved, err := s.MergeCitizen(ctx, "whatsapp", lidChat, phoneChat); err != nil || moved != 0 {
		t.Errorf("second merge = %d, %v", moved, err)
	}
}

func TestMergeCitizenRenamesAnUnknownTarget(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, _ := openStore(t, b)
		if _, err := s.SubmitCase(ctx, onWhatsApp(1, lidChat)); err != nil {
			t.Fatal(err)
		}
		moved, err := s.MergeCitizen(ctx, "whatsapp", lidChat, phoneChat)
		if err != nil || moved != 1 {
			t.Fatalf("MergeCitizen = %d, %v; want the one case", moved, err)
		}
		mine, err := s.CitizenCases(ctx, "whatsapp", phoneChat, 0)
		if err != nil || len(mine) != 1 || mine[0].Citizen == nil || mine[0].Citizen.Name != "Siti Aminah" {
			t.Fatalf("the phone number's cases: %+v, %v", mine, err)
		}
		// A new case of the phone number joins the same citizen.
		if _, err := s.SubmitCase(ctx, onWhatsApp(2, phoneChat)); err != nil {
			t.Fatal(err)
		}
		if mine, _ := s.CitizenCases(ctx, "whatsapp", phoneChat, 0); len(mine) != 2 {
			t.Errorf("%d cases, want 2", len(mine))
		}
		if _, err := s.MergeCitizen(ctx, "whatsapp", phoneChat, phoneChat); err == nil {
			t.Error("a merge of a chat into itself was accepted")
		}
	})
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
