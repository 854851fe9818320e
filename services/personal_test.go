package services

import (
	"slices"
	"testing"
)

func TestPersonalFields(t *testing.T) {
	c := &Catalog{Services: []Service{
		{Form: []Field{{Name: "nik", Type: FieldNIK}, {Name: "nama", Type: FieldText}, {Name: "desa", Type: FieldVillage}}},
		{Form: []Field{{Name: "nik", Type: FieldNIK}, {Name: "kk_ortu", Type: FieldKK}, {Name: "lahir", Type: FieldDate},
			{Name: "telepon", Type: FieldPhone}, {Name: "lokasi", Type: FieldLocation}, {Name: "setuju", Type: FieldYesNo},
			{Name: "kategori", Type: FieldChoice}, {Name: "foto", Type: FieldPhotos}}},
	}}
	sensitive, personal := c.PersonalFields()
	if want := []string{"nik", "kk_ortu"}; !slices.Equal(sensitive, want) {
		t.Errorf("sensitive %q, want %q", sensitive, want)
	}
	if want := []string{"nama", "lahir", "telepon", "lokasi"}; !slices.Equal(personal, want) {
		t.Errorf("personal %q, want %q", personal, want)
	}
}
