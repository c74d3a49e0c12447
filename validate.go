package crudbench

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits shared by validation, the HTTP layer and every arm.
const (
	MaxNameLen   = 100    // characters in User.Name
	MaxEmailLen  = 254    // characters in User.Email
	MaxAge       = 150    // largest User.Age
	MaxTitleLen  = 200    // characters in Post.Title
	MaxBodyLen   = 10_000 // characters in Post.Body
	MaxBatch     = 1000   // items in one bulk request
	DefaultLimit = 50     // page size of ListUsers when none is given
	MaxLimit     = 1000   // largest page size of ListUsers
	MaxEcho      = 40     // bytes of the client's input a message quotes at most
)

// Echo returns s as a message quotes the client's input: cut to MaxEcho
// bytes (see Truncate).
func Echo(s string) string { return Truncate(s, MaxEcho) }

// Truncate shortens s to at most n bytes plus an ellipsis, cutting before a
// multi-byte character rather than through it, so that messages quoting
// the input show whole characters.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for cut := n; cut > n-utf8.UTFMax && cut > 0; cut-- {
		if utf8.RuneStart(s[cut]) {
			n = cut
			break
		}
	}
	return fmt.Sprintf("%s…", s[:n])
}

// ValidateIDs checks the ids of a bulk read or delete: 1 to MaxBatch
// positive ids, none repeated.
func ValidateIDs(ids []int64) error {
	if len(ids) == 0 {
		return Errorf(EINVALID, "Give at least one id.")
	} else if len(ids) > MaxBatch {
		return Errorf(EINVALID, "Too many ids: %d given, at most %d allowed.", len(ids), MaxBatch)
	}
	seen := make(map[int64]struct{}, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return Errorf(EINVALID, "Invalid id %d: ids are positive integers.", id)
		}
		if _, ok := seen[id]; ok {
			return Errorf(EINVALID, "Id %d is given twice.", id)
		}
		seen[id] = struct{}{}
	}
	return nil
}

// ValidateBatch checks the size of a bulk request body.
func ValidateBatch(n int) error {
	if n == 0 {
		return Errorf(EINVALID, "The batch is empty: give 1 to %d items.", MaxBatch)
	} else if n > MaxBatch {
		return Errorf(EINVALID, "The batch has %d items, at most %d allowed.", n, MaxBatch)
	}
	return nil
}

// ValidateUpdates checks a bulk update: its size, each id (positive, not
// repeated) and each patch.
func ValidateUpdates(in []UserUpdate) error {
	if err := ValidateBatch(len(in)); err != nil {
		return err
	}
	seen := make(map[int64]struct{}, len(in))
	for i := range in {
		if in[i].ID <= 0 {
			return Errorf(EINVALID, "Item %d: invalid id %d, ids are positive integers.", i, in[i].ID)
		}
		if _, ok := seen[in[i].ID]; ok {
			return Errorf(EINVALID, "Item %d: id %d is given twice.", i, in[i].ID)
		}
		seen[in[i].ID] = struct{}{}
		if err := in[i].UserPatch.Validate(); err != nil {
			return Errorf(EINVALID, "Item %d: %s", i, ErrorMessage(err))
		}
	}
	return nil
}

// ValidateCreates checks a bulk create: its size and each item.
func ValidateCreates(in []UserCreate) error {
	if err := ValidateBatch(len(in)); err != nil {
		return err
	}
	for i := range in {
		if err := in[i].Validate(); err != nil {
			return Errorf(EINVALID, "Item %d: %s", i, ErrorMessage(err))
		}
	}
	return nil
}

func validateName(s string) error {
	if err := validateText("name", s, 1, MaxNameLen); err != nil {
		return err
	}
	if !visible(s) {
		return Errorf(EINVALID, "Name must not be blank.")
	}
	return nil
}

// visible reports whether s holds a character that shows: not a space, a
// control character, or an invisible format character (such as U+200B).
func visible(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsGraphic(r) && !unicode.IsSpace(r) }) >= 0
}

func validateTitle(s string) error {
	if err := validateText("title", s, 1, MaxTitleLen); err != nil {
		return err
	}
	if !visible(s) {
		return Errorf(EINVALID, "Title must not be blank.")
	}
	return nil
}

func validateEmail(s string) error {
	if err := validateText("email", s, 3, MaxEmailLen); err != nil {
		return err
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsGraphic(r) }) >= 0 {
		return Errorf(EINVALID, "Email %q must not contain spaces, line breaks or other invisible characters.", Echo(s))
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return Errorf(EINVALID, "Email %q must hold exactly one @ with text on both sides.", Echo(s))
	}
	return nil
}

func validateAge(n int) error {
	if n < 0 || n > MaxAge {
		return Errorf(EINVALID, "Age %d is out of range: give 0 to %d.", n, MaxAge)
	}
	return nil
}

// validateText checks what PostgreSQL text and the data model need of s:
// valid UTF-8, no NUL byte, and a length in characters within [min, max].
func validateText(field, s string, min, max int) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "The %s is not valid UTF-8.", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(EINVALID, "The %s must not contain NUL characters.", field)
	}
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		return Errorf(EINVALID, "The %s must have %d to %d characters, it has %d.", field, min, max, n)
	}
	return nil
}
