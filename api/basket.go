package api

// The reservation basket (予約かご): GET, POST /api/v1/basket and DELETE /api/v1/basket/{title_id}. The
// basket is the patron's own, kept in the database (it survives logout); placing holds from it is
// POST /api/v1/holds, which takes placed titles out of it.

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"yoyaku/httpkit"
	"yoyaku/library"
	"yoyaku/store"
)

// BasketJSON is the OpenAPI document's basket.
type BasketJSON struct {
	Limit  int               `json:"limit"`
	Titles []BasketTitleJSON `json:"titles"`
}

// BasketTitleJSON is one title in the basket.
type BasketTitleJSON struct {
	TitleID string    `json:"title_id"`
	Title   string    `json:"title"`
	AddedAt time.Time `json:"added_at"`
}

type basketRequest struct {
	TitleIDs []string `json:"title_ids"`
}

// getBasket is GET /api/v1/basket: the patron's basket, oldest first.
func (s *Server) getBasket(c *gin.Context) {
	s.answerBasket(c)
}

// addToBasket is POST /api/v1/basket: it adds one title or several (from the search results' checkboxes),
// all or nothing. A title already in the basket is no error and is not added twice. Unknown or malformed
// IDs are 404 not_found, reference-only titles and e-texts 422 not_holdable, and more than 10 IDs or a
// basket that would hold more than 10 titles 422 basket_full; then nothing is added.
func (s *Server) addToBasket(c *gin.Context) {
	var req basketRequest
	if !httpkit.BindJSON(c, &req) {
		return
	}
	if err := s.Lib.AddToBasket(c.Request.Context(), httpkit.PatronID(c), req.TitleIDs); err != nil {
		s.FailErr(c, err)
		return
	}
	s.answerBasket(c)
}

// removeFromBasket is DELETE /api/v1/basket/{title_id}: 204 whether or not the title was in the basket;
// an ID that is not one of ours is 404.
func (s *Server) removeFromBasket(c *gin.Context) {
	id, ok := library.ParseID(c.Param("title_id"))
	if !ok {
		httpkit.Fail(c, http.StatusNotFound, httpkit.CodeNotFound)
		return
	}
	if err := store.RemoveFromBasket(c.Request.Context(), s.DB, httpkit.PatronID(c), id); err != nil {
		s.Internal(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) answerBasket(c *gin.Context) {
	items, err := store.Basket(c.Request.Context(), s.DB, httpkit.PatronID(c))
	if err != nil {
		s.Internal(c, err)
		return
	}
	b := BasketJSON{Limit: store.BasketLimit, Titles: make([]BasketTitleJSON, len(items))}
	for i, it := range items {
		b.Titles[i] = BasketTitleJSON{TitleID: httpkit.IDString(it.TitleID), Title: it.Title, AddedAt: it.AddedAt}
	}
	c.JSON(http.StatusOK, b)
}
