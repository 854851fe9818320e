package services

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// document reads the options of a document field: min_files (default 1,
// 0 when optional), max_files (default 2), original, keywords.
func (l *loader) document(m *mapping, ctx string, f *Field) {
	if f.MaxFiles == 0 {
		f.MaxFiles = defaultDocumentMax
	}
	if !f.Optional {
		f.MinFiles = 1
	}
	if n, nn, ok := m.integer("min_files", false); ok {
		switch {
		case n < 1 || n > maxDocumentFiles:
			l.errorf(nn, ctx, "min_files must be 1 to %d, not %d (a document no one must send is optional: true)", maxDocumentFiles, n)
		case f.Optional:
			l.errorf(nn, ctx, "an optional document needs no min_files")
		default:
			f.MinFiles = n
			if m.vals["max_files"] == nil && f.MaxFiles < n {
				f.MaxFiles = n
			}
		}
	}
	if f.MinFiles > f.MaxFiles {
		l.errorf(m.node, ctx, "min_files %d is greater than max_files %d", f.MinFiles, f.MaxFiles)
	}
	f.Original, _ = m.boolean("original")
	f.Keywords, _ = m.words("keywords", false)
	if f.SkipIf != nil {
		l.errorf(m.node, ctx, "a document cannot be skip_if: the standard lists it for everyone")
	}
}

// requirements reads a service's standard requirements: each entry names a
// document field of the form ("foto_ktp"), or is {name, at_pickup: true}
// for one brought to the counter. The standard shows this list, so a
// document it names that the form never asks for, or one the form asks
// for that it does not name, is refused: the two would drift apart.
func (l *loader) requirements(m *mapping, ctx string, s Service, fields map[string]*yaml.Node) []Requirement {
	var out []Requirement
	docs := s.Documents()
	nodes := m.list("requirements", false)
	for i, n := range nodes {
		var r Requirement
		var at *yaml.Node
		rctx := fmt.Sprintf("%s, requirement #%d", ctx, i+1)
		if resolve(n).Kind == yaml.ScalarNode {
			r.Name, at = resolve(n).Value, n
		} else {
			rm := l.mapping(n, rctx, "name", "at_pickup")
			r.Name, at = rm.str("name", true)
			r.AtPickup, _ = rm.boolean("at_pickup")
		}
		if at == nil || r.Name == "" {
			continue
		}
		rctx = fmt.Sprintf("%s, requirement %q", ctx, r.Name)
		isDoc := slices.ContainsFunc(docs, func(f Field) bool { return f.Name == r.Name })
		switch {
		case !codeRe.MatchString(r.Name):
			l.errorf(at, rctx, "name must be lower-case letters, digits and _")
		case slices.ContainsFunc(out, func(p Requirement) bool { return p.Name == r.Name }):
			l.errorf(at, rctx, "listed twice")
		case r.AtPickup && fields[r.Name] != nil:
			l.errorf(at, rctx, "the form asks for it: remove at_pickup, or the field")
		case !r.AtPickup && !isDoc && fields[r.Name] != nil:
			l.errorf(at, rctx, "field %q is not of type document", r.Name)
		case !r.AtPickup && !isDoc:
			l.errorf(at, rctx, "the standard lists a document the form never asks for: add {name: %s, type: document} to the form, or write {name: %s, at_pickup: true} if it is brought to the counter", r.Name, r.Name)
		}
		out = append(out, r)
	}
	for _, f := range docs {
		if !slices.ContainsFunc(out, func(r Requirement) bool { return r.Name == f.Name }) {
			at := fields[f.Name]
			if at == nil {
				at = m.node
			}
			l.errorf(at, fmt.Sprintf("%s, field %q", ctx, f.Name), "a document the standard does not list: add %s to the service's requirements", f.Name)
		}
	}
	if len(docs) > 0 && s.Kind == KindComplaint {
		l.errorf(m.node, ctx, "a complaint has no requirements: use a photos field")
	}
	return out
}

// reuseDocuments reads reuse_documents: a document field name of a request
// form and the days a copy sent with one request stays good for the next
// ({foto_ktp: 1825, foto_kk: 365}).
func (l *loader) reuseDocuments(m *mapping, cat *Catalog) {
	v := m.get("reuse_documents", false)
	if v == nil {
		return
	}
	if v.Kind != yaml.MappingNode {
		l.errorf(v, "reuse_documents", "must map document names to days, like {foto_ktp: 1825}")
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, d := resolve(v.Content[i]), resolve(v.Content[i+1])
		name := k.Value
		isDoc := slices.ContainsFunc(cat.Services, func(s Service) bool {
			return s.Kind == KindRequest && slices.ContainsFunc(s.Documents(), func(f Field) bool { return f.Name == name })
		})
		days, err := strconv.Atoi(d.Value)
		switch {
		case !isDoc:
			l.errorf(k, "reuse_documents", "%q is not a document field of any request form", name)
		case d.Kind != yaml.ScalarNode || err != nil || days < 1:
			l.errorf(d, "reuse_documents", "%q: days must be a whole number of at least 1, not %q", name, d.Value)
		default:
			if cat.ReuseDocuments == nil {
				cat.ReuseDocuments = map[string]time.Duration{}
			}
			cat.ReuseDocuments[name] = time.Duration(days) * 24 * time.Hour
		}
	}
}
