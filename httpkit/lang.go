package httpkit

// The pages' language and wording: Japanese by default, English on request (?lang=en, remembered in a
// cookie, or Accept-Language), and the texts the templates translate with {{t .Lang "key"}}.

import (
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"
)

const (
	// ctxLang is the page's language, "ja" or "en"; english(c) reads it on page routes.
	ctxLang = "yoyaku.lang"
	// langCookie keeps the language chosen with ?lang= for the following pages.
	langCookie = "yoyaku_lang"
)

// english reports whether the client asked for English.
func english(c *gin.Context) bool {
	if l, ok := c.Get(ctxLang); ok { // a web page: its language is settled by webPage
		return l == "en"
	}
	if l := c.Query("lang"); l != "" {
		return strings.HasPrefix(l, "en")
	}
	al := strings.ToLower(c.GetHeader("Accept-Language"))
	return strings.HasPrefix(strings.TrimSpace(al), "en")
}

// pageLang is the language of a page: ?lang=, else the cookie of an earlier ?lang=, else Accept-Language.
func pageLang(c *gin.Context) string {
	if l := c.Query("lang"); l != "" {
		return langOf(strings.HasPrefix(l, "en"))
	}
	if l, err := c.Cookie(langCookie); err == nil && (l == "ja" || l == "en") {
		return l
	}
	return langOf(strings.HasPrefix(strings.TrimSpace(strings.ToLower(c.GetHeader("Accept-Language"))), "en"))
}

func langOf(en bool) string {
	if en {
		return "en"
	}
	return "ja"
}

// Lang is the request's page language ("ja" when not a page request).
func Lang(c *gin.Context) string {
	if l, ok := c.Get(ctxLang); ok {
		return l.(string)
	}
	return langOf(english(c))
}

// --- wording ---

// TextTable is page wording: key → {Japanese, English}. The Japanese follows the library's guide.
type TextTable map[string][2]string

// Add joins more wording into t, for a package whose pages keep their texts in several files; a key
// defined twice is a mistake, caught when the program starts.
func (t TextTable) Add(more TextTable) {
	for k, v := range more {
		if _, dup := t[k]; dup {
			panic("text key defined twice: " + k)
		}
		t[k] = v
	}
}

// joinTexts is the union of tables; a key defined twice is a mistake, caught when the program starts.
func joinTexts(tables ...TextTable) TextTable {
	out := TextTable{}
	for _, t := range tables {
		for k, v := range t {
			if _, dup := out[k]; dup {
				panic("api: text key defined twice: " + k)
			}
			out[k] = v
		}
	}
	return out
}

// translate is the template function t: the text of key in lang, formatted with args (fmt.Sprintf) when
// given. An unknown key is an error, so a typo fails the page (and its test) instead of showing the key.
func (w *Kit) translate(lang, key string, args ...any) (string, error) {
	v, ok := w.texts[key]
	if !ok {
		return "", fmt.Errorf("web: no text %q", key)
	}
	s := v[0]
	if lang == "en" {
		s = v[1]
	}
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s, nil
}

// Tr is translate for Go code on a page request (webPage): the text of key in the request's language.
func Tr(c *gin.Context, key string, args ...any) string {
	w, ok := c.Get(ctxWebPage)
	if !ok {
		panic("web: tr outside a page request")
	}
	s, err := w.(*Kit).translate(Lang(c), key, args...)
	if err != nil {
		panic(err) // a wiring mistake: the recovery middleware turns it into a logged 500
	}
	return s
}

// layoutTexts is the wording of the layout (header, navigation, footer) and of the error page.
var layoutTexts = TextTable{
	"site":           {"市立図書館 Web-OPAC", "City Library Web-OPAC"},
	"skip":           {"本文へ移動", "Skip to content"},
	"login":          {"ログイン", "Log in"},
	"logout":         {"ログアウト", "Log out"},
	"nav":            {"メニュー", "Menu"},
	"nav.search":     {"資料検索", "Search"},
	"nav.advanced":   {"詳細蔵書検索", "Advanced search"},
	"nav.basket":     {"予約かご", "Basket"},
	"nav.holds":      {"予約状況", "My holds"},
	"nav.contact":    {"利用者情報変更", "My details"},
	"lang.switch":    {"English", "日本語"},
	"lang.name":      {"English", "Japanese"},
	"user.hello":     {"%s さん", "%s"},
	"footer":         {"市立図書館ネットワーク", "City library network"},
	"error.title":    {"エラー", "Error"},
	"error.top":      {"トップページへ戻る", "Back to the top page"},
	"error.back":     {"前の画面に戻って、もう一度操作してください。", "Go back to the previous page and try again."},
	"error.status":   {"エラー %d", "Error %d"},
	"error.notfound": {"お探しのページは見つかりません。", "The page you are looking for was not found."},
}
