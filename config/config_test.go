package config_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"yoyaku/config"
)

func env(m map[string]string) config.Getenv { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := config.LoadFrom(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.TemporalAddress != "127.0.0.1:7233" || c.SMTP.Port != 1025 ||
		c.HoldLimitTotal != 10 || c.HoldLimitAV != 5 || c.Location.String() != "Asia/Tokyo" || c.PickupWindow != 0 {
		t.Fatalf("defaults differ from api/README.md: %+v", c)
	}
}

func TestInvalidValuesAreRefused(t *testing.T) {
	tests := map[string]string{
		"YOYAKU_PICKUP_WINDOW":    "a week",
		"YOYAKU_SMTP_PORT":        "smtp",
		"YOYAKU_SMTP_TLS":         "maybe",
		"YOYAKU_TIMEZONE":         "Mars/Olympus",
		"YOYAKU_HOLD_LIMIT_TOTAL": "0",
		"YOYAKU_HOLD_LIMIT_AV":    "-1",
		"YOYAKU_LOG_LEVEL":        "loud",
		"YOYAKU_LOG_FORMAT":       "xml",
		"YOYAKU_DEMO":             "please",
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := config.LoadFrom(env(map[string]string{name: value}))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("%s=%q: err = %v, want an error naming the variable", name, value, err)
			}
		})
	}
}

// TestMetricsAndDemoDefaults: the API's metrics listen on loopback, apart from the patron listener, and the
// demo data is off unless YOYAKU_DEMO asks for it.
func TestMetricsAndDemoDefaults(t *testing.T) {
	c, err := config.LoadFrom(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != "127.0.0.1:9091" || c.MetricsAddr == c.HTTPAddr || c.Demo {
		t.Fatalf("metrics %q (http %q), demo %v: want 127.0.0.1:9091 and no demo", c.MetricsAddr, c.HTTPAddr, c.Demo)
	}
	c, err = config.LoadFrom(env(map[string]string{"YOYAKU_DEMO": "1", "YOYAKU_METRICS_ADDR": "0.0.0.0:9191"}))
	if err != nil || !c.Demo || c.MetricsAddr != "0.0.0.0:9191" {
		t.Fatalf("YOYAKU_DEMO=1, YOYAKU_METRICS_ADDR=0.0.0.0:9191: demo %v, metrics %q, err %v", c.Demo, c.MetricsAddr, err)
	}
}

func TestPickupWindow(t *testing.T) {
	c, err := config.LoadFrom(env(map[string]string{"YOYAKU_PICKUP_WINDOW": "90s"}))
	if err != nil || c.PickupWindow != 90*time.Second {
		t.Fatalf("window = %v, err = %v", c.PickupWindow, err)
	}
}

// TestReadmeDocumentsEveryVariable keeps the README's configuration table in step with Vars.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range config.Vars {
		if !strings.Contains(string(readme), "| `"+v.Name+"` |") {
			t.Errorf("README.md's configuration table lacks %s", v.Name)
		}
		if v.Default != "" && !strings.Contains(string(readme), "`"+v.Default+"`") {
			t.Errorf("README.md does not give %s's default %q", v.Name, v.Default)
		}
	}
}
