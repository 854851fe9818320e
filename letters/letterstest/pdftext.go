// Package letterstest reads back the letters package's PDFs in tests: the
// text a letter shows and the streams it holds, as fpdf writes them. It is
// no general PDF reader.
package letterstest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Stream is one stream object of a PDF: its dictionary and its data,
// inflated when it was compressed.
type Stream struct {
	Dict string
	Data []byte
}

var lengthRe = regexp.MustCompile(`/Length (\d+)`)

// Streams reads every stream of a PDF as fpdf writes them ("n 0 obj
// <<...>> stream ... endstream"), inflating FlateDecode ones.
func Streams(pdf []byte) ([]Stream, error) {
	var out []Stream
	rest := pdf
	for {
		at := bytes.Index(rest, []byte("stream\n"))
		if at < 0 {
			return out, nil
		}
		head := rest[:at]
		if bytes.HasSuffix(head, []byte("end")) { // "endstream\n" is not a start
			rest = rest[at+len("stream\n"):]
			continue
		}
		dict := string(head[bytes.LastIndex(head, []byte(" obj"))+1:])
		m := lengthRe.FindStringSubmatch(dict)
		if m == nil {
			return nil, fmt.Errorf("stream without /Length: %q", dict)
		}
		n, _ := strconv.Atoi(m[1])
		start := at + len("stream\n")
		if start+n > len(rest) {
			return nil, fmt.Errorf("stream %q runs past the end of the PDF", dict)
		}
		data := rest[start : start+n]
		if strings.Contains(dict, "/FlateDecode") {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("inflate %q: %w", dict, err)
			}
			if data, err = io.ReadAll(r); err != nil {
				return nil, fmt.Errorf("inflate %q: %w", dict, err)
			}
		}
		out = append(out, Stream{Dict: dict, Data: data})
		rest = rest[start+n:]
	}
}

// Text is the text a PDF shows: the strings of every text operator (Tj) of
// its page contents, one per line, escapes undone. fpdf writes the core
// fonts' text as literal strings in cp1252, which is ASCII for the texts
// tests look for.
func Text(pdf []byte) (string, error) {
	streams, err := Streams(pdf)
	if err != nil {
		return "", err
	}
	var lines []string
	for _, o := range streams {
		if strings.Contains(o.Dict, "/Subtype") { // images, fonts
			continue
		}
		content := o.Data
		for i := 0; i < len(content); i++ {
			if content[i] != '(' {
				continue
			}
			var s []byte
			j := i + 1
			for ; j < len(content) && content[j] != ')'; j++ {
				c := content[j]
				if c == '\\' && j+1 < len(content) {
					j++
					switch e := content[j]; {
					case e == 'n':
						c = '\n'
					case e >= '0' && e <= '7':
						v, k := 0, 0
						for ; k < 3 && j+k < len(content) && content[j+k] >= '0' && content[j+k] <= '7'; k++ {
							v = v*8 + int(content[j+k]-'0')
						}
						j += k - 1
						c = byte(v)
					default:
						c = e
					}
				}
				s = append(s, c)
			}
			if j+1 <= len(content) && bytes.HasPrefix(bytes.TrimLeft(content[min(j+1, len(content)):], " "), []byte("Tj")) {
				lines = append(lines, string(s))
			}
			i = j
		}
	}
	return strings.Join(lines, "\n"), nil
}
