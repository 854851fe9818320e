package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// mediaOverhead is what encryption adds to a file on WhatsApp's media
// servers: padding to 16 bytes and a 10-byte MAC.
const mediaOverhead = 32

// errTooLarge stops a download that outgrew its cap.
var errTooLarge = errors.New("file larger than the bot takes")

// fetch downloads the file of ref and returns it as an attachment, judged
// by the file rules of services, so both channels take exactly the same
// files. The download goes into a temporary file in dir ("" for the
// system's) that refuses to grow past maxBytes, so a forged length cannot
// push a huge file through a small process; only a file within the cap is
// read into memory. refused is the Inbound.Media to report instead when the
// file is too large or not a type the bot takes; err is set when the
// download failed and may succeed later.
func fetch(ctx context.Context, api sender, ref *mediaRef, maxBytes int64, dir string) (att conversation.Attachment, refused string, err error) {
	if ref.declared > uint64(maxBytes) {
		return conversation.Attachment{}, services.FileRefusedSize, nil
	}
	f, err := os.CreateTemp(dir, "sapa-whatsapp-*") // 0600
	if err != nil {
		return conversation.Attachment{}, "", fmt.Errorf("download %s: %w", ref.media, err)
	}
	defer func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}()
	err = api.DownloadToFile(ctx, ref.msg, &cappedFile{File: f, limit: maxBytes + mediaOverhead})
	switch {
	case errors.Is(err, errTooLarge):
		return conversation.Attachment{}, services.FileRefusedSize, nil
	case err != nil:
		return conversation.Attachment{}, "", fmt.Errorf("download %s: %w", ref.media, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return conversation.Attachment{}, "", fmt.Errorf("read downloaded %s: %w", ref.media, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return conversation.Attachment{}, "", fmt.Errorf("read downloaded %s: %w", ref.media, err)
	}
	mime, refused := services.JudgeFile(data, maxBytes)
	if refused != "" {
		return conversation.Attachment{}, refused, nil
	}
	return conversation.Attachment{Kind: services.FileKind(mime), MIME: mime, Name: ref.name, Data: data}, "", nil
}

// cappedFile is a file that fails any write past limit bytes. It is not an
// *os.File, so whatsmeow does not reserve the length the server announces
// either.
type cappedFile struct {
	*os.File
	limit int64
}

func (c *cappedFile) Write(p []byte) (int, error) {
	off, err := c.File.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	if off+int64(len(p)) > c.limit {
		return 0, errTooLarge
	}
	return c.File.Write(p)
}

func (c *cappedFile) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > c.limit {
		return 0, errTooLarge
	}
	return c.File.WriteAt(p, off)
}

func (c *cappedFile) Truncate(size int64) error {
	if size > c.limit {
		return errTooLarge
	}
	return c.File.Truncate(size)
}

// ReadFrom copies through Write: *os.File's own ReadFrom, which io.Copy
// prefers (whatsmeow copies the response body with it), would bypass the
// cap.
func (c *cappedFile) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(onlyWriter{c}, r)
}

// WriteString writes through Write, for the same reason.
func (c *cappedFile) WriteString(s string) (int, error) { return c.Write([]byte(s)) }

// onlyWriter hides every method of a writer but Write.
type onlyWriter struct{ io.Writer }
