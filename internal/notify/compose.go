package notify

import (
	"strings"
	"text/template"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
)

// The words of the order confirmation, by language.
var orderPaidText = map[string]struct{ subject, body string }{
	"en": {"Your order with {{.Merchant}} is confirmed",
		`Hello {{.Name}},

Thank you for your order on {{.Channel}}. {{.Merchant}} has it and will send it.

Order {{.ID}}
{{range .Lines}}  {{.Quantity}} × {{.Title}}  {{.Total}}
{{end}}
Items: {{.Subtotal}}{{if .Discount}}
Discounts: -{{.Discount}}{{end}}
Shipping: {{.Shipping}}
Taxes: {{.Tax}}{{if .Duty}}
Duties and fees: {{.Duty}}{{end}}
Total paid: {{.Total}}{{if .Due}}
About {{.Due}} of import VAT and duty is to be paid to the carrier on delivery.{{end}}
{{range .Parcels}}
Expected between {{.Earliest}} and {{.Latest}}, from {{.ShipsFrom}}.{{end}}

Ships to: {{.Address}}

The merchant is paid only once you confirm delivery.
`},
	"fr": {"Votre commande chez {{.Merchant}} est confirmée",
		`Bonjour {{.Name}},

Merci pour votre commande sur {{.Channel}}. {{.Merchant}} l'a reçue et va l'expédier.

Commande {{.ID}}
{{range .Lines}}  {{.Quantity}} × {{.Title}}  {{.Total}}
{{end}}
Articles : {{.Subtotal}}{{if .Discount}}
Réductions : -{{.Discount}}{{end}}
Livraison : {{.Shipping}}
Taxes : {{.Tax}}{{if .Duty}}
Droits et frais : {{.Duty}}{{end}}
Total payé : {{.Total}}{{if .Due}}
Environ {{.Due}} de TVA à l'import et de droits restent à payer au transporteur à la livraison.{{end}}
{{range .Parcels}}
Livraison prévue entre le {{.Earliest}} et le {{.Latest}}, depuis : {{.ShipsFrom}}.{{end}}

Livré à : {{.Address}}

Le marchand n'est payé qu'une fois la livraison confirmée par vous.
`},
	"zh": {"您在 {{.Merchant}} 的订单已确认",
		`{{.Name}}，您好：

感谢您在{{.Channel}}下单。{{.Merchant}}已收到订单，将尽快发货。

订单 {{.ID}}
{{range .Lines}}  {{.Quantity}} × {{.Title}}  {{.Total}}
{{end}}
商品：{{.Subtotal}}{{if .Discount}}
优惠：-{{.Discount}}{{end}}
运费：{{.Shipping}}
税费：{{.Tax}}{{if .Duty}}
关税及手续费：{{.Duty}}{{end}}
实付：{{.Total}}{{if .Due}}
收货时约需向承运人支付 {{.Due}} 的进口税费。{{end}}
{{range .Parcels}}
预计 {{.Earliest}} 至 {{.Latest}} 送达，发货地：{{.ShipsFrom}}。{{end}}

收货地址：{{.Address}}

您确认收货后，商家才会收到货款。
`},
}

type mailLine struct {
	Quantity     int64
	Title, Total string
}

type mailParcel struct{ Earliest, Latest, ShipsFrom string }

// orderPaid is the subject and body of the confirmation of o, paid, in
// lang (English when Sesame does not speak it), with amounts formatted by
// format.
func orderPaid(lang string, ch channel.Channel, o order.Order, name string, format func(money.Amount) string) (string, string) {
	t, ok := orderPaidText[lang]
	if !ok {
		t = orderPaidText["en"]
	}
	opt := func(a money.Amount) string {
		if a.Minor == 0 {
			return ""
		}
		return format(a)
	}
	addr := []string{o.Address.Name, o.Address.Line1}
	if o.Address.Line2 != "" {
		addr = append(addr, o.Address.Line2)
	}
	addr = append(addr, strings.TrimSpace(o.Address.Postcode+" "+o.Address.City), o.Address.Country)
	data := struct {
		Name, Channel, Merchant, ID                         string
		Lines                                               []mailLine
		Parcels                                             []mailParcel
		Subtotal, Discount, Shipping, Tax, Duty, Total, Due string
		Address                                             string
	}{Name: name, Channel: ch.Name, Merchant: o.MerchantName, ID: o.ID, Subtotal: format(o.Subtotal), Discount: opt(o.Discount),
		Shipping: format(o.Shipping), Tax: format(o.Tax), Duty: opt(o.Duty), Total: format(o.Total), Due: opt(o.DueOnDelivery),
		Address: strings.Join(addr, ", ")}
	for _, l := range o.Lines {
		data.Lines = append(data.Lines, mailLine{Quantity: l.Quantity, Title: l.Title, Total: format(l.Total)})
	}
	for _, p := range o.Parcels {
		data.Parcels = append(data.Parcels, mailParcel{Earliest: p.Earliest.String(), Latest: p.Latest.String(), ShipsFrom: p.ShipsFrom})
	}
	render := func(s string) string {
		var b strings.Builder
		template.Must(template.New("").Parse(s)).Execute(&b, data)
		return b.String()
	}
	return render(t.subject), render(t.body)
}
