// Package e2e holds end-to-end tests of yoyaku: the real HTTP API, a real worker, PostgreSQL, the Temporal
// dev server and Mailpit, driven the way patrons and staff drive them.
package e2e
