package config_test

import (
	"slices"
	"strings"
	"testing"

	"yoyaku/config"
)

func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		value string
		want  []string // nil: none trusted
		bad   string   // the entry the error must name; "" when the value is valid
	}{
		{"", nil, ""},
		{" , ", nil, ""},
		{"10.0.0.2", []string{"10.0.0.2"}, ""},
		{"10.0.0.2, 10.1.0.0/16,2001:db8::1 , 2001:db8:1::/48", []string{"10.0.0.2", "10.1.0.0/16", "2001:db8::1", "2001:db8:1::/48"}, ""},
		{"proxy.example.jp", nil, "proxy.example.jp"},
		{"10.0.0.2,10.0.0.256", nil, "10.0.0.256"},
		{"10.0.0.0/33", nil, "10.0.0.0/33"},
		{"10.0.0.2;10.0.0.3", nil, "10.0.0.2;10.0.0.3"},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			c, err := config.LoadFrom(env(map[string]string{"YOYAKU_TRUSTED_PROXIES": tc.value}))
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), "YOYAKU_TRUSTED_PROXIES") || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("err = %v, want an error naming YOYAKU_TRUSTED_PROXIES and %q", err, tc.bad)
				}
				return
			}
			if err != nil || !slices.Equal(c.TrustedProxies, tc.want) || (tc.want == nil) != (c.TrustedProxies == nil) {
				t.Fatalf("TrustedProxies = %#v, %v; want %#v", c.TrustedProxies, err, tc.want)
			}
		})
	}
}
