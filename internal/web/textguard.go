package web

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxCheckedBody is how much of a JSON body refuseBadText reads to check it;
// a longer body is passed on whole, for the operation's own size limit to
// refuse.
const maxCheckedBody = 8 << 20

// refuseBadText refuses, with 422, a JSON body that is not valid UTF-8 and a
// query value that is not valid UTF-8 or holds a NUL. Go's JSON decoder
// would silently replace invalid bytes with U+FFFD, so the domain's own text
// checks (package text) would never see them; PostgreSQL cannot store NUL at
// all. Text inside valid JSON (a \u0000 escape, control characters) is left
// to the domain's normalise-and-validate step, which knows the field.
func (s *Server) refuseBadText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.URL.Query() {
			for _, v := range append(vs, k) {
				if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
					writeProblem(w, http.StatusUnprocessableEntity, "query parameter "+strings.ToValidUTF8(k, "?")+" must be valid UTF-8 without NUL characters")
					return
				}
			}
		}
		if r.Body != nil && r.Body != http.NoBody && jsonBody(r.Header.Get("Content-Type")) {
			head, err := io.ReadAll(io.LimitReader(r.Body, maxCheckedBody+1))
			if err != nil {
				writeProblem(w, http.StatusBadRequest, "the request body could not be read")
				return
			}
			if len(head) <= maxCheckedBody && !utf8.Valid(head) {
				writeProblem(w, http.StatusUnprocessableEntity, "the request body is not valid UTF-8")
				return
			}
			r.Body = readCloser{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		}
		next.ServeHTTP(w, r)
	})
}

func jsonBody(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// readCloser reads from one reader and closes another (the original body).
type readCloser struct {
	io.Reader
	io.Closer
}
