package redisstore_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store/redisstore"
)

// TestEveryStateFieldSurvives fills every field of conversation.State and
// checks that all come back: a field added to State but forgotten in the
// stored record would silently reset citizens' conversations.
func TestEveryStateFieldSurvives(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		rdb, prefix, _ := be.open(t)
		store := redisstore.New(rdb, prefix)
		ctx := context.Background()
		chat := conversation.ChatKey{Channel: "telegram", ChatID: "42"}
		in := conversation.State{
			Chat: chat, Step: conversation.StepStatus, Service: "sktm", Showing: "domisili", Field: 3,
			Data: map[string]string{"nama": "Siti"}, Retries: 2, Editing: true, Lang: "en", Draft: "sktm",
			Awaiting: "LKS-261123-0001", Listed: []string{"LKS-261123-0001", "LKS-261123-0002"},
			Questions: []string{"LKS-261123-0004"}, Replied: "LKS-261123-0005", Offered: []string{"f:sktm", "r:ktp"},
			Survey: "LKS-261123-0001", SurveyQ: 4, SurveyKind: services.KindComplaint, Matter: "LKS-261120-0003", Consult: "jalan-2027|33.07.05.2001|1",
			Booking: "LKS-261123-0006 sktm", Slots: []string{"2026-11-24T09:00"},
			Last: "m-41", Ticket: "LKS-261123-0002", Handover: 12, HandoverRate: 11,
			Files:     []services.StoredFile{{Kind: "photo", MIME: "image/jpeg", Size: 10, SHA256: "ab", Path: "ab/ab.jpg", Requirement: "foto_kk"}},
			UpdatedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		}
		v := reflect.ValueOf(in)
		for i := 0; i < v.NumField(); i++ {
			if name := v.Type().Field(i).Name; name != "Version" && v.Field(i).IsZero() {
				t.Fatalf("test state leaves %s unset: set it so the round trip covers it", name)
			}
		}
		if err := store.Commit(ctx, in, "m1", time.Minute); err != nil {
			t.Fatal(err)
		}
		got, err := store.Load(ctx, chat, "m2")
		if err != nil || got.State == nil {
			t.Fatalf("load: %v, %+v", err, got)
		}
		in.Version = 1
		got.State.UpdatedAt = got.State.UpdatedAt.UTC()
		if !reflect.DeepEqual(*got.State, in) {
			t.Fatalf("state changed in Redis:\n got %+v\nwant %+v", *got.State, in)
		}
	})
}
