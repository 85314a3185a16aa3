package api

import (
	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
)

// routes mounts every route of the JSON API, health and the OpenAPI document, in one place to read them all.
// The patron pages and the staff console mount their own (opac, console).
func (s *Server) routes(r *gin.Engine) {
	r.GET("/healthz", s.healthz)
	r.GET("/livez", s.livez) // /metrics is not here: it has a listener of its own (MetricsHandler)
	r.GET("/api/openapi.yaml", serveOpenAPI)
	r.GET("/static/*file", httpkit.ServeStatic)
	r.HEAD("/static/*file", httpkit.ServeStatic)

	// No login needed: the branches, the catalogue and the logins themselves.
	v1 := r.Group("/api/v1")
	v1.GET("/branches", s.branches)
	v1.GET("/titles", s.searchTitles)
	v1.GET("/titles/:id", s.getTitle)
	v1.POST("/session", s.patronLogin)
	v1.POST("/staff/session", s.staffLogin)

	// A patron's own (requirePatron): holds, series, the basket, the record and contact settings.
	my := s.patronGroup(v1)
	my.DELETE("/session", s.logout)
	my.POST("/holds", s.placeHolds)
	my.GET("/holds", s.listHolds)
	my.GET("/holds/:id", s.getHold)
	my.PATCH("/holds/:id", s.changePickup)
	my.POST("/holds/:id/cancel", s.cancelHold)
	my.POST("/holds/:id/suspend", s.suspendHold)
	my.POST("/holds/:id/resume", s.resumeHold)
	my.POST("/holds/:id/extend", s.extendHold)
	my.POST("/holds/:id/defer", s.deferHold)
	my.POST("/series", s.makeSeries)
	my.GET("/basket", s.getBasket)
	my.POST("/basket", s.addToBasket)
	my.DELETE("/basket/:title_id", s.removeFromBasket)
	my.GET("/me", s.getMe)
	my.PUT("/me/contact", s.putContact)
	my.PUT("/me/emails", s.putEmails)

	// Staff (requireStaff, under /staff): the desk's scans and lists, counter holds and decisions, the
	// catalogue and patron maintenance.
	st := s.staffGroup(v1)
	st.DELETE("/session", s.logout)
	st.POST("/checkin", s.checkin)
	st.GET("/pull-list", s.pullList)
	st.POST("/pull", s.pull)
	st.POST("/missing", s.missing)
	st.POST("/receive", s.receive)
	st.POST("/checkout", s.checkout)
	st.GET("/call-list", s.callList)
	st.GET("/hold-shelf", s.holdShelf)
	st.POST("/holds", s.counterHold)
	st.PATCH("/holds/:id", s.staffChangePickup)
	st.POST("/holds/:id/contacted", s.contacted)
	st.POST("/holds/:id/call", s.call)
	st.POST("/holds/:id/order", s.order)
	st.POST("/holds/:id/ill", s.ill)
	st.POST("/holds/:id/refuse", s.refuse)
	st.POST("/holds/:id/cancel", s.staffCancel)
	st.POST("/items", s.newItem)
	st.POST("/titles", s.staffCreateTitle)
	st.POST("/patrons", s.staffCreatePatron)
	st.POST("/patrons/:card/phones", s.staffAddPhone)
	st.GET("/reports", s.reports)        // JSON (reports.go)
	st.GET("/reports.csv", s.reportsCSV) // one report as CSV, ?report=
	st.GET("/branches/:code/calendar", s.getCalendar)
	st.PUT("/branches/:code/calendar", s.putCalendar)
	st.GET("/branches/:code/closures", s.listClosures)
	st.POST("/branches/:code/closures", s.closeBranch)
}
