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

// ConsignmentAnnounced: a merchant announced stock on its way to a
// warehouse; ConsignmentReceived: the warehouse counted what arrived
// (payload: Consignment; tenant: the merchant).
const (
	ConsignmentAnnounced = "inventory.consignment.announced"
	ConsignmentReceived  = "inventory.consignment.received"
)

// ConsignmentV1 is the version of Consignment.
const ConsignmentV1 = 1

// Consignment is the payload of the consignment events.
type Consignment struct {
	V           int               `json:"v"`
	ID          string            `json:"id"`
	WarehouseID string            `json:"warehouse_id"`
	MerchantID  string            `json:"merchant_id"`
	Reference   string            `json:"reference,omitempty"`
	Lines       []ConsignmentLine `json:"lines"`
	By          string            `json:"by"`
	At          time.Time         `json:"at"`
}

// ConsignmentLine is a SKU of a consignment: the units announced and, once
// received, counted (Received minus Announced is the discrepancy).
type ConsignmentLine struct {
	SKU       string `json:"sku"`
	Announced int64  `json:"announced"`
	Received  *int64 `json:"received,omitempty"`
}
