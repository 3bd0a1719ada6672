package notify

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/channel"
	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/money"
	"github.com/sesame-market/sesame/internal/order"
)

// The mails of an order's later moves, to whom each concerns: the buyer
// when it is delivered (with the day it confirms itself); the merchant
// when the buyer extends the protection; both when it is confirmed (the
// buyer invited to review, the merchant told its settlement is available),
// when it is cancelled (the merchant only if it had been paid: it must not
// ship), and when an operator refunds it after completion. A move a
// dispute made is mailed as the dispute's (dispute.go).
const (
	kindOrderDelivered = "order_delivered"
	kindOrderExtended  = "order_protection_extended"
	kindOrderConfirmed = "order_confirmed"
	kindOrderCancelled = "order_cancelled"
	kindOrderRefunded  = "order_refunded"
	kindCompensated    = "order_compensated"
)

// compensationMail mails a late order's buyer their coupon: its code, its
// value and until when it is valid, once per order.
func (s *Service) compensationMail(ctx context.Context, e events.Event) error {
	var p events.Compensation
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.OrderID == "" || p.CouponCode == "" {
		return nil // not an event Sesame wrote
	}
	return s.orderMail(ctx, e, kindCompensated, func(lang string, ch channel.Channel, o order.Order, name string) (string, string) {
		a := money.Amount{Minor: p.Amount, Currency: p.Currency}
		value := a.Decimal() + " " + a.Currency
		if s.Money != nil {
			value = s.Money.Format(a, lang)
		}
		t := lifecycleText(kindCompensated, "buyer", lang)
		data := struct{ Name, Channel, Merchant, ID, Code, Value, ValidTo string }{Name: name, Channel: ch.Name, Merchant: o.MerchantName, ID: o.ID,
			Code: p.CouponCode, Value: value, ValidTo: p.ValidTo.UTC().Format(time.DateOnly)}
		return render(t.subject, data), render(t.body, data)
	})
}

// lifecycleMail queues the mails of an order event, each once per kind,
// order and recipient. Without Merchants it mails the buyer only.
func (s *Service) lifecycleMail(ctx context.Context, e events.Event) error {
	var p events.OrderChange
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.OrderID == "" {
		return nil // not an event Sesame wrote
	}
	var kind string
	var toBuyer, toMerchant bool
	switch e.Type {
	case events.OrderDelivered:
		kind, toBuyer = kindOrderDelivered, true
	case events.OrderProtectionExtended:
		kind, toMerchant = kindOrderExtended, true
	case events.OrderConfirmed:
		if strings.HasPrefix(p.Reason, "dispute_") {
			return nil
		}
		kind, toBuyer, toMerchant = kindOrderConfirmed, true, true
	case events.OrderCancelled:
		kind, toBuyer = kindOrderCancelled, true
		toMerchant = p.Reason != "payment_failed" && p.Reason != "payment_expired"
	case events.OrderRefunded:
		kind, toBuyer, toMerchant = kindOrderRefunded, true, true
	default:
		return nil
	}
	o, err := s.Orders.Order(ctx, p.OrderID)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if kind == kindOrderRefunded && (o.Refund == nil || !o.Refund.AfterCompletion) {
		return nil // a dispute's refund, mailed as the dispute's
	}
	ch, err := s.Channels.Public(ctx, o.ChannelID)
	if err != nil {
		return err
	}
	format := func(lang string, a money.Amount) string {
		if a.Minor == 0 {
			return ""
		}
		if s.Money != nil {
			return s.Money.Format(a, lang)
		}
		return a.Decimal() + " " + a.Currency
	}
	ends := ""
	if p.ProtectionEndsAt != nil {
		ends = p.ProtectionEndsAt.UTC().Format(time.DateOnly)
	}
	settle := o.Settlement
	refund := money.Amount{Currency: o.Total.Currency}
	if o.Refund != nil {
		settle.Minor -= o.Refund.Settlement.Minor
		refund = o.Refund.Amount
	}
	reserve, _ := order.ReserveOf(o, settle.Minor)
	until := ""
	if reserve > 0 {
		until = p.At.UTC().AddDate(0, 0, o.Reserve.Days).Format(time.DateOnly)
	}
	now := s.now()
	queue := func(to, name, lang, who string) error {
		t := lifecycleText(kind, who, lang)
		data := struct {
			Name, Channel, Merchant, ID, Ends, Total, Settlement, Reserve, ReserveUntil, Refund, Reason string
			ByBuyer                                                                                     bool
		}{Name: name, Channel: ch.Name, Merchant: o.MerchantName, ID: o.ID, Ends: ends, Total: format(lang, o.Total),
			Settlement: format(lang, settle), Reserve: format(lang, money.Amount{Minor: reserve, Currency: settle.Currency}), ReserveUntil: until,
			Refund: format(lang, refund), Reason: p.Reason, ByBuyer: p.Reason == "confirmed_by_buyer"}
		return s.Store.QueueMail(ctx, Mail{ID: ids.New(ids.Mail), Dedupe: kind + ":" + o.ID + ":" + who, Kind: kind, To: to, ToName: name,
			Lang: lang, Subject: render(t.subject, data), Body: render(t.body, data), CreatedAt: now, NextAt: now})
	}
	if toBuyer {
		u, err := s.Users.UserByID(ctx, o.BuyerID)
		if err != nil {
			return err
		}
		if err := queue(u.Email, u.Name, ch.DefaultLanguage, "buyer"); err != nil {
			return err
		}
	}
	if toMerchant && s.Merchants != nil {
		m, err := s.Merchants.Merchant(ctx, o.MerchantID)
		if err != nil {
			return err
		}
		if m.Trader.Email != "" {
			return queue(m.Trader.Email, m.Name, merchantLanguage(m), "merchant")
		}
	}
	return nil
}

