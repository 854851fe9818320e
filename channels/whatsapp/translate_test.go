package whatsapp

import (
	"context"
	"reflect"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/channels/dispatch/dispatchtest"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// Smallest files of each accepted type, by their magic bytes.
var (
	jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, make([]byte, 32)...)
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	webpBytes = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 32)...)
	pdfBytes  = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
	zipBytes  = append([]byte("PK\x03\x04"), make([]byte, 32)...)
)

const staffGroup = "120363000000000001@g.us"

func TestTranslate(t *testing.T) {
	group := types.NewJID("120363000000000009", types.GroupServer)
	staff := types.NewJID("120363000000000001", types.GroupServer)
	lid := types.NewJID("123456789012345", types.HiddenUserServer)

	withInfo := func(evt *events.Message, f func(*types.MessageInfo)) *events.Message {
		f(&evt.Info)
		return evt
	}
	base := func(kind conversation.InboundKind) conversation.Inbound {
		return conversation.Inbound{
			Chat:     conversation.ChatKey{Channel: "whatsapp", ChatID: "6281234567890"},
			SenderID: "6281234567890", SenderName: "Siti", MessageID: "M1", Kind: kind, At: t0,
		}
	}

	tests := []struct {
		name   string
		evt    *events.Message
		files  map[string][]byte
		want   func(in *conversation.Inbound) // edits base(KindText) into the expected value
		ignore string                         // expected reason to ignore, "" when handled
	}{
		{
			name: "text",
			evt:  dm("M1", "6281234567890", text("halo")),
			want: func(in *conversation.Inbound) { in.Text = "halo" },
		},
		{
			name: "extended text (with a link preview or a quote)",
			evt: dm("M1", "6281234567890", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
				Text: proto.String("cek https://leksono.go.id"), MatchedText: proto.String("https://leksono.go.id"),
			}}),
			want: func(in *conversation.Inbound) { in.Text = "cek https://leksono.go.id" },
		},
		{
			name: "empty text is still text",
			evt:  dm("M1", "6281234567890", text("")),
			want: func(in *conversation.Inbound) {},
		},
		{
			name: "image with caption",
			evt: dm("M1", "6281234567890", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
				Caption: proto.String("foto KTP"), Mimetype: proto.String("image/jpeg"),
				DirectPath: proto.String("/img/1"), FileLength: proto.Uint64(uint64(len(jpegBytes))),
			}}),
			files: map[string][]byte{"/img/1": jpegBytes},
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media, in.Text = conversation.KindUnsupported, "photo", "foto KTP"
				in.Attachments = []conversation.Attachment{{Kind: "photo", MIME: "image/jpeg", Data: jpegBytes}}
			},
		},
		{
			name: "webp image",
			evt: dm("M1", "6281234567890", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
				DirectPath: proto.String("/img/2"), FileLength: proto.Uint64(uint64(len(webpBytes))),
			}}),
			files: map[string][]byte{"/img/2": webpBytes},
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media = conversation.KindUnsupported, "photo"
				in.Attachments = []conversation.Attachment{{Kind: "photo", MIME: "image/webp", Data: webpBytes}}
			},
		},
		{
			name: "image over the size cap is not downloaded",
			evt: dm("M1", "6281234567890", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
				DirectPath: proto.String("/img/3"), FileLength: proto.Uint64(11 << 20),
			}}),
			files: map[string][]byte{"/img/3": jpegBytes},
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media = conversation.KindUnsupported, services.FileRefusedSize
			},
		},
		{
			name: "image that lied about its size is refused after download",
			evt: dm("M1", "6281234567890", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
				DirectPath: proto.String("/img/4"), FileLength: proto.Uint64(10),
			}}),
			files: map[string][]byte{"/img/4": append(append([]byte{}, jpegBytes...), make([]byte, 10<<20)...)},
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media = conversation.KindUnsupported, services.FileRefusedSize
			},
		},
		{
			name: "PDF document with caption",
			evt: dm("M1", "6281234567890", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
				Caption: proto.String("surat pengantar"), FileName: proto.String("pengantar RT.pdf"),
				Mimetype: proto.String("application/pdf"), DirectPath: proto.String("/doc/1"),
				FileLength: proto.Uint64(uint64(len(pdfBytes))),
			}}),
			files: map[string][]byte{"/doc/1": pdfBytes},
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media, in.Text = conversation.KindUnsupported, "document", "surat pengantar"
				in.Attachments = []conversation.Attachment{{Kind: "document", MIME: "application/pdf", Name: "pengantar RT.pdf", Data: pdfBytes}}
			},
		},
		{
			name: "photo sent as a document counts as a photo",
			evt: dm("M1", "6281234567890", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
				FileName: proto.String("kk.png"), Mimetype: proto.String("image/png"), DirectPath: proto.String("/doc/2"),
			}}),
			files: map[string][]byte{"/doc/2": pngBytes},
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media = conversation.KindUnsupported, "document"
				in.Attachments = []conversation.Attachment{{Kind: "photo", MIME: "image/png", Name: "kk.png", Data: pngBytes}}
			},
		},
		{
			name: "PDF by name whose bytes are a zip is refused",
			evt: dm("M1", "6281234567890", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
				FileName: proto.String("berkas.pdf"), Mimetype: proto.String("application/pdf"), DirectPath: proto.String("/doc/3"),
			}}),
			files: map[string][]byte{"/doc/3": zipBytes},
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media = conversation.KindUnsupported, services.FileRefusedType
			},
		},
		{
			name: "word document is unsupported and not downloaded",
			evt: dm("M1", "6281234567890", &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
				FileName: proto.String("surat.docx"), Mimetype: proto.String("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
				DirectPath: proto.String("/doc/4"),
			}}),
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media = conversation.KindUnsupported, services.FileRefusedType
			},
		},
		{
			name: "location",
			evt: dm("M1", "6281234567890", &waE2E.Message{LocationMessage: &waE2E.LocationMessage{
				DegreesLatitude: proto.Float64(-7.3605), DegreesLongitude: proto.Float64(109.9031),
				Name: proto.String("Balai Desa Sawangan"), Address: proto.String("Jl. Raya Sawangan"),
			}}),
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media = conversation.KindUnsupported, "location"
				in.Location = &conversation.Location{Latitude: -7.3605, Longitude: 109.9031, Name: "Balai Desa Sawangan, Jl. Raya Sawangan"}
			},
		},
		{
			name: "sticker",
			evt:  dm("M1", "6281234567890", &waE2E.Message{StickerMessage: &waE2E.StickerMessage{}}),
			want: func(in *conversation.Inbound) { in.Kind, in.Media = conversation.KindUnsupported, "sticker" },
		},
		{
			name: "voice note",
			evt:  dm("M1", "6281234567890", &waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true)}}),
			want: func(in *conversation.Inbound) { in.Kind, in.Media = conversation.KindUnsupported, "voice" },
		},
		{
			name: "audio file",
			evt:  dm("M1", "6281234567890", &waE2E.Message{AudioMessage: &waE2E.AudioMessage{}}),
			want: func(in *conversation.Inbound) { in.Kind, in.Media = conversation.KindUnsupported, "audio" },
		},
		{
			name: "video with caption",
			evt:  dm("M1", "6281234567890", &waE2E.Message{VideoMessage: &waE2E.VideoMessage{Caption: proto.String("lihat")}}),
			want: func(in *conversation.Inbound) {
				in.Kind, in.Media, in.Text = conversation.KindUnsupported, "video", "lihat"
			},
		},
		{
			name: "contact card",
			evt:  dm("M1", "6281234567890", &waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Pak RT")}}),
			want: func(in *conversation.Inbound) { in.Kind, in.Media = conversation.KindUnsupported, "contact" },
		},
		{
			name: "number written with a trunk zero in the JID is normalized",
			evt:  dm("M1", "081234567890", text("halo")),
			want: func(in *conversation.Inbound) { in.Text = "halo" },
		},
		{
			name: "LID-addressed chat uses the phone number WhatsApp sends beside it",
			evt: withInfo(dm("M1", "6281234567890", text("halo")), func(i *types.MessageInfo) {
				i.Chat, i.Sender, i.SenderAlt, i.AddressingMode = lid, lid, person("6281234567890"), types.AddressingModeLID
			}),
			want: func(in *conversation.Inbound) { in.Text = "halo" },
		},
		{
			name: "LID without a phone number is named by the LID",
			evt: withInfo(dm("M1", "6281234567890", text("halo")), func(i *types.MessageInfo) {
				i.Chat, i.Sender, i.SenderAlt, i.AddressingMode = lid, lid, types.JID{}, types.AddressingModeLID
			}),
			want: func(in *conversation.Inbound) {
				in.Text = "halo"
				in.Chat.ChatID, in.SenderID = "lid:123456789012345", "lid:123456789012345"
			},
		},
		{
			name: "configured staff group is handled, keyed by the group",
			evt: withInfo(dm("M1", "6281234567890", text("kasus")), func(i *types.MessageInfo) {
				i.Chat, i.IsGroup = staff, true
			}),
			want: func(in *conversation.Inbound) {
				in.Text = "kasus"
				in.Chat.ChatID = staffGroup
			},
		},
		{
			name: "other group",
			evt: withInfo(dm("M1", "6281234567890", text("halo semua")), func(i *types.MessageInfo) {
				i.Chat, i.IsGroup = group, true
			}),
			ignore: ignoreGroup,
		},
		{
			name: "own message",
			evt: withInfo(dm("M1", "6281234567890", text("halo")), func(i *types.MessageInfo) {
				i.IsFromMe = true
			}),
			ignore: ignoreOwn,
		},
		{
			name: "status broadcast",
			evt: withInfo(dm("M1", "6281234567890", text("story")), func(i *types.MessageInfo) {
				i.Chat = types.StatusBroadcastJID
			}),
			ignore: ignoreStatus,
		},
		{
			name: "broadcast list",
			evt: withInfo(dm("M1", "6281234567890", text("promo")), func(i *types.MessageInfo) {
				i.Chat = types.NewJID("1700000000", types.BroadcastServer)
			}),
			ignore: ignoreBroadcast,
		},
		{
			name: "newsletter",
			evt: withInfo(dm("M1", "6281234567890", text("berita")), func(i *types.MessageInfo) {
				i.Chat = types.NewJID("120363000000000002", types.NewsletterServer)
			}),
			ignore: ignoreNewsletter,
		},
		{
			name: "reaction",
			evt: dm("M1", "6281234567890", &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{
				Text: proto.String("👍"),
			}}),
			ignore: ignoreReaction,
		},
		{
			name: "protocol message (a revoke)",
			evt: dm("M1", "6281234567890", &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
				Type: waE2E.ProtocolMessage_REVOKE.Enum(),
			}}),
			ignore: ignoreProtocol,
		},
		{
			name: "edit",
			evt: func() *events.Message {
				e := dm("M1", "6281234567890", text("halo, ralat"))
				e.IsEdit = true
				return e
			}(),
			ignore: ignoreEdit,
		},
		{
			name: "group key share alone",
			evt: dm("M1", "6281234567890", &waE2E.Message{SenderKeyDistributionMessage: &waE2E.SenderKeyDistributionMessage{
				GroupID: proto.String(staffGroup),
			}}),
			ignore: ignoreEmpty,
		},
		{
			name: "message of a history sync",
			evt: func() *events.Message {
				e := dm("M1", "6281234567890", text("pesan lama"))
				e.SourceWebMsg = &waWeb.WebMessageInfo{}
				return e
			}(),
			ignore: ignoreHistory,
		},
		{
			// WhatsApp delivered it as "unavailable"; the phone sent it again.
			name: "resend of an unavailable message is live",
			evt: func() *events.Message {
				e := dm("M1", "6281234567890", text("halo"))
				e.SourceWebMsg, e.UnavailableRequestID = &waWeb.WebMessageInfo{}, "3EB0REQ"
				return e
			}(),
			want: func(in *conversation.Inbound) { in.Text = "halo" },
		},
		{
			name:   "nil message",
			evt:    dm("M1", "6281234567890", nil),
			ignore: ignoreEmpty,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc, reason := translate(tt.evt, map[string]bool{staffGroup: true})
			if reason != tt.ignore {
				t.Fatalf("ignore reason = %q, want %q", reason, tt.ignore)
			}
			if tt.ignore != "" {
				return
			}
			api := newFakeSender(dispatchtest.NewClock(t0))
			api.files = tt.files
			if inc.media != nil {
				att, refused, err := fetch(context.Background(), api, inc.media, DefaultMaxMedia, t.TempDir())
				if err != nil && tt.files[inc.media.msg.GetDirectPath()] != nil {
					t.Fatalf("fetch: %v", err)
				}
				switch {
				case err != nil:
				case refused != "":
					inc.in.Media = refused
				default:
					inc.in.Attachments = append(inc.in.Attachments, att)
				}
			}
			want := base(conversation.KindText)
			tt.want(&want)
			if !reflect.DeepEqual(inc.in, want) {
				t.Errorf("inbound\n got: %+v\nwant: %+v", inc.in, want)
			}
			if inc.chat != tt.evt.Info.Chat.ToNonAD() {
				t.Errorf("reply chat = %v, want %v", inc.chat, tt.evt.Info.Chat)
			}
		})
	}
}

