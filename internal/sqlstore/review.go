package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sesame-market/sesame/internal/errs"
	"github.com/sesame-market/sesame/internal/events"
	"github.com/sesame-market/sesame/internal/order"
)

const reviewCols = `id, order_id, line_id, product_id, merchant_id, buyer_id, channel_id, stars, body, status, reason, created_at, updated_at, photos`

func scanReview(row interface{ Scan(...any) error }) (order.Review, error) {
	var (
		r      order.Review
		status string
		photos []byte
	)
	err := row.Scan(&r.ID, &r.OrderID, &r.LineID, &r.ProductID, &r.MerchantID, &r.BuyerID, &r.ChannelID, &r.Stars, &r.Text, &status, &r.Reason, &r.CreatedAt, &r.UpdatedAt, &photos)
	r.Status, r.CreatedAt, r.UpdatedAt = order.ReviewStatus(status), r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if err == nil {
		if err = json.Unmarshal(photos, &r.Photos); err != nil {
			err = fmt.Errorf("review photos: %w", err)
		}
	}
	if r.Photos == nil {
		r.Photos = []string{}
	}
	return r, err
}

// productRating returns the rating of productID as tx sees it.
func productRating(ctx context.Context, q rowQuerier, productID string) (order.Rating, error) {
	var r order.Rating
	err := q.QueryRowContext(ctx, `SELECT reviews, stars FROM product_ratings WHERE product_id = $1`, productID).Scan(&r.Count, &r.Sum)
	if err == sql.ErrNoRows {
		err = nil
	}
	return r, err
}

// countReview adds (sign 1) or takes (sign -1) a review of stars out of
// its product's rating inside tx, and returns the rating after.
func countReview(ctx context.Context, tx *sql.Tx, productID string, stars, sign int) (order.Rating, error) {
	q := `INSERT INTO product_ratings (product_id, reviews, stars) VALUES ($1, 1, $2)
		ON CONFLICT (product_id) DO UPDATE SET reviews = product_ratings.reviews + 1, stars = product_ratings.stars + excluded.stars`
	if sign < 0 {
		// The review was counted, so its product has a row (and a new row's
		// negative values would break its checks before any conflict).
		q = `UPDATE product_ratings SET reviews = reviews - 1, stars = stars - $2 WHERE product_id = $1`
	}
	if _, err := execIn(ctx, tx, q, productID, stars); err != nil {
		return order.Rating{}, err
	}
	return productRating(ctx, tx, productID)
}

