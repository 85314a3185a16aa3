package e2e_test

// The 予約票 (hold slip, console/slip.go) in headless Chromium (harness: browser_harness_test.go).

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"yoyaku/domain"
)

// TestBrowserHoldSlip: staff check in, at 中央図書館, a returned copy held for pick-up at 北図書館; the
// answer offers 「予約票を印刷」 (a new tab), and the slip it links to shows 北図書館 in large type, the hold
// number, the card's last four digits only and where the copy goes. Its 印刷 button prints (static script:
// no CSP violation). Photographed at 375 and 1280 px without sideways scrolling, and as printed.
func TestBrowserHoldSlip(t *testing.T) {
	s := newStack(t, nil)
	titleID, copies := s.title(domain.FormatBook, copySpec{branch: "chuo", onLoan: true})
	p := s.newPatron("phone")
	holdID := s.placeOne(p, "kita", titleID)
	s.waitStatus(p, holdID, "awaiting_return")

	b := s.staffConsole()

	b.clickNav("#nav-checkin")
	b.fill("#barcode", copies[0])
	b.clickNav("#checkin-submit")
	b.wantText("#routing-headline", "北図書館 へ配送")
	b.wantText("#routing-slip", "予約票を印刷")
	href := b.eval(`document.querySelector("#routing-slip").getAttribute("href")`)
	if want := "/staff/holds/" + holdID + "/slip"; href != want {
		t.Fatalf("the slip link goes to %q, want %q", href, want)
	}
	if target, rel := b.eval(`document.querySelector("#routing-slip").target`), b.eval(`document.querySelector("#routing-slip").rel`); target != "_blank" || rel != "noopener" {
		t.Errorf("the slip link opens with target %q rel %q, want a new tab (_blank, noopener)", target, rel)
	}
	b.shots("01-checkin-answer")

	// The link opens a new tab; the test follows it in its own.
	b.open(href, phoneWidth)
	b.wantText("#slip-pickup", "北図書館")
	b.wantText("#slip-goes", "北図書館 へ配送")
	b.wantText("#slip-hold", holdID)
	b.wantText("#slip-card", "＊＊＊＊"+p.card[len(p.card)-4:])
	if strings.Contains(b.pageText(), p.card) || strings.Contains(b.pageText(), p.name) {
		t.Errorf("the slip shows the whole card number or the name:\n%s", b.pageText())
	}
	if px := b.fontPx("#slip-pickup"); px < 32 {
		t.Errorf("the pickup branch is %.0f px, want large type (≥ 32)", px)
	}
	b.shots("02-slip")

	// 印刷 calls window.print() from static/slip.js (replaced here: headless Chromium has no print dialog).
	b.eval(`window.__printed = false; window.print = () => { window.__printed = true; }; ""`)
	b.click("#slip-print")
	if got := b.eval(`String(window.__printed)`); got != "true" {
		t.Errorf("the 印刷 button did not call window.print() (%s)", got)
	}

	// As printed: the slip alone, the tools hidden.
	b.run("print media", func(ctx context.Context, target *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, target, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return chromedp.Void{}, err
	})
	if got := b.eval(`getComputedStyle(document.querySelector(".slip-tools")).display`); got != "none" {
		t.Errorf("printed, the slip's tools are %q, want hidden", got)
	}
	b.setWidth(desktopWidth)
	b.screenshot("03-slip-print")
}
