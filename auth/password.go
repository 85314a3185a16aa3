// Package auth holds password hashing and session tokens for patrons and staff.
package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Cost is the bcrypt work factor: slow enough to make offline guessing expensive, fast enough for a login.
const Cost = 11

// A password has MinPasswordBytes to MaxPasswordBytes bytes (bcrypt reads at most 72).
const (
	MinPasswordBytes = 8
	MaxPasswordBytes = 72
)

// HashPassword returns the bcrypt hash of password.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordBytes || len(password) > MaxPasswordBytes {
		return "", errors.New("auth: a password has 8 to 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), Cost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
