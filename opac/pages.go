// Package opac serves the patron web pages (Web-OPAC), following the library's guide step by step: the
// top page, ログイン, 資料検索 and 詳細蔵書検索, 検索結果一覧, 資料詳細 (pages.go); 予約かご, the confirmation
// and result screens, 予約状況 with 予約内容変更 and 予約取消, シリーズ予約に変更 (holds.go); 利用者情報変更
// (account.go). Every action is one of the library's operations (package library), the same the JSON API
// calls; the pages only render, through the shared kit (package httpkit) and their templates.
//
// Refusals the patron can act on are shown in red on the page itself (the guide's 赤く表示されるメッセージ);
// failures of the system are the HTML error page.
package opac

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/auth"
	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

// Pages are the patron pages (Web-OPAC): the library's guide screen by screen, on the shared kit.
type Pages struct{ *httpkit.Kit }

// Templates are the patron pages' templates (templates/*.html), parsed by the kit with its own.
//
//go:embed templates/*.html
var Templates embed.FS

// WebRoutes mounts the patron pages. Page requests get HTML error pages (webPage) and CSRF protection.
func (s *Pages) WebRoutes(r *gin.Engine) {
	pages := r.Group("/", s.WebPage(), s.csrfProtect())
	pub := pages.Group("", s.optionalWebPatron())
	pub.GET("/", s.topPage)
	pub.GET("/login", s.loginPage)
	pub.POST("/login", s.loginSubmit)
	pub.POST("/logout", s.logoutSubmit)
	pub.GET("/search", s.searchPage)
	pub.GET("/search/advanced", s.advancedSearchPage)
	pub.GET("/titles/:id", s.titlePage)

	pub.POST("/basket/add", s.basketAddSubmit) // logged out: to the login, with the ticked titles

	my := pages.Group("", s.webPatron())
	my.GET("/basket", s.basketPage)
	my.POST("/basket", s.basketSubmit)
	my.POST("/holds/place", s.placeSubmit)
	my.GET("/holds", s.holdsPage)
	my.POST("/holds/series", s.seriesSubmit)
	my.GET("/holds/:id", s.holdPage)
	my.GET("/holds/:id/change", s.changePage)
	my.POST("/holds/:id/change/confirm", s.changeConfirm)
	my.POST("/holds/:id/change", s.changeSubmit)
	my.GET("/holds/:id/cancel", s.cancelPage)
	my.POST("/holds/:id/cancel", s.cancelSubmit)
	my.POST("/holds/:id/suspend", s.suspendSubmit)
	my.POST("/holds/:id/resume", s.resumeSubmit)
	my.POST("/holds/:id/extend", s.extendSubmit)
	my.POST("/holds/:id/defer", s.deferSubmit)
	my.GET("/account", s.accountPage)
	my.POST("/account/confirm", s.accountConfirm)
	my.POST("/account", s.accountSubmit)
	my.POST("/account/emails", s.accountEmails)
}

// patronMessage is the red (or green) message of a page, from the ?err= of a seeOther or a refusal.
type patronMessage struct {
	Error bool
	Text  string
}

func patronError(c *gin.Context, code httpkit.Code) *patronMessage {
	return &patronMessage{Error: true, Text: httpkit.Message(c, code)}
}

// patronRedirectMessage reads ?err=<code> (a refusal after a seeOther): only codes that exist are shown.
func patronRedirectMessage(c *gin.Context) *patronMessage {
	code := httpkit.Code(c.Query("err"))
	if _, ok := httpkit.Codes[code]; code == "" || !ok {
		return nil
	}
	return patronError(c, code)
}

// --- top, login, logout ---

func (s *Pages) topPage(c *gin.Context) {
	data := gin.H{}
	if id, ok := httpkit.WebPatronID(c); ok {
		items, err := store.Basket(c.Request.Context(), s.DB, id)
		if err != nil {
			s.Internal(c, err)
			return
		}
		data["BasketCount"] = len(items)
	}
	s.Page(c, http.StatusOK, "top", data)
}

func (s *Pages) loginPage(c *gin.Context) {
	if _, ok := httpkit.WebPatronID(c); ok {
		httpkit.SeeOther(c, httpkit.SafeNext(c.Query("next")))
		return
	}
	s.Page(c, http.StatusOK, "login", gin.H{"Next": httpkit.SafeNext(c.Query("next")), "Add": loginAdds(c.QueryArray("add"))})
}

