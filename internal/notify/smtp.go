package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTP sends mails to an SMTP server (a relay of the marketplace's mail
// provider).
type SMTP struct {
	// Addr is the server's host:port.
	Addr string
	// StartTLS upgrades the connection before anything is sent (required
	// when authenticating to a server that is not on this host).
	StartTLS bool
	// From is the sender's address, e.g. "Sesame <orders@example.com>".
	From string
	// Username and Password, when set, authenticate with PLAIN.
	Username, Password string
	// Domain names the sending host in Message-IDs.
	Domain string
}

// Send implements Sender: one SMTP transaction per mail.
func (s SMTP) Send(ctx context.Context, m Mail) error {
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("notify: sender address %q: %w", s.From, err)
	}
	to := mail.Address{Name: m.ToName, Address: m.To}
	domain := s.Domain
	if domain == "" {
		_, domain, _ = strings.Cut(from.Address, "@")
	}
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	hdr("To", to.String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", m.CreatedAt.Format(time.RFC1123Z))
	// The same mail sent twice (its acceptance lost in a crash) has the
	// same id: receivers drop the copy.
	hdr("Message-ID", "<"+m.ID+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="utf-8"`)
	hdr("Content-Transfer-Encoding", "8bit")
	hdr("Content-Language", m.Lang)
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n"))

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(time.Minute))
	}
	var c *smtp.Client
	if s.StartTLS {
		host, _, _ := net.SplitHostPort(s.Addr)
		if c, err = smtp.NewClientStartTLS(conn, &tls.Config{ServerName: host}); err != nil {
			conn.Close()
			return err
		}
	} else {
		c = smtp.NewClient(conn)
		if err := c.Hello(domain); err != nil {
			c.Close()
			return err
		}
	}
	defer c.Close()
	if s.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			return err
		}
	}
	if err := c.SendMail(from.Address, []string{m.To}, &b); err != nil {
		return err
	}
	return c.Quit()
}
