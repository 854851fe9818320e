package dispatch

import (
	"io"

	"github.com/leksono/sapa/services"
)

// File is a stored photo or PDF a channel sends to a chat: every channel
// takes files in this one form. Open is called for each attempt, so a
// retried upload starts from the first byte.
type File struct {
	Name string // file name shown with a document; "" for a default
	MIME string // image/jpeg, image/png, image/webp or application/pdf
	Open func() (io.ReadCloser, error)
}

// StoredFiles are the files of a reply (conversation.Reply.Files) as a
// channel sends them, each read through open: the media store's, which a
// channel does not import.
func StoredFiles(files []services.StoredFile, open func(services.StoredFile) (io.ReadCloser, error)) []File {
	out := make([]File, 0, len(files))
	for _, f := range files {
		out = append(out, File{MIME: f.MIME, Open: func() (io.ReadCloser, error) { return open(f) }})
	}
	return out
}