func TestNormalizedPhoneIsOnePerson(t *testing.T) {
	for _, s := range []string{"0812-3456-7890", "+62 812 3456 7890", "6281234567890", "+62 (0)812 3456 7890"} {
		if got := normalizePhone(s); got != "6281234567890" {
			t.Errorf("normalizePhone(%q) = %q, want 6281234567890", s, got)
		}
	}
	if got := normalizePhone("+49 151 2345 6789"); got != "4915123456789" {
		t.Errorf("a foreign number keeps its digits, got %q", got)
	}
	for chatID, want := range map[string]types.JID{
		"6281234567890":           person("6281234567890"),
		"081234567890":            person("6281234567890"),
		"lid:123456789012345":     types.NewJID("123456789012345", types.HiddenUserServer),
		"120363000000000001@g.us": types.NewJID("120363000000000001", types.GroupServer),
	} {
		got, err := jidOf(chatID)
		if err != nil || got != want {
			t.Errorf("jidOf(%q) = %v, %v; want %v", chatID, got, err, want)
		}
	}
	if _, err := jidOf("halo"); err == nil {
		t.Error("jidOf accepted a chat id that is no number")
	}
}

// Files are judged by the rules of services, like on Telegram and in the
// media store: the same bytes are taken or refused everywhere, whatever the
// name says.
func TestFetchJudgesByBytes(t *testing.T) {
	for name, tc := range map[string]struct {
		data    []byte
		mime    string
		refused string
	}{
		"jpeg": {jpegBytes, "image/jpeg", ""}, "png": {pngBytes, "image/png", ""}, "webp": {webpBytes, "image/webp", ""},
		"pdf": {pdfBytes, "application/pdf", ""}, "zip": {zipBytes, "", services.FileRefusedType},
		"text":          {[]byte("hello, not a file"), "", services.FileRefusedType},
		"gif":           {[]byte("GIF89a" + string(make([]byte, 20))), "", services.FileRefusedType},
		"truncated png": {pngBytes[:6], "", services.FileRefusedType},
	} {
		api := newFakeSender(dispatchtest.NewClock(t0))
		api.files["/f"] = tc.data
		ref := &mediaRef{media: "document", name: "foto.jpg", msg: &waE2E.DocumentMessage{DirectPath: proto.String("/f")}}
		att, refused, err := fetch(context.Background(), api, ref, DefaultMaxMedia, t.TempDir())
		if err != nil || refused != tc.refused || att.MIME != tc.mime {
			t.Errorf("%s: fetch = %q, refused %q, err %v; want %q, %q", name, att.MIME, refused, err, tc.mime, tc.refused)
		}
		if sniffed, _ := services.SniffFile(tc.data); sniffed != tc.mime {
			t.Errorf("%s: the channel and services.SniffFile disagree", name)
		}
	}
}
