package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"

	"github.com/sesame-market/sesame/docs"
)

type guidePage struct {
	Title   string
	Version string
	Body    template.HTML
}

// renderGuide turns the embedded API guide into HTML once, at start-up.
// goldmark escapes any raw HTML in the Markdown (its safe default), so the
// result may be inserted as is.
func renderGuide() (template.HTML, error) {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithParserOptions(parser.WithAutoHeadingID()))
	var buf bytes.Buffer
	if err := md.Convert(docs.APIGuide(), &buf); err != nil {
		return "", fmt.Errorf("api guide: %w", err)
	}
	return template.HTML(buf.String()), nil
}

func (s *Server) guide(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "guide.html", guidePage{Title: "Sesame API guide", Version: s.cfg.Version, Body: s.guideHTML})
}
