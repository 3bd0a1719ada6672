package shop_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/catalog"
	"github.com/sesame-market/sesame/internal/demo"
	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// operatorEmail is the demo operator's account.
const operatorEmail = "operator@sesame.example"

// apply files a merchant application as a company would, through the
// service; it returns the pending merchant.
func (s *store) apply(name, email string) merchant.Merchant {
	s.t.Helper()
	m, _, err := s.svc.Merchants.Apply(context.Background(), identity.Actor{}, merchant.Application{Name: name, Country: "FR",
		Trader: merchant.Trader{LegalName: name + " SAS", RegistrationNumber: "FR-123456", Address: "1 rue de la Paix, 75002 Paris", Email: email, Phone: "+33 1 23 45 67 89", SelfCertified: true},
		Owner:  identity.Registration{Email: email, Name: "Owner of " + name, Password: demo.Password}})
	if err != nil {
		s.t.Fatal(err)
	}
	return m
}

// consoleVisitor is a visitor signed in to the console as the demo
// operator.
func (s *store) consoleVisitor() *visitor {
	s.t.Helper()
	v := s.visitor()
	res, _ := v.post("/admin/en/signin", "", url.Values{"email": {operatorEmail}, "password": {demo.Password}, "next": {"/admin/en/applications"}})
	wantRedirect(s.t, res, http.StatusSeeOther, "/admin/en/applications")
	if v.session() == "" {
		s.t.Fatal("no session after the operator's sign-in")
	}
	return v
}

// signedInAs is a visitor signed in on the bazaar storefront as email.
func (s *store) signedInAs(email string) *visitor {
	s.t.Helper()
	v := s.visitor()
	res, _ := v.post("/bazaar/en/signin", "", url.Values{"email": {email}, "password": {demo.Password}})
	if res.StatusCode != http.StatusSeeOther || v.session() == "" {
		s.t.Fatalf("sign-in as %s: %d", email, res.StatusCode)
	}
	return v
}

