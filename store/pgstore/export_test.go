package pgstore

// WithConnectTimeout is withConnectTimeout, for the external tests.
var WithConnectTimeout = withConnectTimeout
