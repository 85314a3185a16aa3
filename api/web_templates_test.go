package api

import (
	"testing"

	"yoyaku/console"
	"yoyaku/httpkit"
	"yoyaku/opac"
)

// Every embedded template parses, and every page has something to render.
func TestWebTemplatesParse(t *testing.T) {
	pages, err := httpkit.ParseTemplates((&httpkit.Kit{}).Funcs(), httpkit.TemplateFiles, opac.Templates, console.Templates)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"error", "top", "login", "search", "search_advanced", "title", "basket", "basket_confirm",
		"basket_result", "holds", "hold", "hold_change", "hold_change_confirm", "hold_changed", "hold_cancel", "hold_cancelled",
		"account", "account_confirm"} {
		if pages[name] == nil {
			t.Errorf("no page %q", name)
		}
	}
}
