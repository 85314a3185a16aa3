package httpkit

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// csvBOM starts every CSV answer: Excel, which most libraries open reports in, reads UTF-8 (the titles'
// Japanese) only with it.
const csvBOM = "\ufeff"

// CSV answers rows as a CSV file named filename (UTF-8 with a byte order mark, CRLF line ends), offered
// as a download.
func (w *Kit) CSV(c *gin.Context, filename string, rows [][]string) {
	var buf bytes.Buffer
	buf.WriteString(csvBOM)
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	if err := cw.WriteAll(rows); err != nil {
		w.Internal(c, fmt.Errorf("csv %s: %w", filename, err))
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, filename))
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
