package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// refField is one field of a request body on the reference page, nested
// fields following their parent with a greater depth.
type refField struct {
	Name     string
	Depth    int
	Type     string
	Required bool
	Rules    []string
	Doc      string
}

// refBody is a request or response body: its schema's name, fields and an
// example.
type refBody struct {
	Name    string
	Status  string
	Fields  []refField
	Example string
}

// maxDepth bounds the walk of recursive schemas (a category's children).
const maxDepth = 6

// schemas resolves references within the OpenAPI document.
type schemas map[string]*huma.Schema

func (m schemas) resolve(sc *huma.Schema) *huma.Schema {
	for i := 0; sc != nil && sc.Ref != "" && i < 10; i++ {
		sc = m[sc.Ref[strings.LastIndex(sc.Ref, "/")+1:]]
	}
	return sc
}

// typeName describes a schema in a word or two: string, array of Price,
// map of string to Text.
func (m schemas) typeName(sc *huma.Schema) string {
	if sc == nil {
		return "any"
	}
	if sc.Ref != "" {
		return sc.Ref[strings.LastIndex(sc.Ref, "/")+1:]
	}
	switch sc.Type {
	case "array":
		return "array of " + m.typeName(sc.Items)
	case "object":
		if ap, ok := sc.AdditionalProperties.(*huma.Schema); ok && len(sc.Properties) == 0 {
			return "map of string to " + m.typeName(ap)
		}
	case "":
		return "any"
	}
	if sc.Format != "" {
		return sc.Type + " (" + sc.Format + ")"
	}
	return sc.Type
}

func num(f *float64) string { return strconv.FormatFloat(*f, 'f', -1, 64) }

// rules lists a schema's constraints as a reader would write them.
func rules(sc *huma.Schema) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if sc.MinLength != nil {
		add("min length %d", *sc.MinLength)
	}
	if sc.MaxLength != nil {
		add("max length %d", *sc.MaxLength)
	}
	if sc.Pattern != "" {
		add("pattern %s", sc.Pattern)
	}
	if len(sc.Enum) > 0 {
		vs := make([]string, len(sc.Enum))
		for i, v := range sc.Enum {
			vs[i] = fmt.Sprint(v)
		}
		add("one of %s", strings.Join(vs, ", "))
	}
	if sc.Minimum != nil {
		add("minimum %s", num(sc.Minimum))
	}
	if sc.Maximum != nil {
		add("maximum %s", num(sc.Maximum))
	}
	if sc.MinItems != nil {
		add("min items %d", *sc.MinItems)
	}
	if sc.MaxItems != nil {
		add("max items %d", *sc.MaxItems)
	}
	if sc.MinProperties != nil {
		add("min entries %d", *sc.MinProperties)
	}
	if sc.MaxProperties != nil {
		add("max entries %d", *sc.MaxProperties)
	}
	if sc.Default != nil {
		add("default %v", sc.Default)
	}
	return out
}

// fields flattens an object schema's properties, recursing into nested
// objects, array items and map values; prefix names the parent.
func (m schemas) fields(sc *huma.Schema, prefix string, depth int) []refField {
	sc = m.resolve(sc)
	if sc == nil || depth > maxDepth {
		return nil
	}
	var out []refField
	for _, name := range slices.Sorted(maps.Keys(sc.Properties)) {
		p := sc.Properties[name]
		rp := m.resolve(p)
		f := refField{Name: prefix + name, Depth: depth, Type: m.typeName(p), Required: slices.Contains(sc.Required, name)}
		if rp != nil {
			f.Rules = rules(rp)
			f.Doc = cmpOr(p.Description, rp.Description)
		}
		out = append(out, f)
		out = append(out, m.nested(rp, prefix+name, depth+1)...)
	}
	return out
}

