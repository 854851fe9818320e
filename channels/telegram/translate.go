package telegram

import (
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/conversation"
)

// channelName is the conversation.ChatKey channel of every Telegram chat.
const channelName = "telegram"

// maxCallbackData is Telegram's limit on callback_data, in bytes. A button
// over it makes sendMessage fail with BUTTON_DATA_INVALID.
const maxCallbackData = 64

// toInbound normalizes one update for the engine. It accepts only what a
// citizen sends in a private chat with the bot: new messages and presses on
// our inline buttons. Everything else (groups, channels, edits, service
// messages, other update kinds) reports false and is ignored.
//
// A callback query carries no date of its own, so its At is left zero for the
// caller to fill with the time it was received.
func toInbound(u tgbotapi.Update) (conversation.Inbound, bool) {
	switch {
	case u.Message != nil:
		return messageInbound(u.Message)
	case u.CallbackQuery != nil:
		return callbackInbound(u.CallbackQuery)
	default:
		return conversation.Inbound{}, false
	}
}

func messageInbound(m *tgbotapi.Message) (conversation.Inbound, bool) {
	if !isPrivate(m.Chat) {
		return conversation.Inbound{}, false
	}
	in := conversation.Inbound{
		Chat:       chatKey(m.Chat.ID),
		SenderID:   senderID(m.From, m.Chat.ID),
		SenderName: senderName(m.From),
		MessageID:  strconv.Itoa(m.MessageID),
		At:         time.Unix(int64(m.Date), 0).UTC(),
	}
	if m.Text != "" {
		in.Kind = conversation.KindText
		in.Text = m.Text
		return in, true
	}
	media := mediaKind(m)
	if media == "" {
		// Service messages (pins, auto-delete timers, ...) carry nothing a
		// citizen said: answering them would be noise.
		return conversation.Inbound{}, false
	}
	in.Kind = conversation.KindUnsupported
	in.Media = media
	in.Text = m.Caption
	if m.Contact != nil && m.From != nil && m.Contact.UserID == m.From.ID {
		// Their own number, not a friend's: the one thing that links a
		// Telegram user to their WhatsApp chat.
		in.Phone = m.Contact.PhoneNumber
	}
	if loc := location(m); loc != nil {
		in.Media = "location"
		in.Location = loc
	}
	return in, true
}

// location reads a shared place: a venue (a place picked from the map,
// with its name) or a bare location. It returns nil for other messages.
func location(m *tgbotapi.Message) *conversation.Location {
	switch {
	case m.Venue != nil:
		name := strings.TrimSpace(m.Venue.Title)
		if addr := strings.TrimSpace(m.Venue.Address); addr != "" && addr != name {
			name = strings.TrimPrefix(name+", "+addr, ", ")
		}
		return &conversation.Location{Latitude: m.Venue.Location.Latitude, Longitude: m.Venue.Location.Longitude, Name: name}
	case m.Location != nil:
		return &conversation.Location{Latitude: m.Location.Latitude, Longitude: m.Location.Longitude}
	default:
		return nil
	}
}

func callbackInbound(q *tgbotapi.CallbackQuery) (conversation.Inbound, bool) {
	// Queries from inline-mode messages have no Message; game buttons have no
	// Data. Neither comes from a keyboard we rendered.
	if q.Message == nil || !isPrivate(q.Message.Chat) || q.Data == "" {
		return conversation.Inbound{}, false
	}
	return conversation.Inbound{
		Chat:       chatKey(q.Message.Chat.ID),
		SenderID:   senderID(q.From, q.Message.Chat.ID),
		SenderName: senderName(q.From),
		MessageID:  "cb:" + q.ID,
		Kind:       conversation.KindChoice,
		Payload:    q.Data,
	}, true
}

// mediaKind names what a non-text message holds, or "" when it holds nothing
// a citizen could have sent on purpose.
func mediaKind(m *tgbotapi.Message) string {
	switch {
	case m.Sticker != nil:
		return "sticker"
	case len(m.Photo) > 0:
		return "photo"
	case m.Voice != nil:
		return "voice"
	case m.Audio != nil:
		return "audio"
	case m.Video != nil:
		return "video"
	case m.VideoNote != nil:
		return "video_note"
	// Telegram sets document too on an animation, for old clients: test the
	// animation first so a GIF is not called a document.
	case m.Animation != nil:
		return "animation"
	case m.Document != nil:
		return "document"
	// A venue also carries its location.
	case m.Venue != nil:
		return "venue"
	case m.Location != nil:
		return "location"
	case m.Contact != nil:
		return "contact"
	case m.Poll != nil:
		return "poll"
	case m.Dice != nil:
		return "dice"
	default:
		return ""
	}
}

func isPrivate(c *tgbotapi.Chat) bool { return c != nil && c.Type == "private" }

func chatKey(chatID int64) conversation.ChatKey {
	return conversation.ChatKey{Channel: channelName, ChatID: strconv.FormatInt(chatID, 10)}
}

// senderID falls back to the chat id, which in a private chat is the user's
// id, should Telegram ever leave out from.
func senderID(u *tgbotapi.User, chatID int64) string {
	if u == nil {
		return strconv.FormatInt(chatID, 10)
	}
	return strconv.FormatInt(u.ID, 10)
}

func senderName(u *tgbotapi.User) string {
	if u == nil {
		return ""
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// render builds the sendMessage request for one reply. The text goes out
// plain (no parse mode), so nothing in it needs escaping. Each option becomes
// one inline button on its own row, labelled with its 1-based position so
// that the number a citizen may type matches the button. An option whose
// payload Telegram would refuse (empty or over 64 bytes) is left out rather
// than making the whole message fail; the others keep their numbers.
// Callers log the dropped ones (see invalidOptions).
func render(chatID int64, r conversation.Reply) tgbotapi.MessageConfig {
	msg := tgbotapi.NewMessage(chatID, r.Text)
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, o := range r.Options {
		if !validPayload(o.Payload) {
			continue
		}
		label := strconv.Itoa(i+1) + ". " + o.Label
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(label, o.Payload)))
	}
	if len(rows) > 0 {
		msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(rows...)
	}
	return msg
}

// invalidOptions returns the 1-based positions of the options render drops.
func invalidOptions(r conversation.Reply) []int {
	var bad []int
	for i, o := range r.Options {
		if !validPayload(o.Payload) {
			bad = append(bad, i+1)
		}
	}
	return bad
}

func validPayload(p string) bool { return p != "" && len(p) <= maxCallbackData }
