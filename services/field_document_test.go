package services

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// withDocuments is goodServices with three documents, and extraFields
// after them.
func withDocuments(extraFields string) string {
	return strings.Replace(goodServices, "      - {name: desa, type: village}\n",
		"      - {name: desa, type: village}\n"+
			"      - {name: pengantar_desa, type: document, max_files: 3, original: true, keywords: [pengantar]}\n"+
			"      - {name: foto_ktp, type: document, max_files: 1, keywords: [ktp]}\n"+
			"      - {name: foto_kk, type: document, min_files: 2, keywords: [kk, kartu keluarga]}\n"+extraFields, 1)
}

// servicesWith is withDocuments with the service standard's requirements.
func servicesWith(requirements, extraFields string) string {
	return strings.Replace(withDocuments(extraFields), "    keywords: [sktm]\n", "    keywords: [sktm]\n    requirements: "+requirements+"\n", 1)
}

func TestLoadDocumentFields(t *testing.T) {
	cat, err := loadSnippets(goodKecamatan, servicesWith("[pengantar_desa, foto_ktp, foto_kk, {name: materai, at_pickup: true}]", ""))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	s, _ := cat.Service("sktm")
	docs := s.Documents()
	if len(docs) != 3 {
		t.Fatalf("documents = %+v", docs)
	}
	if p := docs[0]; p.MinFiles != 1 || p.MaxFiles != 3 || !p.Original || !slices.Equal(p.Keywords, []string{"pengantar"}) {
		t.Errorf("pengantar_desa = %+v", p)
	}
	if k := docs[2]; k.MinFiles != 2 || k.MaxFiles != 2 || k.Original {
		t.Errorf("foto_kk = %+v: min_files 2 raises the default max to 2", k)
	}
	want := []Requirement{{Name: "pengantar_desa"}, {Name: "foto_ktp"}, {Name: "foto_kk"}, {Name: "materai", AtPickup: true}}
	if !slices.Equal(s.Requirements, want) {
		t.Errorf("requirements = %+v, want %+v", s.Requirements, want)
	}
	// The standard shows the requirements' labels, the brought one's too;
	// the free text of the old standard is no longer asked for.
	keys := cat.Keys()
	for _, k := range []string{"field.materai.label", "field.foto_kk.label"} {
		if !slices.Contains(keys, k) {
			t.Errorf("keys lack %s", k)
		}
	}
	for _, k := range []string{"service.sktm.requirements", "field.foto_kk.prompt"} {
		if slices.Contains(keys, k) {
			t.Errorf("keys still ask for %s", k)
		}
	}
}

// bot check refuses a standard that lists a document the form never asks
// for (unless it is brought at pick-up), and a document the form asks for
// that the standard does not list: the two come from the same entries.
func TestLoadRequirementsMustMatchTheForm(t *testing.T) {
	for _, tc := range []struct {
		requirements, extra string
		want                string
	}{
		{"[pengantar_desa, foto_ktp, foto_kk, surat_nikah]", "",
			`services.yaml:6: service "sktm", requirement "surat_nikah": the standard lists a document the form never asks for: add {name: surat_nikah, type: document} to the form, or write {name: surat_nikah, at_pickup: true}`},
		{"[pengantar_desa, foto_ktp]", "",
			`services.yaml:18: service "sktm", field "foto_kk": a document the standard does not list: add foto_kk to the service's requirements`},
		{"[pengantar_desa, foto_ktp, foto_kk, {name: foto_kk, at_pickup: true}]", "",
			`service "sktm", requirement "foto_kk": listed twice`},
		{"[pengantar_desa, foto_ktp, foto_kk, {name: nama, at_pickup: true}]", "",
			`service "sktm", requirement "nama": the form asks for it: remove at_pickup, or the field`},
		{"[pengantar_desa, foto_ktp, foto_kk, nama]", "",
			`service "sktm", requirement "nama": field "nama" is not of type document`},
		{"[pengantar_desa, foto_ktp, foto_kk, sk]", "      - {name: sk, type: document, optional: true, min_files: 2}\n",
			`service "sktm", field "sk": an optional document needs no min_files`},
		{"[pengantar_desa, foto_ktp, foto_kk]", "      - {name: x, type: text, original: true}\n",
			`service "sktm", field "x": "original" applies only to document fields`},
		{"[pengantar_desa, foto_ktp, foto_kk, y]", "      - {name: y, type: document, min_files: 4, max_files: 3}\n",
			`service "sktm", field "y": min_files 4 is greater than max_files 3`},
	} {
		_, err := loadSnippets(goodKecamatan, servicesWith(tc.requirements, tc.extra))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("requirements %s: err = %v\nwant %s", tc.requirements, err, tc.want)
		}
	}
	// A form with documents and no requirements at all lists none of them.
	_, err := loadSnippets(goodKecamatan, withDocuments(""))
	if err == nil || !strings.Contains(err.Error(), `field "foto_ktp": a document the standard does not list`) {
		t.Errorf("documents without requirements: %v", err)
	}
}

