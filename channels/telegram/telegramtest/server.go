// Package telegramtest is a fake Telegram Bot API server for tests. It speaks
// the subset the bot uses (getMe, getUpdates with long polling and offset
// confirmation, sendMessage, answerCallbackQuery, sendChatAction, getFile
// and file downloads, sendPhoto and sendDocument) over form-encoded and
// multipart POSTs, validates requests the way Telegram does where a real
// bot could get it wrong, and records what the bot sent.
package telegramtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Button is one inline keyboard button as the bot sent it.
type Button struct {
	Text string
	Data string // callback_data
}

// SentMessage is one message the bot sent with sendMessage.
type SentMessage struct {
	MessageID   int
	ChatID      int64
	Text        string
	ParseMode   string
	Buttons     [][]Button      // rows of the inline keyboard, nil without one
	ReplyMarkup json.RawMessage // reply_markup as received, nil without one
	At          time.Time       // when the server took it, for rate checks
}

// ChatAction is one sendChatAction call.
type ChatAction struct {
	ChatID int64
	Action string
}

// Server is a fake Bot API server. All methods are safe for concurrent use.
type Server struct {
	t     testing.TB
	token string
	srv   *httptest.Server
	once  sync.Once
	done  chan struct{}

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced on every change, to wake waiters
	lastUpdateID int
	lastMsgID    int
	queue        []queued
	offset       int
	pollGen      int
	sent         []SentMessage
	attempts     map[int64]int
	sendFails    []injected
	loseAnswers  int // sends that deliver and then cut the connection
	pollFails    []injected
	blocked      map[int64]bool
	answered     []string
	actions      []ChatAction
	media        mediaState   // getFile, downloads, sendPhoto, sendDocument: files.go
	webhook      webhookState // setWebhook, deleteWebhook, getWebhookInfo: webhook.go
}

type queued struct {
	id   int
	kind string // the update's field besides update_id: "message", "callback_query", ...
	raw  json.RawMessage
}

type injected struct {
	code       int
	retryAfter int
}

// Identity of the fake bot and of the citizens it fakes.
const (
	BotID       int64 = 1000001
	BotUsername       = "sapa_test_bot"
	citizenName       = "Warga"
	citizenLast       = "Uji"
)

// NewServer starts a fake server for the given token; it is closed by
// t.Cleanup. Requests with another token get 401 like on Telegram.
func NewServer(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{
		t:        t,
		token:    token,
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
		attempts: make(map[int64]int),
		blocked:  make(map[int64]bool),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// URL is the base to configure the bot with (requests go to {URL}/bot{token}/{method}).
func (s *Server) URL() string { return s.srv.URL }

// Close releases pending long polls and stops the server. Safe to call twice.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// CallbackID is the callback query id PushCallback gives the update with the
// given id.
func CallbackID(updateID int) string { return "cbq-" + strconv.Itoa(updateID) }

// PushText queues a text message from a citizen in a private chat and
// returns its update id. A leading /command gets its bot_command entity.
func (s *Server) PushText(chatID, fromID int64, text string) (updateID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := map[string]any{
		"message_id": s.nextMsgIDLocked(),
		"from":       citizen(fromID),
		"chat":       privateChat(chatID),
		"date":       time.Now().Unix(),
		"text":       text,
	}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": utf16Len(cmd)}}
	}
	return s.pushLocked("message", map[string]any{"message": msg})
}

// PushCallback queues a press on an inline button with the given
// callback_data, in a private chat, and returns its update id. The query id
// is CallbackID(updateID).
func (s *Server) PushCallback(chatID, fromID int64, data string) (updateID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.lastUpdateID + 1
	return s.pushLocked("callback_query", map[string]any{"callback_query": map[string]any{
		"id":   CallbackID(id),
		"from": citizen(fromID),
		"message": map[string]any{
			"message_id": s.nextMsgIDLocked(),
			"from":       map[string]any{"id": BotID, "is_bot": true, "first_name": "Sapa", "username": BotUsername},
			"chat":       privateChat(chatID),
			"date":       time.Now().Unix(),
			"text":       "menu",
		},
		"chat_instance": strconv.FormatInt(chatID, 10),
		"data":          data,
	}})
}

// PushUpdate queues an arbitrary update, given as the JSON Telegram would
// send; its update_id is replaced by the next id, which is returned. Call it
// from the test goroutine: invalid JSON fails the test.
func (s *Server) PushUpdate(raw json.RawMessage) (updateID int) {
	s.t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		s.t.Fatalf("telegramtest: PushUpdate: invalid update JSON: %v", err)
	}
	delete(fields, "update_id")
	kind := ""
	for k := range fields {
		kind = k
	}
	update := make(map[string]any, len(fields))
	for k, v := range fields {
		update[k] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushLocked(kind, update)
}

func (s *Server) pushLocked(kind string, update map[string]any) int {
	s.lastUpdateID++
	update["update_id"] = s.lastUpdateID
	raw, err := json.Marshal(update)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: marshal update: %v", err)) // only our own maps get here
	}
	s.queue = append(s.queue, queued{id: s.lastUpdateID, kind: kind, raw: raw})
	s.notifyLocked()
	return s.lastUpdateID
}

