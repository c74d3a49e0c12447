package crudbench

import "time"

// User is a row of the users table.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Age       int       `json:"age"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Posts is set only when the posts were asked for (UserWithPosts).
	Posts []Post `json:"posts,omitzero"`
}

// UserCreate is the input of a new user.
type UserCreate struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Age   int    `json:"age"`
}

// Validate reports the first field of u that breaks the data model.
func (u *UserCreate) Validate() error {
	if err := validateName(u.Name); err != nil {
		return err
	}
	if err := validateEmail(u.Email); err != nil {
		return err
	}
	return validateAge(u.Age)
}

// UserPatch is a partial update: nil fields are left as they are.
type UserPatch struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Age   *int    `json:"age"`
}

// Empty reports whether p changes no field.
func (p *UserPatch) Empty() bool {
	return p.Name == nil && p.Email == nil && p.Age == nil
}

// Validate reports the first set field of p that breaks the data model, or
// that p sets no field at all.
func (p *UserPatch) Validate() error {
	if p.Empty() {
		return Errorf(EINVALID, "Nothing to update: set at least one of name, email, age.")
	}
	if p.Name != nil {
		if err := validateName(*p.Name); err != nil {
			return err
		}
	}
	if p.Email != nil {
		if err := validateEmail(*p.Email); err != nil {
			return err
		}
	}
	if p.Age != nil {
		return validateAge(*p.Age)
	}
	return nil
}

// UserUpdate is one item of a bulk update: the id and its own patch.
type UserUpdate struct {
	ID int64 `json:"id"`
	UserPatch
}
