package config_test

import (
	"bytes"
	"strings"
	"testing"

	"yoyaku/config"
)

func TestSessionKey(t *testing.T) {
	c, err := config.LoadFrom(env(nil))
	if err != nil || c.SessionKey != nil {
		t.Fatalf("unset: key %x, err %v; want none (the API then makes a random one)", c.SessionKey, err)
	}
	hex64 := strings.Repeat("ab", 32)
	c, err = config.LoadFrom(env(map[string]string{"YOYAKU_SESSION_KEY": " " + hex64 + "\n"}))
	if err != nil || !bytes.Equal(c.SessionKey, bytes.Repeat([]byte{0xab}, 32)) {
		t.Fatalf("32-byte key: key %x, err %v", c.SessionKey, err)
	}
	for _, bad := range []string{strings.Repeat("ab", 31), "not hex at all", hex64[:63], strings.Repeat("zz", 32)} {
		_, err := config.LoadFrom(env(map[string]string{"YOYAKU_SESSION_KEY": bad}))
		if err == nil || !strings.Contains(err.Error(), "YOYAKU_SESSION_KEY") {
			t.Errorf("YOYAKU_SESSION_KEY=%q: err = %v, want an error naming the variable", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), bad) {
			t.Errorf("the error repeats the (secret) value: %v", err)
		}
	}
}
