package services

// villageOptions offers every village as a choice. Besides the bare name, a
// citizen may write "desa Sawangan" or "kelurahan Leksono", so the kind and
// name together are a keyword too.
func villageOptions(villages []Village) []Choice {
	out := make([]Choice, 0, len(villages))
	for _, v := range villages {
		c := Choice{Value: v.Code, Label: v.Name}
		if v.Kind != "" {
			c.Keywords = []string{v.Kind + " " + v.Name}
		}
		out = append(out, c)
	}
	return out
}
