package conversation_test

import (
	"context"
	"testing"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// A unit's group chat is told of a new case, but never sent the photos of
// its KTP, KK or pengantar: they show the whole NIK, and who reads a group
// is not in staff.yaml.
func TestGroupGetsNoIdentityDocuments(t *testing.T) {
	h := newHarness(t)
	group := conversation.ChatKey{Channel: "telegram", ChatID: "-100500"}
	h.staff.UnitGroups["kesejahteraan_sosial"] = services.Contacts{"telegram": group.ChatID}
	for _, line := range []string{"mau buat sktm", "3307055708900003", "siti aminah", "17-08-1990", "sawangan",
		"Dusun Krajan RT 02 RW 01", "beasiswa sekolah anak", "081234567890", "<photo pengantar>", "<photo ktp>", "<photo kk>"} {
		h.send(h.inbound(line))
	}
	// Handle, not send: send renders (and takes) the notifications.
	if _, err := h.engine.Handle(context.Background(), h.inbound("ya")); err != nil {
		t.Fatal(err)
	}
	if n := len(h.cases.Filed); n != 1 || len(h.cases.Filed[0].Attachments) != 3 {
		t.Fatalf("filed %d cases; want one with its three documents: %+v", n, h.cases.Filed)
	}
	told := false
	for _, n := range h.notes.Take() {
		if n.To != group {
			continue
		}
		told = true
		if len(n.Reply.Files) != 0 {
			t.Errorf("the group was sent %d files: %+v", len(n.Reply.Files), n.Reply.Files)
		}
	}
	if !told {
		t.Fatal("the group was not told of the new case")
	}
}