// Sent returns every message sent so far, in order.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// SentTo returns the messages sent to one chat, in order.
func (s *Server) SentTo(chatID int64) []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentToLocked(chatID)
}

func (s *Server) sentToLocked(chatID int64) []SentMessage {
	var out []SentMessage
	for _, m := range s.sent {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// WaitSent waits until the chat has received at least n messages and returns
// all of them; it fails t after timeout. Call it from the test goroutine.
func (s *Server) WaitSent(t testing.TB, chatID int64, n int, timeout time.Duration) []SentMessage {
	t.Helper()
	var got []SentMessage
	ok := s.waitFor(timeout, func() bool {
		got = s.sentToLocked(chatID)
		return len(got) >= n
	})
	if !ok {
		texts := make([]string, len(got))
		for i, m := range got {
			texts[i] = m.Text
		}
		t.Fatalf("telegramtest: chat %d has %d messages after %s, want %d: %q", chatID, len(got), timeout, n, texts)
	}
	return got
}

// WaitOffset waits until the bot has confirmed every update below offset
// (a getUpdates with at least that offset); it fails t after timeout.
func (s *Server) WaitOffset(t testing.TB, offset int, timeout time.Duration) {
	t.Helper()
	var got int
	if !s.waitFor(timeout, func() bool { got = s.offset; return got >= offset }) {
		t.Fatalf("telegramtest: confirmed offset is %d after %s, want at least %d", got, timeout, offset)
	}
}

// waitFor runs cond under the lock at every change until it holds or the
// timeout passes.
func (s *Server) waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// Offset is the highest offset the bot has sent with getUpdates: every
// update below it is confirmed and gone from the queue.
func (s *Server) Offset() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// Pending returns the ids of the updates not confirmed yet.
func (s *Server) Pending() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, len(s.queue))
	for i, q := range s.queue {
		ids[i] = q.id
	}
	return ids
}

// FailNextSends makes the next n sendMessage calls (to any chat) fail with
// code: 429 carries parameters.retry_after = retryAfter seconds, 403 reads
// like a user who blocked the bot, anything else is a generic error.
func (s *Server) FailNextSends(code, retryAfter, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.sendFails = append(s.sendFails, injected{code: code, retryAfter: retryAfter})
	}
}

// LoseNextSendAnswers makes the next n sendMessage calls deliver their
// message and then cut the connection before answering, as a network that
// fails mid-request does: the bot cannot know the message arrived.
func (s *Server) LoseNextSendAnswers(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseAnswers += n
}

// FailNextPolls does the same for the next n getUpdates calls.
func (s *Server) FailNextPolls(code, retryAfter, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.pollFails = append(s.pollFails, injected{code: code, retryAfter: retryAfter})
	}
}

// BlockChat makes every later sendMessage and sendChatAction to the chat
// fail with 403, as when the citizen blocks the bot.
func (s *Server) BlockChat(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = true
}

