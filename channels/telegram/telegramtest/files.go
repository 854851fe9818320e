package telegramtest

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/services"
)

// SentFile is one photo or document the bot uploaded with sendPhoto or
// sendDocument.
type SentFile struct {
	MessageID int
	ChatID    int64
	Method    string // "sendPhoto" or "sendDocument"
	Caption   string
	FileName  string // the name of the uploaded part
	Size      int    // bytes uploaded
	Data      []byte
}

// mediaState is the part of Server that deals with files; guarded by
// Server.mu.
type mediaState struct {
	files     map[string]storedFile // by file_id
	downloads map[string]int        // by file_id
	sent      []SentFile
	fails     []injected
}

type storedFile struct {
	path string
	data []byte
}

// PutFile registers the bytes of a file citizens can send, as Telegram keeps
// them, and returns the file_path getFile will give for it.
func (s *Server) PutFile(fileID string, data []byte) (filePath string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.media.files == nil {
		s.media.files = make(map[string]storedFile)
		s.media.downloads = make(map[string]int)
	}
	filePath = fmt.Sprintf("documents/file_%d", len(s.media.files)+1)
	s.media.files[fileID] = storedFile{path: filePath, data: slices.Clone(data)}
	return filePath
}

// Downloads counts the downloads of a file registered by PutFile.
func (s *Server) Downloads(fileID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.media.downloads[fileID]
}

// PushPhoto queues a photo from a citizen in a private chat and returns its
// update id. Like Telegram it lists a thumbnail ("<fileID>-thumb", not
// downloadable) before the full size fileID, whose file_size is that of the
// bytes registered by PutFile, if any.
func (s *Server) PushPhoto(chatID, fromID int64, fileID, caption string) (updateID int) {
	return s.pushPhoto(chatID, fromID, fileID, caption, "")
}

func (s *Server) pushPhoto(chatID, fromID int64, fileID, caption, group string) (updateID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	full := map[string]any{"file_id": fileID, "file_unique_id": "u-" + fileID, "width": 1280, "height": 960}
	if f, ok := s.media.files[fileID]; ok {
		full["file_size"] = len(f.data)
	}
	msg := s.mediaMessageLocked(chatID, fromID, caption)
	if group != "" {
		msg["media_group_id"] = group
	}
	msg["photo"] = []map[string]any{
		{"file_id": fileID + "-thumb", "file_unique_id": "u-" + fileID + "-thumb", "width": 90, "height": 67, "file_size": 1200},
		full,
	}
	return s.pushLocked("message", map[string]any{"message": msg})
}

// PushAlbum queues photos sent together as one album (a media group):
// Telegram delivers each as an update of its own, one after the other,
// sharing a media_group_id; a caption, when given, is the photo's own. It
// returns the update id of the last.
func (s *Server) PushAlbum(chatID, fromID int64, group string, fileIDs, captions []string) (updateID int) {
	for i, id := range fileIDs {
		caption := ""
		if i < len(captions) {
			caption = captions[i]
		}
		updateID = s.pushPhoto(chatID, fromID, id, caption, group)
	}
	return updateID
}

// PushDocument queues a document (a file sent "as file") from a citizen in
// a private chat and returns its update id. Its file_size is that of the
// bytes registered by PutFile, if any.
func (s *Server) PushDocument(chatID, fromID int64, fileID, fileName, mime, caption string) (updateID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := map[string]any{"file_id": fileID, "file_unique_id": "u-" + fileID, "file_name": fileName, "mime_type": mime}
	if f, ok := s.media.files[fileID]; ok {
		doc["file_size"] = len(f.data)
	}
	msg := s.mediaMessageLocked(chatID, fromID, caption)
	msg["document"] = doc
	return s.pushLocked("message", map[string]any{"message": msg})
}

func (s *Server) mediaMessageLocked(chatID, fromID int64, caption string) map[string]any {
	msg := map[string]any{
		"message_id": s.nextMsgIDLocked(),
		"from":       citizen(fromID),
		"chat":       privateChat(chatID),
		"date":       time.Now().Unix(),
	}
	if caption != "" {
		msg["caption"] = caption
	}
	return msg
}

