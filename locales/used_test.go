package locales

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// textCalls are the calls that take a locale key, whatever their receiver:
// Bundle.T and Bundle.Has, and the packages' own tr and text helpers.
var textCalls = map[string]bool{"T": true, "Has": true, "tr": true, "text": true}

var wholeKey = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z0-9_]+)+$`)

// TestEveryKeyNamedInTheCodeExists reads every package of the repository,
// not only the engine (whose keys built at run time conversation's
// TestLocaleKeysExist checks): each key written whole in a call that takes
// one must be in the default language, or a citizen or an officer reads
// "[key]" instead of a sentence.
func TestEveryKeyNamedInTheCodeExists(t *testing.T) {
	texts, err := Load(FS)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	fset := token.NewFileSet()
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != ".." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			// x.T(...) or tr(...): the name called, whatever the receiver.
			name, _ := call.Fun.(*ast.Ident)
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				name = sel.Sel
			}
			if name == nil || !textCalls[name.Name] {
				return true
			}
			for _, arg := range call.Args {
				lit, ok := arg.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				if key, err := strconv.Unquote(lit.Value); err == nil && wholeKey.MatchString(key) {
					seen++
					if !texts.Has(key) {
						t.Errorf("%s: locale key %q is not in locales/%s", fset.Position(lit.Pos()), key, DefaultLang)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The engine alone names more than a hundred: fewer means the scan
	// no longer recognises the calls.
	t.Logf("%d keys named in calls", seen)
	if seen < 100 {
		t.Errorf("found only %d keys in calls: the scan is broken", seen)
	}
}
