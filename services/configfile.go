package services

import (
	"errors"
	"io/fs"

	"go.yaml.in/yaml/v3"
)

// ConfigFiles reads YAML files of an office's configuration and collects
// every problem found in them, each with its file and line
// ("letters/sktm.yaml:12: template "sktm": ..."), as LoadCatalog does:
// package letters reads the letter templates with it, so every
// configuration file is checked and reported the same way.
type ConfigFiles struct {
	l loader
}

// Read parses the file name of fsys and returns its top node; nil, with
// the problem recorded, when it cannot be read or parsed or is empty.
// Later problems name this file.
func (c *ConfigFiles) Read(fsys fs.FS, name string) *yaml.Node { return c.l.readFile(fsys, name) }

// At makes file the one later problems name, for a problem of a file that
// is not read.
func (c *ConfigFiles) At(file string) { c.l.file = file }

// Errorf records a problem at n's line of the current file, under ctx (a
// template, a signatory, ...) when it is not "".
func (c *ConfigFiles) Errorf(n *yaml.Node, ctx, format string, args ...any) {
	c.l.errorf(n, ctx, format, args...)
}

// Err is every problem recorded, joined, or nil.
func (c *ConfigFiles) Err() error { return errors.Join(c.l.errs...) }

// Mapping checks that n is a mapping with only the allowed keys, each
// once, recording a problem for any other.
func (c *ConfigFiles) Mapping(n *yaml.Node, ctx string, allowed ...string) ConfigMapping {
	return ConfigMapping{m: c.l.mapping(n, ctx, allowed...)}
}

// ConfigMapping is a mapping of a configuration file whose keys were
// checked.
type ConfigMapping struct {
	m *mapping
}

// Str returns the trimmed string under key and its node; a required one
// must be there and not blank.
func (m ConfigMapping) Str(key string, required bool) (string, *yaml.Node) {
	return m.m.str(key, required)
}

// Value is the node under key, nil when the key is absent.
func (m ConfigMapping) Value(key string) *yaml.Node {
	if v := m.m.vals[key]; v != nil {
		return resolve(v)
	}
	return nil
}
