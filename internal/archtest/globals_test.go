package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Sesame keeps no package-level mutable state: dependencies (caches,
// policies, hooks) are passed in, so that two servers in one process, or two
// tests in parallel, cannot see each other's. The rules below are what the
// walk checks in every non-test file:
//
//   - an exported package-level var is refused when its kind is mutable: a
//     slice, map, struct, array, pointer, channel, function or interface, a
//     value of a named type, or the result of a call (which is one of those
//     as a rule). Make it a const, a function returning a fresh value, or
//     unexported and never written after start-up.
//   - a package-level var holding a function literal is refused exported or
//     not: it is a hook for tests to overwrite (pass it in instead).
//
// Allowed, whatever their kind:
//
//   - `var _ X = ...`: compile-time interface checks, never read.
//   - sentinel errors made by errors.New or fmt.Errorf (compared, never
//     written; the standard library's own convention).
//   - //go:embed variables of type embed.FS (read-only by construction) or
//     string (immutable).
//   - the entries of globalAllowlist, each with its reason.
//
// Unexported tables (regular expressions, error-kind maps, header values)
// are left to review: they are written only by their declaration.

// globalAllowlist lists the exported package-level variables of a mutable
// kind that are allowed, as "package path.Name", with the reason. Nothing may
// assign to them (TestNoAssignmentToAllowedGlobals).
var globalAllowlist = map[string]string{
	"internal/identity.System": "a struct of strings, copied at every use like a constant (Go has no struct constants)",
}

// globalProblem returns what is wrong with the package-level var name,
// declared by spec (index i of its names) in the decl of package pkg, or "".
func globalProblem(pkg string, decl *ast.GenDecl, spec *ast.ValueSpec, i int) string {
	name := spec.Names[i].Name
	var value ast.Expr
	if len(spec.Values) == len(spec.Names) {
		value = spec.Values[i]
	}
	if name == "_" {
		return ""
	}
	if _, ok := value.(*ast.FuncLit); ok {
		return "a package-level function variable is a hook to overwrite: pass it in"
	}
	if !ast.IsExported(name) {
		return ""
	}
	if _, ok := globalAllowlist[pkg+"."+name]; ok {
		return ""
	}
	if embedded(decl, spec) {
		if t := types.ExprString(spec.Type); t == "embed.FS" || t == "string" {
			return ""
		}
		return "an embedded file is an embed.FS or a string (a []byte can be written)"
	}
	if isSentinelError(spec.Type, value) {
		return ""
	}
	kind := "a value of a named type"
	if spec.Type != nil {
		kind = typeKind(spec.Type)
	} else if value != nil {
		kind = valueKind(value)
	}
	if kind == "" {
		return ""
	}
	return "an exported package-level var holding " + kind + " is shared mutable state: make it a const, a function returning a fresh value, or unexported"
}

func embedded(decl *ast.GenDecl, spec *ast.ValueSpec) bool {
	for _, doc := range []*ast.CommentGroup{decl.Doc, spec.Doc} {
		if doc == nil {
			continue
		}
		for _, c := range doc.List {
			if strings.HasPrefix(c.Text, "//go:embed ") {
				return true
			}
		}
	}
	return false
}

func isSentinelError(typ, value ast.Expr) bool {
	if id, ok := typ.(*ast.Ident); ok && id.Name == "error" {
		return true
	}
	call, ok := value.(*ast.CallExpr)
	if !ok {
		return false
	}
	fn := types.ExprString(call.Fun)
	return fn == "errors.New" || fn == "fmt.Errorf"
}

// basic are the predeclared types whose values are immutable.
var basic = []string{"bool", "string", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64",
	"uintptr", "float32", "float64", "complex64", "complex128", "byte", "rune"}

// typeKind names the mutable kind of a declared type, or "" for a basic type.
func typeKind(t ast.Expr) string {
	switch t := t.(type) {
	case *ast.Ident:
		if slices.Contains(basic, t.Name) {
			return ""
		}
	case *ast.ArrayType:
		if t.Len == nil {
			return "a slice"
		}
		return "an array"
	case *ast.MapType:
		return "a map"
	case *ast.StarExpr:
		return "a pointer"
	case *ast.StructType:
		return "a struct"
	case *ast.ChanType:
		return "a channel"
	case *ast.FuncType:
		return "a function"
	case *ast.InterfaceType:
		return "an interface"
	}
	return "a value of a named type"
}

// valueKind names the mutable kind of an initial value without a declared
// type, or "" for a constant expression.
func valueKind(v ast.Expr) string {
	switch v := v.(type) {
	case *ast.BasicLit, *ast.BinaryExpr:
		return ""
	case *ast.Ident: // true, false, or another constant
		return ""
	case *ast.CompositeLit:
		if v.Type == nil {
			return "a composite value"
		}
		if k := typeKind(v.Type); k != "a value of a named type" {
			return k
		}
		return "a struct"
	case *ast.UnaryExpr:
		if v.Op == token.AND {
			return "a pointer"
		}
		return ""
	case *ast.FuncLit:
		return "a function"
	case *ast.CallExpr:
		return "the result of a call"
	}
	return "a value of a named type"
}

// globalProblems returns the problems of the package-level vars of f, a
// non-test file of package pkg (relative to the module).
func globalProblems(pkg string, f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		decl, ok := d.(*ast.GenDecl)
		if !ok || decl.Tok != token.VAR {
			continue
		}
		for _, s := range decl.Specs {
			spec := s.(*ast.ValueSpec)
			for i, n := range spec.Names {
				if why := globalProblem(pkg, decl, spec, i); why != "" {
					out = append(out, n.Name+": "+why)
				}
			}
		}
	}
	return out
}