// CreateReview implements order.Store.
func (s *Orders) CreateReview(ctx context.Context, r order.Review, seller *order.SellerRating, photos []order.Photo, evs func(order.Review, order.Rating) []events.Event) (order.Review, error) {
	const op = "sqlstore.CreateReview"
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := queryRowIn(ctx, tx, `SELECT COUNT(*) FROM reviews WHERE order_id = $1 AND line_id = $2`, r.OrderID, r.LineID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.E(op, errs.Conflict, "the line has a review already")
		}
		if r.Photos == nil {
			r.Photos = []string{}
		}
		if _, err := execIn(ctx, tx, `INSERT INTO reviews (`+reviewCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			r.ID, r.OrderID, r.LineID, r.ProductID, r.MerchantID, r.BuyerID, r.ChannelID, r.Stars, r.Text, string(r.Status), r.Reason, r.CreatedAt, r.UpdatedAt,
			jsonText(r.Photos)); err != nil {
			return err
		}
		for _, p := range photos {
			if _, err := execIn(ctx, tx, `INSERT INTO review_photos (id, review_id, content_type, data, created_at) VALUES ($1, $2, $3, $4, $5)`,
				p.ID, r.ID, p.ContentType, p.Data, p.CreatedAt.UTC()); err != nil {
				return err
			}
		}
		if seller != nil {
			if err := queryRowIn(ctx, tx, `SELECT COUNT(*) FROM seller_ratings WHERE order_id = $1`, r.OrderID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return errs.E(op, errs.Conflict, "the order's merchant was rated already")
			}
			if _, err := execIn(ctx, tx, `INSERT INTO seller_ratings (order_id, merchant_id, described, communication, shipping, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				r.OrderID, r.MerchantID, seller.Described, seller.Communication, seller.Shipping, r.CreatedAt); err != nil {
				return err
			}
			if _, err := execIn(ctx, tx, `INSERT INTO merchant_ratings (merchant_id, orders, described, communication, shipping) VALUES ($1, 1, $2, $3, $4)
				ON CONFLICT (merchant_id) DO UPDATE SET orders = merchant_ratings.orders + 1, described = merchant_ratings.described + excluded.described,
				communication = merchant_ratings.communication + excluded.communication, shipping = merchant_ratings.shipping + excluded.shipping`,
				r.MerchantID, seller.Described, seller.Communication, seller.Shipping); err != nil {
				return err
			}
		}
		p, err := countReview(ctx, tx, r.ProductID, r.Stars, 1)
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, evs(r, p))
	})
	return r, wrap(op, err, "review")
}

// Review implements order.Store.
func (s *Orders) Review(ctx context.Context, id string) (order.Review, error) {
	r, err := scanReview(s.db.QueryRowContext(ctx, `SELECT `+reviewCols+` FROM reviews WHERE id = $1`, id))
	return r, wrap("sqlstore.Review", err, "review")
}

// EditReview implements order.Store.
func (s *Orders) EditReview(ctx context.Context, id string, step func(order.Review) (order.Review, error), evs func(order.Review, order.Rating) []events.Event) (order.Review, error) {
	const op = "sqlstore.EditReview"
	var out order.Review
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		was, err := scanReview(queryRowIn(ctx, tx, `SELECT `+reviewCols+` FROM reviews WHERE id = $1`+s.db.forUpdate(), id))
		if err != nil {
			return err
		}
		r, err := step(was)
		if err != nil {
			return err
		}
		if _, err := execIn(ctx, tx, `UPDATE reviews SET stars = $1, body = $2, updated_at = $3 WHERE id = $4`, r.Stars, r.Text, r.UpdatedAt, id); err != nil {
			return err
		}
		if r.Status == order.ReviewPublished && r.Stars != was.Stars {
			if _, err := execIn(ctx, tx, `UPDATE product_ratings SET stars = stars + $1 WHERE product_id = $2`, r.Stars-was.Stars, r.ProductID); err != nil {
				return err
			}
		}
		p, err := productRating(ctx, tx, r.ProductID)
		if err != nil {
			return err
		}
		out = r
		return insertEvents(ctx, tx, evs(r, p))
	})
	return out, wrap(op, err, "review")
}

// ModerateReview implements order.Store.
func (s *Orders) ModerateReview(ctx context.Context, id string, status order.ReviewStatus, reason string, at time.Time, evs func(order.Review, order.Rating) []events.Event) (order.Review, error) {
	const op = "sqlstore.ModerateReview"
	var out order.Review
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		r, err := scanReview(queryRowIn(ctx, tx, `SELECT `+reviewCols+` FROM reviews WHERE id = $1`+s.db.forUpdate(), id))
		if err != nil {
			return err
		}
		if _, err := execIn(ctx, tx, `UPDATE reviews SET status = $1, reason = $2, updated_at = $3 WHERE id = $4`, string(status), reason, at, id); err != nil {
			return err
		}
		sign := 0
		switch {
		case r.Status == order.ReviewPublished && status == order.ReviewHidden:
			sign = -1
		case r.Status == order.ReviewHidden && status == order.ReviewPublished:
			sign = 1
		}
		var p order.Rating
		if sign != 0 {
			p, err = countReview(ctx, tx, r.ProductID, r.Stars, sign)
		} else {
			p, err = productRating(ctx, tx, r.ProductID)
		}
		if err != nil {
			return err
		}
		r.Status, r.Reason, r.UpdatedAt = status, reason, at.UTC()
		out = r
		return insertEvents(ctx, tx, evs(r, p))
	})
	return out, wrap(op, err, "review")
}

// ProductReviews implements order.Store.
func (s *Orders) ProductReviews(ctx context.Context, productID, before string, limit int) ([]order.Review, error) {
	const op = "sqlstore.ProductReviews"
	q, args := `SELECT `+reviewCols+` FROM reviews WHERE product_id = $1 AND status = $2`, []any{productID, string(order.ReviewPublished)}
	if before != "" {
		q, args = q+` AND id < $4`, append(args, limit, before)
	} else {
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, wrap(op, err, "review")
	}
	defer rows.Close()
	out := []order.Review{}
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, wrap(op, err, "review")
		}
		out = append(out, r)
	}
	return out, wrap(op, rows.Err(), "review")
}

// ProductRating implements order.Store.
func (s *Orders) ProductRating(ctx context.Context, productID string) (order.Rating, error) {
	r, err := productRating(ctx, s.db, productID)
	return r, wrap("sqlstore.ProductRating", err, "rating")
}

// MerchantRating implements order.Store.
func (s *Orders) MerchantRating(ctx context.Context, merchantID string) (order.MerchantRating, error) {
	var n, d, c, sh int64
	err := s.db.QueryRowContext(ctx, `SELECT orders, described, communication, shipping FROM merchant_ratings WHERE merchant_id = $1`, merchantID).Scan(&n, &d, &c, &sh)
	if err == sql.ErrNoRows {
		err = nil
	}
	return order.RatingOf(merchantID, n, d, c, sh), wrap("sqlstore.MerchantRating", err, "rating")
}

// OrderReviews implements order.Store.
func (s *Orders) OrderReviews(ctx context.Context, orderID string) (order.OrderReviews, error) {
	const op = "sqlstore.OrderReviews"
	out := order.OrderReviews{Reviews: []order.Review{}}
	rows, err := s.db.QueryContext(ctx, `SELECT `+reviewCols+` FROM reviews WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return out, wrap(op, err, "review")
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return out, wrap(op, err, "review")
		}
		out.Reviews = append(out.Reviews, r)
	}
	if err := rows.Err(); err != nil {
		return out, wrap(op, err, "review")
	}
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM seller_ratings WHERE order_id = $1`, orderID).Scan(&n)
	out.Rated = n > 0
	return out, wrap(op, err, "review")
}

// ProductRatings implements search.Source: the average stars, in tenths,
// of every product with published reviews.
func (s *Catalog) ProductRatings(ctx context.Context) (map[string]int64, error) {
	const op = "sqlstore.ProductRatings"
	rows, err := s.db.QueryContext(ctx, `SELECT product_id, reviews, stars FROM product_ratings WHERE reviews > 0`)
	if err != nil {
		return nil, wrap(op, err, "rating")
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var (
			id string
			r  order.Rating
		)
		if err := rows.Scan(&id, &r.Count, &r.Sum); err != nil {
			return nil, wrap(op, err, "rating")
		}
		out[id] = r.Tenths()
	}
	return out, wrap(op, rows.Err(), "rating")
}

// ReviewPhoto implements order.Store.
func (s *Orders) ReviewPhoto(ctx context.Context, reviewID, id string) (order.Photo, error) {
	p := order.Photo{ID: id, OwnerID: reviewID}
	err := s.db.QueryRowContext(ctx, `SELECT content_type, data, created_at FROM review_photos WHERE id = $1 AND review_id = $2`, id, reviewID).
		Scan(&p.ContentType, &p.Data, &p.CreatedAt)
	p.CreatedAt = p.CreatedAt.UTC()
	return p, wrap("sqlstore.ReviewPhoto", err, "photo")
}