func (s *store) fingerprint() string {
	s.t.Helper()
	fp, err := s.db.Fingerprint(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return fp
}

// TestConsoleAccess: operators see the console; anyone signed out is sent
// to its sign-in page; buyers, merchant staff and partners get the page of
// an unknown address, for the pages and the forms alike.
func TestConsoleAccess(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 10)
		m := s.apply("Atelier Anonyme", "owner@atelier-anonyme.example")
		pages := []string{"/admin/en/", "/admin/en/applications", "/admin/fr/applications?status=approved", "/admin/zh/applications/" + m.ID, "/admin/en/brands"}

		anon := s.visitor()
		res, _ := anon.get("/admin")
		wantRedirect(t, res, http.StatusFound, "/admin/en/")
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/admin", nil)
		req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
		res, _ = anon.do(req)
		wantRedirect(t, res, http.StatusFound, "/admin/zh/")
		for _, p := range pages {
			res, _ := anon.get(p)
			u, _ := url.Parse(p)
			lang := strings.Split(u.Path, "/")[2]
			wantRedirect(t, res, http.StatusSeeOther, "/admin/"+lang+"/signin?next="+url.QueryEscape(u.Path))
		}
		before := s.fingerprint()
		res, _ = anon.post("/admin/en/applications/"+m.ID+"/approve", "", nil)
		wantRedirect(t, res, http.StatusSeeOther, "/admin/en/signin?next=%2Fadmin%2Fen%2F")
		if s.fingerprint() != before {
			t.Error("an anonymous approval changed the database")
		}

		_, unknown := s.consoleVisitor().get("/admin/en/nothing-here")
		for _, email := range []string{buyerEmail, "cases@shenzhen-case.example", "partner@francilienne-logistique.example"} {
			v := s.signedInAs(email)
			for _, p := range pages {
				res, body := v.get(p)
				if res.StatusCode != http.StatusNotFound || strings.Contains(body, "/admin/en/brands") || strings.Contains(body, "Atelier") {
					t.Errorf("%s opens %s: %d\n%s", email, p, res.StatusCode, body)
				}
			}
			before := s.fingerprint()
			for _, post := range []struct {
				path string
				form url.Values
			}{
				{"/admin/en/applications/" + m.ID + "/approve", nil},
				{"/admin/en/applications/" + m.ID + "/reject", url.Values{"reason": {"no"}}},
				{"/admin/en/brands", url.Values{"slug": {"sneaky"}, "name": {"Sneaky"}}},
			} {
				if res, _ := v.post(post.path, "", post.form); res.StatusCode != http.StatusNotFound {
					t.Errorf("%s posts %s: %d", email, post.path, res.StatusCode)
				}
			}
			if s.fingerprint() != before {
				t.Errorf("%s changed the database through the console", email)
			}
			// The console's sign-in refuses them as it would a wrong
			// password, and leaves no session.
			w := s.visitor()
			res, body := w.post("/admin/en/signin", "", url.Values{"email": {email}, "password": {demo.Password}})
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong e-mail or password.") || w.session() != "" {
				t.Errorf("%s signs in to the console: %d", email, res.StatusCode)
			}
		}
		if strings.Contains(unknown, "Atelier") {
			t.Error("the unknown page shows the console's data")
		}

		op := s.consoleVisitor()
		for _, p := range pages {
			if res, body := op.get(p); res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/admin/`) {
				t.Errorf("the operator opens %s: %d", p, res.StatusCode)
			}
		}
		if res, _ := op.get("/admin/de/"); res.StatusCode != http.StatusNotFound {
			t.Errorf("a console in German: %d", res.StatusCode)
		}
		// A signed-in operator on the sign-in page goes on.
		res, _ = op.get("/admin/en/signin?next=/admin/en/brands")
		wantRedirect(t, res, http.StatusSeeOther, "/admin/en/brands")
		res, _ = op.get("/admin/en/signin?next=https://evil.example/")
		wantRedirect(t, res, http.StatusSeeOther, "/admin/en/")
		// Signing out ends the session.
		res, _ = op.post("/admin/en/signout", "", nil)
		wantRedirect(t, res, http.StatusSeeOther, "/admin/en/signin")
		if res, _ := op.get("/admin/en/"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("signed out, the dashboard answers %d", res.StatusCode)
		}
	})
}

// TestConsoleReview: an operator approves, rejects and suspends through
// the application's page; a refused form says why and changes nothing.
func TestConsoleReview(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 10)
		ctx := context.Background()
		a := s.apply("Atelier Alpha", "owner@atelier-alpha.example")
		b := s.apply("Bureau Beta", "owner@bureau-beta.example")
		s.apply("Comptoir Gamma", "owner@comptoir-gamma.example")
		op := s.consoleVisitor()

		_, body := op.get("/admin/en/")
		if !regexp.MustCompile(`<span class="count-n">4</span> applications waiting`).MatchString(body) {
			t.Errorf("the dashboard does not count 4 waiting (the demo's and these 3) applications:\n%s", body)
		}
		_, body = op.get("/admin/en/applications")
		for _, want := range []string{`<a href="/admin/en/applications/` + a.ID + `">Atelier Alpha</a>`, "Bureau Beta", `<th scope="col">`, `<option value="pending" selected>`} {
			if !strings.Contains(body, want) {
				t.Errorf("the applications lack %q", want)
			}
		}
		_, body = op.get("/admin/fr/applications?status=approved")
		if strings.Contains(body, "Atelier Alpha") || !strings.Contains(body, "Shenzhen Case Factory") {
			t.Error("the approved filter shows the wrong merchants")
		}
		if res, _ := op.get("/admin/en/applications?status=nonsense"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("an unknown status filter: %d", res.StatusCode)
		}
		// Paging: 20 a page, the next page from the last id.
		_, body = op.get("/admin/en/applications?status=")
		next := regexp.MustCompile(`href="(/admin/en/applications\?status=&amp;after=[^"]+)" rel="next"`).FindStringSubmatch(body)
		if next == nil {
			t.Fatalf("every merchant on one page:\n%s", body)
		}
		_, body2 := op.get(strings.ReplaceAll(next[1], "&amp;", "&"))
		first := regexp.MustCompile(`<th scope="row"><a href="([^"]+)"`).FindStringSubmatch(body2)
		if first == nil || strings.Contains(body, first[1]+`"`) {
			t.Error("the next page repeats the first or is empty")
		}

		_, body = op.get("/admin/en/applications/" + a.ID)
		for _, want := range []string{"Atelier Alpha SAS", "FR-123456", "1 rue de la Paix", `action="/admin/en/applications/` + a.ID + `/approve"`, `<label for="reject-reason">`} {
			if !strings.Contains(body, want) {
				t.Errorf("the application page lacks %q", want)
			}
		}
		if strings.Contains(body, "/suspend") {
			t.Error("a pending application offers suspension")
		}

		refused := []struct {
			name, path, origin string
			form               url.Values
			status             int
			says               string
		}{
			{"empty reason", "/admin/en/applications/" + a.ID + "/reject", "", url.Values{"reason": {"  "}}, http.StatusBadRequest, "Give a reason of 1 to 1,000 characters"},
			{"long reason", "/admin/en/applications/" + a.ID + "/reject", "", url.Values{"reason": {strings.Repeat("é", 1001)}}, http.StatusBadRequest, "Give a reason"},
			{"suspend pending", "/admin/en/applications/" + a.ID + "/suspend", "", url.Values{"reason": {"fraud"}}, http.StatusConflict, "no longer allows this"},
			{"unknown id", "/admin/en/applications/mer_00000000000000000000000000/approve", "", nil, http.StatusNotFound, ""},
			{"odd id", "/admin/en/applications/nonsense/approve", "", nil, http.StatusNotFound, ""},
			{"unknown action", "/admin/en/applications/" + a.ID + "/delete", "", nil, http.StatusNotFound, ""},
			{"cross-site", "/admin/en/applications/" + a.ID + "/approve", "https://evil.example", nil, http.StatusForbidden, ""},
		}
		for _, c := range refused {
			before := s.fingerprint()
			res, body := op.post(c.path, c.origin, c.form)
			if res.StatusCode != c.status || !strings.Contains(body, c.says) {
				t.Errorf("%s: %d, want %d saying %q\n%s", c.name, res.StatusCode, c.status, c.says, body)
			}
			if s.fingerprint() != before {
				t.Errorf("%s changed the database", c.name)
			}
		}
		// The refused reason is kept in its field, marked invalid.
		_, body = op.post("/admin/fr/applications/"+a.ID+"/reject", "", url.Values{"reason": {""}})
		if !strings.Contains(body, `aria-invalid="true" aria-describedby="form-error"`) || !strings.Contains(body, "Indiquez un motif") {
			t.Errorf("the refused rejection is not marked:\n%s", body)
		}

		res, _ := op.post("/admin/en/applications/"+a.ID+"/approve", "", nil)
		wantRedirect(t, res, http.StatusSeeOther, "/admin/en/applications/"+a.ID+"?done=approve")
		_, body = op.get(res.Header.Get("Location"))
		if !strings.Contains(body, "The merchant is approved") || !strings.Contains(body, "/suspend") {
			t.Errorf("the approved merchant's page:\n%s", body)
		}
		if got, _ := s.svc.Merchants.Merchant(ctx, identity.System, a.ID); got.Status != merchant.Approved {
			t.Fatalf("status %s after approval", got.Status)
		}
		// Approving again is a conflict, shown on the page.
		if res, body := op.post("/admin/en/applications/"+a.ID+"/approve", "", nil); res.StatusCode != http.StatusConflict || !strings.Contains(body, "no longer allows") {
			t.Errorf("approving twice: %d", res.StatusCode)
		}

		res, _ = op.post("/admin/en/applications/"+a.ID+"/suspend", "", url.Values{"reason": {"Counterfeit reports under review"}})
		wantRedirect(t, res, http.StatusSeeOther, "/admin/en/applications/"+a.ID+"?done=suspend")
		_, body = op.get(res.Header.Get("Location"))
		if !strings.Contains(body, "Reason given: Counterfeit reports under review") || !strings.Contains(body, "Reinstate") {
			t.Errorf("the suspended merchant's page:\n%s", body)
		}

		res, _ = op.post("/admin/zh/applications/"+b.ID+"/reject", "", url.Values{"reason": {"营业执照无法核实"}})
		wantRedirect(t, res, http.StatusSeeOther, "/admin/zh/applications/"+b.ID+"?done=reject")
		if got, _ := s.svc.Merchants.Merchant(ctx, identity.System, b.ID); got.Status != merchant.Rejected || got.StatusReason != "营业执照无法核实" {
			t.Fatalf("after rejection: %s %q", got.Status, got.StatusReason)
		}
		_, body = op.get("/admin/en/")
		if !strings.Contains(body, `<span class="count-n">2</span> applications waiting`) {
			t.Error("the dashboard still counts waiting applications")
		}
	})
}

