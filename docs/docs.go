// Package docs holds Sesame's guides, embedded so that a running server
// serves them itself (/docs/guide) and they cannot drift from the binary.
package docs

import _ "embed"

// apiGuide is docs/api-guide.md, embedded as a string so that it cannot be
// changed at run time.
//
//go:embed api-guide.md
var apiGuide string

// APIGuide returns docs/api-guide.md: a merchant from application to a
// listed product, and a buyer from sign-in to the products, request by
// request. Each call returns a fresh copy.
func APIGuide() []byte { return []byte(apiGuide) }