// FailNextFileSends makes the next n sendPhoto or sendDocument calls fail
// like FailNextSends does for sendMessage.
func (s *Server) FailNextFileSends(code, retryAfter, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.media.fails = append(s.media.fails, injected{code: code, retryAfter: retryAfter})
	}
}

// SentFiles returns every file uploaded so far, in order.
func (s *Server) SentFiles() []SentFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.media.sent)
}

func (s *Server) sentFilesToLocked(chatID int64) []SentFile {
	var out []SentFile
	for _, f := range s.media.sent {
		if f.ChatID == chatID {
			out = append(out, f)
		}
	}
	return out
}

// WaitFiles waits until the chat has received at least n files and returns
// all of them; it fails t after timeout. Call it from the test goroutine.
func (s *Server) WaitFiles(t testing.TB, chatID int64, n int, timeout time.Duration) []SentFile {
	t.Helper()
	var got []SentFile
	if !s.waitFor(timeout, func() bool {
		got = s.sentFilesToLocked(chatID)
		return len(got) >= n
	}) {
		t.Fatalf("telegramtest: chat %d has %d files after %s, want %d", chatID, len(got), timeout, n)
	}
	return got
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("file_id")
	s.mu.Lock()
	f, ok := s.media.files[id]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, "Bad Request: invalid file_id", 0)
		return
	}
	writeOK(w, map[string]any{"file_id": id, "file_unique_id": "u-" + id, "file_size": len(f.data), "file_path": f.path})
}

// serveFile answers GET /file/bot{token}/{path}.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	token, path, ok := strings.Cut(rest, "/")
	if !ok || token != s.token {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	var data []byte
	found := false
	for id, f := range s.media.files {
		if f.path == path {
			data, found = f.data, true
			s.media.downloads[id]++
			break
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	if !found {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// sendUpload records a sendPhoto or sendDocument whose file part is field.
// Like Telegram, sendPhoto refuses bytes that are not an image.
func (s *Server) sendUpload(w http.ResponseWriter, r *http.Request, field string) {
	chatID, err := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return
	}
	part, header, err := r.FormFile(field)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: there is no "+field+" in the request", 0)
		return
	}
	data, err := io.ReadAll(part)
	_ = part.Close()
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}
	method := "sendDocument"
	if field == "photo" {
		method = "sendPhoto"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	if len(s.media.fails) > 0 {
		f := s.media.fails[0]
		s.media.fails = s.media.fails[1:]
		writeInjected(w, f)
		return
	}
	if s.blocked[chatID] {
		writeInjected(w, injected{code: http.StatusForbidden})
		return
	}
	if mime, ok := services.SniffFile(data); field == "photo" && (!ok || mime == services.MIMEPDF) {
		writeError(w, http.StatusBadRequest, "Bad Request: IMAGE_PROCESS_FAILED", 0)
		return
	}
	if len([]rune(r.FormValue("caption"))) > 1024 {
		writeError(w, http.StatusBadRequest, "Bad Request: message caption is too long", 0)
		return
	}
	sent := SentFile{
		MessageID: s.nextMsgIDLocked(), ChatID: chatID, Method: method,
		Caption: r.FormValue("caption"), FileName: header.Filename, Size: len(data), Data: data,
	}
	s.media.sent = append(s.media.sent, sent)
	result := map[string]any{
		"message_id": sent.MessageID,
		"from":       map[string]any{"id": BotID, "is_bot": true, "first_name": "Sapa", "username": BotUsername},
		"chat":       privateChat(chatID),
		"date":       time.Now().Unix(),
	}
	if sent.Caption != "" {
		result["caption"] = sent.Caption
	}
	file := map[string]any{"file_id": fmt.Sprintf("sent-%d", sent.MessageID), "file_unique_id": fmt.Sprintf("us-%d", sent.MessageID), "file_size": len(data)}
	if field == "photo" {
		file["width"], file["height"] = 1280, 960
		result["photo"] = []map[string]any{file}
	} else {
		file["file_name"] = header.Filename
		result["document"] = file
	}
	writeOK(w, result)
}
