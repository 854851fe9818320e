package letters

// NewCode draws a well-formed code, for tests of made-up codes.
var NewCode = newCode
