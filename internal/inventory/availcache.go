package inventory

import (
	"context"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// availTTL bounds how stale a cached availability may be: another node's
// writes are seen within it (this node's own drop the entries at once).
const availTTL = time.Second

// availEntries bounds the cached SKUs.
const availEntries = 200_000

// skuKey names a merchant's SKU.
type skuKey struct{ merchant, sku string }

type availEntry struct {
	units []Units
	at    time.Time
}

// availCache keeps the available units of SKUs that buyers read, so that a
// product page does not query the stock each time. A write drops the
// entries of the SKUs it touched; a read that raced a write does not store
// what it read (the write's generation moved on).
type availCache struct {
	mu      sync.Mutex
	entries *lru.Cache[skuKey, availEntry]
	gen     uint64 // bumped by every drop
}

func newAvailCache() *availCache {
	c, _ := lru.New[skuKey, availEntry](availEntries)
	return &availCache{entries: c}
}

// availableOf returns the available units of merchantID's skus, from the
// cache where fresh, else from load.
func (c *availCache) availableOf(ctx context.Context, now time.Time, merchantID string, skus []string,
	load func(ctx context.Context, merchantID string, skus []string) ([]Units, error)) ([]Units, error) {
	var (
		out     []Units
		missing []string
	)
	for _, sku := range skus {
		if e, ok := c.entries.Get(skuKey{merchantID, sku}); ok && now.Sub(e.at) < availTTL && !now.Before(e.at) {
			out = append(out, e.units...)
			continue
		}
		missing = append(missing, sku)
	}
	if len(missing) == 0 {
		return out, nil
	}
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	got, err := load(ctx, merchantID, missing)
	if err != nil {
		return nil, err
	}
	by := make(map[string][]Units, len(missing))
	for _, u := range got {
		by[u.SKU] = append(by[u.SKU], u)
	}
	c.mu.Lock()
	if c.gen == gen {
		for _, sku := range missing {
			c.entries.Add(skuKey{merchantID, sku}, availEntry{units: by[sku], at: now})
		}
	}
	c.mu.Unlock()
	return append(out, got...), nil
}

// drop forgets the cached units of the SKUs a write touched.
func (c *availCache) drop(keys ...skuKey) {
	c.mu.Lock()
	c.gen++
	for _, k := range keys {
		c.entries.Remove(k)
	}
	c.mu.Unlock()
}
