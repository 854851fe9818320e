package services

import (
	"strconv"
	"strings"
)

// Documents as part of the form. A service standard lists what a citizen
// brings (PermenPAN-RB 15/2014: persyaratan); each such document that can be
// sent by chat is a form field of type document named after it (foto_ktp,
// foto_kk, pengantar_desa), and the standard's list is read from the same
// entries (Service.Requirements), so the two cannot drift. The answer of a
// document field is how many files the case holds for it: "0" when the
// citizen will send or bring it later.

// Requirement is one line of a service standard's requirements.
type Requirement struct {
	// Name is a document field of the form, or, with AtPickup, a document
	// that is never sent by chat; its text is field.<name>.label.
	Name string
	// AtPickup marks a document brought to the counter when the letter is
	// picked up (an original to be checked, a stamp): the form does not
	// ask for it.
	AtPickup bool
}

// Default file counts of a document field.
const (
	defaultDocumentMax = 2 // the front and back of a card, or two pages
	maxDocumentFiles   = 10
)

// Documents returns the form's document fields, in form order.
func (s Service) Documents() []Field {
	var out []Field
	for _, f := range s.Form {
		if f.Type == FieldDocument {
			out = append(out, f)
		}
	}
	return out
}

// DocumentCount reads a document field's answer: the files received for
// it. A missing or unreadable answer counts none.
func DocumentCount(value string) int {
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Complete reports whether a document field has the files it needs.
func (f Field) Complete(value string) bool {
	return DocumentCount(value) >= f.MinFiles
}

// MissingDocuments lists the document fields of the form that the answers
// leave incomplete, in form order. A case is complete, and its time limit
// starts, only when this is empty.
func (s Service) MissingDocuments(data map[string]string) []Field {
	var out []Field
	for _, f := range s.Documents() {
		if !f.Complete(data[f.Name]) {
			out = append(out, f)
		}
	}
	return out
}

// Placement is which document a file was taken for.
type Placement struct {
	Field string // the document field's name
	Named bool   // the caption named it; otherwise it went to the first one missing
}

// PlaceFiles decides which document each of n files sent together is for,
// given the counts so far (data, not changed). A caption that names one
// document ("ini KK", "pengantar") sends the files there; otherwise each
// file goes to the first document, in form order, still short of its
// min_files, then to the first with room left. ok is false for a file no
// document has room for.
func (s Service) PlaceFiles(data map[string]string, caption string, n int) (placed []Placement, ok bool) {
	docs := s.Documents()
	counts := make(map[string]int, len(docs))
	for _, f := range docs {
		counts[f.Name] = DocumentCount(data[f.Name])
	}
	named, hasNamed := MatchDocument(caption, docs)
	for range n {
		pick := -1
		if hasNamed && counts[named.Name] < named.MaxFiles {
			pick = indexOfField(docs, named.Name)
		}
		for i := 0; pick < 0 && i < len(docs); i++ {
			if counts[docs[i].Name] < docs[i].MinFiles {
				pick = i
			}
		}
		for i := 0; pick < 0 && i < len(docs); i++ {
			if counts[docs[i].Name] < docs[i].MaxFiles {
				pick = i
			}
		}
		if pick < 0 {
			return placed, false
		}
		counts[docs[pick].Name]++
		placed = append(placed, Placement{Field: docs[pick].Name, Named: hasNamed && docs[pick].Name == named.Name})
	}
	return placed, true
}

func indexOfField(fields []Field, name string) int {
	for i, f := range fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// MatchDocument finds the one document a caption names by a keyword of its
// field or its name written as words ("foto kk"). A caption naming none, or
// two, names nothing: a guess would file a KK as a KTP.
func MatchDocument(caption string, docs []Field) (Field, bool) {
	choices := make([]Choice, len(docs))
	for i, f := range docs {
		choices[i] = Choice{Value: f.Name, Keywords: append([]string{strings.ReplaceAll(f.Name, "_", " ")}, f.Keywords...)}
	}
	if i, ok := FindKeyword(caption, choices); ok {
		return docs[i], true
	}
	return Field{}, false
}
