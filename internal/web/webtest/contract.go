// Package webtest checks HTTP exchanges against Sesame's OpenAPI document,
// for the tests of the web layer and of the binary: every response a test
// receives must be one the document declares, with a body of the declared
// schema (formats included), so the contract cannot drift from the code.
package webtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrs "github.com/pb33f/libopenapi-validator/errors"
)

// Contract validates exchanges against one OpenAPI document.
type Contract struct {
	mu sync.Mutex // the validator's caches are not documented as safe for concurrent use
	v  validator.Validator
}

// NewContract reads an OpenAPI 3.1 document.
func NewContract(doc []byte) (*Contract, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, err
	}
	v, es := validator.NewValidator(d, config.WithFormatAssertions())
	if len(es) > 0 {
		return nil, fmt.Errorf("openapi document: %v", es)
	}
	return &Contract{v: v}, nil
}

// Check validates a response (and, when it succeeded, the request that
// produced it) against the document. reqBody and resBody are the bodies
// already read. A request to a path or method the document does not
// declare (and that is not an API operation) must be answered with a
// problem document of the response's status.
func (c *Contract) Check(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	rs := *res
	rs.Body = io.NopCloser(bytes.NewReader(resBody))
	rs.Request = r
	ok, es := c.v.ValidateHttpResponse(r, &rs)
	if !ok && undeclared(es) {
		if !strings.HasPrefix(req.URL.Path, "/api/") {
			return nil // pages, /openapi.json, /healthz: not operations of the API
		}
		return problem(req, res, resBody)
	}
	if ok && res.StatusCode < 300 {
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		ok, es = c.v.ValidateHttpRequestSync(r)
	}
	if ok {
		return nil
	}
	return fmt.Errorf("%s %s answered %d, which breaks the OpenAPI document:%s\nbody: %.600s", req.Method, req.URL.RequestURI(), res.StatusCode, describe(es), resBody)
}

func undeclared(es []*verrs.ValidationError) bool {
	for _, e := range es {
		if e.IsPathMissingError() || e.IsOperationMissingError() {
			return true
		}
	}
	return false
}

// problem checks an answer to an undeclared route: a problem document
// carrying the response's status.
func problem(req *http.Request, res *http.Response, body []byte) error {
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
	}
	if mt != "application/problem+json" || json.Unmarshal(body, &p) != nil || p.Status != res.StatusCode || !strings.HasPrefix(p.Type, "/problems/") || p.Title == "" {
		return fmt.Errorf("%s %s (no such operation) answered %d %s, not a problem document: %.300s",
			req.Method, req.URL.RequestURI(), res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	return nil
}

func describe(es []*verrs.ValidationError) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "\n  - %s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s: %s", f.FieldPath, f.Reason)
		}
	}
	return b.String()
}

// CheckRequest validates a request (parameters, credentials and body)
// against the document.
func (c *Contract) CheckRequest(req *http.Request, body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	if ok, es := c.v.ValidateHttpRequestSync(r); !ok {
		return fmt.Errorf("%s %s breaks the OpenAPI document:%s", req.Method, req.URL.RequestURI(), describe(es))
	}
	return nil
}
