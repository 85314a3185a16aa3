package console

// 予約票 (the hold slip): the paper banded round a copy routed to a hold, printed from the answer of the scan
// that routed it (check-in, 確保, 配送受入, a request's 受入).
//
//	GET  /staff/holds/:id/slip   the slip: the pickup branch in large type, 予約番号, the title, the 図書館利用券番号's
//	                             last four digits (never the whole number nor the name), the 取置期限 when the
//	                             hold has one (else the day the copy was routed) and where the copy goes
//
// The page is its own small document (A6, print CSS in static/slip.css, the 印刷 button's script in
// static/slip.js: the CSP allows no inline script).

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"yoyaku/domain"
	"yoyaku/httpkit"
	"yoyaku/store"
)

func init() { StaffTexts.Add(slipTexts) }

// slipTexts are the slip's wording (joined into StaffTexts).
var slipTexts = httpkit.TextTable{
	"staff.slip":             {"予約票", "Hold slip"},
	"staff.slip.print":       {"印刷", "Print"},
	"staff.slip.link":        {"予約票を印刷", "Print the hold slip"},
	"staff.slip.pickup":      {"受取館", "Pick up at"},
	"staff.slip.card":        {"図書館利用券番号（下4桁）", "Library card (last 4 digits)"},
	"staff.slip.routed":      {"処理日", "Routed on"},
	"staff.slip.goes":        {"行き先", "Goes to"},
	"staff.slip.shelf_at":    {"%s の予約棚へ", "To the hold shelf of %s"},
	"staff.slip.back":        {"職員画面に戻る", "Back to the console"},
	"staff.slip.not_found":   {"予約番号 %s の予約はありません。", "There is no hold %s."},
	"staff.slip.not_routed":  {"予約 %s（%s）には、配送中・予約棚の資料がないため予約票はありません。", "Hold %s (%s) has no copy on its way or on the hold shelf, so it has no slip."},
	"staff.slip.not_routed2": {"予約票は、返却処理・確保・受入で資料が予約に回されたときに印刷できます。", "A slip can be printed once a check-in, a pull or a receive routes a copy to the hold."},
}

// slipView is a slip as printed.
type slipView struct {
	HoldID, Pickup, Goes, Title, Card, Date, Barcode string
	Deadline                                         bool // Date is the 取置期限, not the day the copy was routed
	Action                                           string
}

// slipCardMask hides all but the last four digits of the card number (the store gives only those).
const slipCardMask = "＊＊＊＊"

// staffSlipPage renders a hold's slip; an unknown hold is a 404 page, a hold with no copy routed to it a 409
// page saying why, both with the slip's layout.
func (s *Console) staffSlipPage(c *gin.Context) {
	s.withDesk(c, func(d staffDesk) {
		id := c.Param("id")
		data := gin.H{"HoldID": id}
		slip, e := httpkit.Op(s.Lib.HoldSlip(c.Request.Context(), id))
		switch {
		case e != nil && e.Code == httpkit.CodeNotFound:
			data["Problem"] = httpkit.Tr(c, "staff.slip.not_found", id)
			s.Page(c, http.StatusNotFound, "staff_slip", data)
			return
		case e != nil:
			s.FailOp(c, e)
			return
		case !slip.Routed():
			data["Problem"] = httpkit.Tr(c, "staff.slip.not_routed", httpkit.IDString(slip.HoldID), domain.Label(slip.Status, ""))
			data["ProblemHelp"] = httpkit.Tr(c, "staff.slip.not_routed2")
			s.Page(c, http.StatusConflict, "staff_slip", data)
			return
		}
		data["Slip"] = s.slipView(c, d, slip)
		s.Page(c, http.StatusOK, "staff_slip", data)
	})
}

func (s *Console) slipView(c *gin.Context, d staffDesk, slip store.HoldSlip) slipView {
	v := slipView{HoldID: httpkit.IDString(slip.HoldID), Pickup: slip.PickupName, Title: slip.Title, Card: slipCardMask + slip.CardLast4,
		Barcode: slip.Barcode.String}
	v.Date, v.Deadline = slip.Date(s.Kit.Location())
	switch {
	case slip.Status == domain.StatusInTransit:
		v.Action, v.Goes = "transit", httpkit.Tr(c, "staff.route.transit", slip.PickupName)
	case slip.Pickup == d.Branch.Code:
		v.Action, v.Goes = "hold_shelf", httpkit.Tr(c, "staff.route.shelf")
	default:
		v.Action, v.Goes = "hold_shelf", httpkit.Tr(c, "staff.slip.shelf_at", slip.PickupName)
	}
	return v
}

// slipRoutes mounts the slip on the console's staff group.
func (s *Console) slipRoutes(st *gin.RouterGroup) {
	st.GET("/holds/:id/slip", s.staffSlipPage)
}
