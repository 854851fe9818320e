package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// reply is one sendMessage to a citizen's chat, as the citizen sees it.
type reply struct {
	text    string
	buttons []button
	at      time.Time
}

type button struct{ text, data string }

// fakeAPI is a minimal Telegram Bot API on loopback for the load: getMe,
// getUpdates (long polling, offsets, 409 for a second poller as on
// Telegram), sendMessage, sendChatAction, answerCallbackQuery and the
// webhook methods. When a webhook is set it posts each update to it instead
// (round robin over every URL set, as a load balancer in front of several
// replicas would), retrying until it gets 200 like Telegram. Replies are
// routed to the citizen's channel, so waiting for one costs no polling.
type fakeAPI struct {
	token string
	srv   *http.Server
	ln    net.Listener
	hook  *http.Client

	mu        sync.Mutex
	changed   chan struct{}
	queue     []queuedUpdate
	lastID    int
	lastMsgID int
	pollGen   int
	inboxes   map[int64]chan reply
	webhooks  []webhook
	rr        int

	sent, other, actions, answered, conflicts atomic.Int64
	polls                                     atomic.Int64 // getUpdates calls
	hookRetries                               atomic.Int64
}

type queuedUpdate struct {
	id  int
	raw []byte
}

type webhook struct{ url, secret string }

func newFakeAPI(token string) (*fakeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeAPI{token: token, ln: ln, changed: make(chan struct{}), inboxes: map[int64]chan reply{},
		hook: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln) //nolint:errcheck // ends with Close
	return f, nil
}

func (f *fakeAPI) URL() string { return "http://" + f.ln.Addr().String() }

func (f *fakeAPI) Close() {
	f.mu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
}

// inbox registers a citizen's chat and returns where its replies arrive.
func (f *fakeAPI) inbox(chat int64) chan reply {
	ch := make(chan reply, 64)
	f.mu.Lock()
	f.inboxes[chat] = ch
	f.mu.Unlock()
	return ch
}

func (f *fakeAPI) pushText(chat int64, text string) {
	f.mu.Lock()
	f.lastMsgID++
	msg := map[string]any{"message_id": f.lastMsgID, "from": user(chat), "chat": chatOf(chat), "date": time.Now().Unix(), "text": text}
	if strings.HasPrefix(text, "/") {
		msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(text)}}
	}
	f.pushLocked(map[string]any{"message": msg})
}

func (f *fakeAPI) pushCallback(chat int64, data string) {
	f.mu.Lock()
	f.lastMsgID++
	f.pushLocked(map[string]any{"callback_query": map[string]any{
		"id": "cbq-" + strconv.Itoa(f.lastID+1), "from": user(chat), "chat_instance": strconv.FormatInt(chat, 10), "data": data,
		"message": map[string]any{"message_id": f.lastMsgID, "from": map[string]any{"id": 1, "is_bot": true, "first_name": "Sapa"},
			"chat": chatOf(chat), "date": time.Now().Unix(), "text": "menu"},
	}})
}

// pushLocked queues the update, or posts it to a webhook; it unlocks f.mu.
func (f *fakeAPI) pushLocked(u map[string]any) {
	f.lastID++
	u["update_id"] = f.lastID
	raw, _ := json.Marshal(u) // our own maps
	if len(f.webhooks) > 0 {
		w := f.webhooks[f.rr%len(f.webhooks)]
		f.rr++
		f.mu.Unlock()
		go f.post(w, raw)
		return
	}
	f.queue = append(f.queue, queuedUpdate{id: f.lastID, raw: raw})
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

// post delivers one update to a webhook until it answers 200, for at most
// a minute, as Telegram retries.
func (f *fakeAPI) post(w webhook, raw []byte) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodPost, w.url, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", w.secret)
		resp, err := f.hook.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		f.hookRetries.Add(1)
		time.Sleep(100 * time.Millisecond)
	}
}

func user(id int64) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": "Warga", "language_code": "id"}
}

