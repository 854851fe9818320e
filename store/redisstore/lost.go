package redisstore

import (
	"sync"
	"time"

	"github.com/leksono/sapa/conversation"
)

// drafts remembers, in this process, the chats it left an unfinished form
// for and until when that state lives in Redis. A chat whose state is
// missing before then lost it with the server's data (a restart without
// appendonly, a flush): the engine tells the citizen so instead of
// greeting them as new (conversation.Loaded.Lost). A chat handled by
// another process is not known here; a process that restarted knows none.
type drafts struct {
	mu        sync.Mutex
	until     map[conversation.ChatKey]time.Time
	lastSweep time.Time
}

// sweepEvery is how often expired entries are dropped.
const sweepEvery = 10 * time.Minute

// remember records the state just committed for chat: a draft living
// until until, or none.
func (d *drafts) remember(chat conversation.ChatKey, draft bool, until time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !draft {
		delete(d.until, chat)
		return
	}
	if d.until == nil {
		d.until = map[conversation.ChatKey]time.Time{}
	}
	d.until[chat] = until
	if now := time.Now(); now.Sub(d.lastSweep) > sweepEvery {
		d.lastSweep = now
		for c, u := range d.until {
			if now.After(u) {
				delete(d.until, c)
			}
		}
	}
}

// lost reports whether chat, found without any state, had a draft here
// that should still live, and forgets it.
func (d *drafts) lost(chat conversation.ChatKey) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	until, ok := d.until[chat]
	delete(d.until, chat)
	return ok && time.Now().Before(until)
}

// forget drops what is remembered of chat (its state was deleted on
// purpose).
func (d *drafts) forget(chat conversation.ChatKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.until, chat)
}
