package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// DefaultMaxMedia is the largest photo or document downloaded, in bytes,
// when Config.MaxMedia is zero: the largest a citizen may send.
const DefaultMaxMedia = services.MaxFileBytes

// Timings of file transfers.
const (
	downloadTimeout = 2 * time.Minute // one getFile plus download; 10 MB on a slow village link
	downloadTries   = 3               // attempts when the file server fails or the network drops
)

// errFileTooLarge marks a file over the cap, declared or counted.
var errFileTooLarge = errors.New("file over the size cap")

// statusError is a download answered with another status than 200.
type statusError struct{ code int }

func (e statusError) Error() string { return fmt.Sprintf("file download answered HTTP %d", e.code) }

// retryable tells whether a failed getFile or download may succeed later.
func retryable(err error) bool {
	var apiErr *tgbotapi.Error
	var st statusError
	switch {
	case errors.Is(err, errFileTooLarge):
		return false
	case errors.As(err, &apiErr):
		return apiErr.Code == http.StatusTooManyRequests || apiErr.Code >= 500
	case errors.As(err, &st):
		return st.code == http.StatusTooManyRequests || st.code >= 500
	default:
		return true // the network, or a cut-off body
	}
}

// download fetches a file a citizen sent: getFile for its path, then a GET
// of the file URL built on the configured API base. A file declared or
// found larger than max fails with errFileTooLarge, without reading more
// than max+1 bytes of it.
func (b *Bot) download(ctx context.Context, fileID string, max int64) ([]byte, error) {
	file, err := b.api.GetFile(tgbotapi.FileConfig{FileID: fileID})
	if err != nil {
		var apiErr *tgbotapi.Error
		if errors.As(err, &apiErr) && strings.Contains(apiErr.Message, "file is too big") {
			// The Bot API serves files up to 20 MB only.
			return nil, fmt.Errorf("get file %s: %w", fileID, errFileTooLarge)
		}
		return nil, fmt.Errorf("get file %s: %w", fileID, err)
	}
	if int64(file.FileSize) > max {
		return nil, fmt.Errorf("get file %s of %d bytes: %w", fileID, file.FileSize, errFileTooLarge)
	}
	if file.FilePath == "" {
		return nil, fmt.Errorf("get file %s: no file path in the answer", fileID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.FileURL(file.FilePath), nil)
	if err != nil {
		return nil, fmt.Errorf("download file %s: %w", fileID, b.client.scrub(err))
	}
	resp, err := b.files.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download file %s: %w", fileID, b.client.scrub(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download file %s: %w", fileID, statusError{resp.StatusCode})
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("download file %s: %w", fileID, b.client.scrub(err))
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("download file %s: more than %d bytes: %w", fileID, max, errFileTooLarge)
	}
	return data, nil
}

// fileRef is the file a message carries that is worth downloading.
type fileRef struct {
	id       string
	name     string
	declared int64
}

