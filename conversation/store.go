package conversation

import (
	"context"
	"errors"
	"time"

	"github.com/leksono/sapa/services"
)

// ErrConflict is returned by StateStore.Commit when another message of the
// same chat advanced the state since it was loaded. The caller reloads and
// handles the message again.
var ErrConflict = errors.New("conversation state changed concurrently")

// ErrDuplicate is returned by StateStore.Commit when the message was already
// handled: its replies must not be sent again.
var ErrDuplicate = errors.New("message already handled")

// Loaded is what StateStore.Load finds for a chat.
type Loaded struct {
	State        *State // nil when the chat has no live state
	Duplicate    bool   // the message was already handled
	ExpiredDraft string // service code of a draft whose state expired, if any
	// Lost: the chat has no state although the store knows it left an
	// unfinished form that should still live (the store lost its data, as
	// Redis without appendonly does on a restart). The citizen is told so,
	// not greeted as new.
	Lost bool
}

// StateStore keeps one State per chat. Implementations must make Commit
// atomic: the version check, the state write and the record that the message
// was handled succeed or fail together.
type StateStore interface {
	// Load returns the chat's state and whether messageID was already handled.
	Load(ctx context.Context, chat ChatKey, messageID string) (Loaded, error)
	// Commit stores s if the stored version still equals s.Version (0: no
	// state stored), sets the stored version to s.Version+1, records
	// messageID as handled, and keeps the state for ttl. When s.Draft is set
	// it also remembers, beyond ttl, that a draft of that service existed, so
	// a late citizen can be told it expired; otherwise it forgets that.
	// It fails with ErrDuplicate or ErrConflict.
	Commit(ctx context.Context, s State, messageID string, ttl time.Duration) error
}

// CaseStore files submitted cases.
type CaseStore interface {
	// SubmitCase stores the case with its first event and returns its ticket.
	// Submitting the same SourceMessage again returns the first receipt.
	SubmitCase(ctx context.Context, c services.NewCase) (services.Receipt, error)
}

// Begun is what ChatGate.Begin found. At most one of Duplicate (in Loaded),
// Limited and Busy is set; when none is, the caller holds the chat's lease
// and Loaded holds the state as StateStore.Load returns it.
type Begun struct {
	Loaded
	// Limited: the sender is over the rate limit. Drop the message without
	// any work; nothing was locked.
	Limited bool
	// NoticeDue: Limited, and the sender has not been told so for a
	// minute. Send the one notice; it is now recorded as sent.
	NoticeDue bool
	// Busy: another process handles a message of this chat. Nothing was
	// locked: try again shortly, so a chat's messages go one at a time.
	Busy bool
}

// ChatLease is a held lock on one chat, proof for CommitWithLease and
// Release. The zero ChatLease holds nothing.
type ChatLease struct {
	Chat  ChatKey
	Token string // random, unique to this holding
}

// Held reports whether l is a lock Begin granted.
func (l ChatLease) Held() bool { return l.Token != "" }

// ChatGate handles each chat in one process at a time and limits how fast
// one sender may write, in the same round trips that load and commit the
// chat's state: Begin replaces StateStore.Load, CommitWithLease replaces
// Commit and frees the chat. The engine uses one only when Config.Gate
// names it; a store that could gate is not taken for a gate.
type ChatGate interface {
	Begin(ctx context.Context, chat ChatKey, messageID, sender string, now time.Time) (Begun, ChatLease, error)
	CommitWithLease(ctx context.Context, st State, messageID string, ttl time.Duration, lease ChatLease) error
	Release(ctx context.Context, lease ChatLease) error
}
