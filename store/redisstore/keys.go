package redisstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/leksono/sapa/conversation"
)

// ErrInvalidKey is returned when a channel, chat ID or message ID cannot be
// stored: empty, or longer than maxIDLen bytes.
var ErrInvalidKey = errors.New("invalid chat or message id")

// maxIDLen bounds the IDs that go into key names. Platform IDs are far
// shorter (Telegram: 64-bit integers, WhatsApp: wamid strings of about 60
// bytes); anything longer is a bug upstream and would only bloat keys.
const maxIDLen = 256

// keys are the names of one chat's keys. They share the Redis Cluster hash
// tag {<channel>:<chatid>}, so one chat lives in one slot and the commit
// script may touch all of them.
type keys struct {
	state string // hash: v = version, s = state JSON
	draft string // service code of an unfinished draft, outliving the state
	msg   string // set once the message was handled
}

// keysFor names the keys of chat and, when messageID is not empty, of that
// message. Channel, chat ID and message ID are escaped, so no ID can close
// the hash tag early or pass for another chat's or message's key: without
// escaping, chat "a}:msg:1" would own the state key of message "1}:state"
// of chat "a".
func (s *Store) keysFor(chat conversation.ChatKey, messageID string) (keys, error) {
	if err := checkID("channel", chat.Channel); err != nil {
		return keys{}, err
	}
	if err := checkID("chat id", chat.ChatID); err != nil {
		return keys{}, err
	}
	base := s.prefix + "{" + escape(chat.Channel) + ":" + escape(chat.ChatID) + "}:"
	k := keys{state: base + "state", draft: base + "draft"}
	if messageID != "" {
		if err := checkID("message id", messageID); err != nil {
			return keys{}, err
		}
		k.msg = base + "msg:" + escape(messageID)
	}
	return k, nil
}

func checkID(what, id string) error {
	if id == "" {
		return fmt.Errorf("empty %s: %w", what, ErrInvalidKey)
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("%s of %d bytes, more than %d: %w", what, len(id), maxIDLen, ErrInvalidKey)
	}
	return nil
}

// escape percent-encodes every byte outside a small safe set. The set
// excludes ':', '{', '}' and '%' itself, which makes the encoding injective
// and keeps the separators of the key scheme unambiguous, while the usual
// platform IDs ("-1001234567", "6281234567890", "wamid.HBgM...=") stay
// readable in redis-cli.
func escape(id string) string {
	safe := true
	for i := 0; i < len(id); i++ {
		if !isSafe(id[i]) {
			safe = false
			break
		}
	}
	if safe {
		return id
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(id) + 8)
	for i := 0; i < len(id); i++ {
		c := id[i]
		if isSafe(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

func isSafe(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-', c == '_', c == '.', c == '@', c == '+', c == '=':
		return true
	}
	return false
}