// attach downloads the photo or document of m into in.Attachments, its
// type judged by its bytes. A file the bot does not take leaves no
// attachment and sets in.Media to say why (unsupported_file,
// too_large_file), for the engine to explain. It fails only when the file
// could not be had for a reason that may pass (network, Telegram's 5xx):
// the update is then handled again later.
func (b *Bot) attach(ctx context.Context, chatID int64, m *tgbotapi.Message, in *conversation.Inbound) error {
	var ref fileRef
	switch {
	case len(m.Photo) > 0:
		// Telegram lists the sizes it made, smallest first: the last is
		// the one a reader can zoom into.
		p := m.Photo[len(m.Photo)-1]
		ref = fileRef{id: p.FileID, declared: int64(p.FileSize)}
	case m.Document != nil && m.Animation == nil:
		if !services.MayBeAcceptedFile(m.Document.MimeType, m.Document.FileName) {
			in.Media = services.FileRefusedType
			b.log.Info("telegram file refused: declared type not accepted", "chat", maskChat(chatID), "message", in.MessageID)
			return nil
		}
		ref = fileRef{id: m.Document.FileID, name: m.Document.FileName, declared: int64(m.Document.FileSize)}
	default:
		return nil
	}
	if ref.declared > b.maxMedia {
		in.Media = services.FileRefusedSize
		b.log.Info("telegram file refused: too large", "chat", maskChat(chatID), "message", in.MessageID, "size", ref.declared)
		return nil
	}

	dctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	var (
		data []byte
		err  error
		wait = dispatch.Backoff{Min: b.sendBackoff}
	)
	for try := 1; ; try++ {
		data, err = b.download(dctx, ref.id, b.maxMedia)
		if err == nil || !retryable(err) || try >= downloadTries {
			break
		}
		delay := wait.Next()
		b.log.Debug("telegram file download retry", "chat", maskChat(chatID), "message", in.MessageID, "retry_in", delay, "err", err)
		if !dispatch.Sleep(dctx, delay) {
			break
		}
	}
	switch {
	case errors.Is(err, errFileTooLarge):
		in.Media = services.FileRefusedSize
		b.log.Info("telegram file refused: too large", "chat", maskChat(chatID), "message", in.MessageID)
		return nil
	case err != nil && retryable(err):
		return fmt.Errorf("download %s of message %s: %w", in.Media, in.MessageID, err)
	case err != nil:
		// Telegram refuses the file id for good: nothing will change on
		// a retry, and the engine answers the message as it stands.
		b.log.Warn("telegram file not downloadable", "chat", maskChat(chatID), "message", in.MessageID, "err", err)
		return nil
	}
	mime, refused := services.JudgeFile(data, b.maxMedia)
	if refused != "" {
		in.Media = refused
		b.log.Info("telegram file refused: content not accepted", "chat", maskChat(chatID), "message", in.MessageID, "size", len(data), "reason", refused)
		return nil
	}
	in.Attachments = append(in.Attachments, conversation.Attachment{
		Kind: services.FileKind(mime), MIME: mime, Name: ref.name, Data: data,
	})
	return nil
}

// PhotoFile is a stored photo or PDF to send to a chat, in the form every
// channel takes.
type PhotoFile = dispatch.File

// fileItems checks files and makes them outbox items.
func fileItems(files []PhotoFile) ([]outItem, error) {
	items := make([]outItem, 0, len(files))
	for i, f := range files {
		if f.Open == nil {
			return nil, fmt.Errorf("file %d has no Open", i)
		}
		if !services.AcceptedFile(f.MIME) {
			return nil, fmt.Errorf("file %d has type %q", i, f.MIME)
		}
		items = append(items, outItem{file: &f})
	}
	return items, nil
}

// sendFile sends one file, as a photo when it is an image and as a
// document otherwise. An image Telegram refuses as a photo (dimensions it
// will not scale) goes out again as a document: the staff must see it.
func (b *Bot) sendFile(ctx context.Context, chatID int64, f PhotoFile) error {
	name := f.Name
	if name == "" {
		name = "file." + services.FileExtension(f.MIME)
	}
	build := func(asPhoto bool) func() (tgbotapi.Chattable, func(), error) {
		return func() (tgbotapi.Chattable, func(), error) {
			rc, err := f.Open()
			if err != nil {
				return nil, nil, fmt.Errorf("open %s: %w", name, err)
			}
			// The library closes the reader only after a complete upload.
			var once sync.Once
			done := func() { once.Do(func() { _ = rc.Close() }) }
			upload := tgbotapi.FileReader{Name: name, Reader: rc}
			if asPhoto {
				return tgbotapi.NewPhoto(chatID, upload), done, nil
			}
			return tgbotapi.NewDocument(chatID, upload), done, nil
		}
	}
	if f.MIME == services.MIMEPDF {
		return b.sendWith(ctx, chatID, build(false))
	}
	err := b.sendWith(ctx, chatID, build(true))
	if kind, _ := classify(err); err != nil && kind == failRejected {
		b.log.Info("telegram photo refused, sending it as a document", "chat", maskChat(chatID), "err", err)
		return b.sendWith(ctx, chatID, build(false))
	}
	return err
}
