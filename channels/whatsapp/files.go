package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/leksono/sapa/channels/dispatch"
	"github.com/leksono/sapa/services"
)

// maxUpload bounds what SendFiles reads of one file: WhatsApp takes
// documents up to 100 MB, and the files sent are the media store's, far
// smaller.
const maxUpload = 100 << 20

// File is a stored photo or PDF to send to a chat, in the form every
// channel takes. Open is called once per file; the bytes are read whole,
// since WhatsApp encrypts them before the upload.
type File = dispatch.File

// SendFiles sends files to a chat outside a conversation turn, typically a
// new complaint's photos to the staff after its notification: images as
// image messages, PDFs as documents, each with the caption, paced like
// every message. The chat rules of Send apply (ErrFirstContact). It stops
// at the first file that cannot be sent.
func (b *Bot) SendFiles(ctx context.Context, chatID, caption string, files []File) error {
	if len(files) == 0 {
		return errors.New("whatsapp send files: no files")
	}
	for i, f := range files {
		switch {
		case f.Open == nil:
			return fmt.Errorf("whatsapp send files: file %d has no Open", i)
		case !services.AcceptedFile(f.MIME):
			return fmt.Errorf("whatsapp send files: file %d has type %q", i, f.MIME)
		}
	}
	to, err := b.target(ctx, chatID)
	if err != nil {
		return err
	}
	for i, f := range files {
		if err := b.sendFile(ctx, chatID, to, caption, f); err != nil {
			return fmt.Errorf("file %d of %d: %w", i+1, len(files), err)
		}
	}
	return nil
}

// sendFile reads, uploads and sends one file.
func (b *Bot) sendFile(ctx context.Context, chatID string, to types.JID, caption string, f File) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("open file for %s: %w", services.MaskID(chatID), err)
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxUpload+1))
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read file for %s: %w", services.MaskID(chatID), err)
	}
	if len(data) > maxUpload {
		return fmt.Errorf("file for %s is over %d bytes", services.MaskID(chatID), maxUpload)
	}
	kind := whatsmeow.MediaImage
	if f.MIME == services.MIMEPDF {
		kind = whatsmeow.MediaDocument
	}
	up, err := b.upload(ctx, chatID, data, kind)
	if err != nil {
		return err
	}
	var msg *waE2E.Message
	if kind == whatsmeow.MediaImage {
		msg = &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			Caption:       optional(caption),
			Mimetype:      proto.String(f.MIME),
			URL:           proto.String(up.URL),
			DirectPath:    proto.String(up.DirectPath),
			MediaKey:      up.MediaKey,
			FileEncSHA256: up.FileEncSHA256,
			FileSHA256:    up.FileSHA256,
			FileLength:    proto.Uint64(up.FileLength),
		}}
	} else {
		name := f.Name
		if name == "" {
			name = "file.pdf"
		}
		msg = &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
			Caption:       optional(caption),
			Mimetype:      proto.String(f.MIME),
			FileName:      proto.String(name),
			Title:         proto.String(name),
			URL:           proto.String(up.URL),
			DirectPath:    proto.String(up.DirectPath),
			MediaKey:      up.MediaKey,
			FileEncSHA256: up.FileEncSHA256,
			FileSHA256:    up.FileSHA256,
			FileLength:    proto.Uint64(up.FileLength),
		}}
	}
	return b.sendMessage(ctx, b.sendKind(chatID), chatID, to, msg)
}

// upload encrypts and uploads data, retrying with backoff: uploads go to
// media servers that fail on their own.
func (b *Bot) upload(ctx context.Context, chatID string, data []byte, kind whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	wait := b.backoff()
	for try := 1; ; try++ {
		var up whatsmeow.UploadResponse
		err := b.onConnection(ctx, func(api conn) error {
			var err error
			up, err = api.Upload(ctx, data, kind)
			return err
		})
		if err == nil {
			return up, nil
		}
		if try >= b.sendTries || ctx.Err() != nil {
			return whatsmeow.UploadResponse{}, fmt.Errorf("upload file for %s after %d tries: %w", services.MaskID(chatID), try, err)
		}
		delay := wait.Next()
		b.log.Debug("whatsapp upload failed, retrying", "chat", services.MaskID(chatID), "retry_in", delay, "err", err)
		if !b.clock.Sleep(ctx, delay) {
			return whatsmeow.UploadResponse{}, fmt.Errorf("upload file for %s: stopped while waiting to retry: %w", services.MaskID(chatID), err)
		}
	}
}

// optional is nil for an empty string, so an empty caption is left out.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return proto.String(s)
}
