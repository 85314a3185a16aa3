package httpkit

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// BindJSON decodes the request body as one JSON value into v. Unknown fields are ignored; malformed JSON,
// an empty body, trailing data or a value of the wrong type answer 400 bad_request, and a body over the
// size limit (limitBody) answers 413 payload_too_large. On failure it has already aborted the request and
// returns false:
//
//	var req struct{ Barcode string `json:"barcode"` }
//	if !bindJSON(c, &req) {
//		return
//	}
func BindJSON(c *gin.Context, v any) bool {
	if c.Request.Body == nil {
		FailCode(c, CodeBadRequest)
		return false
	}
	dec := json.NewDecoder(c.Request.Body)
	err := dec.Decode(v)
	if err == nil {
		// Exactly one JSON value: anything but whitespace after it is malformed.
		var extra json.RawMessage
		if err2 := dec.Decode(&extra); !errors.Is(err2, io.EOF) {
			err = err2
			if err == nil {
				err = errors.New("trailing data after the JSON value")
			}
		}
	}
	if err == nil {
		return true
	}
	failBody(c, err)
	return false
}

// failBody answers a request body that could not be read: 413 payload_too_large when it is over the size
// limit (limitBody), else 400 bad_request. The JSON bodies (BindJSON) and the forms (checkCSRF) alike.
func failBody(c *gin.Context, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		FailCode(c, CodeTooLarge)
		return
	}
	FailCode(c, CodeBadRequest)
}
