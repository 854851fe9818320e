package services

import "testing"

func TestTitleName(t *testing.T) {
	for in, want := range map[string]string{
		"siti aminah":           "Siti Aminah",
		"SITI AMINAH":           "Siti Aminah",
		"  siti   AMINAH ":      "Siti Aminah",
		"m. yusuf":              "M. Yusuf",
		"ahmad bin abdullah":    "Ahmad bin Abdullah",
		"BINTI sulastri":        "Binti Sulastri", // a first name, not the particle
		"nur'aini":              "Nur'aini",
		"ma’ruf amin":           "Ma’ruf Amin",
		"siti-aminah":           "Siti-Aminah",
		"drs. h. slamet riyadi": "Drs. H. Slamet Riyadi",
		"budi santoso, s.pd":    "Budi Santoso, S.Pd",
		"ꦧꦸꦢꦶ":                  "ꦧꦸꦢꦶ",
		"":                      "",
		"\xffbudi":              "Budi",
		"élise":                 "Élise",
		"2 budi":                "2 Budi",
	} {
		if got := TitleName(in); got != want {
			t.Errorf("TitleName(%q) = %q, want %q", in, got, want)
		}
	}
}
