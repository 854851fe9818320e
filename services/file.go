package services

import (
	"bytes"
	"errors"
	"strings"
)

// The rules on the files a citizen may send: photos and PDFs, judged by
// their bytes (a name or a declared type can lie; the first bytes rarely
// do), up to a size cap. Every channel and the media store apply these
// same rules, so a file refused on one is refused on all.

// MaxFileBytes is the largest file a citizen may send: 10 MB, which is
// also the most Telegram's sendPhoto takes.
const MaxFileBytes = 10 << 20

// File types a citizen may send.
const (
	MIMEJPEG = "image/jpeg"
	MIMEPNG  = "image/png"
	MIMEWebP = "image/webp"
	MIMEPDF  = "application/pdf"
)

// Kinds of files, the values of StoredFile.Kind.
const (
	FilePhoto    = "photo"
	FileDocument = "document"
)

// Why a file was refused, as channels report it in the Media field of an
// inbound message, for the engine to say which files it takes.
const (
	FileRefusedType   = "unsupported_file" // not JPEG, PNG, WebP or PDF by its bytes
	FileRefusedSize   = "too_large_file"   // over the size cap, or a picture with too many pixels
	FileRefusedActive = "active_pdf"       // a PDF with scripts or actions that run when it is opened
)

// fileExtensions maps each accepted type to the extension of its file name.
var fileExtensions = map[string]string{
	MIMEJPEG: "jpg",
	MIMEPNG:  "png",
	MIMEWebP: "webp",
	MIMEPDF:  "pdf",
}

var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

// SniffFile returns the type of data judged by its magic bytes alone, and
// whether it is a type a citizen may send.
func SniffFile(data []byte) (mime string, ok bool) {
	switch {
	case len(data) >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff:
		return MIMEJPEG, true
	case bytes.HasPrefix(data, pngSignature):
		return MIMEPNG, true
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return MIMEWebP, true
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return MIMEPDF, true
	default:
		return "", false
	}
}

// AcceptedFile reports whether mime is a type a citizen may send, and so
// one that may be shown to staff.
func AcceptedFile(mime string) bool {
	_, ok := fileExtensions[mime]
	return ok
}

// FileKind is the kind a file of an accepted type is kept as: PDFs are
// documents, images are photos.
func FileKind(mime string) string {
	if mime == MIMEPDF {
		return FileDocument
	}
	return FilePhoto
}

// FileExtension is the extension of a file of an accepted type, without
// the dot; "jpg" for anything else.
func FileExtension(mime string) string {
	if ext, ok := fileExtensions[mime]; ok {
		return ext
	}
	return "jpg"
}

// MayBeAcceptedFile guesses from what a sender declared (a type, a file
// name) whether a document is worth downloading; its bytes decide in the
// end. Some clients declare no useful type: the name is trusted that far.
func MayBeAcceptedFile(declaredMIME, name string) bool {
	switch strings.ToLower(strings.TrimSpace(declaredMIME)) {
	case MIMEPDF, MIMEJPEG, MIMEPNG, MIMEWebP, "image/jpg":
		return true
	case "", "application/octet-stream":
		name = strings.ToLower(name)
		for _, ext := range []string{".pdf", ".jpg", ".jpeg", ".png", ".webp"} {
			if strings.HasSuffix(name, ext) {
				return true
			}
		}
	}
	return false
}

// JudgeFile applies the rules to a file a citizen sent, as a channel
// receives it: it returns its type when the file is accepted, or why it is
// refused (FileRefusedSize over maxBytes, FileRefusedType when its bytes
// are not an accepted type, FileRefusedActive for a PDF that runs scripts
// or actions when opened).
func JudgeFile(data []byte, maxBytes int64) (mime, refused string) {
	if int64(len(data)) > maxBytes {
		return "", FileRefusedSize
	}
	mime, ok := SniffFile(data)
	if !ok {
		return "", FileRefusedType
	}
	if mime == MIMEPDF && ActivePDF(data) {
		return "", FileRefusedActive
	}
	return mime, ""
}

// JudgeContent looks inside a file JudgeFile accepted, before the bot keeps
// it for staff: a picture's header must be readable and within the pixels
// the bot decodes (FileRefusedType, FileRefusedSize: a small file claiming
// 30000 x 30000 pixels is a "pixel bomb" that would take gigabytes to
// show), and a PDF must not run scripts or actions (FileRefusedActive).
// Only the header is read. It returns "" when the file may be kept.
func JudgeContent(data []byte, mime string) (refused string) {
	switch mime {
	case MIMEPDF:
		if ActivePDF(data) {
			return FileRefusedActive
		}
		return ""
	case MIMEJPEG, MIMEPNG, MIMEWebP:
		if sniffed, _ := SniffFile(data); sniffed != mime {
			return FileRefusedType
		}
		if _, err := imageConfig(data, mime); errors.Is(err, ErrImageTooLarge) {
			return FileRefusedSize
		} else if err != nil {
			return FileRefusedType
		}
		return ""
	}
	return FileRefusedType
}
