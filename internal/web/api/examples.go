package api

// requestExamples are the request bodies the document shows for the main
// operations, where one generated from the schema would teach little (ids,
// amounts in minor units, the shape of translations). Each must validate
// against its operation's schema; a test checks that they do.
var requestExamples = map[string]any{
	"register-buyer":         map[string]any{"email": "li.wei@example.com", "name": "Li Wei", "password": "correct horse battery", "lang": "zh", "channel": "mall"},
	"login":                  map[string]any{"email": "li.wei@example.com", "password": "correct horse battery"},
	"request-password-reset": map[string]any{"email": "li.wei@example.com", "channel": "mall"},
	"confirm-password-reset": map[string]any{"token": "3q2-7wZ4nX0bP1sVt8yKcL5mR9aDfGhJ2uEiOoQxWzY", "password": "a new horse battery"},
	"apply-merchant": map[string]any{
		"name": "Shenzhen Case Co.", "country": "CN",
		"trader": map[string]any{"legal_name": "Shenzhen Case Co., Ltd.", "registration_number": "91440300MA5F000000",
			"address": "1 Keji Road, Nanshan, Shenzhen", "email": "legal@shenzhen-case.example", "phone": "+86 755 0000 0000", "self_certified": true},
		"owner": map[string]any{"email": "owner@shenzhen-case.example", "name": "Chen Jie", "password": "correct horse battery"},
	},
	"open-shop":    map[string]any{"channel": "bazaar", "name": "Shenzhen Case Co. on Bazaar"},
	"create-brand": map[string]any{"slug": "shenzhen-case", "name": "Shenzhen Case"},
	"create-product": map[string]any{
		"brand_id": "brd_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f", "category_id": "cat_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f", "origin_country": "CN",
		"translations": map[string]any{
			"en": map[string]any{"title": "Silicone case for iPhone 16", "description": "Soft-touch silicone, raised edges."},
			"fr": map[string]any{"title": "Coque en silicone pour iPhone 16"},
		},
		"media":      []any{"https://cdn.shenzhen-case.example/p/1.jpg"},
		"attributes": map[string]any{"material": "silicone"},
		"variants": []any{map[string]any{"sku": "CASE-16-BLK", "options": map[string]any{"colour": "black"},
			"prices": []any{map[string]any{"channel": "bazaar", "currency": "EUR", "amount": 1250}}}},
	},
	"add-variant": map[string]any{"sku": "CASE-16-RED", "options": map[string]any{"colour": "red"},
		"prices": []any{map[string]any{"channel": "bazaar", "currency": "EUR", "amount": 1250}}},
	"set-prices": map[string]any{"prices": []any{
		map[string]any{"sku": "CASE-16-BLK", "channel": "bazaar", "currency": "EUR", "amount": 1190},
		map[string]any{"sku": "CASE-16-BLK", "channel": "bazaar", "currency": "GBP", "amount": 1050},
	}},
	"share-product":  map[string]any{"channel": "bazaar", "product_id": "prd_0190f1c2a4b37c3e8f5d6a7b8c9d0e1f"},
	"update-product": map[string]any{"translations": map[string]any{"zh": map[string]any{"title": "iPhone 16 硅胶手机壳"}}},
}
