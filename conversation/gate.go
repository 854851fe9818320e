package conversation

import (
	"context"
	"time"
)

// openGate is the ChatGate of an engine configured without one: it loads
// and commits through the StateStore alone, locks no chat and limits no
// sender, which is all one process with no rate limit needs. With it every
// message takes the one path of Handle, Begin to CommitWithLease, whatever
// the store; officers, whom the citizens' rate limit is not for, take it on
// every store.
type openGate struct{ states StateStore }

// Begin implements ChatGate: it only loads.
func (g openGate) Begin(ctx context.Context, chat ChatKey, messageID, _ string, _ time.Time) (Begun, ChatLease, error) {
	loaded, err := g.states.Load(ctx, chat, messageID)
	return Begun{Loaded: loaded}, ChatLease{}, err
}

// CommitWithLease implements ChatGate: it only commits.
func (g openGate) CommitWithLease(ctx context.Context, st State, messageID string, ttl time.Duration, _ ChatLease) error {
	return g.states.Commit(ctx, st, messageID, ttl)
}

// Release implements ChatGate: there is nothing to free.
func (openGate) Release(context.Context, ChatLease) error { return nil }
