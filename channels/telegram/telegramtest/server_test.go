package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func call(t *testing.T, s *Server, token, method string, form url.Values) apiResponse {
	t.Helper()
	resp, err := http.PostForm(s.URL()+"/bot"+token+"/"+method, form)
	if err != nil {
		t.Errorf("%s: %v", method, err) // not Fatal: called from goroutines too
		return apiResponse{}
	}
	defer resp.Body.Close()
	var r apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Errorf("%s: decode: %v", method, err)
	}
	if !r.OK && resp.StatusCode != r.ErrorCode {
		t.Errorf("%s: HTTP %d but error_code %d", method, resp.StatusCode, r.ErrorCode)
	}
	return r
}

func updateIDs(t *testing.T, r apiResponse) []int {
	t.Helper()
	var ups []struct {
		UpdateID int `json:"update_id"`
	}
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		t.Fatalf("decode updates: %v", err)
	}
	ids := make([]int, len(ups))
	for i, u := range ups {
		ids[i] = u.UpdateID
	}
	return ids
}

func TestServerOffsetConfirmsUpdates(t *testing.T) {
	s := NewServer(t, "tok")
	a := s.PushText(1, 1, "a")
	b := s.PushCallback(1, 1, "x")

	if ids := updateIDs(t, call(t, s, "tok", "getUpdates", nil)); len(ids) != 2 || ids[0] != a || ids[1] != b {
		t.Fatalf("first poll = %v, want [%d %d]", ids, a, b)
	}
	// Without a higher offset nothing is confirmed: the same updates again.
	if ids := updateIDs(t, call(t, s, "tok", "getUpdates", url.Values{"allowed_updates": {`["callback_query"]`}})); len(ids) != 1 || ids[0] != b {
		t.Fatalf("filtered poll = %v, want [%d]", ids, b)
	}
	if ids := updateIDs(t, call(t, s, "tok", "getUpdates", url.Values{"offset": {"2"}})); len(ids) != 1 || ids[0] != b {
		t.Fatalf("poll from offset 2 = %v, want [%d]", ids, b)
	}
	if s.Offset() != 2 {
		t.Errorf("Offset = %d, want 2", s.Offset())
	}

	// A long poll returns as soon as an update arrives: the update is
	// pushed once the poll waits.
	s.mu.Lock()
	polls := s.pollGen
	s.mu.Unlock()
	go func() {
		s.waitFor(5*time.Second, func() bool { return s.pollGen > polls })
		s.PushText(2, 2, "late")
	}()
	start := time.Now()
	ids := updateIDs(t, call(t, s, "tok", "getUpdates", url.Values{"offset": {"3"}, "timeout": {"5"}}))
	if len(ids) != 1 || time.Since(start) > 2*time.Second {
		t.Errorf("long poll = %v after %s", ids, time.Since(start))
	}
	// An empty long poll waits for its timeout.
	start = time.Now()
	if ids := updateIDs(t, call(t, s, "tok", "getUpdates", url.Values{"offset": {"9"}, "timeout": {"1"}})); len(ids) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Errorf("empty long poll = %v after %s", ids, time.Since(start))
	}
	if got := s.Pending(); len(got) != 0 {
		t.Errorf("pending after offset 9 = %v", got)
	}
}

func TestServerSecondPollerConflicts(t *testing.T) {
	s := NewServer(t, "tok")
	first := make(chan apiResponse, 1)
	go func() { first <- call(t, s, "tok", "getUpdates", url.Values{"timeout": {"5"}}) }()
	if !s.waitFor(5*time.Second, func() bool { return s.pollGen == 1 }) {
		t.Fatal("the first poll never arrived")
	}
	call(t, s, "tok", "getUpdates", nil)
	if r := <-first; r.OK || r.ErrorCode != http.StatusConflict {
		t.Errorf("older poll = %+v, want 409", r)
	}
}

func TestServerSendMessage(t *testing.T) {
	s := NewServer(t, "tok")
	if r := call(t, s, "bad", "getMe", nil); r.ErrorCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %+v", r)
	}
	ok := call(t, s, "tok", "sendMessage", url.Values{
		"chat_id":      {"5"},
		"text":         {"Pilih"},
		"reply_markup": {`{"inline_keyboard":[[{"text":"1. A","callback_data":"a"}]]}`},
	})
	if !ok.OK {
		t.Fatalf("sendMessage: %+v", ok)
	}
	sent := s.WaitSent(t, 5, 1, time.Second)
	if sent[0].Text != "Pilih" || len(sent[0].Buttons) != 1 || sent[0].Buttons[0][0] != (Button{Text: "1. A", Data: "a"}) {
		t.Errorf("recorded %+v", sent[0])
	}

	for name, form := range map[string]url.Values{
		"empty text": {"chat_id": {"5"}, "text": {" "}},
		"long data":  {"chat_id": {"5"}, "text": {"x"}, "reply_markup": {`{"inline_keyboard":[[{"text":"t","callback_data":"` + strings.Repeat("d", 65) + `"}]]}`}},
		"no data":    {"chat_id": {"5"}, "text": {"x"}, "reply_markup": {`{"inline_keyboard":[[{"text":"t"}]]}`}},
	} {
		if r := call(t, s, "tok", "sendMessage", form); r.OK || r.ErrorCode != http.StatusBadRequest {
			t.Errorf("%s: %+v, want 400", name, r)
		}
	}

	s.FailNextSends(http.StatusTooManyRequests, 3, 1)
	r := call(t, s, "tok", "sendMessage", url.Values{"chat_id": {"5"}, "text": {"x"}})
	if r.ErrorCode != http.StatusTooManyRequests || r.Parameters == nil || r.Parameters.RetryAfter != 3 {
		t.Errorf("injected 429 = %+v", r)
	}
	s.BlockChat(6)
	if r := call(t, s, "tok", "sendMessage", url.Values{"chat_id": {"6"}, "text": {"x"}}); r.ErrorCode != http.StatusForbidden {
		t.Errorf("blocked chat = %+v", r)
	}
	if n := s.SendAttempts(5); n != 5 {
		t.Errorf("attempts to chat 5 = %d, want 5", n)
	}
	if n := len(s.Sent()); n != 1 {
		t.Errorf("sent = %d, want 1", n)
	}
}
