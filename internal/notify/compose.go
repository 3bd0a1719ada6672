package notify

import (
	"strings"
	"text/template"
	"time"

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
	data := struct {
		Name, Channel, Merchant, ID                         string
		Lines                                               []mailLine
		Parcels                                             []mailParcel
		Subtotal, Discount, Shipping, Tax, Duty, Total, Due string
		Address                                             string
	}{Name: name, Channel: ch.Name, Merchant: o.MerchantName, ID: o.ID, Subtotal: format(o.Subtotal), Discount: opt(o.Discount),
		Shipping: format(o.Shipping), Tax: format(o.Tax), Duty: opt(o.Duty), Total: format(o.Total), Due: opt(o.DueOnDelivery),
		Address: mailAddress(o.Address)}
	for _, l := range o.Lines {
		data.Lines = append(data.Lines, mailLine{Quantity: l.Quantity, Title: l.Title, Total: format(l.Total)})
	}
	for _, p := range o.Parcels {
		data.Parcels = append(data.Parcels, mailParcel{Earliest: p.Earliest.String(), Latest: p.Latest.String(), ShipsFrom: p.ShipsFrom})
	}
	return render(t.subject, data), render(t.body, data)
}

// The words of the mail that an order shipped, by language.
var orderShippedText = map[string]struct{ subject, body string }{
	"en": {"Your order with {{.Merchant}} has shipped",
		`Hello {{.Name}},

{{.Merchant}} has sent your order {{.ID}} from {{.Channel}}.

Carrier: {{.Carrier}}
Tracking number: {{.Tracking}}

Ships to: {{.Address}}

Once it arrives, confirm receipt on your order's page. Unless you confirm it or report a problem, it is confirmed for you on {{.Ends}}.
`},
	"fr": {"Votre commande chez {{.Merchant}} est expédiée",
		`Bonjour {{.Name}},

{{.Merchant}} a expédié votre commande {{.ID}} passée sur {{.Channel}}.

Transporteur : {{.Carrier}}
Numéro de suivi : {{.Tracking}}

Livré à : {{.Address}}

À son arrivée, confirmez la réception sur la page de votre commande. Sans confirmation ni réclamation de votre part, elle sera confirmée le {{.Ends}}.
`},
	"zh": {"您在 {{.Merchant}} 的订单已发货",
		`{{.Name}}，您好：

{{.Merchant}}已寄出您在{{.Channel}}的订单 {{.ID}}。

承运人：{{.Carrier}}
运单号：{{.Tracking}}

收货地址：{{.Address}}

收到后请在订单页面确认收货。如您未确认也未提出问题，订单将于 {{.Ends}} 自动确认收货。
`},
}

// orderShipped is the subject and body of the mail that o shipped, in
// lang (English when Sesame does not speak it).
func orderShipped(lang string, ch channel.Channel, o order.Order, name string) (string, string) {
	t, ok := orderShippedText[lang]
	if !ok {
		t = orderShippedText["en"]
	}
	ends := ""
	if o.ProtectionEndsAt != nil {
		ends = o.ProtectionEndsAt.UTC().Format(time.DateOnly)
	}
	data := struct{ Name, Channel, Merchant, ID, Carrier, Tracking, Address, Ends string }{Name: name, Channel: ch.Name, Merchant: o.MerchantName,
		ID: o.ID, Carrier: o.Carrier, Tracking: o.TrackingNumber, Address: mailAddress(o.Address), Ends: ends}
	return render(t.subject, data), render(t.body, data)
}

// mailAddress is an address on one line.
func mailAddress(a order.Address) string {
	addr := []string{a.Name, a.Line1}
	if a.Line2 != "" {
		addr = append(addr, a.Line2)
	}
	addr = append(addr, strings.TrimSpace(a.Postcode+" "+a.City), a.Country)
	return strings.Join(addr, ", ")
}

// The words of the mails with a link, by kind and language.
var linkText = map[string]map[string]struct{ subject, body string }{
	kindVerify: {
		"en": {"Confirm your e-mail address for {{.Channel}}",
			`Hello {{.Name}},

Welcome to {{.Channel}}. To confirm that this address is yours, open this link:

{{.Link}}

The link works once, for {{.Days}} days. You can shop in the meantime.

If you did not open an account, ignore this mail: nothing happens.
`},
		"fr": {"Confirmez votre adresse e-mail sur {{.Channel}}",
			`Bonjour {{.Name}},

Bienvenue sur {{.Channel}}. Pour confirmer que cette adresse est la vôtre, ouvrez ce lien :

{{.Link}}

Le lien ne sert qu'une fois, pendant {{.Days}} jours. Vous pouvez faire vos achats en attendant.

Si vous n'avez pas ouvert de compte, ignorez ce message : rien ne se passera.
`},
		"zh": {"请确认您在{{.Channel}}的电子邮箱",
			`{{.Name}}，您好：

欢迎来到{{.Channel}}。请打开以下链接，确认此邮箱属于您：

{{.Link}}

该链接仅可使用一次，{{.Days}} 天内有效。在此期间您可以照常购物。

如果您没有注册账户，请忽略本邮件，不会有任何影响。
`},
	},
	kindReset: {
		"en": {"Reset your password for {{.Channel}}",
			`Hello {{.Name}},

Someone, probably you, asked to reset the password of your account on {{.Channel}}. To choose a new password, open this link:

{{.Link}}

The link works once, for {{.Minutes}} minutes. Once the password is changed, every device signed in to your account is signed out.

If you did not ask, ignore this mail: your password stays as it is.
`},
		"fr": {"Réinitialisez votre mot de passe sur {{.Channel}}",
			`Bonjour {{.Name}},

Quelqu'un, sans doute vous, a demandé à réinitialiser le mot de passe de votre compte sur {{.Channel}}. Pour choisir un nouveau mot de passe, ouvrez ce lien :

{{.Link}}

Le lien ne sert qu'une fois, pendant {{.Minutes}} minutes. Une fois le mot de passe changé, tous les appareils connectés à votre compte sont déconnectés.

Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.
`},
		"zh": {"重置您在{{.Channel}}的密码",
			`{{.Name}}，您好：

有人（可能是您本人）请求重置您在{{.Channel}}的账户密码。请打开以下链接设置新密码：

{{.Link}}

该链接仅可使用一次，{{.Minutes}} 分钟内有效。密码修改后，所有已登录您账户的设备都将退出登录。

如果这不是您的请求，请忽略本邮件，您的密码不会改变。
`},
	},
}

// linkMail is the subject and body of a mail of kind (kindVerify or
// kindReset) to name, whose link is link and lives for lifetime, in lang
// (English when Sesame does not speak it).
func linkMail(kind, lang, channelName, name, link string, lifetime time.Duration) (string, string) {
	t, ok := linkText[kind][lang]
	if !ok {
		t = linkText[kind]["en"]
	}
	data := struct {
		Name, Channel, Link string
		Days, Minutes       int
	}{Name: name, Channel: channelName, Link: link, Days: int(lifetime / (24 * time.Hour)), Minutes: int(lifetime / time.Minute)}
	return render(t.subject, data), render(t.body, data)
}

// render executes a mail's template text with data.
func render(s string, data any) string {
	var b strings.Builder
	template.Must(template.New("").Parse(s)).Execute(&b, data)
	return b.String()
}
