package services

import (
	"bytes"
	"compress/zlib"
	"io"
)

// activePDFNames are the PDF names of content that does something when a
// file is opened or shown, beyond showing pages: scripts, launching
// programs, embedded files, rich media, form submission and XFA forms. A
// plain /OpenAction or /URI (open at page one, a web link) is common in
// ordinary letters and is not on the list; what an action would run is.
var activePDFNames = map[string]bool{
	"JavaScript": true, "JS": true, "Launch": true, "EmbeddedFile": true, "EmbeddedFiles": true,
	"RichMedia": true, "SubmitForm": true, "ImportData": true, "XFA": true,
}

// maxPDFInflate bounds how many bytes ActivePDF inflates from a PDF's
// compressed streams, so a compression bomb cannot make it allocate without
// end.
const maxPDFInflate = 64 << 20

// ActivePDF reports whether a PDF holds scripts or actions that run when it
// is opened (activePDFNames), looking in its objects and in its compressed
// streams, where object streams hide dictionaries, and reading names
// written with #xx escapes ("/J#61vaScript") as a reader would. A PDF
// whose streams inflate past the bound counts as active: it cannot be
// cleared.
func ActivePDF(data []byte) bool {
	budget := maxPDFInflate
	return activePDF(data, &budget, true)
}

func activePDF(data []byte, budget *int, top bool) bool {
	if hasActiveName(data) {
		return true
	}
	if !top {
		return false // a stream inside a stream is not a PDF construct
	}
	for rest := data; ; {
		i := bytes.Index(rest, []byte("stream"))
		if i < 0 {
			return false
		}
		dict := rest[max(0, i-256):i]
		body := rest[i+len("stream"):]
		body = bytes.TrimPrefix(bytes.TrimPrefix(body, []byte("\r")), []byte("\n"))
		end := bytes.Index(body, []byte("endstream"))
		if end < 0 {
			end = len(body)
		}
		// Pictures are most of a scanned letter's bytes and hold no names.
		if !bytes.Contains(dict, []byte("/Image")) {
			inflated, ok := inflate(body[:end], budget)
			if !ok {
				return true
			}
			if activePDF(inflated, budget, false) {
				return true
			}
		}
		rest = body[end:]
		if len(rest) >= len("endstream") {
			rest = rest[len("endstream"):]
		}
	}
}

// inflate decompresses a zlib (FlateDecode) stream within budget, which it
// lowers. It returns nothing for a stream that is not zlib, and false once
// the budget is spent.
func inflate(stream []byte, budget *int) ([]byte, bool) {
	r, err := zlib.NewReader(bytes.NewReader(stream))
	if err != nil {
		return nil, true
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, int64(*budget)+1))
	if len(out) > *budget {
		return nil, false
	}
	*budget -= len(out)
	if err != nil && len(out) == 0 {
		return nil, true
	}
	return out, true
}

// hasActiveName reports whether data holds a PDF name of activePDFNames,
// its #xx escapes decoded.
func hasActiveName(data []byte) bool {
	for i := 0; i < len(data); i++ {
		if data[i] != '/' {
			continue
		}
		var name []byte
		j := i + 1
		for ; j < len(data) && !pdfDelimiter(data[j]); j++ {
			if data[j] == '#' && j+2 < len(data) {
				if v, ok := unhex(data[j+1], data[j+2]); ok {
					name = append(name, v)
					j += 2
					continue
				}
			}
			name = append(name, data[j])
		}
		if activePDFNames[string(name)] {
			return true
		}
		i = j - 1
	}
	return false
}

// pdfDelimiter reports whether c ends a PDF name: white space or a
// delimiter character.
func pdfDelimiter(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func unhex(a, b byte) (byte, bool) {
	d := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	hi, ok1 := d(a)
	lo, ok2 := d(b)
	return hi<<4 | lo, ok1 && ok2
}