// SendAttempts counts sendMessage calls for the chat, failed ones included.
func (s *Server) SendAttempts(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[chatID]
}

// AnsweredCallbacks returns the callback query ids answered so far, in order.
func (s *Server) AnsweredCallbacks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.answered)
}

// ChatActions returns the sendChatAction calls so far, in order.
func (s *Server) ChatActions() []ChatAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.actions)
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) nextMsgIDLocked() int {
	s.lastMsgID++
	return s.lastMsgID
}

// serve routes /bot{token}/{method} and /file/bot{token}/{path}.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.serveFile(w, r, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok || token != s.token {
		writeError(w, http.StatusUnauthorized, "Unauthorized", 0)
		return
	}
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		err = r.ParseMultipartForm(64 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}
	switch method {
	case "getMe":
		writeOK(w, map[string]any{"id": BotID, "is_bot": true, "first_name": "Sapa", "username": BotUsername})
	case "getUpdates":
		s.getUpdates(w, r)
	case "sendMessage":
		s.sendMessage(w, r)
	case "answerCallbackQuery":
		s.answerCallbackQuery(w, r)
	case "sendChatAction":
		s.sendChatAction(w, r)
	case "getFile":
		s.getFile(w, r)
	case "sendPhoto":
		s.sendUpload(w, r, "photo")
	case "sendDocument":
		s.sendUpload(w, r, "document")
	case "setWebhook", "deleteWebhook", "getWebhookInfo":
		s.serveWebhookMethod(w, r, method)
	default:
		writeError(w, http.StatusNotFound, "Not Found: method not found", 0)
	}
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.FormValue("offset"))
	timeout, _ := strconv.Atoi(r.FormValue("timeout"))
	limit, _ := strconv.Atoi(r.FormValue("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	var allowed []string
	if a := r.FormValue("allowed_updates"); a != "" {
		if err := json.Unmarshal([]byte(a), &allowed); err != nil {
			writeError(w, http.StatusBadRequest, "Bad Request: can't parse allowed_updates", 0)
			return
		}
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()

	s.mu.Lock()
	if s.webhook.url != "" {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 0)
		return
	}
	if len(s.pollFails) > 0 {
		f := s.pollFails[0]
		s.pollFails = s.pollFails[1:]
		s.mu.Unlock()
		writeInjected(w, f)
		return
	}
	// Like Telegram, a new poll ends the one in flight with 409.
	s.pollGen++
	gen := s.pollGen
	if offset > 0 {
		s.queue = slices.DeleteFunc(s.queue, func(q queued) bool { return q.id < offset })
		s.offset = max(s.offset, offset)
	}
	s.notifyLocked()
	for {
		if gen != s.pollGen {
			s.mu.Unlock()
			writeError(w, http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", 0)
			return
		}
		var batch []json.RawMessage
		for _, q := range s.queue {
			if len(batch) == limit {
				break
			}
			if len(allowed) == 0 || slices.Contains(allowed, q.kind) {
				batch = append(batch, q.raw)
			}
		}
		if len(batch) > 0 {
			s.mu.Unlock()
			writeOK(w, batch)
			return
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			writeOK(w, []json.RawMessage{})
			return
		case <-s.done:
			writeOK(w, []json.RawMessage{})
			return
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	chatID, err := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[chatID]++
	defer s.notifyLocked()
	if len(s.sendFails) > 0 {
		f := s.sendFails[0]
		s.sendFails = s.sendFails[1:]
		writeInjected(w, f)
		return
	}
	if s.blocked[chatID] {
		writeInjected(w, injected{code: http.StatusForbidden})
		return
	}
	msg := SentMessage{ChatID: chatID, Text: r.FormValue("text"), ParseMode: r.FormValue("parse_mode"), At: time.Now()}
	switch n := utf8.RuneCountInString(strings.TrimSpace(msg.Text)); {
	case n == 0:
		writeError(w, http.StatusBadRequest, "Bad Request: message text is empty", 0)
		return
	case n > 4096:
		writeError(w, http.StatusBadRequest, "Bad Request: message is too long", 0)
		return
	}
	if markup := r.FormValue("reply_markup"); markup != "" {
		buttons, desc := parseInlineKeyboard(markup)
		if desc != "" {
			writeError(w, http.StatusBadRequest, "Bad Request: "+desc, 0)
			return
		}
		msg.Buttons = buttons
		msg.ReplyMarkup = json.RawMessage(markup)
	}
	msg.MessageID = s.nextMsgIDLocked()
	s.sent = append(s.sent, msg)
	result := map[string]any{
		"message_id": msg.MessageID,
		"from":       map[string]any{"id": BotID, "is_bot": true, "first_name": "Sapa", "username": BotUsername},
		"chat":       privateChat(chatID),
		"date":       time.Now().Unix(),
		"text":       msg.Text,
	}
	if msg.ReplyMarkup != nil {
		result["reply_markup"] = msg.ReplyMarkup
	}
	if s.loseAnswers > 0 {
		s.loseAnswers--
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	writeOK(w, result)
}

// parseInlineKeyboard reads reply_markup and checks the inline keyboard the
// way Telegram does; desc is Telegram's error description when it is invalid.
func parseInlineKeyboard(markup string) (rows [][]Button, desc string) {
	var kb struct {
		InlineKeyboard [][]struct {
			Text         string  `json:"text"`
			CallbackData *string `json:"callback_data"`
			URL          *string `json:"url"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(markup), &kb); err != nil {
		return nil, "can't parse reply keyboard markup JSON object"
	}
	for _, row := range kb.InlineKeyboard {
		var out []Button
		for _, b := range row {
			if b.Text == "" {
				return nil, "text buttons are unallowed in the inline keyboard"
			}
			if b.URL == nil && (b.CallbackData == nil || *b.CallbackData == "" || len(*b.CallbackData) > 64) {
				return nil, "BUTTON_DATA_INVALID"
			}
			data := ""
			if b.CallbackData != nil {
				data = *b.CallbackData
			}
			out = append(out, Button{Text: b.Text, Data: data})
		}
		rows = append(rows, out)
	}
	return rows, ""
}

func (s *Server) answerCallbackQuery(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("callback_query_id")
	if id == "" {
		writeError(w, http.StatusBadRequest, "Bad Request: query is too old and response timeout expired or query ID is invalid", 0)
		return
	}
	s.mu.Lock()
	s.answered = append(s.answered, id)
	s.notifyLocked()
	s.mu.Unlock()
	writeOK(w, true)
}

func (s *Server) sendChatAction(w http.ResponseWriter, r *http.Request) {
	chatID, err := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	action := r.FormValue("action")
	if err != nil || action == "" {
		writeError(w, http.StatusBadRequest, "Bad Request: chat_id and action are required", 0)
		return
	}
	s.mu.Lock()
	blocked := s.blocked[chatID]
	if !blocked {
		s.actions = append(s.actions, ChatAction{ChatID: chatID, Action: action})
		s.notifyLocked()
	}
	s.mu.Unlock()
	if blocked {
		writeInjected(w, injected{code: http.StatusForbidden})
		return
	}
	writeOK(w, true)
}

func citizen(id int64) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": citizenName, "last_name": citizenLast, "language_code": "id"}
}

func privateChat(id int64) map[string]any {
	return map[string]any{"id": id, "type": "private", "first_name": citizenName, "last_name": citizenLast}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func writeOK(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func writeInjected(w http.ResponseWriter, f injected) {
	switch f.code {
	case http.StatusTooManyRequests:
		writeError(w, f.code, fmt.Sprintf("Too Many Requests: retry after %d", f.retryAfter), f.retryAfter)
	case http.StatusForbidden:
		writeError(w, f.code, "Forbidden: bot was blocked by the user", 0)
	default:
		writeError(w, f.code, http.StatusText(f.code), f.retryAfter)
	}
}

func writeError(w http.ResponseWriter, code int, desc string, retryAfter int) {
	body := map[string]any{"ok": false, "error_code": code, "description": desc}
	if retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	writeJSON(w, code, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The client may be gone (a cancelled long poll): nothing to do about it.
	_ = json.NewEncoder(w).Encode(v)
}