// lifecycleText is the words of the mail of kind to who (buyer, merchant)
// in lang (English when Sesame does not speak it).
func lifecycleText(kind, who, lang string) mailText {
	t, ok := lifecycleTexts[kind+":"+who][lang]
	if !ok {
		t = lifecycleTexts[kind+":"+who]["en"]
	}
	return t
}

var lifecycleTexts = map[string]map[string]mailText{
	kindCompensated + ":buyer": {
		"en": {"Your order {{.ID}} was late: {{.Value}} off your next order", `Hello {{.Name}},

Your order {{.ID}} from {{.Merchant}} did not arrive by the latest day we promised. We are sorry.

Here is {{.Value}} off your next order on {{.Channel}}, with no claim to make: enter the code {{.Code}} in your cart by {{.ValidTo}}. It is yours alone, for one order.

If your order has still not arrived, you can open a dispute from its page.
`},
		"fr": {"Votre commande {{.ID}} est en retard : {{.Value}} offerts sur la prochaine", `Bonjour {{.Name}},

Votre commande {{.ID}} chez {{.Merchant}} n'est pas arrivée au plus tard le jour promis. Nous en sommes désolés.

Voici {{.Value}} de réduction sur votre prochaine commande sur {{.Channel}}, sans rien à réclamer : saisissez le code {{.Code}} dans votre panier avant le {{.ValidTo}}. Il n'est valable que pour vous, sur une commande.

Si votre commande n'est toujours pas arrivée, vous pouvez ouvrir un litige depuis sa page.
`},
		"zh": {"您的订单 {{.ID}} 延误了：下一单立减 {{.Value}}", `{{.Name}}，您好：

您在{{.Merchant}}的订单 {{.ID}} 未能在我们承诺的最晚日期前送达，非常抱歉。

无需申请，我们送您{{.Channel}}下一单立减 {{.Value}}：请在 {{.ValidTo}} 之前在购物车中输入优惠码 {{.Code}}。该优惠码仅限您本人使用一次。

如果您的订单仍未送达，可以在订单页面提出纠纷。
`},
	},
	kindOrderDelivered + ":buyer": {
		"en": {"Your order {{.ID}} was delivered", `Hello {{.Name}},

Your order {{.ID}} from {{.Merchant}} on {{.Channel}} was delivered.

Once you have checked it, confirm receipt on your order page: {{.Merchant}} is paid only then. If something is wrong, open a dispute from the same page before {{.Ends}}. Without either, the order confirms itself on {{.Ends}}.
`},
		"fr": {"Votre commande {{.ID}} a été livrée", `Bonjour {{.Name}},

Votre commande {{.ID}} chez {{.Merchant}} sur {{.Channel}} a été livrée.

Après l'avoir vérifiée, confirmez la réception sur la page de la commande : {{.Merchant}} n'est payé qu'à ce moment-là. En cas de problème, ouvrez un litige depuis la même page avant le {{.Ends}}. Sans l'un ni l'autre, la commande se confirme d'elle-même le {{.Ends}}.
`},
		"zh": {"您的订单 {{.ID}} 已送达", `{{.Name}}，您好：

您在{{.Channel}}向{{.Merchant}}购买的订单 {{.ID}} 已送达。

检查无误后，请在订单页面确认收货：{{.Merchant}}在您确认后才会收到货款。如有问题，请在 {{.Ends}} 之前在同一页面提出纠纷。如您既未确认也未提出纠纷，订单将于 {{.Ends}} 自动确认收货。
`},
	},
	kindOrderExtended + ":merchant": {
		"en": {"The buyer of order {{.ID}} extended their protection", `Hello {{.Name}},

The buyer of order {{.ID}} on {{.Channel}} extended their protection: the order now confirms itself on {{.Ends}}, unless they confirm receipt or open a dispute first. You are paid once it is confirmed.
`},
		"fr": {"L'acheteur de la commande {{.ID}} a prolongé sa protection", `Bonjour {{.Name}},

L'acheteur de la commande {{.ID}} sur {{.Channel}} a prolongé sa protection : la commande se confirme désormais d'elle-même le {{.Ends}}, sauf s'il confirme la réception ou ouvre un litige avant. Vous êtes payé une fois la commande confirmée.
`},
		"zh": {"订单 {{.ID}} 的买家延长了保障期", `{{.Name}}，您好：

{{.Channel}}上订单 {{.ID}} 的买家延长了买家保障期：除非买家提前确认收货或提出纠纷，订单将于 {{.Ends}} 自动确认收货。订单确认后您将收到货款。
`},
	},
	kindOrderConfirmed + ":buyer": {
		"en": {"Order {{.ID}} is complete: how was it?", `Hello {{.Name}},

{{if .ByBuyer}}Thank you for confirming receipt of order {{.ID}} from {{.Merchant}}.{{else}}Your protection for order {{.ID}} from {{.Merchant}} has ended, and the order is confirmed.{{end}} {{.Merchant}} is now paid.

Tell other buyers how it went: review the items and the seller from your order page on {{.Channel}}.
`},
		"fr": {"Commande {{.ID}} terminée : qu'en pensez-vous ?", `Bonjour {{.Name}},

{{if .ByBuyer}}Merci d'avoir confirmé la réception de la commande {{.ID}} chez {{.Merchant}}.{{else}}Votre protection pour la commande {{.ID}} chez {{.Merchant}} a pris fin, et la commande est confirmée.{{end}} {{.Merchant}} est maintenant payé.

Dites aux autres acheteurs ce que vous en pensez : donnez votre avis sur les articles et le vendeur depuis la page de la commande sur {{.Channel}}.
`},
		"zh": {"订单 {{.ID}} 已完成：您满意吗？", `{{.Name}}，您好：

{{if .ByBuyer}}感谢您确认收到{{.Merchant}}的订单 {{.ID}}。{{else}}您在{{.Merchant}}的订单 {{.ID}} 的买家保障期已结束，订单已确认收货。{{end}}{{.Merchant}}现已收到货款。

欢迎在{{.Channel}}的订单页面评价商品和卖家，帮助其他买家。
`},
	},
	kindOrderConfirmed + ":merchant": {
		"en": {"Order {{.ID}} is confirmed: {{.Settlement}} is yours", `Hello {{.Name}},

Order {{.ID}} on {{.Channel}} is confirmed{{if .ByBuyer}} by its buyer{{else}}: its buyer's protection has ended{{end}}. Its settlement of {{.Settlement}} is now in your balance{{if .Reserve}}, {{.Reserve}} of it kept in reserve until {{.ReserveUntil}}{{end}}, and goes out with your next payout.
`},
		"fr": {"Commande {{.ID}} confirmée : {{.Settlement}} vous reviennent", `Bonjour {{.Name}},

La commande {{.ID}} sur {{.Channel}} est confirmée{{if .ByBuyer}} par son acheteur{{else}} : la protection de son acheteur a pris fin{{end}}. Son règlement de {{.Settlement}} est maintenant dans votre solde{{if .Reserve}}, dont {{.Reserve}} en réserve jusqu'au {{.ReserveUntil}}{{end}}, et part avec votre prochain versement.
`},
		"zh": {"订单 {{.ID}} 已确认：{{.Settlement}} 归您所有", `{{.Name}}，您好：

{{.Channel}}上的订单 {{.ID}} {{if .ByBuyer}}已由买家确认收货{{else}}的买家保障期已结束，已自动确认收货{{end}}。其结算款 {{.Settlement}} 已计入您的余额{{if .Reserve}}（其中 {{.Reserve}} 作为保证金保留至 {{.ReserveUntil}}）{{end}}，将随下一次打款支付给您。
`},
	},
	kindOrderCancelled + ":buyer": {
		"en": {"Your order {{.ID}} was cancelled", `Hello {{.Name}},

Your order {{.ID}} from {{.Merchant}} on {{.Channel}} was cancelled.{{if eq .Reason "payment_failed" "payment_expired"}} Its payment did not go through: nothing was charged.{{else}} Anything you paid, {{.Total}}, is refunded to your means of payment.{{end}}
`},
		"fr": {"Votre commande {{.ID}} a été annulée", `Bonjour {{.Name}},

Votre commande {{.ID}} chez {{.Merchant}} sur {{.Channel}} a été annulée.{{if eq .Reason "payment_failed" "payment_expired"}} Son paiement n'a pas abouti : rien n'a été débité.{{else}} Ce que vous avez payé, {{.Total}}, vous est remboursé sur votre moyen de paiement.{{end}}
`},
		"zh": {"您的订单 {{.ID}} 已取消", `{{.Name}}，您好：

您在{{.Channel}}向{{.Merchant}}购买的订单 {{.ID}} 已取消。{{if eq .Reason "payment_failed" "payment_expired"}}付款未成功，未扣取任何款项。{{else}}您支付的 {{.Total}} 将原路退回。{{end}}
`},
	},
	kindOrderCancelled + ":merchant": {
		"en": {"Order {{.ID}} was cancelled: do not ship it", `Hello {{.Name}},

Order {{.ID}} on {{.Channel}} was cancelled before it shipped, and its buyer refunded {{.Total}}. Do not ship it; its stock is back on sale.
`},
		"fr": {"Commande {{.ID}} annulée : ne l'expédiez pas", `Bonjour {{.Name}},

La commande {{.ID}} sur {{.Channel}} a été annulée avant son expédition, et son acheteur remboursé de {{.Total}}. Ne l'expédiez pas ; son stock est de nouveau en vente.
`},
		"zh": {"订单 {{.ID}} 已取消：请勿发货", `{{.Name}}，您好：

{{.Channel}}上的订单 {{.ID}} 在发货前已取消，买家已获退款 {{.Total}}。请勿发货；相应库存已重新上架销售。
`},
	},
	kindOrderRefunded + ":buyer": {
		"en": {"{{.Refund}} refunded for order {{.ID}}", `Hello {{.Name}},

{{.Channel}} refunded {{.Refund}} of your order {{.ID}} from {{.Merchant}} to your means of payment.

Reason: {{.Reason}}
`},
		"fr": {"{{.Refund}} remboursés pour la commande {{.ID}}", `Bonjour {{.Name}},

{{.Channel}} vous a remboursé {{.Refund}} de votre commande {{.ID}} chez {{.Merchant}}, sur votre moyen de paiement.

Motif : {{.Reason}}
`},
		"zh": {"订单 {{.ID}} 已退款 {{.Refund}}", `{{.Name}}，您好：

{{.Channel}}已将您在{{.Merchant}}的订单 {{.ID}} 的 {{.Refund}} 原路退回。

原因：{{.Reason}}
`},
	},
	kindOrderRefunded + ":merchant": {
		"en": {"Order {{.ID}} was refunded after completion", `Hello {{.Name}},

The marketplace refunded {{.Refund}} of completed order {{.ID}} on {{.Channel}} to its buyer.

Reason: {{.Reason}}

Its share of your settlement is taken back from the order's reserve, then from your available balance; what you were paid already is recovered from your next payouts. The commission on the refunded part is returned to you. Your statement lists each entry.
`},
		"fr": {"La commande {{.ID}} a été remboursée après sa confirmation", `Bonjour {{.Name}},

La place de marché a remboursé {{.Refund}} de la commande confirmée {{.ID}} sur {{.Channel}} à son acheteur.

Motif : {{.Reason}}

Sa part de votre règlement est reprise sur la réserve de la commande, puis sur votre solde disponible ; ce qui vous a déjà été versé est récupéré sur vos prochains versements. La commission sur la part remboursée vous est rendue. Votre relevé détaille chaque écriture.
`},
		"zh": {"订单 {{.ID}} 在完成后已退款", `{{.Name}}，您好：

平台已将已完成订单 {{.ID}}（{{.Channel}}）的 {{.Refund}} 退还给买家。

原因：{{.Reason}}

您结算款中相应的部分将先从该订单的保证金中扣回，再从您的可用余额中扣回；已打款的部分将从您之后的打款中收回。退款部分的佣金将返还给您。每一笔记录都列在您的对账单中。
`},
	},
}
