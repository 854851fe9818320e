package locales

import "testing"

func TestFill(t *testing.T) {
	args := map[string]string{"ticket": "LKS-261127-0001", "name": "Siti {ticket}", "empty": ""}
	for _, tc := range []struct{ text, want string }{
		{"Nomor tiket: {ticket}.", "Nomor tiket: LKS-261127-0001."},
		{"{ticket}{ticket}", "LKS-261127-0001LKS-261127-0001"},
		{"Halo {name}", "Halo Siti {ticket}"}, // values are not filled again
		{"{unknown} {ticket}", "{unknown} LKS-261127-0001"},
		{"{a{ticket}", "{aLKS-261127-0001"},
		{"open { only", "open { only"},
		{"close } only {ticket", "close } only {ticket"},
		{"[{empty}]", "[]"},
		{"", ""},
	} {
		if got := fill(tc.text, args); got != tc.want {
			t.Errorf("fill(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

// BenchmarkT is the submission answer with its five values:
// go test ./locales -run '^$' -bench T
func BenchmarkT(b *testing.B) {
	bundle, err := Load(FS)
	if err != nil {
		b.Fatal(err)
	}
	args := map[string]string{"service": "Surat Keterangan Tidak Mampu (SKTM)", "ticket": "LKS-261127-0001",
		"due": "27 November 2026", "days": "1", "unit": "Seksi Kesejahteraan Sosial"}
	b.ReportAllocs()
	for b.Loop() {
		bundle.T("id", "form.submitted", args)
	}
}
