package events

import "time"

// StockCounted: a warehouse's people (or the owning merchant's system)
// recorded how many units of a SKU it holds (payload: StockCount; tenant:
// the SKU's merchant). Reservations and shipments write no event: they
// belong to the orders that make them.
const StockCounted = "inventory.stock.counted"

// StockCountV1 is the version of StockCount.
const StockCountV1 = 1

// StockCount is the payload of StockCounted: the level after the count.
type StockCount struct {
	V           int       `json:"v"`
	WarehouseID string    `json:"warehouse_id"`
	MerchantID  string    `json:"merchant_id"`
	SKU         string    `json:"sku"`
	OnHand      int64     `json:"on_hand"`
	Reserved    int64     `json:"reserved"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}
