package telegram

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/conversation"
)

func loadUpdate(t *testing.T, name string) tgbotapi.Update {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatalf("decode fixture %s: %v", name, err)
	}
	return u
}

func TestToInbound(t *testing.T) {
	siti := conversation.ChatKey{Channel: "telegram", ChatID: "5012345678"}
	media := func(date int64, kind, caption string, msgID string) conversation.Inbound {
		return conversation.Inbound{
			Chat: siti, SenderID: "5012345678", SenderName: "Siti Aminah", MessageID: msgID,
			Kind: conversation.KindUnsupported, Media: kind, Text: caption, At: time.Unix(date, 0).UTC(),
		}
	}
	located := func(in conversation.Inbound, loc conversation.Location) conversation.Inbound {
		in.Location = &loc
		return in
	}
	tests := []struct {
		fixture string
		want    conversation.Inbound
		ok      bool
	}{
		{"private_text.json", conversation.Inbound{
			Chat: siti, SenderID: "5012345678", SenderName: "Siti Aminah", MessageID: "42",
			Kind: conversation.KindText, Text: "Saya mau buat SKTM", At: time.Unix(1735693200, 0).UTC(),
		}, true},
		{"start.json", conversation.Inbound{
			Chat:     conversation.ChatKey{Channel: "telegram", ChatID: "6011122233"},
			SenderID: "6011122233", SenderName: "Budi", MessageID: "1",
			Kind: conversation.KindText, Text: "/start", At: time.Unix(1735693260, 0).UTC(),
		}, true},
		{"callback.json", conversation.Inbound{
			Chat: siti, SenderID: "5012345678", SenderName: "Siti Aminah", MessageID: "cb:4382bfdwdsb323b2d9",
			Kind: conversation.KindChoice, Payload: "svc:sktm",
		}, true},
		{"sticker.json", media(1735693300, "sticker", "", "44"), true},
		{"photo_caption.json", media(1735693400, "photo", "Ini foto KTP saya", "45"), true},
		{"voice.json", media(1735693500, "voice", "", "46"), true},
		{"animation.json", media(1735693600, "animation", "", "47"), true},
		{"document.json", media(1735693700, "document", "pengantar RT", "48"), true},
		{"location.json", located(media(1735693800, "location", "", "49"),
			conversation.Location{Latitude: -7.372, Longitude: 109.953}), true},
		{"venue.json", located(media(1735694100, "location", "", "52"),
			conversation.Location{Latitude: -7.3731, Longitude: 109.9542, Name: "Balai Desa Sawangan, Jl. Raya Sawangan No. 1"}), true},
		{"contact.json", withPhone(media(1735693900, "contact", "", "50"), "+6281200000000"), true},
		{"video_note.json", media(1735694000, "video_note", "", "51"), true},
		{"group_text.json", conversation.Inbound{}, false},
		{"callback_group.json", conversation.Inbound{}, false},
		{"callback_inline.json", conversation.Inbound{}, false},
		{"edited.json", conversation.Inbound{}, false},
		{"channel_post.json", conversation.Inbound{}, false},
		{"pinned_service.json", conversation.Inbound{}, false},
		{"my_chat_member.json", conversation.Inbound{}, false},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.fixture, ".json"), func(t *testing.T) {
			got, ok := toInbound(loadUpdate(t, tt.fixture))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("inbound =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// Every fixture must be covered by the table, so a new one is not forgotten.
func TestToInboundCoversFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	src, err := os.ReadFile("translate_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.Contains(string(src), `"`+filepath.Base(f)+`"`) {
			t.Errorf("fixture %s is not in the TestToInbound table", f)
		}
	}
}

func TestRender(t *testing.T) {
	type button struct{ text, data string }
	long := strings.Repeat("x", 65)
	exact := strings.Repeat("y", 64)
	tests := []struct {
		name    string
		reply   conversation.Reply
		buttons [][]button // nil: no reply_markup at all
	}{
		{"text only", conversation.Reply{Text: "Selamat datang"}, nil},
		{"numbered one per row", conversation.Reply{Text: "Pilih layanan:", Options: []conversation.Option{
			{Label: "Ajukan surat", Payload: "menu:apply"},
			{Label: "Cek status", Payload: "menu:status"},
			{Label: "Pengaduan", Payload: "menu:complaint"},
		}}, [][]button{
			{{"1. Ajukan surat", "menu:apply"}},
			{{"2. Cek status", "menu:status"}},
			{{"3. Pengaduan", "menu:complaint"}},
		}},
		{"invalid payloads dropped, numbers kept", conversation.Reply{Text: "Pilih:", Options: []conversation.Option{
			{Label: "Terlalu panjang", Payload: long},
			{Label: "Pas", Payload: exact},
			{Label: "Kosong", Payload: ""},
			{Label: "Biasa", Payload: "ok"},
		}}, [][]button{
			{{"2. Pas", exact}},
			{{"4. Biasa", "ok"}},
		}},
		{"all invalid gives no keyboard", conversation.Reply{Text: "Pilih:", Options: []conversation.Option{
			{Label: "A", Payload: long},
		}}, nil},
		{"markup characters stay literal", conversation.Reply{Text: "*tebal* _miring_ <b>x</b> [a](b)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := render(77, tt.reply)
			if msg.ChatID != 77 || msg.Text != tt.reply.Text {
				t.Errorf("chat, text = %d, %q; want 77, %q", msg.ChatID, msg.Text, tt.reply.Text)
			}
			if msg.ParseMode != "" {
				t.Errorf("parse mode = %q, want plain text", msg.ParseMode)
			}
			if tt.buttons == nil {
				if msg.ReplyMarkup != nil {
					t.Errorf("reply markup = %#v, want none", msg.ReplyMarkup)
				}
				return
			}
			kb, ok := msg.ReplyMarkup.(tgbotapi.InlineKeyboardMarkup)
			if !ok {
				t.Fatalf("reply markup is %T, want InlineKeyboardMarkup", msg.ReplyMarkup)
			}
			var got [][]button
			for _, row := range kb.InlineKeyboard {
				var r []button
				for _, b := range row {
					if b.CallbackData == nil {
						t.Fatalf("button %q has no callback data", b.Text)
					}
					r = append(r, button{b.Text, *b.CallbackData})
				}
				got = append(got, r)
			}
			if !slices.EqualFunc(got, tt.buttons, slices.Equal) {
				t.Errorf("buttons = %v, want %v", got, tt.buttons)
			}
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	r := conversation.Reply{Options: []conversation.Option{
		{Payload: "a"}, {Payload: ""}, {Payload: strings.Repeat("z", 65)},
	}}
	if got := invalidOptions(r); !slices.Equal(got, []int{2, 3}) {
		t.Errorf("invalidOptions = %v, want [2 3]", got)
	}
}

// withPhone is in with the sender's own phone number, from their own
// contact shared.
func withPhone(in conversation.Inbound, phone string) conversation.Inbound {
	in.Phone = phone
	return in
}