func sktmWithDocuments(t *testing.T) Service {
	t.Helper()
	cat, err := loadSnippets(goodKecamatan, servicesWith("[pengantar_desa, foto_ktp, foto_kk]", ""))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	s, _ := cat.Service("sktm")
	return s
}

func fieldsOf(placed []Placement) []string {
	out := make([]string, len(placed))
	for i, p := range placed {
		out[i] = p.Field
	}
	return out
}

func TestPlaceFiles(t *testing.T) {
	s := sktmWithDocuments(t)
	for _, tc := range []struct {
		data    map[string]string
		caption string
		n       int
		want    []string
		ok      bool
	}{
		// An album without captions fills the documents in the standard's order.
		{map[string]string{}, "", 4, []string{"pengantar_desa", "foto_ktp", "foto_kk", "foto_kk"}, true},
		// A caption sends the photo where it names, whatever the order.
		{map[string]string{}, "ini KK saya", 1, []string{"foto_kk"}, true},
		{map[string]string{}, "foto ktp", 1, []string{"foto_ktp"}, true},
		// Naming two documents names none: the first one missing takes it.
		{map[string]string{}, "ktp dan kk", 1, []string{"pengantar_desa"}, true},
		// Missing ones first, then room left (a second page of the pengantar).
		{map[string]string{"pengantar_desa": "1", "foto_ktp": "1", "foto_kk": "2"}, "", 1, []string{"pengantar_desa"}, true},
		// A named document already full: the next one with room.
		{map[string]string{"foto_ktp": "1"}, "ktp", 1, []string{"pengantar_desa"}, true},
		// No room anywhere.
		{map[string]string{"pengantar_desa": "3", "foto_ktp": "1", "foto_kk": "2"}, "", 1, nil, false},
	} {
		placed, ok := s.PlaceFiles(tc.data, tc.caption, tc.n)
		if got := fieldsOf(placed); ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("PlaceFiles(%v, %q, %d) = %v, %v; want %v, %v", tc.data, tc.caption, tc.n, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMissingDocuments(t *testing.T) {
	s := sktmWithDocuments(t)
	names := func(fs []Field) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	if got := names(s.MissingDocuments(map[string]string{"foto_ktp": "1", "foto_kk": "1"})); !slices.Equal(got, []string{"pengantar_desa", "foto_kk"}) {
		t.Errorf("missing = %v: the KK needs two files", got)
	}
	if got := s.MissingDocuments(map[string]string{"pengantar_desa": "2", "foto_ktp": "1", "foto_kk": "2"}); len(got) != 0 {
		t.Errorf("complete file misses %v", names(got))
	}
	if got := names(s.MissingDocuments(map[string]string{"pengantar_desa": "0", "foto_ktp": "x"})); len(got) != 3 {
		t.Errorf("\"0\" and unreadable counts are missing: %v", got)
	}
}

// FuzzPlaceFiles: whatever the caption and the counts so far, files go
// only to documents with room, never past max_files.
func FuzzPlaceFiles(f *testing.F) {
	f.Add("ini kk", 3, 0, 0, 0)
	f.Add("ktp dan kk", 5, 1, 1, 1)
	f.Add("", 1, 3, 1, 2)
	f.Add("PENGANTAR rt rw", 2, -1, 7, 0)
	cat, err := loadSnippets(goodKecamatan, servicesWith("[pengantar_desa, foto_ktp, foto_kk]", ""))
	if err != nil {
		f.Fatal(err)
	}
	s, _ := cat.Service("sktm")
	f.Fuzz(func(t *testing.T, caption string, n, pengantar, ktp, kk int) {
		n = min(max(n, 0), 20)
		data := map[string]string{"pengantar_desa": strconv.Itoa(pengantar), "foto_ktp": strconv.Itoa(ktp), "foto_kk": strconv.Itoa(kk)}
		placed, ok := s.PlaceFiles(data, caption, n)
		counts := map[string]int{}
		for _, d := range s.Documents() {
			counts[d.Name] = DocumentCount(data[d.Name])
		}
		for _, p := range placed {
			counts[p.Field]++
		}
		for _, d := range s.Documents() {
			if added := counts[d.Name] - DocumentCount(data[d.Name]); added > 0 && counts[d.Name] > d.MaxFiles {
				t.Fatalf("%s holds %d files, max %d", d.Name, counts[d.Name], d.MaxFiles)
			}
		}
		if ok != (len(placed) == n) {
			t.Fatalf("ok %v with %d of %d placed", ok, len(placed), n)
		}
	})
}
