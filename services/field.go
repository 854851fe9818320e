package services

import (
	"strings"
	"time"
	"unicode"
)

// Env is what parsers need besides the input.
type Env struct {
	Villages []Village
	Vocab    Vocabulary
	Today    time.Time               // in the office time zone
	Label    func(key string) string // resolves Choice.LabelKey to text in the chat's language
	// Answers are the form's answers so far, by field name: a two-digit
	// year is read against the NIK's birth date.
	Answers map[string]string
}

// Problem keys returned by Field.Parse. The texts live in locales/.
const (
	ProblemEmpty       = "field.error.empty"
	ProblemNIKLength   = "field.error.nik_length" // {got}: digits sent
	ProblemNIKChars    = "field.error.nik_chars"
	ProblemNIKDate     = "field.error.nik_date"
	ProblemNIKSequence = "field.error.nik_sequence"
	ProblemKKLength    = "field.error.kk_length" // {got}: digits sent
	ProblemKKChars     = "field.error.kk_chars"
	ProblemKKDate      = "field.error.kk_date"
	ProblemKKSequence  = "field.error.kk_sequence"
	ProblemTextShort   = "field.error.text_short" // {min}
	ProblemTextLong    = "field.error.text_long"  // {max}
	ProblemTextLetters = "field.error.text_letters"
	ProblemTextID      = "field.error.text_id"
	ProblemChoice      = "field.error.choice"
	ProblemVillage     = "field.error.village"
	ProblemYesNo       = "field.error.yesno"
	ProblemDateFormat  = "field.error.date_format"
	ProblemDateInvalid = "field.error.date_invalid"
	ProblemDateFuture  = "field.error.date_future"
	ProblemDatePast    = "field.error.date_past"
	ProblemPhone       = "field.error.phone"
)

// The two answers of a yesno field and the locale keys of their buttons.
const (
	yesValue    = "ya"
	noValue     = "tidak"
	yesLabelKey = "field.yes"
	noLabelKey  = "field.no"
)

// ProblemKeys lists every locale key Field.Parse may return, so that a test
// can check that each one has a text in every locale.
func ProblemKeys() []string {
	return []string{
		ProblemEmpty,
		ProblemNIKLength, ProblemNIKChars, ProblemNIKDate, ProblemNIKSequence,
		ProblemKKLength, ProblemKKChars, ProblemKKDate, ProblemKKSequence,
		ProblemTextShort, ProblemTextLong, ProblemTextLetters, ProblemTextID,
		ProblemChoice, ProblemVillage, ProblemYesNo,
		ProblemDateFormat, ProblemDateInvalid, ProblemDateFuture, ProblemDatePast,
		ProblemPhone,
	}
}

// knownFieldTypes is every FieldType that Parse understands, in the order
// shown in configuration errors.
var knownFieldTypes = []FieldType{FieldNIK, FieldKK, FieldText, FieldChoice, FieldVillage, FieldDate, FieldPhone, FieldYesNo, FieldPhotos, FieldLocation, FieldDocument}

// Valid reports whether t is a field type Parse understands.
func (t FieldType) Valid() bool {
	for _, k := range knownFieldTypes {
		if t == k {
			return true
		}
	}
	return false
}

// Parse checks a citizen's answer and returns its normalized value, or a
// Problem explaining what is wrong. Normalized values: nik and kk are 16
// digits; phone is "62" and the national number; date is "2006-01-02";
// village is the village code; choice is the Choice.Value; yesno is "ya" or
// "tidak"; text is trimmed with inner whitespace collapsed. Parse never
// panics, whatever the input. A field of an unknown type (which LoadCatalog
// rejects) is parsed as free text rather than blocking the conversation.
func (f Field) Parse(input string, env Env) (value string, problem *Problem) {
	if strings.TrimFunc(input, isBlank) == "" {
		return "", problemOf(ProblemEmpty)
	}
	switch f.Type {
	case FieldNIK:
		return parseNIK(input)
	case FieldKK:
		return parseKK(input)
	case FieldChoice:
		return parseChoice(input, f.Options(env), env.Vocab, ProblemChoice)
	case FieldVillage:
		return parseChoice(input, f.Options(env), env.Vocab, ProblemVillage)
	case FieldYesNo:
		return parseYesNo(input, f.Options(env), env.Vocab)
	case FieldDate:
		return f.parseDate(input, env)
	case FieldPhone:
		return parsePhone(input)
	default:
		return f.parseText(input)
	}
}

// Options returns the choices to offer as buttons: a choice field's Choices
// with labels resolved, the villages (Value is the code, Label the name) for
// a village field, "ya" and "tidak" for a yesno field, and nil otherwise.
func (f Field) Options(env Env) []Choice {
	switch f.Type {
	case FieldChoice:
		out := make([]Choice, len(f.Choices))
		for i, c := range f.Choices {
			c.Label = resolveLabel(c, env)
			out[i] = c
		}
		return out
	case FieldVillage:
		return villageOptions(env.Villages)
	case FieldYesNo:
		return yesNoOptions(env)
	}
	return nil
}

// resolveLabel prefers the locale text of LabelKey; without a resolver (or
// without a key) it keeps the literal Label, and as a last resort shows the
// key itself so that a button is never blank.
func resolveLabel(c Choice, env Env) string {
	if c.LabelKey != "" && env.Label != nil {
		if s := env.Label(c.LabelKey); s != "" {
			return s
		}
	}
	if c.Label != "" {
		return c.Label
	}
	return c.LabelKey
}

func problemOf(key string) *Problem {
	return &Problem{Key: key}
}

func problemWith(key, arg, value string) *Problem {
	return &Problem{Key: key, Args: map[string]string{arg: value}}
}

// isBlank is whitespace or a control character: neither carries an answer.
func isBlank(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}