// loginSubmit checks the card number (full-width digits, hyphens and spaces accepted, as by the JSON
// login) and password with the same throttling as POST /api/v1/session, then starts a cookie session.
func (s *Pages) loginSubmit(c *gin.Context) {
	rawCard := c.PostForm("card_number")
	again := func(code httpkit.Code) {
		s.Page(c, httpkit.StatusOf(code), "login", gin.H{"Next": httpkit.SafeNext(c.PostForm("next")), "Card": rawCard,
			"Message": patronError(c, code), "Add": loginAdds(c.PostFormArray("add"))})
	}
	card, err := domain.NormalizeCardNumber(rawCard)
	if err != nil {
		again(library.CodeInvalidCardNumber)
		return
	}
	p, err := store.PatronByCardForLogin(c.Request.Context(), s.DB, card)
	if err != nil {
		s.Internal(c, err)
		return
	}
	httpkit.PatronSession.LoginThen(s.Kit, c, auth.PatronSubject(card), p.ID, p.PasswordHash, again, func() (string, error) {
		return s.addAfterLogin(c, p.ID, loginAdds(c.PostFormArray("add")))
	})
}

func (s *Pages) logoutSubmit(c *gin.Context) {
	if err := s.webLogout(c); err != nil {
		s.Internal(c, err)
		return
	}
	httpkit.SeeOther(c, "/")
}

// --- search ---

// patronSearchPerPage is the length of a page of 検索結果一覧.
const patronSearchPerPage = 20

// patronSearchForm is a search as the forms send it (GET /search).
type patronSearchForm struct {
	Q, Title, Author, ISBN, Publisher, Year, Format, Series string
}

func readPatronSearch(c *gin.Context) patronSearchForm {
	f := func(k string) string { return strings.TrimSpace(c.Query(k)) }
	return patronSearchForm{Q: f("q"), Title: f("title"), Author: f("author"), ISBN: f("isbn"), Publisher: f("publisher"),
		Year: f("year"), Format: f("format"), Series: f("series")}
}

func (f patronSearchForm) empty() bool { return f == patronSearchForm{} }

// advanced reports whether the detailed fields are used (the results then offer 詳細蔵書検索 to refine).
func (f patronSearchForm) advanced() bool { return f.Q == "" && !f.empty() }

// values is the form as a query string, for the pager's links.
func (f patronSearchForm) values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"q": f.Q, "title": f.Title, "author": f.Author, "isbn": f.ISBN,
		"publisher": f.Publisher, "year": f.Year, "format": f.Format, "series": f.Series} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// patronTitle is a title as the pages list it.
type patronTitle struct {
	ID, Title, TitleReading, Author, Publisher, ISBN, Format, Series, URL string
	Year, Volume                                                          int64
	Holdable                                                              bool
	NotHoldable                                                           string // reference_only | etext
	CopiesTotal, CopiesAvailable, HoldsQueued                             int
}

func patronTitleOf(t store.TitleSummary) patronTitle {
	v := patronTitle{ID: httpkit.IDString(t.ID), Title: t.Title, TitleReading: t.TitleReading, Author: t.Author,
		Publisher: t.Publisher, ISBN: t.ISBN.String, Format: string(t.Format), Series: t.SeriesName.String,
		Year: t.Year.Int64, Volume: t.Volume.Int64, URL: t.URL.String, NotHoldable: t.NotHoldableReason(),
		CopiesTotal: t.CopiesTotal, CopiesAvailable: t.CopiesAvailable, HoldsQueued: t.HoldsQueued}
	v.Holdable = v.NotHoldable == ""
	return v
}

// patronPagerLink is one link of the pager.
type patronPagerLink struct {
	N       int
	URL     string
	Current bool
}

