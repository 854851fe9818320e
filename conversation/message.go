// Package conversation is the engine that walks a citizen through menus and
// forms. It knows no chat platform: channels hand it an Inbound message and
// render the Replies it returns. It reaches storage only through the small
// interfaces declared in this package.
package conversation

import (
	"time"

	"github.com/leksono/sapa/services"
)

// ChatKey identifies one conversation: one chat on one channel.
type ChatKey struct {
	Channel string // the channel's name, as the channel package sets it
	ChatID  string
}

// String renders the key for logs and errors as channel:chat, the chat id
// masked (services.MaskID): on WhatsApp it is a phone number, and every
// error that names a chat may end in a log line. Storage keys are built
// from Channel and ChatID themselves.
func (k ChatKey) String() string { return k.Channel + ":" + services.MaskID(k.ChatID) }

// InboundKind tells what a citizen sent.
type InboundKind int

// Inbound kinds. Unsupported covers stickers, photos, voice notes and
// anything else the engine cannot read yet: it answers them politely.
const (
	KindText InboundKind = iota
	KindChoice
	KindUnsupported
)

// Inbound is one message from a citizen, normalized by a channel.
type Inbound struct {
	Chat        ChatKey
	SenderID    string
	SenderName  string // platform display name; never used as identity
	MessageID   string // unique within the chat; the dedup key
	Kind        InboundKind
	Text        string       // typed text (KindText)
	Payload     string       // the Option.Payload of a pressed button (KindChoice)
	Media       string       // what an unsupported message was: "sticker", "photo", ...
	Attachments []Attachment // photos or PDFs sent, downloaded and checked by the channel
	Location    *Location    // a shared location, if any
	// Phone is the sender's own phone number, when they shared their own
	// contact (Telegram): it makes their chats on two channels one person
	// for the consultations (consult.go).
	Phone string
	At    time.Time
	// Redelivered says the channel gave this message before to a process
	// that may have stopped before its answer went out (a crash, a kill).
	// If it was handled, the engine answers it again from the state it
	// left instead of ignoring it as a duplicate.
	Redelivered bool
}

// Attachment is a file a citizen sent, already downloaded by the channel,
// its type detected from its bytes (never from its name) and its size capped.
type Attachment struct {
	Kind string // "photo" or "document"
	MIME string // image/jpeg, image/png, image/webp or application/pdf
	Name string // the file name the sender gave, if any
	Data []byte
}

// Location is a place a citizen shared from their chat app.
type Location struct {
	Latitude, Longitude float64
	Name                string // place name or address, when the app sends one
}

// Option is one choice offered with a reply. Channels show it as a button
// (Telegram) or a numbered line (WhatsApp); its number is its 1-based
// position, and typing that number picks it.
type Option struct {
	Label   string
	Payload string // opaque to channels; at most 64 bytes (Telegram's limit)
}

// Reply is one message to send back.
type Reply struct {
	Text    string
	Options []Option
	// Files are stored photos and documents sent with the message (a new
	// complaint's photos to staff), never links to another chat.
	Files []services.StoredFile
}
