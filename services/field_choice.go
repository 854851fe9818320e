package services

// parseChoice is shared by choice and village fields: both pick one option,
// and only the hint differs when nothing (or more than one option) matches.
// The option may be named inside a sentence ("biasa saja", "saya dari desa
// Sawangan"), as long as the sentence names only one.
func parseChoice(input string, options []Choice, vocab Vocabulary, problemKey string) (string, *Problem) {
	i, ok := MatchChoice(input, options, vocab)
	if !ok {
		i, ok = FindChoice(input, options)
	}
	if !ok {
		return "", problemOf(problemKey)
	}
	return options[i].Value, nil
}
