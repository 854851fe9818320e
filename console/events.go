package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leksono/sapa/services"
)

// hub hands the tickets of changed cases to every open event stream of
// this process; one Redis subscription feeds it.
type hub struct {
	mu   sync.Mutex
	subs map[chan string]struct{}
}

func newHub() *hub { return &hub{subs: map[chan string]struct{}{}} }

// subscribe opens a stream's inbox; cancel closes it.
func (h *hub) subscribe() (<-chan string, func()) {
	ch := make(chan string, 32)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// publish tells every stream that ticket changed. A stream too slow to
// take it misses it: its page refreshes at the next change anyway.
func (h *hub) publish(ticket string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ticket:
		default:
		}
	}
}

// heartbeat keeps an idle stream open through proxies, and is when the
// stream checks that its session still holds.
const heartbeat = 20 * time.Second

// events streams the tickets of changed cases the officer may see
// (server-sent events): the pages' script refreshes itself with them.
func (s *Server) events(w http.ResponseWriter, r *http.Request, o services.Officer) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	inbox, cancel := s.hub.subscribe()
	defer cancel()
	select {
	case <-s.listening:
	case <-r.Context().Done():
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events on at once
	w.WriteHeader(http.StatusOK)
	// The stream is open and subscribed: the page may rely on it now.
	fmt.Fprint(w, ": open\n\n")
	flusher.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, _, ok := s.session(w, r); !ok {
				return // logged out, or no longer active
			}
			fmt.Fprint(w, ": ping\n\n")
		case ticket := <-inbox:
			if n, ok := strings.CutPrefix(ticket, talkChange); ok {
				// A conversation (inbox.go): told to those who may see it.
				number, err := strconv.ParseInt(n, 10, 64)
				if err != nil {
					continue
				}
				if _, _, err := s.desk.RereadConversation(ctx, o, number); err != nil {
					continue
				}
				fmt.Fprintf(w, "event: talk\ndata: %d\n\n", number)
				break
			}
			if _, err := s.desk.Look(ctx, o, ticket); err != nil {
				continue // not the officer's to see, or gone
			}
			fmt.Fprintf(w, "event: case\ndata: %s\n\n", ticket)
		}
		flusher.Flush()
	}
}
