package webtest

import (
	"net/http"
	"os"
	"strconv"
	"testing"
)

// TestCheck: the checker accepts what the document declares and refuses
// the rest, including answers to routes the document does not have.
func TestCheck(t *testing.T) {
	doc, err := os.ReadFile("../testdata/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewContract(doc)
	if err != nil {
		t.Fatal(err)
	}
	problem := func(status int, typ string) string {
		return `{"type":"` + typ + `","title":"` + http.StatusText(status) + `","status":` + strconv.Itoa(status) + `}`
	}
	for _, tc := range []struct {
		name, method, path string
		status             int
		ctype, body        string
		ok                 bool
	}{
		{"declared problem", "GET", "/api/v1/products/prd_x", 404, "application/problem+json", problem(404, "/problems/not-found"), true},
		{"problem missing its status", "GET", "/api/v1/products/prd_x", 404, "application/problem+json", `{"type":"/problems/not-found","title":"Not Found"}`, false},
		{"undeclared status", "GET", "/api/v1/channels", 418, "application/problem+json", problem(418, "/problems/internal"), false},
		{"405 as a problem", "DELETE", "/api/v1/channels", 405, "application/problem+json", problem(405, "/problems/invalid"), true},
		{"405 as text", "DELETE", "/api/v1/channels", 405, "text/plain; charset=utf-8", "Method Not Allowed\n", false},
		{"unknown route as text", "GET", "/api/v1/nope", 404, "text/plain; charset=utf-8", "404 page not found\n", false},
		{"unknown route as a problem", "GET", "/api/v1/nope", 404, "application/problem+json", problem(404, "/problems/not-found"), true},
		{"a page", "GET", "/docs", 200, "text/html", "<!doctype html>", true},
	} {
		req, _ := http.NewRequest(tc.method, "http://sesame.test"+tc.path, nil)
		res := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {tc.ctype}}, Request: req}
		err := c.Check(req, nil, res, []byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("%s: error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
