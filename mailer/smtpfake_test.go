package mailer_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is a minimal SMTP server for what Mailpit cannot do: refuse recipients or data with chosen
// replies, hang, speak implicit TLS or STARTTLS. It records what it accepted.
type fakeSMTP struct {
	Port int

	mailReply string                   // reply to MAIL FROM; "" is 250
	rcptReply func(rcpt string) string // reply to RCPT TO; nil or "" is 250
	dataReply string                   // reply after the data; "" is 250
	authReply string                   // reply to AUTH; "" is 235
	hangOn    string                   // a command (e.g. "MAIL") the server never answers
	dropOn    string                   // a command on which the server closes the connection
	startTLS  *tls.Config              // advertise STARTTLS with this certificate

	mu  sync.Mutex
	got []fakeMail
}

type fakeMail struct {
	User  string
	TLS   bool
	From  string
	Rcpts []string
	Data  string
}

// startFake serves f on a free loopback port until the test ends; implicit, when not nil, makes it an
// implicit-TLS (SMTPS) server.
func startFake(t *testing.T, f *fakeSMTP, implicit *tls.Config) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicit != nil {
		ln = tls.NewListener(ln, implicit)
	}
	f.Port = ln.Addr().(*net.TCPAddr).Port
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		_ = ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				go func() { <-done; _ = c.Close() }()
				f.serve(c, implicit != nil)
			}()
		}
	}()
	return f
}

func (f *fakeSMTP) mails() []fakeMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMail(nil), f.got...)
}

func (f *fakeSMTP) serve(c net.Conn, isTLS bool) {
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	tp := textproto.NewConn(c)
	reply := func(def, s string) bool {
		if s == "" {
			s = def
		}
		return tp.PrintfLine("%s", s) == nil
	}
	if !reply("220 fake.example.jp ESMTP", "") {
		return
	}
	var cur fakeMail
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if verb == f.dropOn {
			return
		}
		if verb == f.hangOn {
			_, _ = bufio.NewReader(c).ReadByte() // until the client closes the connection
			return
		}
		ok := true
		switch verb {
		case "EHLO", "HELO":
			ext := []string{"fake.example.jp", "8BITMIME", "ENHANCEDSTATUSCODES", "AUTH PLAIN"}
			if f.startTLS != nil && !isTLS {
				ext = append(ext, "STARTTLS")
			}
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				if err := tp.PrintfLine("250%s%s", sep, e); err != nil {
					return
				}
			}
		case "STARTTLS":
			if f.startTLS == nil || isTLS {
				ok = reply("502 5.5.1 no", "")
				break
			}
			if !reply("220 2.0.0 go ahead", "") {
				return
			}
			tc := tls.Server(c, f.startTLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, isTLS = tc, true
			tp = textproto.NewConn(c)
		case "AUTH":
			parts := strings.Fields(arg)
			if len(parts) == 2 && strings.EqualFold(parts[0], "PLAIN") {
				if b, err := base64.StdEncoding.DecodeString(parts[1]); err == nil {
					if fields := strings.Split(string(b), "\x00"); len(fields) == 3 {
						cur.User = fields[1]
					}
				}
			}
			ok = reply("235 2.7.0 ok", f.authReply)
		case "MAIL":
			cur.From, cur.Rcpts, cur.TLS = arg, nil, isTLS
			ok = reply("250 2.1.0 ok", f.mailReply)
		case "RCPT":
			a := strings.TrimSpace(arg)
			if len(a) >= 3 && strings.EqualFold(a[:3], "TO:") {
				a = a[3:]
			}
			a, _, _ = strings.Cut(strings.TrimSpace(a), " ")
			rcpt := strings.Trim(a, "<>")
			r := ""
			if f.rcptReply != nil {
				r = f.rcptReply(rcpt)
			}
			if r == "" {
				cur.Rcpts = append(cur.Rcpts, rcpt)
			}
			ok = reply("250 2.1.5 ok", r)
		case "DATA":
			if !reply("354 go ahead", "") {
				return
			}
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			if f.dataReply == "" {
				cur.Data = string(b)
				f.mu.Lock()
				f.got = append(f.got, cur)
				f.mu.Unlock()
			}
			ok = reply("250 2.0.0 queued", f.dataReply)
		case "RSET", "NOOP":
			ok = reply("250 2.0.0 ok", "")
		case "QUIT":
			reply("221 2.0.0 bye", "")
			return
		default:
			ok = reply("502 5.5.2 unknown command", "")
		}
		if !ok {
			return
		}
	}
}

// testCA makes a certificate for 127.0.0.1 and the pool that trusts it.
func testCA(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "yoyaku test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