// goFiles calls fn with every Go file of the module (tests included when
// tests is set), its package path relative to the module, and its syntax.
func goFiles(t *testing.T, tests bool, fn func(rel, pkg string, f *ast.File)) int {
	t.Helper()
	root := filepath.Join("..", "..")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || (!tests && strings.HasSuffix(path, "_test.go")) {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		n++
		fn(rel, filepath.ToSlash(filepath.Dir(rel)), f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNoMutableGlobals checks every non-test Go file of the module against
// the rules above.
func TestNoMutableGlobals(t *testing.T) {
	n := goFiles(t, false, func(rel, pkg string, f *ast.File) {
		for _, p := range globalProblems(pkg, f) {
			t.Errorf("%s: %s", rel, p)
		}
	})
	if n < 40 {
		t.Fatalf("checked only %d files", n)
	}
}

// TestNoAssignmentToAllowedGlobals: the allowed exported variables are
// constants in all but name, so no file, tests included, assigns to them or
// to a part of them, or takes their address.
func TestNoAssignmentToAllowedGlobals(t *testing.T) {
	goFiles(t, true, func(rel, pkg string, f *ast.File) {
		for _, w := range globalWrites(pkg, f) {
			t.Errorf("%s: %s", rel, w)
		}
	})
}

// globalWrites returns the writes of f (in package pkg) to an allowlisted
// variable.
func globalWrites(pkg string, f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		var targets []ast.Expr
		switch s := n.(type) {
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE {
				targets = s.Lhs
			}
		case *ast.IncDecStmt:
			targets = []ast.Expr{s.X}
		case *ast.UnaryExpr: // &identity.System hands out a way to write it
			if s.Op == token.AND {
				targets = []ast.Expr{s.X}
			}
		}
		for _, e := range targets {
			if key := allowedGlobalNamed(pkg, f, e); key != "" {
				out = append(out, "writes "+types.ExprString(e)+" ("+key+")")
			}
		}
		return true
	})
	return out
}

// allowedGlobalNamed returns the allowlist key of the variable that e (an
// assignment's target) is or is part of, or "". Inside the variable's own
// package a bare name counts (a local of the same name would be flagged too:
// rename it).
func allowedGlobalNamed(pkg string, f *ast.File, e ast.Expr) string {
	for key := range globalAllowlist {
		dot := strings.LastIndex(key, ".")
		p, name := key[:dot], key[dot+1:]
		for x := e; x != nil; {
			switch y := x.(type) {
			case *ast.SelectorExpr:
				if id, ok := y.X.(*ast.Ident); ok && y.Sel.Name == name && imports(f, id.Name, module+p) {
					return key
				}
				x = y.X
			case *ast.IndexExpr:
				x = y.X
			case *ast.ParenExpr:
				x = y.X
			case *ast.StarExpr:
				x = y.X
			case *ast.Ident:
				if y.Name == name && pkg == p {
					return key
				}
				x = nil
			default:
				x = nil
			}
		}
	}
	return ""
}

// imports reports whether f imports path under the name id.
func imports(f *ast.File, id, path string) bool {
	for _, im := range f.Imports {
		p := strings.Trim(im.Path.Value, `"`)
		name := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		if p == path && name == id {
			return true
		}
	}
	return false
}

// TestGlobalRuleCases pins what the rule allows and refuses, so that the walk
// above cannot pass by checking nothing.
func TestGlobalRuleCases(t *testing.T) {
	for _, c := range []struct {
		pkg, src string
		ok       bool
	}{
		{"internal/catalog", `var FallbackLanguages = []string{"en", "fr", "zh"}`, false},
		{"internal/identity", `var DefaultThrottle = ThrottlePolicy{Threshold: 5}`, false},
		{"internal/web/api", `var NoIdempotency = map[string]bool{"/a": true}`, false},
		{"internal/money", `var Default = NewFormatters(64)`, false},
		{"internal/money", `var Default *Formatters`, false},
		{"internal/x", `var Table [3]int`, false},
		{"internal/x", "import _ \"embed\"\n//go:embed a.md\nvar Guide []byte", false},
		{"cmd/sesame", `var idempotencyStore = func() int { return 1 }`, false},
		{"internal/x", `var Hook = func() {}`, false},
		{"internal/money", `var ErrBound = errors.New("beyond the bound")`, true},
		{"internal/x", `var ErrX = fmt.Errorf("x: %w", io.EOF)`, true},
		{"internal/x", `var ErrY error`, true},
		{"internal/x", "import \"embed\"\n//go:embed static\nvar Static embed.FS", true},
		{"internal/x", "import _ \"embed\"\n//go:embed a.md\nvar Guide string", true},
		{"internal/sqlstore", `var _ catalog.Store = (*Catalog)(nil)`, true},
		{"internal/identity", `var System = Actor{Role: Operator}`, true},
		{"internal/merchant", `var System = Actor{Role: Operator}`, false},
		{"internal/x", `var cache = map[string]int{}`, true},
		{"cmd/sesame", `var version = "0.1.0-dev"`, true},
		{"internal/x", `var Version = "dev"`, true},
		{"internal/x", `var Limit int = 3`, true},
	} {
		f, err := parser.ParseFile(token.NewFileSet(), "x.go", "package x\n"+c.src, parser.ParseComments)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		got := globalProblems(c.pkg, f)
		if (len(got) == 0) != c.ok {
			t.Errorf("%s in %s: problems %q, want allowed %v", c.src, c.pkg, got, c.ok)
		}
	}
}

// TestAssignmentCases pins what TestNoAssignmentToAllowedGlobals sees.
func TestAssignmentCases(t *testing.T) {
	for _, c := range []struct {
		pkg, src string
		writes   bool
	}{
		{"internal/web", `identity.System.MerchantID = "m"`, true},
		{"internal/web", `identity.System = identity.Actor{}`, true},
		{"internal/web", `p := &identity.System; _ = p`, true},
		{"internal/web", `sys := identity.System; sys.MerchantID = "m"`, false},
		{"internal/identity", `System.Role = Staff`, true},
		{"internal/web", `other.System = 1`, false},
	} {
		src := "package x\nimport \"" + module + "internal/identity\"\nfunc f() {\n" + c.src + "\n}"
		f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		found := len(globalWrites(c.pkg, f)) > 0
		if found != c.writes {
			t.Errorf("%s in %s: writes %v, want %v", c.src, c.pkg, found, c.writes)
		}
	}
}
