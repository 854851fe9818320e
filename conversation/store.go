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
