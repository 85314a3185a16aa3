// Package deploy holds what docker-compose.yml mounts into third-party containers (the Temporal dynamic
// config, the PostgreSQL init script, the search-attribute registration script) and the test that checks
// docker-compose.yml and the Dockerfile against config.Vars and the workflows' search attributes.
package deploy
