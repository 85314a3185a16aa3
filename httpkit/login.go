package httpkit

import (
	"cmp"
	"context"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"yoyaku/auth"
	"yoyaku/store"
)

// DummyHash is a bcrypt hash (cost auth.Cost) of a random password nobody knows. A login for an unknown card
// number or staff login is compared against it, so that it takes as long as a wrong password for a real one.
const DummyHash = "$2a$11$zJNH4qV4Rm/j2WUZPAnpe.ewyWju2JGXm6adz2uddNld7Txydszsi"

// staffLoginPattern is what staff_users.login allows.
var staffLoginPattern = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// FindStaff reads the staff account of a (lower-cased, trimmed) login. An account that does not exist, or
// cannot (not staffLoginPattern), is the zero account: its empty hash fails tryLogin like a wrong password.
func FindStaff(ctx context.Context, db *sqlx.DB, login string) (store.StaffAccount, error) {
	if !staffLoginPattern.MatchString(login) {
		return store.StaffAccount{}, nil
	}
	return store.StaffByLogin(ctx, db, login)
}

// RetryAfter is a Retry-After header value: wait in whole seconds, rounded up.
func RetryAfter(wait time.Duration) string { return strconv.Itoa(int(math.Ceil(wait.Seconds()))) }

// TryLogin checks password against hash under the login throttle, for every login (JSON and web, patron
// and staff). It first reserves the attempt for subject from the client's address (auth.Reserve with
// c.ClientIP(), the X-Forwarded-For client behind a trusted proxy); when that is refused it returns the wait
// (> 0) without looking at the password. Otherwise it compares password with hash — with dummyHash when the
// account does not exist (hash ""), so both cases take the same time and get the same answer — and ends the
// attempt: a wrong password is kept as a failure, a right one clears subject's failures.
func TryLogin(c *gin.Context, db *sqlx.DB, subject, hash, password string) (ok bool, wait time.Duration, err error) {
	ctx := c.Request.Context()
	attempt, wait, err := auth.Reserve(ctx, db, subject, c.ClientIP())
	if err != nil || wait > 0 {
		return false, wait, err
	}
	if !auth.CheckPassword(cmp.Or(hash, DummyHash), password) || hash == "" {
		return false, 0, attempt.Failed(ctx, db)
	}
	if err := attempt.Succeeded(ctx, db); err != nil {
		return false, 0, err
	}
	return true, 0, nil
}

// Login ends a login form, once the handler has found the account it names (id and hash, hash "" for
// none): the password check under the throttle (tryLogin), then the session and a redirect (303) to
// k.next(the form's next). A refusal is handed to refuse — too_many_attempts (with Retry-After already set)
// or invalid_credentials — which shows the form again with its status (statusOf); a failure is a 500.
func (k CookieSession) Login(w *Kit, c *gin.Context, subject string, id int64, hash string, refuse func(Code)) {
	k.LoginThen(w, c, subject, id, hash, refuse, nil)
}

// LoginThen is Login with then, run once the session has started: what the login was interrupted for (the
// titles ticked for 予約かごへ while logged out). It answers where to go instead of the form's next, or "".
func (k CookieSession) LoginThen(w *Kit, c *gin.Context, subject string, id int64, hash string, refuse func(Code), then func() (string, error)) {
	ok, wait, err := TryLogin(c, w.DB, subject, hash, c.PostForm("password"))
	switch {
	case err != nil:
		w.Internal(c, err)
	case wait > 0:
		c.Header("Retry-After", RetryAfter(wait))
		refuse(CodeTooManyAttempts)
	case !ok:
		refuse(CodeInvalidCredentials)
	default:
		if err := k.Start(w, c, id); err != nil {
			w.Internal(c, err)
			return
		}
		next := k.Next(c.PostForm("next"))
		if then != nil {
			to, err := then()
			if err != nil {
				w.Internal(c, err)
				return
			}
			if to != "" {
				next = to
			}
		}
		SeeOther(c, next)
	}
}