// searchPage is 資料検索: the search box, and 検索結果一覧 when something was asked.
func (s *Pages) searchPage(c *gin.Context) {
	form := readPatronSearch(c)
	data := gin.H{"Form": form, "Formats": domain.Formats, "Message": patronRedirectMessage(c), "AdvancedURL": "/search/advanced"}
	if form.advanced() {
		data["AdvancedURL"] = "/search/advanced?" + form.values().Encode()
	}
	if form.empty() {
		s.Page(c, http.StatusOK, "search", data)
		return
	}
	page, err := strconv.Atoi(c.DefaultQuery("page", "1"))
	if err != nil || page < 1 || page > store.SearchCap {
		page = 1
	}
	q := store.SearchQuery{Q: form.Q, Title: form.Title, Author: form.Author, Publisher: form.Publisher,
		Series: form.Series, ISBN: form.ISBN, Format: domain.Format(form.Format), Page: page, PerPage: patronSearchPerPage}
	invalid := false
	if form.Year != "" {
		y, err := strconv.Atoi(form.Year)
		if err != nil || y < 1 || y > 9999 {
			invalid = true
		}
		q.Year = y
	}
	if form.Format != "" && !domain.Format(form.Format).Valid() {
		invalid = true
	}
	var res store.SearchResult
	if !invalid {
		res, err = s.Lib.Search(c.Request.Context(), q)
		if library.Refused(err) == library.CodeInvalidQuery {
			invalid = true
		} else if err != nil {
			s.Internal(c, err)
			return
		}
	}
	data["Searched"] = true
	data["Advanced"] = form.advanced()
	if invalid {
		data["Message"] = patronError(c, library.CodeInvalidQuery)
		s.Page(c, http.StatusUnprocessableEntity, "search", data)
		return
	}
	titles := make([]patronTitle, len(res.Titles))
	anyHoldable := false // 予約かごへ only where there is something to tick
	for i, t := range res.Titles {
		titles[i] = patronTitleOf(t)
		anyHoldable = anyHoldable || titles[i].Holdable
	}
	data["AnyHoldable"] = anyHoldable
	pages := (res.Total + patronSearchPerPage - 1) / patronSearchPerPage
	data["Titles"] = titles
	data["Total"] = res.Total
	data["Capped"] = res.Capped
	data["Page"] = page
	data["Pages"] = pages
	data["From"] = min((page-1)*patronSearchPerPage+1, res.Total)
	data["To"] = min(page*patronSearchPerPage, res.Total)
	data["Back"] = c.Request.URL.RequestURI()
	link := func(n int) string {
		v := form.values()
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return "/search?" + v.Encode()
	}
	if pages > 1 {
		var links []patronPagerLink
		for n := max(1, page-3); n <= min(pages, page+3); n++ {
			links = append(links, patronPagerLink{N: n, URL: link(n), Current: n == page})
		}
		data["PagerLinks"] = links
		if page > 1 {
			data["PrevURL"] = link(page - 1)
		}
		if page < pages {
			data["NextURL"] = link(page + 1)
		}
	}
	s.Page(c, http.StatusOK, "search", data)
}

// advancedSearchPage is 詳細蔵書検索: the form; it searches with GET /search.
func (s *Pages) advancedSearchPage(c *gin.Context) {
	s.Page(c, http.StatusOK, "search_advanced", gin.H{"Form": readPatronSearch(c), "Formats": domain.Formats})
}

// patronCopy is one copy on 資料詳細.
type patronCopy struct {
	Barcode, BranchName, CallNumber, Shelf, Status, Due string
}

// titlePage is 資料詳細: the title, its copies per branch with their state, and 予約かごへ when it can be
// held online (禁帯出 and e-texts cannot: no button).
func (s *Pages) titlePage(c *gin.Context) {
	d, err := s.Lib.Title(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.FailErr(c, err)
		return
	}
	copies := make([]patronCopy, len(d.Copies))
	for i, cp := range d.Copies {
		copies[i] = patronCopy{Barcode: cp.Barcode, BranchName: cp.BranchName, CallNumber: cp.CallNumber, Shelf: cp.ShelfLocation,
			Status: string(cp.Status)}
		if cp.DueDate.Valid {
			copies[i].Due = cp.DueDate.Time.Format(time.DateOnly)
		}
	}
	s.Page(c, http.StatusOK, "title", gin.H{"T": patronTitleOf(d.TitleSummary), "Copies": copies,
		"Message": patronRedirectMessage(c), "Back": c.Request.URL.RequestURI()})
}

