package shop_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// parcelPhoto is a photo of a crushed parcel, as a PNG.
func parcelPhoto(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 120, 90))
	for y := range 90 {
		for x := range 120 {
			c := color.RGBA{210, 180, 140, 255}
			if (x+y)%17 == 0 {
				c = color.RGBA{120, 90, 60, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postMultipart sends a multipart form with fields and, under photos,
// the files.
func (b *visitor) postMultipart(path string, fields map[string]string, files ...[]byte) (*http.Response, string) {
	b.s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for i, f := range files {
		part, _ := w.CreateFormFile("photos", "photo"+string(rune('a'+i))+".png")
		part.Write(f)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.s.srv.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", b.s.srv.URL)
	return b.do(req)
}

var photoSrc = regexp.MustCompile(`src="(/bazaar/en/orders/[^"]+/dispute/photos/dph_[0-9a-f]+)"`)

// TestDisputeOnTheStorefront: the page of a shipped order offers the
// dispute form, which posts without JavaScript, photos as files; a text
// sent as a photo goes back to the page with a notice and changes
// nothing; a form from another site is refused. The dispute then shows
// with its thread and photo, which only its buyer reads (a visitor is sent
// to sign in, another buyer finds nothing); the seller's offer shows with
// its buttons, and accepting it settles the dispute.
func TestDisputeOnTheStorefront(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		bg := context.Background()
		s := newStore(t, db, 150)
		s.sync()
		soap := inStock(t, s, "bazaar", "Savonnerie", "FR")
		o, staff := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
		v := s.visitor()
		v.signIn("/bazaar/en/")
		page := "/bazaar/en/orders/" + o.ID
		_, body := v.get(page)
		if !strings.Contains(body, `action="`+page+`/dispute"`) || !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, "Arrived damaged") {
			t.Fatalf("no dispute form on the shipped order's page:\n%s", body)
		}
		form := map[string]string{"reason": "damaged", "refund": "1,50", "message": "The bottle leaked all over the box."}
		before, _ := db.Fingerprint(bg)
		res, _ := v.postMultipart(page+"/dispute", form, []byte("not a photo at all"))
		wantRedirect(t, res, http.StatusSeeOther, page+"?msg=dispute_bad_photo")
		res, _ = v.postMultipart(page+"/dispute", map[string]string{"reason": "damaged", "refund": "lots", "message": "x"})
		wantRedirect(t, res, http.StatusSeeOther, page+"?msg=dispute_bad_refund")
		if after, _ := db.Fingerprint(bg); after != before {
			t.Fatal("a refused dispute changed the database")
		}
		pic := parcelPhoto(t)
		res, _ = v.postMultipart(page+"/dispute", form, pic)
		wantRedirect(t, res, http.StatusSeeOther, page+"?msg=dispute_opened")
		_, body = v.get(page + "?msg=dispute_opened")
		m := photoSrc.FindStringSubmatch(body)
		if !strings.Contains(body, "Your dispute is open.") || !strings.Contains(body, "Waiting for the seller") || !strings.Contains(body, "€1.50") ||
			!strings.Contains(body, "The bottle leaked all over the box.") || m == nil || strings.Contains(body, `action="`+page+`/dispute"`) {
			t.Fatalf("the disputed order's page:\n%s", body)
		}
		res, got := v.get(m[1])
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || got != string(pic) || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("the photo: %d %v", res.StatusCode, res.Header)
		}
		if res, _ := s.visitor().get(m[1]); res.StatusCode != http.StatusSeeOther {
			t.Errorf("the photo to a visitor: %d", res.StatusCode)
		}
		other := s.visitor()
		if res, _ := other.post("/bazaar/en/register", "", url.Values{"email": {"someone@example.com"}, "name": {"Someone"}, "password": {"correct horse battery"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("register: %d", res.StatusCode)
		}
		if res, _ := other.get(m[1]); res.StatusCode != http.StatusNotFound {
			t.Errorf("the photo to another buyer: %d", res.StatusCode)
		}
		if res, _ := other.postMultipart(page+"/dispute/withdraw", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("another buyer withdraws: %d", res.StatusCode)
		}

		res, _ = v.postMultipart(page+"/dispute/message", map[string]string{"message": "Here is the box."}, pic)
		wantRedirect(t, res, http.StatusSeeOther, page+"?msg=dispute_messaged")
		d, err := s.svc.Orders.OrderDispute(bg, demoBuyer(t, s), o.ID)
		if err != nil || len(d.Messages) != 2 || len(d.Messages[1].Photos) != 1 {
			t.Fatalf("the thread: %+v %v", d.Messages, err)
		}
		if _, err := s.svc.Orders.Answer(bg, staff, d.ID, order.AnswerInput{Action: "offer", Amount: 100, Message: "One euro back?"}); err != nil {
			t.Fatal(err)
		}
		_, body = v.get(page)
		if !strings.Contains(body, "The seller offers") || !strings.Contains(body, `action="`+page+`/dispute/accept"`) || !strings.Contains(body, `action="`+page+`/dispute/escalate"`) {
			t.Fatalf("the offer on the page:\n%s", body)
		}
		res, _ = v.postMultipart(page+"/dispute/accept", nil)
		wantRedirect(t, res, http.StatusSeeOther, page+"?msg=dispute_accepted")
		_, body = v.get(page)
		if !strings.Contains(body, "Partly refunded") || strings.Contains(body, `/dispute/withdraw"`) || strings.Contains(body, `name="message"`) ||
			strings.Contains(body, "You confirmed receipt") {
			t.Errorf("the settled dispute:\n%s", body)
		}
	})
}

// TestDisputeInABrowser: the buyer of a delivered order opens a dispute
// with a photo through the page's form, in English on bazaar; the seller
// offers part of the price, and the buyer accepts it; in Chinese on mall,
// a dispute awaiting the seller. Screenshots, desktop (1280×900) and phone
// (390×844).
func TestDisputeInABrowser(t *testing.T) {
	tb, s := demoTab(t, 300)
	dir, shot, do, text := tb.dir, tb.shot, tb.do, tb.text
	bg := context.Background()
	desktop, phone := chromedp.EmulateViewport(1280, 900), chromedp.EmulateViewport(390, 844)
	both := func(name, path, ready string) {
		t.Helper()
		do(name, desktop, chromedp.Navigate(s.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(ready)))
		shot(name)
		do(name+" on a phone", phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(ready)))
		shot(name + "-phone")
	}
	file := filepath.Join(t.TempDir(), "parcel.png")
	if err := os.WriteFile(file, parcelPhoto(t), 0o644); err != nil {
		t.Fatal(err)
	}
	soap := inStock(t, s, "bazaar", "Savonnerie", "FR")
	o, staff := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
	if _, err := s.svc.Orders.Deliver(bg, staff, o.ID); err != nil {
		t.Fatal(err)
	}
	do("sign in", chromedp.Navigate(s.srv.URL+"/bazaar/en/signin"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), buyerEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitNotPresent(chromedp.CSS("#password")))
	page := "/bazaar/en/orders/" + o.ID
	do("the order", desktop, chromedp.Navigate(s.srv.URL+page), chromedp.WaitVisible(chromedp.CSS(".dispute-open summary")),
		chromedp.Click(chromedp.CSS(".dispute-open summary")), chromedp.WaitVisible(chromedp.CSS(".dispute-open select")))
	do("fill the dispute", chromedp.SetValue(chromedp.CSS(`.dispute-open select[name="reason"]`), "damaged"),
		chromedp.SetValue(chromedp.CSS(`.dispute-open input[name="refund"]`), "2.00"),
		chromedp.SendKeys(chromedp.CSS(`.dispute-open textarea`), "The soap arrived broken in two; the box was crushed."),
		chromedp.SetUploadFiles(chromedp.CSS(`.dispute-open input[type="file"]`), []string{file}))
	shot("40-dispute-form")
	do("open the dispute", chromedp.Click(chromedp.CSS(`.dispute-open button`)), chromedp.WaitVisible(chromedp.CSS(".notice")),
		chromedp.WaitVisible(chromedp.CSS(".thread img")))
	if got := text(".dispute"); !strings.Contains(got, "Waiting for the seller") || !strings.Contains(got, "broken in two") {
		t.Fatalf("the dispute reads %q", got)
	}
	shot("41-dispute-open")
	d, err := s.svc.Orders.OrderDispute(bg, demoBuyer(t, s), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Orders.Answer(bg, staff, d.ID, order.AnswerInput{Action: "offer", Amount: 150, Message: "So sorry! May we refund €1.50, and you keep the soap?"}); err != nil {
		t.Fatal(err)
	}
	both("42-dispute-offer", page, ".dispute-actions")
	do("accept", desktop, chromedp.Click(chromedp.CSS(`.dispute-actions form:first-child button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(".dispute"); !strings.Contains(got, "Partly refunded") {
		t.Fatalf("the settled dispute reads %q", got)
	}
	shot("43-dispute-settled")

	shanghai := order.Address{Name: "王芳", Line1: "南京西路 1号", Postcode: "200040", City: "黄浦区", Region: "Shanghai Shi", Country: "CN"}
	mallSoap := inStock(t, s, "mall", "Savonnerie", "FR")
	zo, _ := shippedOrder(t, s, "mall", "CNY", shanghai, mallSoap)
	if _, err := s.svc.Orders.OpenDispute(bg, demoBuyer(t, s), zo.ID, order.DisputeInput{Reason: order.ReasonNotReceived, Message: "物流三周没有更新，我还没有收到包裹。",
		Photos: []order.PhotoUpload{{Data: parcelPhoto(t)}}}); err != nil {
		t.Fatal(err)
	}
	both("44-dispute-zh", "/mall/zh/orders/"+zo.ID, ".dispute")
	if got := text(".dispute"); !strings.Contains(got, "等待卖家回复") {
		t.Fatalf("the dispute in Chinese reads %q", got)
	}
	fo, _ := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
	do("the French order", desktop, chromedp.Navigate(s.srv.URL+"/bazaar/fr/orders/"+fo.ID), chromedp.WaitVisible(chromedp.CSS(".dispute-open summary")),
		chromedp.Click(chromedp.CSS(".dispute-open summary")), chromedp.WaitVisible(chromedp.CSS(".dispute-open select")))
	shot("45-dispute-form-fr")
	do("the French order on a phone", phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".dispute-open summary")),
		chromedp.Click(chromedp.CSS(".dispute-open summary")), chromedp.WaitVisible(chromedp.CSS(".dispute-open select")))
	shot("45-dispute-form-fr-phone")
	t.Logf("screenshots in %s", dir)
}

// TestReviewPhotoOnTheStorefront: the review form sends a photo as a
// file; the product's page then shows it with the review, and anyone can
// open it; a text sent as a photo goes back to the order with a notice.
func TestReviewPhotoOnTheStorefront(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 150)
		s.sync()
		soap := inStock(t, s, "bazaar", "Savonnerie", "FR")
		o := confirmedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
		v := s.visitor()
		v.signIn("/bazaar/en/")
		page := "/bazaar/en/orders/" + o.ID
		form := map[string]string{"line": o.Lines[0].ID, "stars": "5", "text": "Exactly as in the picture."}
		res, _ := v.postMultipart(page+"/reviews", form, []byte("GIF89a but not really"))
		wantRedirect(t, res, http.StatusSeeOther, page+"?msg=review_bad_photo")
		res, _ = v.postMultipart(page+"/reviews", form, parcelPhoto(t))
		wantRedirect(t, res, http.StatusSeeOther, page+"?msg=reviewed")
		res, _ = s.visitor().get("/bazaar/en/p/" + soap.ID)
		_, body := s.visitor().get(res.Header.Get("Location"))
		m := regexp.MustCompile(`<img src="(/api/v1/reviews/rev_[0-9a-f]+/photos/rph_[0-9a-f]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no review photo on the product's page:\n%s", body)
		}
		if res, got := s.visitor().get(m[1]); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || got != string(parcelPhoto(t)) {
			t.Errorf("the photo to a visitor: %d %v", res.StatusCode, res.Header)
		}
	})
}

// TestDisputeAndPayoutsInTheConsole: an operator opens the escalated
// dispute from the dashboard, reads its thread and photo, and decides a
// partial refund; then runs the payouts and sees what each merchant was
// paid; the disputes in Chinese. Screenshots, desktop and phone.
func TestDisputeAndPayoutsInTheConsole(t *testing.T) {
	tb, s := demoTab(t, 300)
	do, text := tb.do, tb.text
	bg := context.Background()
	shots := func(name string) {
		t.Helper()
		do("desktop", chromedp.EmulateViewport(1280, 900))
		tb.shot(name)
		do("phone", chromedp.EmulateViewport(390, 844))
		tb.shot(name + "-phone")
		do("desktop", chromedp.EmulateViewport(1280, 900))
	}
	soap := inStock(t, s, "bazaar", "Savonnerie", "FR")
	o, staff := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)
	buyer := demoBuyer(t, s)
	d, err := s.svc.Orders.OpenDispute(bg, buyer, o.ID, order.DisputeInput{Reason: order.ReasonNotAsDescribed, Message: "The scent is nothing like lavender.",
		Photos: []order.PhotoUpload{{Data: parcelPhoto(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Orders.Answer(bg, staff, d.ID, order.AnswerInput{Action: "contest", Message: "It is our lavender soap, as described."}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Orders.Escalate(bg, buyer, d.ID); err != nil {
		t.Fatal(err)
	}
	// A confirmed order, so that the payouts have something to pay.
	confirmedOrder(t, s, "bazaar", "EUR", testkit.Paris(), soap)

	do("desktop", chromedp.EmulateViewport(1280, 900))
	do("console", chromedp.Navigate(s.srv.URL+"/admin/en/"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), operatorEmail), chromedp.SendKeys(chromedp.CSS("#password"), "sesame-demo"),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS(".counts")))
	do("disputes", chromedp.Click(chromedp.CSS(`.counts a[href$="disputes?status=escalated"]`)), chromedp.WaitVisible(chromedp.CSS("table.data")))
	if got := text("table.data tbody"); !strings.Contains(got, "Savonnerie de Provence") || !strings.Contains(got, "Not as described") {
		t.Fatalf("the escalated disputes read %q", got)
	}
	shots("console-20-disputes-en")
	do("the dispute", chromedp.Click(chromedp.CSS(`table.data a[href$="`+d.ID+`"]`)), chromedp.WaitVisible(chromedp.CSS("#decide-refund")),
		chromedp.WaitVisible(chromedp.CSS(".thread img")))
	shots("console-21-dispute-en")
	do("decide", chromedp.SetValue(chromedp.CSS("#decide-refund"), "5.00"),
		chromedp.SendKeys(chromedp.CSS("#decide-message"), "The photo shows the soap as listed; the seller refunds €5 as a gesture."),
		chromedp.Click(chromedp.CSS(`form[action$="/decide"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text("h1"); !strings.Contains(got, "Closed") {
		t.Fatalf("after the decision the page reads %q", got)
	}
	shots("console-22-dispute-decided-en")
	if got, err := s.svc.Orders.Dispute(bg, buyer, d.ID); err != nil || got.Outcome != order.OutcomePartiallyRefunded || got.Refund.Minor != 500 {
		t.Fatalf("the dispute: %+v %v", got, err)
	}
	do("payouts", chromedp.Click(chromedp.CSS(`.links a[href$="/payouts"]`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/payouts/run"]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/payouts/run"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text("table.data tbody"); !strings.Contains(got, "Savonnerie de Provence") || !strings.Contains(got, "Paid") {
		t.Fatalf("the payouts read %q", got)
	}
	shots("console-23-payouts-en")
	do("disputes zh", chromedp.Navigate(s.srv.URL+"/admin/zh/disputes/"+d.ID), chromedp.WaitVisible(chromedp.CSS(".thread")))
	shots("console-24-dispute-zh")
	do("payouts fr", chromedp.Navigate(s.srv.URL+"/admin/fr/payouts"), chromedp.WaitVisible(chromedp.CSS("table.data")))
	shots("console-25-payouts-fr")
}
