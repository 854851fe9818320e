package whatsapp

import (
	"fmt"
	"strings"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// channelName is the conversation.ChatKey channel of every WhatsApp chat.
const channelName = "whatsapp"

// lidPrefix marks a chat id that is a WhatsApp LID (a hidden-number
// identity) because the sender's phone number is not known (identity.go).
const lidPrefix = "lid:"

// Reasons translate gives for ignoring a message; logged at debug level and
// checked by the tests.
const (
	ignoreOwn        = "own message"
	ignoreStatus     = "status broadcast"
	ignoreBroadcast  = "broadcast list"
	ignoreNewsletter = "newsletter"
	ignoreGroup      = "group not configured as staff group"
	ignoreServer     = "not a person's chat"
	ignoreProtocol   = "protocol message"
	ignoreReaction   = "reaction"
	ignoreEdit       = "edit of an earlier message"
	ignoreEmpty      = "no content a person typed"
	ignoreHistory    = "history sync"
)

// incoming is a message accepted for handling: the engine's view of it, the
// chat to answer in, and a file still to download, if any.
type incoming struct {
	in     conversation.Inbound
	chat   types.JID // where the message came from; replies go there
	sender types.JID // who sent it; read receipts in groups need it
	media  *mediaRef

	lid       string // the sender's LID (user part), when the message names it
	phone     string // the sender's phone number (62…), when the message names it
	mergeFrom string // the "lid:" chat id whose records move onto this chat first (identify)
}

// mediaRef is a photo or document a message points at. It is downloaded by
// the chat's worker, never in whatsmeow's event handler, which must return
// quickly.
type mediaRef struct {
	media    string // Inbound.Media it counts as: "photo" or "document"
	name     string // file name the sender gave
	declared uint64 // size the sender declared, checked before downloading
	msg      whatsmeow.DownloadableMessage
}

// translate reads one message event. It accepts what a person sends the
// bot in a one-to-one chat, and messages in the configured staff groups.
// Anything else is ignored, and the reason is returned instead.
//
// Photos, locations and documents become KindUnsupported with Media set and
// Attachments or Location filled: the engine answers them as unsupported
// where a step expects text, and reads the file or place where a step wants
// one. Their caption goes into Text.
func translate(evt *events.Message, staffGroups map[string]bool) (incoming, string) {
	info := evt.Info
	chat := info.Chat.ToNonAD()
	switch {
	case info.IsFromMe:
		return incoming{}, ignoreOwn
	case evt.SourceWebMsg != nil && evt.UnavailableRequestID == "":
		// Parsed from a history sync blob: old messages the phone already
		// showed, not something sent to the bot now. A resend of a message
		// WhatsApp delivered as "unavailable" comes the same way, with the
		// request's id: that one is live and is answered.
		return incoming{}, ignoreHistory
	case chat == types.StatusBroadcastJID:
		return incoming{}, ignoreStatus
	case chat.Server == types.BroadcastServer:
		return incoming{}, ignoreBroadcast
	case chat.Server == types.NewsletterServer:
		return incoming{}, ignoreNewsletter
	case chat.Server == types.GroupServer:
		if !staffGroups[chat.String()] {
			return incoming{}, ignoreGroup
		}
	case chat.Server != types.DefaultUserServer && chat.Server != types.HiddenUserServer:
		return incoming{}, ignoreServer
	case chat.IsBot() || chat == types.PSAJID:
		return incoming{}, ignoreServer
	}
	if evt.IsEdit {
		// The engine has moved on since the original; an edit is no answer.
		return incoming{}, ignoreEdit
	}
	msg := evt.Message
	if msg == nil {
		return incoming{}, ignoreEmpty
	}
	switch {
	case msg.ProtocolMessage != nil:
		// Revokes, disappearing-message settings, key shares: no person typed them.
		return incoming{}, ignoreProtocol
	case msg.ReactionMessage != nil, msg.EncReactionMessage != nil:
		return incoming{}, ignoreReaction
	}

	sender, lid, phone := personID(info.MessageSource)
	chatID := sender
	if chat.Server == types.GroupServer {
		chatID = chat.String()
	}
	out := incoming{
		chat:   chat,
		sender: info.Sender.ToNonAD(),
		lid:    lid,
		phone:  phone,
		in: conversation.Inbound{
			Chat:       conversation.ChatKey{Channel: channelName, ChatID: chatID},
			SenderID:   sender,
			SenderName: strings.TrimSpace(info.PushName),
			MessageID:  info.ID,
			At:         info.Timestamp.UTC(),
		},
	}
	if !fillContent(&out, msg) {
		return incoming{}, ignoreEmpty
	}
	return out, ""
}

// fillContent sets the kind, text and media of out from msg. It reports
// false when msg holds nothing a person sent on purpose (poll votes, pins,
// call logs, ...), which is then ignored rather than answered.
func fillContent(out *incoming, msg *waE2E.Message) bool {
	in := &out.in
	unsupported := func(media, caption string) {
		in.Kind, in.Media, in.Text = conversation.KindUnsupported, media, caption
	}
	switch {
	case msg.Conversation != nil:
		in.Kind, in.Text = conversation.KindText, msg.GetConversation()
	case msg.ExtendedTextMessage != nil:
		in.Kind, in.Text = conversation.KindText, msg.GetExtendedTextMessage().GetText()
	case msg.ImageMessage != nil:
		img := msg.GetImageMessage()
		unsupported("photo", img.GetCaption())
		out.media = &mediaRef{media: "photo", declared: img.GetFileLength(), msg: img}
	case msg.DocumentMessage != nil:
		doc := msg.GetDocumentMessage()
		unsupported("document", doc.GetCaption())
		// Only PDFs and images sent as files (to keep a scan sharp) are worth
		// the download; the bytes decide in the end, not this guess.
		if wanted(doc.GetMimetype(), doc.GetFileName()) {
			out.media = &mediaRef{media: "document", name: doc.GetFileName(), declared: doc.GetFileLength(), msg: doc}
		} else {
			in.Media = services.FileRefusedType
		}
	case msg.LocationMessage != nil:
		loc := msg.GetLocationMessage()
		unsupported("location", loc.GetComment())
		in.Location = &conversation.Location{
			Latitude: loc.GetDegreesLatitude(), Longitude: loc.GetDegreesLongitude(),
			Name: placeName(loc.GetName(), loc.GetAddress()),
		}
	case msg.LiveLocationMessage != nil:
		loc := msg.GetLiveLocationMessage()
		unsupported("location", loc.GetCaption())
		in.Location = &conversation.Location{Latitude: loc.GetDegreesLatitude(), Longitude: loc.GetDegreesLongitude()}
	case msg.StickerMessage != nil, msg.LottieStickerMessage != nil:
		unsupported("sticker", "")
	case msg.AudioMessage != nil:
		if msg.GetAudioMessage().GetPTT() {
			unsupported("voice", "")
		} else {
			unsupported("audio", "")
		}
	case msg.PtvMessage != nil:
		unsupported("video_note", "")
	case msg.VideoMessage != nil:
		v := msg.GetVideoMessage()
		if v.GetGifPlayback() {
			unsupported("animation", v.GetCaption())
		} else {
			unsupported("video", v.GetCaption())
		}
	case msg.ContactMessage != nil, msg.ContactsArrayMessage != nil:
		unsupported("contact", "")
	case msg.PollCreationMessage != nil, msg.PollCreationMessageV2 != nil, msg.PollCreationMessageV3 != nil:
		unsupported("poll", "")
	default:
		return false
	}
	return true
}

// wanted guesses from what the sender declared whether a document may be
// one the bot accepts.
func wanted(mime, name string) bool {
	mime = strings.ToLower(mime)
	name = strings.ToLower(name)
	if mime == "application/pdf" || strings.HasSuffix(name, ".pdf") {
		return true
	}
	return strings.HasPrefix(mime, "image/") || strings.HasSuffix(name, ".jpg") ||
		strings.HasSuffix(name, ".jpeg") || strings.HasSuffix(name, ".png") || strings.HasSuffix(name, ".webp")
}

func placeName(name, address string) string {
	name, address = strings.TrimSpace(name), strings.TrimSpace(address)
	switch {
	case name != "" && address != "":
		return name + ", " + address
	case name != "":
		return name
	default:
		return address
	}
}

// personID identifies the sender as one normalized phone number (62...),
// whatever form WhatsApp addressed them in, and returns the LID and the
// number the message names. With LID addressing the phone number travels
// in SenderAlt, when WhatsApp shares it; without it the message names the
// sender by the LID only, prefixed "lid:", until identify finds the number
// in whatsmeow's map.
func personID(src types.MessageSource) (id, lid, phone string) {
	for _, j := range []types.JID{src.Sender, src.SenderAlt} {
		if j.Server == types.DefaultUserServer && j.User != "" && phone == "" {
			phone = normalizePhone(j.User)
		}
		if j.Server == types.HiddenUserServer && j.User != "" && lid == "" {
			lid = j.User
		}
	}
	if !src.IsGroup {
		switch {
		case phone == "" && src.Chat.Server == types.DefaultUserServer && src.Chat.User != "":
			phone = normalizePhone(src.Chat.User)
		case lid == "" && src.Chat.Server == types.HiddenUserServer && src.Chat.User != "":
			lid = src.Chat.User
		}
	}
	switch {
	case phone != "":
		return phone, lid, phone
	case lid != "":
		return lidPrefix + lid, lid, ""
	}
	return src.Sender.User, "", ""
}

// normalizePhone returns an Indonesian number as 62..., the form the rest
// of the bot (staff directory, stores) uses, and any other number as its
// digits, so a foreign citizen is still one person.
func normalizePhone(s string) string {
	if n := services.NormalizePhone(s); n != "" {
		return n
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// jidOf is the inverse of the chat ids translate makes: the JID to send to
// for a normalized number, a "lid:" id or a group JID.
func jidOf(chatID string) (types.JID, error) {
	switch {
	case strings.HasPrefix(chatID, lidPrefix):
		return types.NewJID(strings.TrimPrefix(chatID, lidPrefix), types.HiddenUserServer), nil
	case strings.Contains(chatID, "@"):
		j, err := types.ParseJID(chatID)
		if err != nil {
			return types.JID{}, fmt.Errorf("parse chat %s: %w", services.MaskID(chatID), err)
		}
		return j, nil
	}
	n := normalizePhone(chatID)
	if n == "" {
		return types.JID{}, fmt.Errorf("chat id %q is neither a phone number nor a JID", services.MaskID(chatID))
	}
	return types.NewJID(n, types.DefaultUserServer), nil
}
