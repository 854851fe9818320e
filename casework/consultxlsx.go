package casework

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/leksono/sapa/consultation"
)

// ExportXLSX writes a consultation's workbook for the office, in lang: the
// summary, the figures per option and per village (villages under five
// answers merged, as published) and every comment, quoted or not, with no
// name and no village.
func (c Consultations) ExportXLSX(ctx context.Context, code, lang string, out io.Writer) error {
	rep, err := c.Results(ctx, code)
	if err != nil {
		return err
	}
	comments, err := c.Store.ConsultationComments(ctx, code)
	if err != nil {
		return err
	}
	p, r := rep.Consultation, rep.Results
	tr := func(key string) string { return c.Messages.Texts.T(lang, "consultation.export."+key, nil) }
	f := excelize.NewFile()
	defer f.Close()
	sheets := []struct {
		name string
		rows [][]any
	}{
		{tr("summary"), [][]any{
			{tr("title"), p.Title},
			{tr("question"), p.Question},
			{tr("status"), string(p.Status)},
			{tr("closes"), p.Closes.Format("2006-01-02 15:04")},
			{tr("answers"), r.Answers},
			{tr("subscribers"), r.Subscribers},
			{tr("bursts"), len(rep.Bursts)},
			{tr("response"), p.Response},
		}},
		{tr("options"), optionRows(tr, p, r)},
		{tr("villages"), villageRows(tr, c.Messages, p, r)},
		{tr("comments"), commentRows(tr, comments)},
	}
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				return fmt.Errorf("export %s: %w", code, err)
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return fmt.Errorf("export %s: %w", code, err)
		}
		for y, row := range sh.rows {
			cell, _ := excelize.CoordinatesToCellName(1, y+1)
			if err := f.SetSheetRow(sh.name, cell, &row); err != nil {
				return fmt.Errorf("export %s: %w", code, err)
			}
		}
	}
	if _, err := f.WriteTo(out); err != nil {
		return fmt.Errorf("export %s: %w", code, err)
	}
	return nil
}

func optionRows(tr func(string) string, p consultation.Published, r consultation.Results) [][]any {
	rows := [][]any{{tr("option"), tr("votes"), tr("points")}}
	for _, o := range r.Ranked(p.Kind) {
		rows = append(rows, []any{o.Label, o.Votes, o.Points})
	}
	return rows
}

func villageRows(tr func(string) string, m consultation.Messages, p consultation.Published, r consultation.Results) [][]any {
	head := []any{tr("village"), tr("answers"), tr("subscribers")}
	for _, o := range p.Options {
		head = append(head, o.Label)
	}
	rows := [][]any{head}
	for _, v := range r.Villages {
		name := m.VillageName(v.Village)
		if v.Village == consultation.OtherVillages {
			name = tr("other")
		}
		row := []any{name, v.Answers, v.Subscribers}
		for _, o := range p.Options {
			row = append(row, v.Votes[o.Code])
		}
		rows = append(rows, row)
	}
	return rows
}

func commentRows(tr func(string) string, comments []consultation.Comment) [][]any {
	rows := [][]any{{tr("comment_id"), tr("comment"), tr("quoted"), tr("date")}}
	for _, cm := range comments {
		rows = append(rows, []any{strconv.FormatInt(cm.ID, 10), cm.Text, cm.Quoted, cm.At.Format("2006-01-02 15:04")})
	}
	return rows
}
