package model

import (
	"crypto/rand"
	"regexp"
	"strings"
	"unicode"

	"github.com/oklog/ulid/v2"
)

// SlugPattern is the shape of every client-chosen id. It admits no dots or
// slashes, so an id can never name a path.
const SlugPattern = `^[a-z0-9][a-z0-9_-]{0,63}$`

var slugRE = regexp.MustCompile(SlugPattern)

// ValidID reports whether id is a well-formed slug.
func ValidID(id string) bool { return slugRE.MatchString(id) }

// NewID returns a fresh lowercase ULID: unique, a valid slug, and sortable by
// creation time.
func NewID() string {
	return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String())
}

// Slugify derives an id from a display name ("My Rules!" → "my-rules").
// It returns "" when the name has no usable characters.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case r == '_' && b.Len() > 0:
			// Kept inside a name; a leading one would make the id
			// invalid, so it is skipped like any other separator.
			b.WriteRune(r)
			dash = false
		default:
			if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= 64 {
			break
		}
	}
	s := strings.TrimRight(b.String(), "-_")
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "-_")
	}
	if !ValidID(s) {
		return ""
	}
	return s
}