func chatOf(id int64) map[string]any {
	return map[string]any{"id": id, "type": "private", "first_name": "Warga"}
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok := strings.Cut(rest, "/")
	if !ok || token != f.token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request"})
		return
	}
	switch method {
	case "getMe":
		ok200(w, map[string]any{"id": 1, "is_bot": true, "first_name": "Sapa", "username": "sapa_load_bot"})
	case "getUpdates":
		f.polls.Add(1)
		f.getUpdates(w, r)
	case "sendMessage":
		f.sendMessage(w, r)
	case "sendChatAction":
		f.actions.Add(1)
		ok200(w, true)
	case "answerCallbackQuery":
		f.answered.Add(1)
		ok200(w, true)
	case "getWebhookInfo":
		f.mu.Lock()
		url := ""
		if len(f.webhooks) > 0 {
			url = f.webhooks[0].url
		}
		f.mu.Unlock()
		ok200(w, map[string]any{"url": url, "pending_update_count": 0})
	case "setWebhook":
		f.mu.Lock()
		if u := r.FormValue("url"); u != "" && !slices.ContainsFunc(f.webhooks, func(h webhook) bool { return h.url == u }) {
			f.webhooks = append(f.webhooks, webhook{url: u, secret: r.FormValue("secret_token")})
		}
		f.pollGen++
		close(f.changed)
		f.changed = make(chan struct{})
		f.mu.Unlock()
		ok200(w, true)
	case "deleteWebhook":
		f.mu.Lock()
		f.webhooks = nil
		f.mu.Unlock()
		ok200(w, true)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
	}
}

func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.FormValue("offset"))
	timeout, _ := strconv.Atoi(r.FormValue("timeout"))
	limit, _ := strconv.Atoi(r.FormValue("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	f.mu.Lock()
	if len(f.webhooks) > 0 {
		f.mu.Unlock()
		f.conflicts.Add(1)
		writeJSON(w, http.StatusConflict, map[string]any{"ok": false, "error_code": 409, "description": "Conflict: can't use getUpdates method while webhook is active"})
		return
	}
	f.pollGen++
	gen := f.pollGen
	if offset > 0 {
		i := 0
		for i < len(f.queue) && f.queue[i].id < offset {
			i++
		}
		f.queue = f.queue[i:]
	}
	close(f.changed)
	f.changed = make(chan struct{})
	for {
		if gen != f.pollGen {
			f.mu.Unlock()
			f.conflicts.Add(1)
			writeJSON(w, http.StatusConflict, map[string]any{"ok": false, "error_code": 409, "description": "Conflict: terminated by other getUpdates request"})
			return
		}
		if n := min(len(f.queue), limit); n > 0 {
			var b bytes.Buffer
			b.WriteString(`{"ok":true,"result":[`)
			for i, q := range f.queue[:n] {
				if i > 0 {
					b.WriteByte(',')
				}
				b.Write(q.raw)
			}
			b.WriteString("]}")
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b.Bytes())
			return
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			ok200(w, []any{})
			return
		case <-r.Context().Done():
			return
		}
		f.mu.Lock()
	}
}

func (f *fakeAPI) sendMessage(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	chat, err := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	text := r.FormValue("text")
	if err != nil || strings.TrimSpace(text) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: message text is empty"})
		return
	}
	var rows [][]button
	if m := r.FormValue("reply_markup"); m != "" {
		var kb struct {
			InlineKeyboard [][]struct {
				Text string `json:"text"`
				Data string `json:"callback_data"`
			} `json:"inline_keyboard"`
		}
		if json.Unmarshal([]byte(m), &kb) == nil {
			for _, row := range kb.InlineKeyboard {
				var out []button
				for _, b := range row {
					out = append(out, button{text: b.Text, data: b.Data})
				}
				rows = append(rows, out)
			}
		}
	}
	f.mu.Lock()
	f.lastMsgID++
	id := f.lastMsgID
	inbox := f.inboxes[chat]
	f.mu.Unlock()
	f.sent.Add(1)
	if inbox != nil {
		var flat []button
		for _, row := range rows {
			flat = append(flat, row...)
		}
		select {
		case inbox <- reply{text: text, buttons: flat, at: now}:
		default: // a citizen that gave up; counted as doubled by the count
		}
	} else {
		f.other.Add(1)
	}
	ok200(w, map[string]any{"message_id": id, "chat": chatOf(chat), "date": now.Unix(), "text": text})
}

func ok200(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
