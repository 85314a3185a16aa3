// Package config reads yoyaku's settings from environment variables. Vars is the single list of them: the
// README's configuration table and the docker-compose test are checked against it.
package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Var documents one environment variable.
type Var struct {
	Name    string
	Default string
	Help    string
}

// Vars lists every environment variable yoyaku reads, with its default.
var Vars = []Var{
	{"YOYAKU_HTTP_ADDR", "127.0.0.1:8080", "address the API and web pages listen on"},
	{"YOYAKU_DATABASE_URL", "postgres://yoyaku:yoyaku@127.0.0.1:15432/yoyaku?sslmode=disable", "PostgreSQL connection URL"},
	{"YOYAKU_TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend host:port"},
	{"YOYAKU_TEMPORAL_NAMESPACE", "default", "Temporal namespace"},
	{"YOYAKU_TEMPORAL_TASK_QUEUE", "yoyaku", "task queue of the workflows and activities (API and worker must agree)"},
	{"YOYAKU_SMTP_HOST", "127.0.0.1", "SMTP server for hold notifications"},
	{"YOYAKU_SMTP_PORT", "1025", "SMTP port"},
	{"YOYAKU_SMTP_USERNAME", "", "SMTP user (empty: no authentication)"},
	{"YOYAKU_SMTP_PASSWORD", "", "SMTP password"},
	{"YOYAKU_SMTP_TLS", "none", "none, starttls or tls"},
	{"YOYAKU_MAIL_FROM", "yoyaku@library.example.jp", "From address of notification e-mails"},
	{"YOYAKU_PUBLIC_URL", "http://127.0.0.1:8080", "the patron site's address, used in e-mails"},
	{"YOYAKU_TIMEZONE", "Asia/Tokyo", "the library's time zone: dates, contact days and pickup deadlines"},
	{"YOYAKU_PICKUP_WINDOW", "", "a Go duration that replaces the 1-week pickup rule (demos and tests)"},
	{"YOYAKU_CANCEL_APPROVAL_DELAY", "", "how long a cancellation request (取消申込) waits before approval (本人取消); empty approves at once"},
	{"YOYAKU_HOLD_LIMIT_TOTAL", "10", "active holds a patron may have in total"},
	{"YOYAKU_HOLD_LIMIT_AV", "5", "active holds a patron may have on AV materials (CD, video, DVD)"},
	{"YOYAKU_CLOSURE_BATCH", "50", "how many ready holds one step of an emergency closing (臨時休館) re-dates"},
	{"YOYAKU_CLOSURE_PAUSE", "", "a pause between those steps (tests stop the worker in the middle of a closing); empty for none"},
	{"YOYAKU_PHONE_ATTEMPTS", "3", "on how many different days (the pickup branch open) an unanswered call (不在) must be recorded before the last of those days becomes the 連絡日 and the pickup week starts"},
	{"YOYAKU_METRICS_ADDR", "127.0.0.1:9091", "where the API serves Prometheus /metrics (its own listener, not the patron one)"},
	{"YOYAKU_WORKER_METRICS_ADDR", "127.0.0.1:9090", "where the worker serves Prometheus /metrics"},
	{"YOYAKU_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"YOYAKU_LOG_FORMAT", "text", "text or json"},
	{"YOYAKU_DEV_DIR", ".dev", "where `yoyaku dev` keeps its state between runs"},
	{"YOYAKU_DEMO", "", "1: `yoyaku seed` also loads the demo catalogue and the demo accounts with their published passwords (never in production)"},
	{"YOYAKU_SESSION_KEY", "", "hex key (at least 32 bytes) for the web pages' CSRF tokens; empty: a random key per API process, so pages open before a restart must be reloaded"},
	{"YOYAKU_TRUSTED_PROXIES", "", "IP addresses or CIDR ranges of the reverse proxies in front of the API, comma-separated: behind them the client address (login throttling) is the X-Forwarded-For one; empty: no proxy, the peer address is the client's"},
}

// Config is the parsed configuration.
type Config struct {
	HTTPAddr          string
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	TaskQueue         string
	SMTP              SMTP
	PublicURL         string
	Location          *time.Location
	// PickupWindow, when non-zero, replaces the rule "1 week counting the contact date".
	PickupWindow time.Duration
	// CancelApprovalDelay is how long 取消申込 lasts before 本人取消 (zero: at once).
	CancelApprovalDelay time.Duration
	HoldLimitTotal      int
	HoldLimitAV         int
	// PhoneAttempts is on how many distinct open days a no-answer call must be recorded before the patron
	// counts as contacted (the last of those days).
	PhoneAttempts int
	// ClosureBatch is how many ready holds one activity of an emergency closing re-dates; ClosurePause waits
	// between them (tests).
	ClosureBatch      int
	ClosurePause      time.Duration
	WorkerMetricsAddr string
	LogLevel          string
	LogFormat         string
	DevDir            string
	// SessionKey is the server secret behind the web pages' CSRF tokens (api/csrf.go); nil when
	// YOYAKU_SESSION_KEY is empty, and the API then uses a random key for the life of its process.
	SessionKey []byte
	// TrustedProxies are the IP addresses and CIDR ranges (validated, as written) of the reverse proxies whose
	// X-Forwarded-For names the client (api.Server's router); nil trusts none.
	TrustedProxies []string

	// MetricsAddr is where the API serves /metrics: a listener of its own, never the patron one (HTTPAddr).
	MetricsAddr string
	// Demo says `yoyaku seed` loads the demo data (YOYAKU_DEMO=1); without it, only the library's branches.
	Demo bool
}

// SMTP holds the mail server settings.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      string
	From     string
}

