package httpkit

// The static files of the pages (static/), served at /static/ with content-hashed addresses.

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

//go:embed static
var staticFiles embed.FS

type staticFile struct {
	body  []byte
	etag  string
	ctype string
}

var staticIndex = sync.OnceValue(func() map[string]staticFile {
	out := map[string]staticFile{}
	err := fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[strings.TrimPrefix(p, "static/")] = staticFile{body: b, etag: hex.EncodeToString(sum[:8]), ctype: ctype}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
})

// staticURL is the address of a static file with its content hash, so that it can be cached long.
func staticURL(name string) string {
	if f, ok := staticIndex()[name]; ok {
		return "/static/" + name + "?v=" + f.etag
	}
	return "/static/" + name
}

// ServeStatic serves static/ at /static/: long caching for versioned addresses (?v=hash, as staticURL
// makes them), short otherwise, with an ETag either way.
func ServeStatic(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	f, ok := staticIndex()[name]
	if !ok {
		c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("404 not found\n"))
		return
	}
	if c.Query("v") == f.etag {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "public, max-age=300")
	}
	etag := `"` + f.etag + `"`
	c.Header("ETag", etag)
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, f.ctype, f.body)
}
