package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
)

// One person, first known by their LID, then by their phone number.
var (
	lidChat   = conversation.ChatKey{Channel: "whatsapp", ChatID: "lid:123456789012345"}
	phoneChat = conversation.ChatKey{Channel: "whatsapp", ChatID: "6281234567890"}
)

func TestMoveChatMovesAHalfFilledForm(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		ctx := context.Background()
		st := conversation.State{Chat: lidChat, Step: conversation.StepForm, Service: "sktm", Field: 2, Draft: "sktm",
			Data: map[string]string{"nama": "Siti Aminah"}, UpdatedAt: time.Now().UTC().Truncate(time.Second)}
		commit(t, s, st, "M1", time.Hour)
		commit(t, s, *load(t, s, lidChat, "").State, "M2", time.Hour)

		moved, err := s.MoveChat(ctx, lidChat, phoneChat)
		if err != nil || !moved {
			t.Fatalf("MoveChat = %v, %v; want the state moved", moved, err)
		}
		got := load(t, s, phoneChat, "M3").State
		if got == nil || got.Service != "sktm" || got.Field != 2 || got.Data["nama"] != "Siti Aminah" || got.Chat != phoneChat {
			t.Fatalf("moved state %+v", got)
		}
		if old := load(t, s, lidChat, ""); old.State != nil || old.ExpiredDraft != "" {
			t.Errorf("the LID chat still holds %+v", old)
		}
		// The form goes on under the phone number.
		commit(t, s, *got, "M3", time.Hour)
		if moved, err := s.MoveChat(ctx, lidChat, phoneChat); err != nil || moved {
			t.Errorf("a second move = %v, %v; want nothing to move", moved, err)
		}
	})
}

func TestMoveChatKeepsTheNewerState(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _, _, _ := newStore(t, be)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		commit(t, s, conversation.State{Chat: lidChat, Step: conversation.StepMenu, UpdatedAt: now.Add(-time.Hour)}, "L1", time.Hour)
		commit(t, s, conversation.State{Chat: phoneChat, Step: conversation.StepForm, Service: "sktm", UpdatedAt: now}, "P1", time.Hour)
		if moved, err := s.MoveChat(ctx, lidChat, phoneChat); err != nil || moved {
			t.Fatalf("MoveChat = %v, %v; want the phone's newer state kept", moved, err)
		}
		if got := load(t, s, phoneChat, "").State; got == nil || got.Service != "sktm" {
			t.Errorf("phone chat holds %+v", got)
		}
		if load(t, s, lidChat, "").State != nil {
			t.Error("the LID chat's older state was left")
		}

		// The other way round: the LID's state is newer and wins, and a
		// message handled meanwhile on the phone's old state conflicts.
		commit(t, s, conversation.State{Chat: lidChat, Step: conversation.StepForm, Service: "domisili", UpdatedAt: now.Add(time.Minute)}, "L2", time.Hour)
		stale := *load(t, s, phoneChat, "").State
		if moved, err := s.MoveChat(ctx, lidChat, phoneChat); err != nil || !moved {
			t.Fatalf("MoveChat = %v, %v; want the LID's newer state moved", moved, err)
		}
		if got := load(t, s, phoneChat, "").State; got == nil || got.Service != "domisili" {
			t.Errorf("phone chat holds %+v", got)
		}
		if err := s.Commit(ctx, stale, "P2", time.Hour); !errors.Is(err, conversation.ErrConflict) {
			t.Errorf("a commit on the replaced state = %v, want ErrConflict", err)
		}
	})
}

func TestMoveChatMovesTheExpiredDraftMarker(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, rdb, prefix, _ := newStore(t, be)
		ctx := context.Background()
		commit(t, s, conversation.State{Chat: lidChat, Step: conversation.StepForm, Draft: "sktm", UpdatedAt: time.Now()}, "L1", time.Hour)
		// The state expired; the marker that a draft existed outlives it.
		if err := rdb.Del(ctx, prefix+"{whatsapp:lid%3A123456789012345}:state").Err(); err != nil {
			t.Fatal(err)
		}
		if got := load(t, s, lidChat, ""); got.ExpiredDraft != "sktm" {
			t.Fatalf("set-up: LID chat %+v", got)
		}
		if _, err := s.MoveChat(ctx, lidChat, phoneChat); err != nil {
			t.Fatal(err)
		}
		if got := load(t, s, phoneChat, ""); got.ExpiredDraft != "sktm" {
			t.Errorf("phone chat %+v, want the expired draft's marker", got)
		}
	})
}
