package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/consultation"
)

// TestConsultationPages: the camat previews a pasted file (a mistake is
// shown with its line), publishes it, reads the results per option and per
// village, quotes a comment, writes the response and closes; a petugas
// reads the same page without the forms, and cannot publish.
func TestConsultationPages(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	d.cfg.Consult = &casework.Consultations{Store: d.store, Messages: consultation.Messages{Texts: d.cfg.Texts, Catalog: d.cfg.Catalog}}
	d.url = d.serve(d.cfg)
	ctx := context.Background()
	closes := time.Now().AddDate(0, 0, 14).Format("2006-01-02") + " 16:00"
	file := "consultation:\n  code: jam-sabtu\n  title: Loket hari Sabtu\n  background: Banyak warga bekerja pada hari kerja.\n" +
		"  question: Perlukah loket buka Sabtu pagi?\n  kind: choice\n  comment: true\n  closes: \"" + closes + "\"\n" +
		"  options:\n    - {code: perlu, label: Perlu}\n    - {code: tidak, label: Tidak perlu}\n"

	camat := d.browser()
	d.login(camat, "camat", "9000")
	status, _, body := camat.post("/konsultasi", url.Values{"berkas": {strings.Replace(file, "kind: choice", "kind: pilihan", 1)}, "langkah": {"pratinjau"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `berkas.yaml:6: consultation &#34;jam-sabtu&#34;: kind &#34;pilihan&#34;`) {
		t.Errorf("a file with a mistake: %d\n%s", status, body)
	}
	status, _, body = camat.post("/konsultasi", url.Values{"berkas": {file}, "langkah": {"pratinjau"}})
	if status != http.StatusOK || !strings.Contains(body, "Perlukah loket buka Sabtu pagi?") || !strings.Contains(body, `value="terbit"`) {
		t.Fatalf("preview: %d\n%s", status, body)
	}
	if _, where, _ := camat.post("/konsultasi", url.Values{"berkas": {file}, "langkah": {"terbit"}}); where != "/konsultasi?hasil=published" {
		t.Fatalf("publish ended at %s", where)
	}

	// Six answers from Sawangan, two from Besani: Besani is merged.
	for i, v := range []string{"33.07.05.2001", "33.07.05.2001", "33.07.05.2001", "33.07.05.2001", "33.07.05.2001", "33.07.05.2001", "33.07.05.2005", "33.07.05.2005"} {
		a := consultation.Answer{Choice: "perlu", Village: v}
		if i%3 == 0 {
			a.Choice, a.Comment = "tidak", "Sabtu sebaiknya <b>libur</b>"
		}
		if _, err := d.store.AnswerConsultation(ctx, "jam-sabtu", "telegram", strings.Repeat("1", 8)+string(rune('0'+i)), a, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	status, body = camat.get("/konsultasi/jam-sabtu")
	for _, want := range []string{"<td>Sawangan</td><td class=\"num\">6</td>", "<td>lainnya</td><td class=\"num\">2</td>",
		"Sabtu sebaiknya &lt;b&gt;libur&lt;/b&gt;", `value="kutip"`, `value="tutup"`, "8 jawaban"} {
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("the results page (%d) lacks %q", status, want)
		}
	}
	comments, err := d.store.ConsultationComments(ctx, "jam-sabtu")
	if err != nil || len(comments) != 3 {
		t.Fatalf("comments = %d, %v", len(comments), err)
	}
	if _, where, _ := camat.post("/konsultasi/jam-sabtu", url.Values{"aksi": {"kutip"}, "komentar": {strconv.FormatInt(comments[0].ID, 10)}, "kutip": {"ya"}}); where != "/konsultasi/jam-sabtu?hasil=quoted" {
		t.Errorf("quote ended at %s", where)
	}
	if _, where, _ := camat.post("/konsultasi/jam-sabtu", url.Values{"aksi": {"tanggapan"}, "tanggapan": {"Loket buka Sabtu mulai Januari."}}); where != "/konsultasi/jam-sabtu?hasil=responded" {
		t.Errorf("response ended at %s", where)
	}
	if _, where, _ := camat.post("/konsultasi/jam-sabtu", url.Values{"aksi": {"tutup"}}); where != "/konsultasi/jam-sabtu?hasil=closed" {
		t.Errorf("close ended at %s", where)
	}
	_, body = camat.get("/konsultasi/jam-sabtu")
	for _, want := range []string{"Tanggapan Kecamatan: Loket buka Sabtu mulai Januari.", "Hasil: terkirim 0 dari 8", "[dikutip]"} {
		if !strings.Contains(body, want) {
			t.Errorf("after closing, the page lacks %q", want)
		}
	}
	if strings.Contains(body, `value="tutup"`) {
		t.Error("a closed consultation still offers to close")
	}
	resp, err := camat.c.Get(d.url + "/konsultasi/jam-sabtu/unduh")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(data), "PK") {
		t.Errorf("the workbook: %d", resp.StatusCode)
	}

	petugas := d.browser()
	d.login(petugas, "petugas_umum", "9003")
	status, body = petugas.get("/konsultasi/jam-sabtu")
	if status != 200 || strings.Contains(body, `value="kutip"`) || strings.Contains(body, `name="tanggapan"`) || !strings.Contains(body, "Sabtu sebaiknya") {
		t.Errorf("a petugas's view (%d): the forms shown, or the comments hidden", status)
	}
	if _, where, _ := petugas.post("/konsultasi", url.Values{"berkas": {file}, "langkah": {"terbit"}}); where != "/konsultasi?hasil=forbidden" {
		t.Errorf("a petugas publishing ended at %s", where)
	}
	if _, where, _ := petugas.post("/konsultasi/jam-sabtu", url.Values{"aksi": {"kutip"}, "komentar": {strconv.FormatInt(comments[1].ID, 10)}, "kutip": {"ya"}}); where != "/konsultasi/jam-sabtu?hasil=forbidden" {
		t.Errorf("a petugas quoting ended at %s", where)
	}
	if status, _ := petugas.get("/konsultasi/tidak-ada"); status != 404 {
		t.Errorf("an unknown consultation: %d", status)
	}
	if status, _ := camat.get("/konsultasi/tidak-ada/unduh"); status != 404 {
		t.Errorf("the workbook of an unknown consultation: %d", status)
	}
}
