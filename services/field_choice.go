package services

// parseChoice is shared by choice and village fields: both pick one option,
// and only the hint differs when nothing (or more than one option) matches.
func parseChoice(input string, options []Choice, vocab Vocabulary, problemKey string) (string, *Problem) {
	i, ok := MatchChoice(input, options, vocab)
	if !ok {
		return "", problemOf(problemKey)
	}
	return options[i].Value, nil
}
