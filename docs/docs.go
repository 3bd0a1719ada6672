// Package docs holds Sesame's guides, embedded so that a running server
// serves them itself (/docs/guide) and they cannot drift from the binary.
package docs

import _ "embed"

// APIGuide is docs/api-guide.md: a merchant from application to a listed
// product, and a buyer from sign-in to the products, request by request.
//
//go:embed api-guide.md
var APIGuide []byte