// Getenv is the lookup Load uses; a function so tests and `yoyaku dev` can supply their own environment.
type Getenv func(string) string

// Load reads the configuration from the process environment.
func Load() (Config, error) { return LoadFrom(os.Getenv) }

// LoadFrom reads the configuration through getenv, applying the defaults of Vars.
func LoadFrom(getenv Getenv) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return Default(name)
	}
	var c Config
	var err error
	c.HTTPAddr = get("YOYAKU_HTTP_ADDR")
	c.DatabaseURL = get("YOYAKU_DATABASE_URL")
	c.TemporalAddress = get("YOYAKU_TEMPORAL_ADDRESS")
	c.TemporalNamespace = get("YOYAKU_TEMPORAL_NAMESPACE")
	c.TaskQueue = get("YOYAKU_TEMPORAL_TASK_QUEUE")
	c.PublicURL = strings.TrimRight(get("YOYAKU_PUBLIC_URL"), "/")
	c.MetricsAddr = get("YOYAKU_METRICS_ADDR")
	c.WorkerMetricsAddr = get("YOYAKU_WORKER_METRICS_ADDR")
	c.LogLevel = get("YOYAKU_LOG_LEVEL")
	c.LogFormat = get("YOYAKU_LOG_FORMAT")
	c.DevDir = get("YOYAKU_DEV_DIR")
	c.SMTP = SMTP{
		Host:     get("YOYAKU_SMTP_HOST"),
		Username: get("YOYAKU_SMTP_USERNAME"),
		Password: get("YOYAKU_SMTP_PASSWORD"),
		TLS:      get("YOYAKU_SMTP_TLS"),
		From:     get("YOYAKU_MAIL_FROM"),
	}
	if c.SMTP.Port, err = positiveInt("YOYAKU_SMTP_PORT", get("YOYAKU_SMTP_PORT")); err != nil {
		return Config{}, err
	}
	switch c.SMTP.TLS {
	case "none", "starttls", "tls":
	default:
		return Config{}, fmt.Errorf("config: YOYAKU_SMTP_TLS must be none, starttls or tls, not %q", c.SMTP.TLS)
	}
	if c.Location, err = time.LoadLocation(get("YOYAKU_TIMEZONE")); err != nil {
		return Config{}, fmt.Errorf("config: YOYAKU_TIMEZONE: %w", err)
	}
	if w := get("YOYAKU_PICKUP_WINDOW"); w != "" {
		if c.PickupWindow, err = time.ParseDuration(w); err != nil || c.PickupWindow <= 0 {
			return Config{}, fmt.Errorf("config: YOYAKU_PICKUP_WINDOW must be a positive Go duration such as 2m, not %q", w)
		}
	}
	if d := get("YOYAKU_CANCEL_APPROVAL_DELAY"); d != "" {
		if c.CancelApprovalDelay, err = time.ParseDuration(d); err != nil || c.CancelApprovalDelay < 0 {
			return Config{}, fmt.Errorf("config: YOYAKU_CANCEL_APPROVAL_DELAY must be a Go duration such as 5m, not %q", d)
		}
	}
	if c.HoldLimitTotal, err = positiveInt("YOYAKU_HOLD_LIMIT_TOTAL", get("YOYAKU_HOLD_LIMIT_TOTAL")); err != nil {
		return Config{}, err
	}
	if c.HoldLimitAV, err = positiveInt("YOYAKU_HOLD_LIMIT_AV", get("YOYAKU_HOLD_LIMIT_AV")); err != nil {
		return Config{}, err
	}
	if c.PhoneAttempts, err = positiveInt("YOYAKU_PHONE_ATTEMPTS", get("YOYAKU_PHONE_ATTEMPTS")); err != nil {
		return Config{}, err
	}
	if c.ClosureBatch, err = positiveInt("YOYAKU_CLOSURE_BATCH", get("YOYAKU_CLOSURE_BATCH")); err != nil {
		return Config{}, err
	}
	if d := get("YOYAKU_CLOSURE_PAUSE"); d != "" {
		if c.ClosurePause, err = time.ParseDuration(d); err != nil || c.ClosurePause < 0 {
			return Config{}, fmt.Errorf("config: YOYAKU_CLOSURE_PAUSE must be a Go duration such as 2s, not %q", d)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return Config{}, fmt.Errorf("config: YOYAKU_LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return Config{}, fmt.Errorf("config: YOYAKU_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	if d := get("YOYAKU_DEMO"); d != "" {
		if c.Demo, err = strconv.ParseBool(d); err != nil {
			return Config{}, fmt.Errorf("config: YOYAKU_DEMO must be 1 (load the demo data) or 0, not %q", d)
		}
	}
	if c.TrustedProxies, err = trustedProxies(get("YOYAKU_TRUSTED_PROXIES")); err != nil {
		return Config{}, err
	}
	if k := get("YOYAKU_SESSION_KEY"); k != "" {
		if c.SessionKey, err = hex.DecodeString(k); err != nil || len(c.SessionKey) < MinSessionKey {
			return Config{}, fmt.Errorf("config: YOYAKU_SESSION_KEY must be at least %d bytes in hex (%d hex digits, e.g. from `openssl rand -hex 32`)",
				MinSessionKey, 2*MinSessionKey)
		}
	}
	return c, nil
}

// trustedProxies parses YOYAKU_TRUSTED_PROXIES: IP addresses and CIDR ranges separated by commas (spaces
// allowed); nil when there are none. What it accepts is what gin's SetTrustedProxies accepts.
func trustedProxies(v string) ([]string, error) {
	var list []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		ok := net.ParseIP(p) != nil
		if strings.Contains(p, "/") {
			_, _, err := net.ParseCIDR(p)
			ok = err == nil
		}
		if !ok {
			return nil, fmt.Errorf("config: YOYAKU_TRUSTED_PROXIES must be IP addresses or CIDR ranges (such as 10.0.0.2 or 10.0.0.0/24) separated by commas; %q is neither", p)
		}
		list = append(list, p)
	}
	return list, nil
}

// MinSessionKey is the shortest YOYAKU_SESSION_KEY accepted, in bytes.
const MinSessionKey = 32

// Default returns the documented default of a variable ("" when it has none or is unknown).
func Default(name string) string {
	for _, v := range Vars {
		if v.Name == name {
			return v.Default
		}
	}
	return ""
}

// Known reports whether name is one of the variables yoyaku reads.
func Known(name string) bool {
	for _, v := range Vars {
		if v.Name == name {
			return true
		}
	}
	return false
}

func positiveInt(name, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("config: %s must be a positive whole number, not %q", name, s)
	}
	return n, nil
}
