// Command feedgen writes a generated catalogue feed to stdout, for the
// import benchmark (scripts/bench-import.sh): n products of one category,
// priced on the channels bazaar (EUR) and mall (CNY).
//
//	go run ./scripts/feedgen -n 1000000 -format csv -category cat_... > feed.csv
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sesame-market/sesame/internal/feed"
	"github.com/sesame-market/sesame/internal/feed/feedtest"
)

func main() {
	n := flag.Int("n", 1_000_000, "lines")
	format := flag.String("format", "csv", "csv or jsonl")
	cat := flag.String("category", "", "the products' category id (required)")
	flag.Parse()
	f, err := feed.FormatOf("", *format)
	if err == nil && *cat == "" {
		err = fmt.Errorf("-category is required")
	}
	if err == nil {
		err = feedtest.Write(os.Stdout, f, *n, func(i int) feedtest.Product { return feedtest.Default(i, *cat) })
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedgen:", err)
		os.Exit(1)
	}
}