// basketAddSubmit is 予約かごへ, from 検索結果一覧 (the checked titles) or 資料詳細 (one title): all are
// added or none (addTitlesToBasket, as POST /api/v1/basket). Then the basket is shown; a refusal goes back
// to the page the titles were chosen on, with the reason in red.
func (s *Pages) basketAddSubmit(c *gin.Context) {
	back := withoutQueryParams(httpkit.SafeNext(c.PostForm("back")), "err")
	if back == "/" {
		back = "/search"
	}
	ids := c.PostFormArray("title_id")
	if len(ids) == 0 {
		httpkit.SeeOther(c, withQueryParam(back, "err", string(httpkit.CodeNothingSelected)))
		return
	}
	patron, ok := httpkit.WebPatronID(c)
	if !ok { // the ticked titles go through the login and are added after it (loginSubmit)
		httpkit.SeeOther(c, "/login?"+url.Values{"next": {"/basket"}, "add": loginAdds(ids)}.Encode())
		return
	}
	added, err := s.Lib.AddedToBasket(c.Request.Context(), patron, ids)
	if s.Refused(c, err, func(_ int, code httpkit.Code) {
		httpkit.SeeOther(c, withQueryParam(back, "err", string(code)))
	}) {
		return
	}
	httpkit.SeeOther(c, "/basket?added="+strconv.Itoa(added))
}

// loginAdds are the titles ticked for 予約かごへ while logged out, carried through the login: distinct, at
// most a full basket (more could not be added anyway).
func loginAdds(raw []string) []string {
	ids := formIDs(raw)
	return ids[:min(len(ids), store.BasketLimit+1)]
}

// addAfterLogin adds the titles ticked before the login to the basket just logged in to, and answers the
// basket page that says how many were added, or why none were.
func (s *Pages) addAfterLogin(c *gin.Context, patron int64, ids []string) (string, error) {
	if len(ids) == 0 {
		return "", nil
	}
	added, err := s.Lib.AddedToBasket(c.Request.Context(), patron, ids)
	if code := library.Refused(err); code != "" {
		return "/basket?err=" + url.QueryEscape(string(code)), nil
	}
	if err != nil {
		return "", err
	}
	return "/basket?added=" + strconv.Itoa(added), nil
}

// withQueryParam sets a query parameter on a path of this site.
func withQueryParam(path, k, v string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// withoutQueryParams removes query parameters from a path of this site.
func withoutQueryParams(path string, keys ...string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	for _, k := range keys {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// branchNames maps branch codes to names.
func (s *Pages) branchNames(ctx context.Context) ([]store.Branch, map[string]string, error) {
	bs, err := store.Branches(ctx, s.DB)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[string]string, len(bs))
	for _, b := range bs {
		names[b.Code] = b.Name
	}
	return bs, names, nil
}

// formIDs is a list of raw IDs without blanks and repeats, in order.
func formIDs(raw []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range raw {
		r = strings.TrimSpace(r)
		if r == "" || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	return out
}

// formOrder sorts ids by the form's order_<id> numbers (1, 2, ...), keeping the given order for
// equal or missing numbers: the reading order of a series.
func formOrder(c *gin.Context, ids []string) []string {
	type ranked struct {
		id   string
		rank int
		pos  int
	}
	rs := make([]ranked, len(ids))
	for i, id := range ids {
		n, err := strconv.Atoi(c.PostForm("order_" + id))
		if err != nil || n < 1 {
			n = 1 << 30
		}
		rs[i] = ranked{id, n, i}
	}
	// insertion sort: at most 10 entries, stable
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && (rs[j].rank < rs[j-1].rank || (rs[j].rank == rs[j-1].rank && rs[j].pos < rs[j-1].pos)); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.id
	}
	return out
}

// patronTitles reads the names, domain.Formats and series places of titles by ID.
func (s *Pages) patronTitles(ctx context.Context, ids []string) (map[string]patronTitleName, error) {
	var nums []int64
	for _, raw := range ids {
		if id, ok := library.ParseID(raw); ok {
			nums = append(nums, id)
		}
	}
	out := map[string]patronTitleName{}
	if len(nums) == 0 {
		return out, nil
	}
	rows, err := store.TitleNames(ctx, s.DB, nums)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	for _, r := range rows {
		out[httpkit.IDString(r.ID)] = patronTitleName{ID: httpkit.IDString(r.ID), Title: r.Title, Format: r.Format, Series: r.Series, Volume: r.Volume}
	}
	return out, nil
}

// patronTitleName is a title as the basket and the placement screens show it.
type patronTitleName struct {
	ID, Title, Format, Series string
	Volume                    int64
}
