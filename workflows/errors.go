package workflows

// Error types of the non-retryable application errors imshift's push
// workflows fail with; callers match on them (temporal.ApplicationError.Type).
const (
	ErrInvalidInput = "InvalidInput" // the input is malformed; the message names the field
	ErrCredentials  = "Credentials"  // the provider refused our credentials
	ErrBadMessage   = "BadMessage"   // the provider refused the message itself
	ErrTTLExpired   = "TTLExpired"   // the message's time to live ran out
)
