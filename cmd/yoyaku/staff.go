package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/term"

	"yoyaku/auth"
	"yoyaku/config"
	"yoyaku/internal/seed"
	"yoyaku/store"
)

const staffUsage = "usage: yoyaku staff add LOGIN --branch CODE [--name NAME]\n" +
	"the password is read from the terminal (not echoed) or, when standard input is not a terminal, from its first line"

// staffLogin is what staff_users.login allows (the staff login lower-cases what is typed).
var staffLogin = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// runStaff is `yoyaku staff add LOGIN --branch CODE`: how a library creates its staff accounts, the first one
// included (production installs have no demo staff).
func runStaff(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return userError{errors.New("staff: " + staffUsage)}
	}
	if err := staffAdd(ctx, cfg, log, args[1:], os.Stdin, os.Stderr); err != nil {
		return userError{err}
	}
	return nil
}

// userError is an error a person at a terminal can act on: main prints it as it is instead of logging it.
type userError struct{ error }

func (e userError) Unwrap() error { return e.error }

// staffAdd creates one staff account. The password comes from in: typed twice without echo when in is a
// terminal, else its first line. Checks that need no password (login, branch) run before it is asked for.
func staffAdd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, in io.Reader, prompt io.Writer) error {
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error below says what was wrong, with the usage
	branch := fs.String("branch", "", "code of the branch the staff member works at, e.g. chuo (required)")
	name := fs.String("name", "", "the staff member's name, as the staff console shows it (default: the login)")
	// LOGIN may stand before, between or after the flags.
	var logins []string
	for {
		if err := fs.Parse(args); err != nil {
			return fmt.Errorf("staff add: %w\n%s", err, staffUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		logins, args = append(logins, fs.Arg(0)), fs.Args()[1:]
	}
	if len(logins) != 1 {
		return fmt.Errorf("staff add: give exactly one LOGIN, not %d arguments (a password is never an argument)\n%s",
			len(logins), staffUsage)
	}
	login := strings.ToLower(strings.TrimSpace(logins[0]))
	if !staffLogin.MatchString(login) {
		return fmt.Errorf("staff add: login %q: use 1 to 64 lower-case letters, digits, '.', '_' or '-'", logins[0])
	}
	code := strings.TrimSpace(*branch)
	if code == "" {
		return fmt.Errorf("staff add: --branch CODE is required\n%s", staffUsage)
	}
	display := strings.TrimSpace(*name)
	if display == "" {
		display = login
	}

	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("staff add: %w", err)
	}
	defer db.Close()
	if err := checkBranch(ctx, db, code); err != nil {
		return err
	}
	taken, err := store.StaffLoginTaken(ctx, db, login)
	if err != nil {
		return fmt.Errorf("staff add: %w", err)
	}
	if taken {
		return fmt.Errorf("staff add: login %q is taken: choose another", login)
	}

	password, err := readPassword(in, prompt, login)
	if err != nil {
		return err
	}
	switch {
	case password == "":
		return errors.New("staff add: empty password: type it when asked, or give it on standard input (its first line)")
	case len(password) < auth.MinPasswordBytes:
		return fmt.Errorf("staff add: the password is too short: at least %d characters", auth.MinPasswordBytes)
	case len(password) > auth.MaxPasswordBytes:
		return fmt.Errorf("staff add: the password is too long: at most %d bytes", auth.MaxPasswordBytes)
	case seed.DemoPassword(password):
		return errors.New("staff add: that is a published demo password: choose another")
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return fmt.Errorf("staff add: %w", err)
	}
	added, err := store.AddStaffUser(ctx, db, login, display, hash, code)
	if err != nil {
		return fmt.Errorf("staff add: %w", err)
	}
	if !added {
		return fmt.Errorf("staff add: login %q is taken: choose another", login) // created meanwhile
	}
	log.Info("staff account created", "login", login, "name", display, "branch", code)
	return nil
}

// checkBranch says clearly when code is not one of the branches.
func checkBranch(ctx context.Context, db *sqlx.DB, code string) error {
	branches, err := store.Branches(ctx, db)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P01" { // undefined_table
		return errors.New("staff add: the database has no tables yet: run `yoyaku migrate` and `yoyaku seed` first")
	}
	if err != nil {
		return fmt.Errorf("staff add: %w", err)
	}
	codes := make([]string, len(branches))
	for i, b := range branches {
		codes[i] = b.Code
	}
	if len(codes) == 0 {
		return errors.New("staff add: the database has no branches: run `yoyaku seed` first (it loads the library's branches)")
	}
	if !slices.Contains(codes, code) {
		return fmt.Errorf("staff add: unknown branch %q: the branches are %s", code, strings.Join(codes, ", "))
	}
	return nil
}

// readPassword reads the new account's password: from a terminal, typed twice without echo; otherwise the
// first line of in (without its line ending).
func readPassword(in io.Reader, prompt io.Writer, login string) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ask := func(q string) (string, error) {
			fmt.Fprint(prompt, q)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(prompt)
			if err != nil {
				return "", fmt.Errorf("staff add: reading the password: %w", err)
			}
			return string(b), nil
		}
		first, err := ask("Password for " + login + ": ")
		if err != nil || first == "" {
			return first, err
		}
		again, err := ask("The same password again: ")
		if err != nil {
			return "", err
		}
		if again != first {
			return "", errors.New("staff add: the two passwords differ")
		}
		return first, nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("staff add: reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
