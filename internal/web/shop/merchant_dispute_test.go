package shop_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-market/sesame/internal/identity"
	"github.com/sesame-market/sesame/internal/order"
	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
)

// postPhotos sends a multipart form with fields and, under photos, the
// files.
func (b *visitor) postPhotos(path string, fields url.Values, files ...[]byte) (*http.Response, string) {
	b.s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for _, f := range files {
		part, _ := w.CreateFormFile("photos", "photo.png")
		part.Write(f)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.s.srv.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", b.s.srv.URL)
	return b.do(req)
}

// TestMerchantDisputes: staff see the disputes awaiting their answer with
// their deadlines, read the buyer's photos, offer a partial refund, refund
// in full or contest, and write with a photo; refused answers say why and
// change nothing; another merchant's dispute is not found.
func TestMerchantDisputes(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		s := newStore(t, db, 150)
		ctx := context.Background()
		p := inStock(t, s, "bazaar", "Shenzhen", "CN")
		open := func() order.Dispute {
			t.Helper()
			so, _ := shippedOrder(t, s, "bazaar", "EUR", testkit.Paris(), p)
			d, err := s.svc.Orders.OpenDispute(ctx, demoBuyer(t, s), so.ID, order.DisputeInput{Reason: order.ReasonDamaged, Message: "Cracked on arrival.",
				Photos: []order.PhotoUpload{{Data: parcelPhoto(t)}}})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		d1, d2, d3 := open(), open(), open()
		m := s.sellerVisitor(shenzhenEmail)
		home := "/merchant/en/disputes/"

		_, body := m.get("/merchant/en/disputes")
		for _, want := range []string{`<a href="` + home + d1.ID + `">` + d1.ID + `</a>`, d2.ID, "Arrived damaged", d1.ReplyDueAt.UTC().Format("2006-01-02 15:04"),
			`<option value="awaiting_merchant" selected>`} {
			if !strings.Contains(body, want) {
				t.Errorf("the disputes lack %q", want)
			}
		}
		_, body = m.get(home + d1.ID)
		photo := regexp.MustCompile(`<img src="(` + home + d1.ID + `/photos/[^"]+)"`).FindStringSubmatch(body)
		for _, want := range []string{"Cracked on arrival.", "Answer by " + d1.ReplyDueAt.UTC().Format("2006-01-02 15:04"), `name="answer" value="offer"`, `<label for="answer-amount">`} {
			if !strings.Contains(body, want) {
				t.Errorf("the dispute's page lacks %q", want)
			}
		}
		if photo == nil {
			t.Fatalf("the dispute's page shows no photo:\n%s", body)
		}
		if res, _ := m.get(photo[1]); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
			t.Errorf("the buyer's photo: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}

		other := s.sellerVisitor(savonEmail)
		for _, path := range []string{home + d1.ID, photo[1]} {
			if res, _ := other.get(path); res.StatusCode != http.StatusNotFound {
				t.Errorf("another merchant opens %s: %d", path, res.StatusCode)
			}
		}
		if _, body := other.get("/merchant/en/disputes?status="); strings.Contains(body, d1.ID) {
			t.Error("another merchant lists the dispute")
		}
		for _, c := range []struct {
			name   string
			v      *visitor
			path   string
			origin string
			form   url.Values
			status int
			says   string
		}{
			{"another merchant answers", other, home + d1.ID + "/answer", "", url.Values{"answer": {"refund"}}, http.StatusNotFound, ""},
			{"another merchant writes", other, home + d1.ID + "/message", "", url.Values{"message": {"Hello"}}, http.StatusNotFound, ""},
			{"offer too high", m, home + d1.ID + "/answer", "", url.Values{"answer": {"offer"}, "amount": {"9999"}}, http.StatusBadRequest, "An offer is an amount"},
			{"offer not an amount", m, home + d1.ID + "/answer", "", url.Values{"answer": {"offer"}, "amount": {"some"}}, http.StatusBadRequest, "An offer is an amount"},
			{"contest without a word", m, home + d1.ID + "/answer", "", url.Values{"answer": {"contest"}}, http.StatusBadRequest, "Write a message"},
			{"no answer", m, home + d1.ID + "/answer", "", url.Values{}, http.StatusBadRequest, "Choose your answer"},
			{"empty message", m, home + d1.ID + "/message", "", url.Values{"message": {" "}}, http.StatusBadRequest, "Write a message"},
			{"unknown action", m, home + d1.ID + "/withdraw", "", nil, http.StatusNotFound, ""},
			{"unknown dispute", m, home + "dsp_00000000000000000000000000000000/answer", "", url.Values{"answer": {"refund"}}, http.StatusNotFound, ""},
			{"cross-site", m, home + d1.ID + "/answer", "https://evil.example", url.Values{"answer": {"refund"}}, http.StatusForbidden, ""},
			{"signed out", s.visitor(), home + d1.ID + "/answer", "", url.Values{"answer": {"refund"}}, http.StatusSeeOther, ""},
		} {
			before := s.fingerprint()
			res, body := c.v.post(c.path, c.origin, c.form)
			if res.StatusCode != c.status || !strings.Contains(body, c.says) {
				t.Errorf("%s: %d, want %d saying %q\n%s", c.name, res.StatusCode, c.status, c.says, body)
			}
			if s.fingerprint() != before {
				t.Errorf("%s changed the database", c.name)
			}
		}

		// An offer, then a second answer is a conflict.
		res, _ := m.post(home+d1.ID+"/answer", "", url.Values{"answer": {"offer"}, "amount": {"1,00"}, "message": {"One euro for the trouble?"}})
		wantRedirect(t, res, http.StatusSeeOther, home+d1.ID+"?done=answer")
		got, err := s.svc.Orders.Dispute(ctx, identity.System, d1.ID)
		if err != nil || got.Status != order.DisputeAwaitingBuyer || got.Offer == nil || got.Offer.Minor != 100 {
			t.Fatalf("after the offer: %+v (%v)", got, err)
		}
		if res, body := m.post(home+d1.ID+"/answer", "", url.Values{"answer": {"refund"}}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "has moved on") {
			t.Errorf("answering twice: %d", res.StatusCode)
		}
		_, body = m.get(home + d1.ID + "?done=answer")
		if !strings.Contains(body, "Your answer is sent") || !strings.Contains(body, "One euro for the trouble?") || strings.Contains(body, `name="answer"`) {
			t.Errorf("the answered dispute's page:\n%s", body)
		}
		// A message with a photo.
		res, _ = m.postPhotos(home+d1.ID+"/message", url.Values{"message": {"Here is the parcel as we sent it."}}, parcelPhoto(t))
		wantRedirect(t, res, http.StatusSeeOther, home+d1.ID+"?done=message")
		got, _ = s.svc.Orders.Dispute(ctx, identity.System, d1.ID)
		last := got.Messages[len(got.Messages)-1]
		if last.Author != order.PartyMerchant || last.Body != "Here is the parcel as we sent it." || len(last.Photos) != 1 {
			t.Fatalf("the merchant's message: %+v", last)
		}

		// A full refund, and a contest.
		res, _ = m.post("/merchant/fr/disputes/"+d2.ID+"/answer", "", url.Values{"answer": {"refund"}})
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/fr/disputes/"+d2.ID+"?done=answer")
		if got, _ := s.svc.Orders.Dispute(ctx, identity.System, d2.ID); got.Status != order.DisputeRefunding && got.Status != order.DisputeClosed {
			t.Errorf("after the refund: %s", got.Status)
		}
		res, _ = m.post("/merchant/zh/disputes/"+d3.ID+"/answer", "", url.Values{"answer": {"contest"}, "message": {"包裹出库时完好无损。"}})
		wantRedirect(t, res, http.StatusSeeOther, "/merchant/zh/disputes/"+d3.ID+"?done=answer")
		if got, _ := s.svc.Orders.Dispute(ctx, identity.System, d3.ID); !got.Contested || got.Status != order.DisputeAwaitingBuyer {
			t.Errorf("after contesting: %s %v", got.Status, got.Contested)
		}
		_, body = m.get("/merchant/en/disputes")
		if strings.Contains(body, d1.ID) || strings.Contains(body, d3.ID) {
			t.Error("answered disputes are still awaiting the merchant")
		}
		_, body = m.get("/merchant/en/disputes?status=awaiting_buyer")
		if !strings.Contains(body, d1.ID) || !strings.Contains(body, d3.ID) {
			t.Error("the disputes awaiting the buyer lack the answered ones")
		}
	})
}