// TestConsoleBrands: an operator registers a marketplace brand, authorises
// a merchant to use it and withdraws the authorisation; refused forms say
// why and change nothing.
func TestConsoleBrands(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 10)
		ctx := context.Background()
		op := s.consoleVisitor()
		shenzhen, err := s.svc.Merchants.List(ctx, identity.System, merchant.Approved, "", 1)
		if err != nil || len(shenzhen) == 0 {
			t.Fatal(err)
		}
		mid := shenzhen[0].ID

		_, body := op.get("/admin/en/brands")
		if !strings.Contains(body, "ArmorLite") || !strings.Contains(body, "Shenzhen Case Factory") || !strings.Contains(body, `<label for="brand-slug">`) {
			t.Errorf("the registry lacks the demo's brands or the form:\n%s", body)
		}
		for _, c := range []struct {
			name   string
			form   url.Values
			status int
			says   string
		}{
			{"bad slug", url.Values{"slug": {"Not A Slug!"}, "name": {"Sesame Select"}}, http.StatusBadRequest, "2 to 60 lower-case letters"},
			{"no name", url.Values{"slug": {"sesame-select"}, "name": {""}}, http.StatusBadRequest, "Enter the brand"},
			{"taken slug", url.Values{"slug": {"armorlite"}, "name": {"Armor"}}, http.StatusConflict, "already has this short name"},
		} {
			before := s.fingerprint()
			res, body := op.post("/admin/en/brands", "", c.form)
			if res.StatusCode != c.status || !strings.Contains(body, c.says) || !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("%s: %d, want %d saying %q\n%s", c.name, res.StatusCode, c.status, c.says, body)
			}
			if s.fingerprint() != before {
				t.Errorf("%s changed the database", c.name)
			}
		}
		res, _ := op.post("/admin/en/brands", "", url.Values{"slug": {"sesame-select"}, "name": {"Sesame Select"}})
		loc := res.Header.Get("Location")
		m := regexp.MustCompile(`^/admin/en/brands/(brd_[0-9a-z]+)\?done=created$`).FindStringSubmatch(loc)
		if res.StatusCode != http.StatusSeeOther || m == nil {
			t.Fatalf("creating a brand: %d to %q", res.StatusCode, loc)
		}
		bid := m[1]
		_, body = op.get(loc)
		if !strings.Contains(body, "The brand is registered") || !strings.Contains(body, "Marketplace brand") || !strings.Contains(body, `<option value="`+mid+`">`) {
			t.Errorf("the new brand's page:\n%s", body)
		}

		for _, c := range []struct {
			name, path, origin string
			form               url.Values
			status             int
		}{
			{"no merchant", "/admin/en/brands/" + bid + "/authorise", "", url.Values{"merchant": {""}}, http.StatusBadRequest},
			{"unknown merchant", "/admin/en/brands/" + bid + "/authorise", "", url.Values{"merchant": {"mer_00000000000000000000000000"}}, http.StatusBadRequest},
			{"unknown brand", "/admin/en/brands/brd_00000000000000000000000000/authorise", "", url.Values{"merchant": {mid}}, http.StatusNotFound},
			{"revoke none", "/admin/en/brands/" + bid + "/revoke", "", url.Values{"merchant": {mid}}, http.StatusBadRequest},
			{"cross-site", "/admin/en/brands/" + bid + "/authorise", "https://evil.example", url.Values{"merchant": {mid}}, http.StatusForbidden},
			{"cross-site brand", "/admin/en/brands", "https://evil.example", url.Values{"slug": {"evil"}, "name": {"Evil"}}, http.StatusForbidden},
		} {
			before := s.fingerprint()
			res, body := op.post(c.path, c.origin, c.form)
			if res.StatusCode != c.status {
				t.Errorf("%s: %d, want %d\n%s", c.name, res.StatusCode, c.status, body)
			}
			if c.status == http.StatusBadRequest && !strings.Contains(body, "Choose a merchant from the list.") {
				t.Errorf("%s does not say why", c.name)
			}
			if s.fingerprint() != before {
				t.Errorf("%s changed the database", c.name)
			}
		}

		res, _ = op.post("/admin/en/brands/"+bid+"/authorise", "", url.Values{"merchant": {mid}})
		wantRedirect(t, res, http.StatusSeeOther, "/admin/en/brands/"+bid+"?done=authorise")
		as, err := s.svc.Catalog.BrandAuthorisations(ctx, identity.System, bid)
		if err != nil || len(as) != 1 || as[0].MerchantID != mid {
			t.Fatalf("authorisations %v, %v", as, err)
		}
		if err := catalog.MayUseBrand(catalog.Brand{ID: bid}, mid, true); err != nil {
			t.Fatal(err)
		}
		_, body = op.get("/admin/en/brands/" + bid + "?done=authorise")
		if !strings.Contains(body, "The merchant may now use this brand.") || !strings.Contains(body, fmt.Sprintf(`<th scope="row"><a href="/admin/en/applications/%s">%s</a>`, mid, shenzhen[0].Name)) ||
			strings.Contains(body, `<option value="`+mid+`">`) {
			t.Errorf("the brand's page after authorising:\n%s", body)
		}
		res, _ = op.post("/admin/en/brands/"+bid+"/revoke", "", url.Values{"merchant": {mid}})
		wantRedirect(t, res, http.StatusSeeOther, "/admin/en/brands/"+bid+"?done=revoke")
		if as, _ := s.svc.Catalog.BrandAuthorisations(ctx, identity.System, bid); len(as) != 0 {
			t.Fatalf("authorisations after withdrawal: %v", as)
		}
		if res, _ := op.get("/admin/en/brands/brd_00000000000000000000000000"); res.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown brand's page: %d", res.StatusCode)
		}
	})
}
