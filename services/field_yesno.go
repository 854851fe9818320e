package services

import "strings"

// yesNoOptions are the two answers of a yesno field. The words of every
// locale (vocab.Yes, vocab.No: "iya", "nggih", "mboten"...) are keywords, so a
// Javanese answer is understood in an Indonesian chat.
func yesNoOptions(env Env) []Choice {
	yes := Choice{Value: yesValue, LabelKey: yesLabelKey, Keywords: env.Vocab.Yes}
	no := Choice{Value: noValue, LabelKey: noLabelKey, Keywords: env.Vocab.No}
	yes.Label = resolveLabel(yes, env)
	no.Label = resolveLabel(no, env)
	return []Choice{yes, no}
}

// parseYesNo matches the whole answer first; failing that, its first word,
// because citizens write "iya betul" or "mboten sampun" (a polite no); and
// last the yes or no words anywhere in it ("sudah benar kirim"), if they
// all say the same.
func parseYesNo(input string, options []Choice, vocab Vocabulary) (string, *Problem) {
	if i, ok := MatchChoice(input, options, vocab); ok {
		return options[i].Value, nil
	}
	words := strings.Fields(normalize(input))
	if len(words) > 1 {
		if i, ok := MatchChoice(words[0], options, vocab); ok {
			return options[i].Value, nil
		}
	}
	if i, ok := FindChoice(input, options); ok {
		return options[i].Value, nil
	}
	return "", problemOf(ProblemYesNo)
}
