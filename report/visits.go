package report

// visits is the camat's table of booked visits: per service, the visits due
// in the period, how many came and how many did not, and how many working
// days citizens waited from booking to their slot; the last row is every
// service.
func (w *Writer) visits(d Document) Table {
	t := w.table("visits", nil, w.codeCol("service"), w.col("visits_booked"), w.col("visits_visited"),
		w.col("visits_no_show"), w.col("visits_no_show_share"), w.col("visits_avg_days"), w.col("visits_max_days"))
	for _, v := range d.Report.Visits {
		share := none()
		if v.Visited+v.NoShow > 0 {
			share = percent(v.NoShowShare())
		}
		name := coded(v.Service, w.service(v.Service))
		if v.Service == "" {
			name = coded("", w.t("report.visits_total", nil))
		}
		row := []Cell{name, count(v.Booked), count(v.Visited), count(v.NoShow), share, decimal(v.AvgDays, 1), decimal(v.MaxDays, 1)}
		if v.Service == "" {
			t.Footer = append(t.Footer, row)
			continue
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = append(t.Notes, w.t("report.visits_note", nil))
	return t
}
