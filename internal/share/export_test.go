package share

// NewCode is newCode, for tests.
var NewCode = newCode