// nested returns the fields inside a property: an object's own, an array's
// items' ([] appended to the name) or a map's values ({key} appended).
func (m schemas) nested(sc *huma.Schema, name string, depth int) []refField {
	if sc == nil {
		return nil
	}
	switch {
	case len(sc.Properties) > 0:
		return m.fields(sc, name+".", depth)
	case sc.Type == "array" && sc.Items != nil:
		return m.nested(m.resolve(sc.Items), name+"[]", depth)
	case sc.Type == "object":
		if ap, ok := sc.AdditionalProperties.(*huma.Schema); ok {
			return m.nested(m.resolve(ap), name+".{key}", depth)
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// example builds a plausible value for a schema: its own example or
// default if it has one, else one made from its type, constraints and the
// field's name.
func (m schemas) example(sc *huma.Schema, name string, depth int) any {
	if sc == nil {
		return nil
	}
	if sc.Ref != "" {
		return m.example(m.resolve(sc), name, depth)
	}
	if len(sc.Examples) > 0 {
		return sc.Examples[0]
	}
	if sc.Default != nil {
		return sc.Default
	}
	if len(sc.Enum) > 0 {
		return sc.Enum[0]
	}
	switch sc.Type {
	case "object":
		obj := map[string]any{}
		if depth > maxDepth {
			return obj
		}
		for k, p := range sc.Properties {
			if strings.HasPrefix(k, "$") {
				continue
			}
			obj[k] = m.example(p, k, depth+1)
		}
		if ap, ok := sc.AdditionalProperties.(*huma.Schema); ok && len(sc.Properties) == 0 {
			key := "key"
			if rap := m.resolve(ap); rap != nil && rap.Type == "string" {
				key = "colour"
			} else {
				key = "en"
			}
			obj[key] = m.example(ap, key, depth+1)
		}
		return obj
	case "array":
		if depth > maxDepth {
			return []any{}
		}
		return []any{m.example(sc.Items, strings.TrimSuffix(name, "s"), depth+1)}
	case "integer", "number":
		n := 1.0
		if sc.Minimum != nil && *sc.Minimum > n {
			n = *sc.Minimum
		}
		if sc.Maximum != nil && *sc.Maximum < n {
			n = *sc.Maximum
		}
		if name == "amount" && n <= 1 {
			n = 1250 // minor units: 12.50
		}
		if sc.Type == "integer" {
			return int64(n)
		}
		return n
	case "boolean":
		return true
	case "string":
		return exampleString(sc, name)
	}
	return nil
}

// exampleString picks a string that fits the field's name and format.
func exampleString(sc *huma.Schema, name string) string {
	switch sc.Format {
	case "date-time":
		return "2026-11-11T00:00:00Z"
	case "date":
		return "2026-11-11"
	case "uri", "uri-reference":
		return "https://shop.example/images/1.jpg"
	case "email":
		return "ana@example.com"
	}
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "email"):
		return "ana@example.com"
	case strings.Contains(n, "password"):
		return "correct horse battery"
	case n == "currency":
		return "EUR"
	case strings.Contains(n, "country"):
		return "FR"
	case n == "channel":
		return "bazaar"
	case n == "sku":
		return "CASE-001"
	case n == "lang" || n == "language":
		return "en"
	case n == "id":
		return "<id>"
	case strings.HasSuffix(n, "_id"):
		return "<" + strings.TrimSuffix(n, "_id") + " id>"
	case n == "media" || n == "url":
		return "https://cdn.example/p/1.jpg"
	case n == "slug" || n == "code":
		return "example-" + n
	case n == "phone":
		return "+33 1 23 45 67 89"
	}
	if sc.Pattern == "^[A-Z]{2}$" {
		return "FR"
	}
	if sc.MinLength != nil && *sc.MinLength > 7 {
		return strings.Repeat("x", *sc.MinLength)
	}
	return "Example " + strings.ReplaceAll(n, "_", " ")
}

// indentJSON renders an example for the page.
func indentJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// requestBody describes an operation's JSON request body, with the
// operation's documented example if it has one.
func (m schemas) requestBody(op *huma.Operation) *refBody {
	if op.RequestBody == nil {
		return nil
	}
	mt := op.RequestBody.Content["application/json"]
	if mt == nil || mt.Schema == nil {
		return nil
	}
	ex := mt.Example
	if ex == nil {
		ex = m.example(mt.Schema, "", 0)
	}
	return &refBody{Name: m.typeName(mt.Schema), Fields: m.fields(mt.Schema, "", 0), Example: indentJSON(ex)}
}

// response describes the operation's success response with an example.
func (m schemas) response(op *huma.Operation) *refBody {
	for _, code := range slices.Sorted(maps.Keys(op.Responses)) {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		b := &refBody{Status: code}
		if mt := op.Responses[code].Content["application/json"]; mt != nil && mt.Schema != nil {
			b.Name = m.typeName(mt.Schema)
			ex := mt.Example
			if ex == nil {
				ex = m.example(mt.Schema, "", 0)
			}
			b.Example = indentJSON(ex)
		}
		return b
	}
	return nil
}

// anchor makes a valid, readable HTML id from a name: lower case letters,
// digits and hyphens.
func anchor(prefix, name string) string {
	var b strings.Builder
	b.WriteString(prefix)
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
