package notify

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/ids"
	"github.com/sesame-market/sesame/internal/merchant"
	"github.com/sesame-market/sesame/internal/money"
)

// The mails of disputes, to whom each step concerns: the merchant when a
// dispute opens (with its deadline) and when the buyer escalates it; the
// buyer when the merchant answers (with theirs); both when it closes.
const (
	kindDisputeOpened    = "dispute_opened"
	kindDisputeAnswered  = "dispute_answered"
	kindDisputeEscalated = "dispute_escalated"
	kindDisputeClosed    = "dispute_closed"
)

// disputeMail queues the mails of a dispute event, each once per kind,
// dispute and recipient, from the event's payload (the dispute as that
// step left it). Without Merchants it mails nothing.
func (s *Service) disputeMail(ctx context.Context, e events.Event) error {
	if s.Merchants == nil {
		return nil
	}
	var p events.DisputeChange
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.DisputeID == "" || p.OrderID == "" {
		return nil // not an event Sesame wrote
	}
	o, err := s.Orders.Order(ctx, p.OrderID)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ch, err := s.Channels.Public(ctx, o.ChannelID)
	if err != nil {
		return err
	}
	var kind string
	var toBuyer, toMerchant bool
	switch e.Type {
	case events.DisputeOpened:
		kind, toMerchant = kindDisputeOpened, true
	case events.DisputeAnswered:
		kind, toBuyer = kindDisputeAnswered, true
	case events.DisputeEscalated:
		kind, toMerchant = kindDisputeEscalated, true
	case events.DisputeClosed:
		kind, toBuyer, toMerchant = kindDisputeClosed, true, true
	default:
		return nil
	}
	format := func(lang string, minor int64) string {
		if minor == 0 {
			return ""
		}
		a := money.Amount{Minor: minor, Currency: p.Currency}
		if s.Money != nil {
			return s.Money.Format(a, lang)
		}
		return a.Decimal() + " " + a.Currency
	}
	now := s.now()
	queue := func(to, name, lang, who string) error {
		t := disputeText(kind, lang)
		due := ""
		if p.ReplyDueAt != nil {
			due = p.ReplyDueAt.UTC().Format(time.DateOnly)
		}
		data := struct{ Name, Channel, Merchant, ID, Reason, Requested, Offer, Refund, Due, Outcome string }{Name: name, Channel: ch.Name,
			Merchant: o.MerchantName, ID: o.ID, Reason: p.Reason, Requested: format(lang, p.Requested), Offer: format(lang, p.Offer),
			Refund: format(lang, p.Refund), Due: due, Outcome: p.Outcome}
		return s.Store.QueueMail(ctx, Mail{ID: ids.New(ids.Mail), Dedupe: kind + ":" + p.DisputeID + ":" + who, Kind: kind, To: to, ToName: name,
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
	if toMerchant {
		m, err := s.Merchants.Merchant(ctx, o.MerchantID)
		if err != nil {
			return err
		}
		if m.Trader.Email != "" {
			if err := queue(m.Trader.Email, m.Name, merchantLanguage(m), "merchant"); err != nil {
				return err
			}
		}
	}
	return nil
}

// merchantLanguage is the language a merchant is written to in: its
// country's, where Sesame speaks it, else English.
func merchantLanguage(m merchant.Merchant) string {
	switch m.Country {
	case "FR", "BE", "LU", "MC":
		return "fr"
	case "CN", "TW", "HK", "SG":
		return "zh"
	}
	return "en"
}

type mailText struct{ subject, body string }

// disputeText is the words of a dispute mail of kind in lang (English
// when Sesame does not speak it).
func disputeText(kind, lang string) mailText {
	t, ok := disputeTexts[kind][lang]
	if !ok {
		t = disputeTexts[kind]["en"]
	}
	return t
}

var disputeTexts = map[string]map[string]mailText{
	kindDisputeOpened: {
		"en": {"A buyer disputes order {{.ID}}: answer by {{.Due}}", `Hello {{.Name}},

The buyer of order {{.ID}} on {{.Channel}} opened a dispute ({{.Reason}}) and asks for a refund of {{.Requested}}.

Answer by {{.Due}}: refund, offer a partial refund, or contest the claim. If you do not answer by then, the buyer is refunded what they asked for.
`},
		"fr": {"Un acheteur conteste la commande {{.ID}} : répondez avant le {{.Due}}", `Bonjour {{.Name}},

L'acheteur de la commande {{.ID}} sur {{.Channel}} a ouvert un litige ({{.Reason}}) et demande un remboursement de {{.Requested}}.

Répondez avant le {{.Due}} : remboursez, proposez un remboursement partiel ou contestez. Sans réponse d'ici là, l'acheteur est remboursé de ce qu'il demande.
`},
		"zh": {"买家对订单 {{.ID}} 发起了纠纷，请在 {{.Due}} 前回复", `{{.Name}}，您好：

{{.Channel}} 上订单 {{.ID}} 的买家发起了纠纷（{{.Reason}}），申请退款 {{.Requested}}。

请在 {{.Due}} 前回复：退款、提议部分退款或提出异议。逾期未回复，将按买家申请的金额退款。
`},
	},
	kindDisputeAnswered: {
		"en": {"{{.Merchant}} answered your dispute of order {{.ID}}", `Hello {{.Name}},

{{if .Offer}}{{.Merchant}} offers a refund of {{.Offer}} for order {{.ID}}.{{else}}{{.Merchant}} refuses a refund for order {{.ID}}.{{end}}

On the order's page, accept, or ask {{.Channel}} to decide, by {{.Due}}. {{if .Offer}}If you do not answer by then, the offer is accepted for you.{{else}}If you do not answer by then, the dispute closes.{{end}}
`},
		"fr": {"{{.Merchant}} a répondu à votre litige sur la commande {{.ID}}", `Bonjour {{.Name}},

{{if .Offer}}{{.Merchant}} propose un remboursement de {{.Offer}} pour la commande {{.ID}}.{{else}}{{.Merchant}} refuse de rembourser la commande {{.ID}}.{{end}}

Sur la page de la commande, acceptez ou demandez à {{.Channel}} de trancher, avant le {{.Due}}. {{if .Offer}}Sans réponse d'ici là, l'offre est acceptée.{{else}}Sans réponse d'ici là, le litige est clos.{{end}}
`},
		"zh": {"{{.Merchant}} 已回复您对订单 {{.ID}} 的纠纷", `{{.Name}}，您好：

{{if .Offer}}{{.Merchant}} 提议为订单 {{.ID}} 退款 {{.Offer}}。{{else}}{{.Merchant}} 拒绝为订单 {{.ID}} 退款。{{end}}

请在 {{.Due}} 前在订单页面接受，或请 {{.Channel}} 裁决。{{if .Offer}}逾期未回复，将视为接受该提议。{{else}}逾期未回复，纠纷将关闭。{{end}}
`},
	},
	kindDisputeEscalated: {
		"en": {"The dispute of order {{.ID}} goes to {{.Channel}}", `Hello {{.Name}},

The buyer of order {{.ID}} asked {{.Channel}} to decide their dispute. Our team reads the messages and photos and decides; you may still write in the dispute.
`},
		"fr": {"Le litige de la commande {{.ID}} est confié à {{.Channel}}", `Bonjour {{.Name}},

L'acheteur de la commande {{.ID}} a demandé à {{.Channel}} de trancher le litige. Notre équipe lit les messages et les photos, puis décide ; vous pouvez encore écrire dans le litige.
`},
		"zh": {"订单 {{.ID}} 的纠纷已提交 {{.Channel}} 裁决", `{{.Name}}，您好：

订单 {{.ID}} 的买家已请 {{.Channel}} 裁决纠纷。我们的团队将查看留言和照片后作出裁决；您仍可在纠纷中留言。
`},
	},
	kindDisputeClosed: {
		"en": {"The dispute of order {{.ID}} is closed", `Hello {{.Name}},

The dispute of order {{.ID}} on {{.Channel}} is closed: {{if eq .Outcome "withdrawn"}}the buyer withdrew it.{{else if .Refund}}{{.Refund}} is refunded to the buyer.{{else}}without a refund.{{end}}
{{if .Refund}}
The refund goes back to the card that paid; banks take a few days to show it.{{end}}
`},
		"fr": {"Le litige de la commande {{.ID}} est clos", `Bonjour {{.Name}},

Le litige de la commande {{.ID}} sur {{.Channel}} est clos : {{if eq .Outcome "withdrawn"}}l'acheteur l'a retiré.{{else if .Refund}}{{.Refund}} sont remboursés à l'acheteur.{{else}}sans remboursement.{{end}}
{{if .Refund}}
Le remboursement revient sur la carte qui a payé ; les banques l'affichent sous quelques jours.{{end}}
`},
		"zh": {"订单 {{.ID}} 的纠纷已关闭", `{{.Name}}，您好：

{{.Channel}} 上订单 {{.ID}} 的纠纷已关闭：{{if eq .Outcome "withdrawn"}}买家已撤销。{{else if .Refund}}已向买家退款 {{.Refund}}。{{else}}未退款。{{end}}
{{if .Refund}}
退款将原路退回付款银行卡，银行入账需要几天。{{end}}
`},
	},
}
