package mailer

import "crypto/tls"

// SetTLSConfig lets the external tests trust their own certificate authority.
func SetTLSConfig(m *Mailer, c *tls.Config) { m.tlsConfig = c }
