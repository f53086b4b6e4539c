package migration

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imshift/imshift/activities/openim"
)

// MappedPrefix starts every OpenIM id that is not the legacy id itself.
//
// The rule (reversible, reproducible in any language):
//
//	OpenIMUserID(id) = id                       if OpenIM accepts id (letters,
//	                                            digits, '_') and id does not
//	                                            start with "imx_"
//	                 = "imx_" + escape(id)      otherwise
//	escape(id)       = every byte of id's UTF-8 that is not an ASCII letter
//	                   or digit becomes '_' and two upper-case hex digits
//	                   ('-' -> "_2D", '_' -> "_5F", 'é' -> "_C3_A9")
//
// So a UUID 6f1c2d3e-... becomes imx_6f1c2d3e_2D..., and a legacy id that
// happens to start with imx_ is escaped too, which keeps the rule injective.
const MappedPrefix = "imx_"

// MaxLegacyIDBytes bounds a legacy user id.
const MaxLegacyIDBytes = 128

// OpenIMUserID is the OpenIM user id of a legacy user id.
func OpenIMUserID(legacyID string) string {
	if openim.IsLegalUserID(legacyID) && !strings.HasPrefix(legacyID, MappedPrefix) {
		return legacyID
	}
	var b strings.Builder
	b.Grow(len(MappedPrefix) + 3*len(legacyID))
	b.WriteString(MappedPrefix)
	for i := 0; i < len(legacyID); i++ {
		c := legacyID[i]
		if isASCIIAlnum(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02X", c)
	}
	return b.String()
}

// LegacyUserID reverses OpenIMUserID.
func LegacyUserID(openimID string) (string, error) {
	rest, mapped := strings.CutPrefix(openimID, MappedPrefix)
	if !mapped {
		return openimID, nil
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if isASCIIAlnum(c) {
			b.WriteByte(c)
			continue
		}
		if c != '_' || i+2 >= len(rest) {
			return "", fmt.Errorf("openim id %q: byte %d is not an escape", openimID, len(MappedPrefix)+i)
		}
		v, err := strconv.ParseUint(rest[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("openim id %q: bad escape at byte %d", openimID, len(MappedPrefix)+i)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	legacy := b.String()
	if OpenIMUserID(legacy) != openimID {
		return "", fmt.Errorf("openim id %q is not the mapping of any legacy id", openimID)
	}
	return legacy, nil
}

// CheckLegacyUserID says why id cannot be migrated: empty, too long, not
// UTF-8, or holding spaces or control characters. Anything else can be
// mapped to an OpenIM id.
func CheckLegacyUserID(id string) error {
	switch {
	case id == "":
		return errors.New("is empty")
	case len(id) > MaxLegacyIDBytes:
		return fmt.Errorf("is longer than %d bytes", MaxLegacyIDBytes)
	case !utf8.ValidString(id):
		return errors.New("is not valid UTF-8")
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return errors.New("contains spaces or control characters")
	}
	return nil
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
