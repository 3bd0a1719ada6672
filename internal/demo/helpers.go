package demo

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sesame-market/sesame/internal/money"
)

func moneyOf(minor int64, cur string) money.Amount { return money.Amount{Minor: minor, Currency: cur} }

func slug(s string) string {
	r := strings.NewReplacer("é", "e", "è", "e", "ï", "i", "â", "a", "ô", "o", "ç", "c", "'", "", "&", "and", ".", "", ",", "")
	s = strings.ToLower(r.Replace(s))
	return strings.Join(strings.Fields(s), "-")
}

func legalSuffix(country string) string {
	if country == "CN" {
		return " Co., Ltd."
	}
	return " SAS"
}

func address(country string, i int) string {
	if country == "CN" {
		return fmt.Sprintf("%d Industrial Road, Guangdong, China", 100+i)
	}
	return fmt.Sprintf("%d rue de la République, 13001 Marseille, France", 1+i)
}

func phone(country string, i int) string {
	if country == "CN" {
		return fmt.Sprintf("+86 755 8%03d %04d", i, 1000+i)
	}
	return fmt.Sprintf("+33 4 91 %02d %02d %02d", i, i+10, i+20)
}

func countryName(c string) string {
	if c == "CN" {
		return "China"
	}
	return "France"
}

func countryNameFR(c string) string {
	if c == "CN" {
		return "la Chine"
	}
	return "la France"
}

// bar is a terminal progress bar: a line redrawn in place.
type bar struct {
	w     io.Writer
	label string
	total int
	start time.Time
	last  time.Time
	done  int
}

func newBar(w io.Writer, label string, total int) *bar {
	b := &bar{w: w, label: label, total: total, start: time.Now()}
	b.draw()
	return b
}

func (b *bar) set(done int) {
	b.done = done
	if time.Since(b.last) >= 200*time.Millisecond || done == b.total {
		b.draw()
	}
}

func (b *bar) draw() {
	if b.w == nil {
		return
	}
	b.last = time.Now()
	const width = 30
	frac := 1.0
	if b.total > 0 {
		frac = float64(b.done) / float64(b.total)
	}
	fill := int(frac * width)
	el := time.Since(b.start)
	rate := float64(b.done) / max(el.Seconds(), 1e-9)
	eta := "--"
	if rate > 0 && b.done < b.total {
		eta = time.Duration(float64(b.total-b.done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "\r%-9s [%s%s] %3.0f%% %d/%d  %.0f/s  ETA %s   ", b.label, strings.Repeat("#", fill), strings.Repeat(" ", width-fill), frac*100, b.done, b.total, rate, eta)
}

func (b *bar) finish() {
	if b.w == nil {
		return
	}
	b.draw()
	fmt.Fprintf(b.w, "\n")
}
