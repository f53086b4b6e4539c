package registry

// MaskToken shows enough of a token for a person to tell two apart (the
// first 6 and last 4 characters) and never enough to use it. Tokens of 16
// characters or fewer are masked completely.
func MaskToken(token string) string {
	if len(token) <= 16 {
		return "…"
	}
	return token[:6] + "…" + token[len(token)-4:]
}
