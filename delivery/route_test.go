package delivery

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// TestRouterSendsThroughTheChatsChannel: a notification leaves through the
// channel of its chat; one for a channel this process does not run fails.
func TestRouterSendsThroughTheChatsChannel(t *testing.T) {
	var r Router
	var sent []string
	record := func(channel string) SendFunc {
		return func(_ context.Context, chatID string, rep conversation.Reply) error {
			sent = append(sent, channel+":"+chatID+":"+rep.Text)
			return nil
		}
	}
	r.Route("telegram", record("telegram"))
	r.Route("whatsapp", record("whatsapp"))
	ctx := context.Background()
	for _, to := range []conversation.ChatKey{{Channel: "whatsapp", ChatID: "6281"}, {Channel: "telegram", ChatID: "42"}} {
		if err := r.Notify(ctx, to, conversation.Reply{Text: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"whatsapp:6281:hi", "telegram:42:hi"}; !slices.Equal(sent, want) {
		t.Errorf("sent %q, want %q", sent, want)
	}
	if err := r.Notify(ctx, conversation.ChatKey{Channel: "sms", ChatID: "1"}, conversation.Reply{Text: "hi"}); err == nil || !strings.Contains(err.Error(), "no sms channel") {
		t.Errorf("notify on a channel nobody runs = %v, want an error naming it", err)
	}
}

// TestTellAdminsReachesCamatAndAdmins: an operator alert goes to every
// active camat and admin on each channel they have, never to other staff,
// and what fails is logged with the officer.
func TestTellAdminsReachesCamatAndAdmins(t *testing.T) {
	staff := &services.Staff{Officers: []services.Officer{
		{ID: "camat", Role: services.RoleCamat, Contacts: services.Contacts{"telegram": "1", "whatsapp": "6281"}, Active: true},
		{ID: "admin", Role: services.RoleAdmin, Contacts: services.Contacts{"whatsapp": "6282"}, Active: true},
		{ID: "old", Role: services.RoleAdmin, Contacts: services.Contacts{"telegram": "3"}, Active: false},
		{ID: "kasi", Role: services.RoleKasi, Contacts: services.Contacts{"telegram": "4"}, Active: true},
	}}
	var r Router
	var sent []string
	r.Route("whatsapp", func(_ context.Context, chatID string, rep conversation.Reply) error {
		sent = append(sent, "whatsapp:"+chatID+":"+rep.Text)
		return nil
	})
	logs := &lockedBuffer{}
	TellAdmins(context.Background(), &r, staff, "logged out", slog.New(slog.NewTextHandler(logs, nil)))
	if want := []string{"whatsapp:6281:logged out", "whatsapp:6282:logged out"}; !slices.Equal(sent, want) {
		t.Errorf("sent %q, want %q", sent, want)
	}
	// The camat's Telegram has no channel here: logged, the rest went on.
	if out := logs.String(); !strings.Contains(out, "operator alert not delivered") || !strings.Contains(out, "officer=camat") || strings.Count(out, "\n") != 1 {
		t.Errorf("log:\n%s", out)
	}
}
