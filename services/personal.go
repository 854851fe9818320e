package services

// PersonalFields lists the catalog's form fields holding identity numbers
// (sealed at rest), and those holding other personal data (erased on a
// deletion request): names, addresses, phones, dates, free text, places.
// Each name comes once, in the catalog's order.
func (c *Catalog) PersonalFields() (sensitive, personal []string) {
	seen := map[string]bool{}
	for _, s := range c.Services {
		for _, f := range s.Form {
			if seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			switch f.Type {
			case FieldNIK, FieldKK:
				sensitive = append(sensitive, f.Name)
			case FieldText, FieldPhone, FieldDate, FieldLocation:
				personal = append(personal, f.Name)
			}
		}
	}
	return sensitive, personal
}
